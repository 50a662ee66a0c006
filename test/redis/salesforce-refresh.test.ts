import { isCrmConnectError } from '@crm-connect/core';
import {
  createMemoryTokenStore,
  type SalesforceAccessTokenCache,
  type SalesforceRefreshLock,
  type SalesforceSettingsInput,
  type SalesforceTokenStore,
  salesforce,
  salesforceSettingsSchema,
} from '@crm-connect/salesforce';
import {
  createSalesforceSandbox,
  type SalesforceSandbox,
  salesforceSandboxSettings,
} from '@crm-connect/sandbox';
import { linkAdmin } from '@crm-connect/sandbox-crms';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  connectRedis,
  createRedisLocks,
  createRedisTokenCache,
  type RedisLocks,
  type RedisTokenCache,
} from '../../packages/redis/src/index.js';
import { describeWithRedis } from '../../packages/redis/test/support/redis-test.js';
import { connectorFor } from '../sandbox/connectors.js';
import { chatStarted } from '../sandbox/events.js';
import { type RotatingTokenProxy, startRotatingTokenProxy } from './rotating-token-proxy.js';

/**
 * @crm-connect/redis imports no plugin and the plugin no Redis package: the plugin declares the
 * lock and the cache it needs, and the Redis primitives fit them by shape. These assignments are
 * the check: `tsc --build` fails if either side's shape drifts.
 */
const asRefreshLock = (locks: RedisLocks): SalesforceRefreshLock => locks;
const asAccessTokenCache = (cache: RedisTokenCache): SalesforceAccessTokenCache => cache;

const admin = 'integration@acme.test';

let sandbox: SalesforceSandbox;
let proxy: RotatingTokenProxy;

/** An admin linked through the real OAuth flow, through a connected app that rotates refresh tokens. */
async function linkedAdmin(): Promise<{
  tokenStore: SalesforceTokenStore;
  settings: SalesforceSettingsInput;
  key: { orgId: string; userId: string };
}> {
  // The platform's token store, which every process reads (a database in production).
  const tokenStore = createMemoryTokenStore();
  const settings = await linkAdmin(
    salesforce({ tokenStore }),
    { ...salesforceSandboxSettings(sandbox), loginUrl: proxy.url },
    admin,
  );
  const [connection] = salesforceSettingsSchema.parse(settings).adminConnections ?? [];
  if (connection === undefined) throw new Error('no admin linked');
  return { tokenStore, settings, key: { orgId: connection.orgId, userId: connection.userId } };
}

describeWithRedis('Salesforce single-flight refresh across processes, on Redis', (redis) => {
  beforeEach(async () => {
    sandbox = createSalesforceSandbox({ autoApprove: true });
    await sandbox.start();
    proxy = await startRotatingTokenProxy(sandbox.url);
  });
  afterEach(async () => {
    await proxy.stop();
    await sandbox.stop();
  });

  /** One worker process: its own Redis client, and a plugin instance using the shared lock and cache. */
  async function worker(prefix: string, tokenStore: SalesforceTokenStore, settings: SalesforceSettingsInput) {
    const client = await redis.client();
    const plugin = salesforce({
      tokenStore,
      lock: asRefreshLock(createRedisLocks({ redis: client, prefix })),
      accessTokenCache: asAccessTokenCache(
        createRedisTokenCache({ redis: client, prefix, name: 'salesforce-access-token' }),
      ),
    });
    return connectorFor(plugin, settings);
  }

  it('two processes writing for the same admin at once: one token request, no invalid_grant, no admin marked inactive', async () => {
    const { tokenStore, settings, key } = await linkedAdmin();
    const linked = await tokenStore.get(key);
    const prefix = redis.prefix();
    const workers = await Promise.all([
      worker(prefix, tokenStore, settings),
      worker(prefix, tokenStore, settings),
    ]);

    const results = await Promise.all(workers.map((connector) => connector.handle(chatStarted())));

    expect(results.map((result) => result.outcome)).toEqual(['created', 'created']);
    expect({ refreshes: proxy.refreshes, refused: proxy.refused }).toEqual({ refreshes: 1, refused: 0 });
    const stored = await tokenStore.get(key);
    expect(stored?.status).toBe('active');
    expect(stored?.refreshToken).not.toBe(linked?.refreshToken);
    // The rotated token is the one that works: a third process, later, refreshes with it.
    const later = await worker(redis.prefix(), tokenStore, settings);
    expect((await later.handle(chatStarted())).outcome).toBe('created');
    expect({ refreshes: proxy.refreshes, refused: proxy.refused }).toEqual({ refreshes: 2, refused: 0 });
  });

  it('Redis unreachable: the write fails retryably with redis_unavailable, and no refresh token is spent', async () => {
    const { tokenStore, settings, key } = await linkedAdmin();
    const linked = await tokenStore.get(key);
    const server = await redis.ownServer();
    const client = await connectRedis({ url: server.url });
    const plugin = salesforce({
      tokenStore,
      lock: createRedisLocks({ redis: client, prefix: redis.prefix() }),
      accessTokenCache: createRedisTokenCache({ redis: client, name: 'salesforce-access-token' }),
    });
    await server.stop();
    try {
      const error = await connectorFor(plugin, settings)
        .handle(chatStarted())
        .catch((caught: unknown) => caught);
      expect(isCrmConnectError(error) && [error.code, error.retryable]).toEqual(['redis_unavailable', true]);
      expect(proxy.refreshes).toBe(0);
      expect(await tokenStore.get(key)).toEqual(linked);
    } finally {
      client.disconnect();
    }
  });
});
