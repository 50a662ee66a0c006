import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { connectRedis, createRedisRateBudgetRegistry } from '../src/index.js';
import type { ProcessReport } from './support/budget-process.js';
import { describeWithRedis } from './support/redis-test.js';

/** Runs support/budget-process.ts in a real child process, on the workspace's TypeScript sources. */
function startProcess(config: Record<string, unknown>): {
  child: ChildProcess;
  next: () => Promise<ProcessReport>;
} {
  const hooks = new URL('./support/ts-hooks.mjs', import.meta.url).href;
  const child = fork(
    fileURLToPath(new URL('./support/budget-process.ts', import.meta.url)),
    [JSON.stringify(config)],
    {
      execArgv: [
        '--import',
        `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hooks)})`,
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  children.push(child);
  const reports: ProcessReport[] = [];
  const waiting: Array<(report: ProcessReport) => void> = [];
  child.on('message', (message) => {
    const report = message as ProcessReport;
    const waiter = waiting.shift();
    if (waiter === undefined) reports.push(report);
    else waiter(report);
  });
  const next = () =>
    new Promise<ProcessReport>((resolve, reject) => {
      const queued = reports.shift();
      if (queued !== undefined) return resolve(queued);
      waiting.push(resolve);
      child.once('exit', (code, signal) =>
        reject(new Error(`process exited (${code ?? signal}) before reporting`)),
      );
    });
  return { child, next };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describeWithRedis('Redis rate budget across real processes', (redis) => {
  it('four processes: never more than the cap in any rolling window, never more than the concurrency cap in flight', async () => {
    const budget = { requestsPerInterval: 8, intervalMs: 500, maxConcurrency: 4 };
    const config = {
      url: redis.url,
      prefix: redis.prefix(),
      account: 'shared',
      budget,
      leaseMs: 2_000,
      mode: 'run',
    };
    // The first one transpiles the sources (cached on disk), so the next three start in a moment.
    const first = startProcess({ ...config, requests: 10, requestMs: 20 });
    expect(await first.next()).toEqual({ ready: true });
    const others = [1, 2, 3].map((index) =>
      startProcess({ ...config, requests: 10, requestMs: 20 + index * 10 }),
    );
    for (const { next } of others) expect(await next()).toEqual({ ready: true });
    const processes = [first, ...others];
    // All at once: they compete for the same budget.
    for (const { child } of processes) child.send('go');
    const timings = (await Promise.all(processes.map(({ next }) => next()))).flatMap((report) =>
      'timings' in report ? report.timings : [],
    );
    expect(timings).toHaveLength(40);
    const peak = (counts: (other: { start: number; end: number }, at: number) => boolean) =>
      Math.max(...timings.map((at) => timings.filter((other) => counts(other, at.start)).length));
    expect(peak((other, at) => other.start <= at && other.end + budget.intervalMs > at)).toBeLessThanOrEqual(
      8,
    );
    expect(peak((other, at) => other.start <= at && other.end > at)).toBeLessThanOrEqual(4);
    // All of it used: the first window's eight all started at once.
    const starts = timings.map((timing) => timing.start).sort((a, b) => a - b);
    expect((starts[7] ?? 0) - (starts[0] ?? 0)).toBeLessThan(300);
  }, 30_000);

  it('a SIGKILLed process’s places come free when its leases lapse, and count one interval more', async () => {
    const prefix = redis.prefix();
    const budget = { requestsPerInterval: 3, intervalMs: 600, maxConcurrency: 2 };
    const leaseMs = 400;
    const doomed = startProcess({
      url: redis.url,
      prefix,
      account: 'crash',
      budget,
      leaseMs,
      mode: 'hang',
      requests: 2,
      requestMs: 0,
    });
    expect(await doomed.next()).toEqual({ ready: true });
    doomed.child.send('go');
    const held = await doomed.next();
    if (!('holdingSince' in held)) throw new Error('expected the process to hold its places');
    doomed.child.kill('SIGKILL');
    await once(doomed.child, 'exit');

    const client = await connectRedis({ url: redis.url });
    try {
      const survivor = createRedisRateBudgetRegistry({ redis: client, prefix, leaseMs }).forAccount(
        'crash',
        budget,
      );
      const startedAt: number[] = [];
      await Promise.all(
        [0, 1].map(() =>
          survivor.schedule(async () => {
            startedAt.push(Date.now());
          }),
        ),
      );
      const [first = 0, second = 0] = startedAt.sort((a, b) => a - b);
      // The dead process's two places: in flight until their leases lapse (concurrency 2 was full)…
      expect(first - held.holdingSince).toBeGreaterThanOrEqual(leaseMs - 20);
      expect(first - held.holdingSince).toBeLessThan(leaseMs + 500);
      // …then counted in the window for one interval: with the survivor's first, the cap of 3 is reached.
      expect(second - held.holdingSince).toBeGreaterThanOrEqual(leaseMs + budget.intervalMs - 50);
    } finally {
      await client.quit();
    }
  }, 30_000);
});
