// One worker process for crash-recovery.test.ts: a worker on the fake CRM served by the test
// process over loopback HTTP, sharing record links in Redis. Run through the workspace's TypeScript
// module hooks (packages/redis/test/support/ts-hooks.mjs); configured by a JSON argument. It says
// `ready`, then works until it is killed.
import { connectRedis, createRedisRecordLinkStore } from '@crm-connect/redis';
import { createWorker } from '../../src/index.js';
import { fakePlugin, httpFakeCrmApi } from './fake-crm.js';

export interface WorkerProcessConfig {
  url: string;
  prefix: string;
  crmUrl: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  timeoutMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig;
const redis = await connectRedis({ url: config.url });
const links = createRedisRecordLinkStore({ redis, prefix: config.prefix });
const { plugin } = fakePlugin(httpFakeCrmApi(config.crmUrl));
await createWorker({
  url: config.url,
  prefix: config.prefix,
  tenants: async () => ({ plugin, settings: { defaultUser: true } }),
  recordLinks: () => links,
  lockDurationMs: config.lockDurationMs,
  stalledIntervalMs: config.stalledIntervalMs,
  http: { timeoutMs: config.timeoutMs },
});
process.send?.('ready');
