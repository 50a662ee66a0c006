// One simulated worker process for packages/redis/test/multi-process.test.ts: it takes requests
// from a Redis rate budget and reports when each started and was answered. Run through
// ts-hooks.mjs; configured by a JSON argument; starts on the parent's `go`.
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedis, createRedisRateBudgetRegistry } from '../../src/index.js';

interface ProcessConfig {
  url: string;
  prefix: string;
  account: string;
  budget: { requestsPerInterval: number; intervalMs: number; maxConcurrency: number };
  leaseMs: number;
  /** `run`: `requests` requests of `requestMs`, then report. `hang`: take `requests` places that never answer, report, and wait to be killed. */
  mode: 'run' | 'hang';
  requests: number;
  requestMs: number;
}

export type ProcessReport =
  | { ready: true }
  | { timings: Array<{ start: number; end: number }> }
  | { holdingSince: number };

const config = JSON.parse(process.argv[2] ?? '{}') as ProcessConfig;
const report = (message: ProcessReport) => process.send?.(message);
const redis = await connectRedis({ url: config.url });
const budget = createRedisRateBudgetRegistry({
  redis,
  prefix: config.prefix,
  leaseMs: config.leaseMs,
}).forAccount(config.account, config.budget);
await new Promise<void>((resolve) => {
  process.once('message', () => resolve());
  report({ ready: true });
});

if (config.mode === 'hang') {
  for (let index = 0; index < config.requests; index += 1) void budget.schedule(() => new Promise(() => {}));
  while (budget.load().inFlight < config.requests) await sleep(5);
  report({ holdingSince: Date.now() });
  // Keeps running (and renewing its leases) until the parent kills it with SIGKILL.
  setInterval(() => {}, 1_000);
} else {
  const timings: Array<{ start: number; end: number }> = [];
  await Promise.all(
    Array.from({ length: config.requests }, () =>
      budget.schedule(async () => {
        const start = Date.now();
        await sleep(config.requestMs);
        timings.push({ start, end: Date.now() });
      }),
    ),
  );
  report({ timings });
  await redis.quit();
  process.disconnect?.();
}
