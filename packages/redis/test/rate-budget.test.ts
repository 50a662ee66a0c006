import { isCrmConnectError, type RateBudget, type RateBudgetRegistry } from '@crm-connect/core';
import type { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { createRedisRateBudgetRegistry } from '../src/index.js';
import { describeWithRedis } from './support/redis-test.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When one request started and was answered, in this process's clock (the same machine's as Redis). */
interface Timing {
  start: number;
  end: number;
}

/**
 * The most requests that ever counted at once under the rule: a request counts from its start
 * until `intervalMs` after its answer. However the CRM places a request between the two, no
 * rolling window of its can then hold more.
 */
function peakCounted(timings: readonly Timing[], intervalMs: number): number {
  return Math.max(
    ...timings.map(
      (at) => timings.filter((other) => other.start <= at.start && other.end + intervalMs > at.start).length,
    ),
  );
}

function peakInFlight(timings: readonly Timing[]): number {
  return Math.max(
    ...timings.map((at) => timings.filter((other) => other.start <= at.start && other.end > at.start).length),
  );
}

/** A request taking `ms`, its timing recorded. */
function timed(budget: RateBudget, timings: Timing[], ms: number): Promise<void> {
  return budget.schedule(async () => {
    const start = Date.now();
    await sleep(ms);
    timings.push({ start, end: Date.now() });
  });
}

describeWithRedis('Redis rate budget', (redis) => {
  /** One registry per client: each stands for a separate process. */
  async function processes(count: number, prefix: string, leaseMs?: number): Promise<RateBudgetRegistry[]> {
    const clients = await Promise.all(Array.from({ length: count }, () => redis.client()));
    return clients.map((client) => createRedisRateBudgetRegistry({ redis: client, prefix, leaseMs }));
  }

  it('never lets more than the cap count in any rolling window across processes, and uses the budget', async () => {
    const options = { requestsPerInterval: 5, intervalMs: 400 };
    const budgets = (await processes(3, redis.prefix())).map((registry) =>
      registry.forAccount('acme', options),
    );
    const timings: Timing[] = [];
    const startedAt = Date.now();
    await Promise.all(
      budgets.flatMap((budget) =>
        Array.from({ length: 8 }, (_, index) => timed(budget, timings, 10 + index * 5)),
      ),
    );
    expect(timings).toHaveLength(24);
    expect(peakCounted(timings, options.intervalMs)).toBeLessThanOrEqual(5);
    // The budget is used, not wasted: the first five go at once, and 24 requests need only five windows.
    const starts = timings.map((timing) => timing.start).sort((a, b) => a - b);
    expect((starts[4] ?? 0) - startedAt).toBeLessThan(300);
    expect(Date.now() - startedAt).toBeLessThan(5 * (options.intervalMs + 60) + 1_000);
  });

  it('keeps core’s counting rule: the fourth of three starts a full interval after the first answer', async () => {
    const [registry] = await processes(1, redis.prefix());
    const budget = registry!.forAccount('answers', { requestsPerInterval: 3, intervalMs: 300 });
    const timings: Timing[] = [];
    await Promise.all(Array.from({ length: 6 }, () => timed(budget, timings, 100)));
    const byStart = [...timings].sort((a, b) => a.start - b.start);
    expect((byStart[2]?.start ?? 0) - (byStart[0]?.start ?? 0)).toBeLessThan(50);
    const answers = byStart.map((timing) => timing.end).sort((a, b) => a - b);
    for (let index = 3; index < byStart.length; index += 1) {
      expect(byStart[index]?.start).toBeGreaterThanOrEqual((answers[index - 3] ?? 0) + 300);
    }
  });

  it('a request that fails still counts until an interval after it ended', async () => {
    const [registry] = await processes(1, redis.prefix());
    const budget = registry!.forAccount('failures', { requestsPerInterval: 1, intervalMs: 300 });
    const startedAt: number[] = [];
    const failing = budget.schedule(async () => {
      startedAt.push(Date.now());
      throw new Error('transport failed');
    });
    const next = budget.schedule(async () => {
      startedAt.push(Date.now());
    });
    await expect(failing).rejects.toThrow('transport failed');
    await next;
    expect((startedAt[1] ?? 0) - (startedAt[0] ?? 0)).toBeGreaterThanOrEqual(300);
    expect(budget.load()).toEqual({ waiting: 0, inFlight: 0 });
  });

  it('caps the requests in flight across processes', async () => {
    const options = { requestsPerInterval: 1_000, intervalMs: 1_000, maxConcurrency: 3 };
    const budgets = (await processes(4, redis.prefix())).map((registry) =>
      registry.forAccount('dynamics', options),
    );
    const timings: Timing[] = [];
    let running = 0;
    let peak = 0;
    await Promise.all(
      budgets.flatMap((budget) =>
        Array.from({ length: 6 }, () =>
          budget.schedule(async () => {
            running += 1;
            peak = Math.max(peak, running);
            const start = Date.now();
            await sleep(40);
            timings.push({ start, end: Date.now() });
            running -= 1;
          }),
        ),
      ),
    );
    expect(peak).toBe(3);
    expect(peakInFlight(timings)).toBeLessThanOrEqual(3);
  });

  it('a hold set by one process stops the others; a shorter hold does not cut it short', async () => {
    const prefix = redis.prefix();
    const [first, second] = (await processes(2, prefix)).map((registry) =>
      registry.forAccount('held', { requestsPerInterval: 100, intervalMs: 1_000 }),
    );
    const observer = await redis.client();
    const heldAt = Date.now();
    first!.holdFor(500);
    first!.holdFor(100);
    await until(async () => (await observer.pttl(`${prefix}budget:{held}:hold`)) > 0);
    let startedAt = 0;
    await second!.schedule(async () => {
      startedAt = Date.now();
    });
    expect(startedAt - heldAt).toBeGreaterThanOrEqual(495);
    // The process that saw the 429 holds at once, without waiting for Redis.
    let firstStartedAt = 0;
    first!.holdFor(200);
    const holdingSince = Date.now();
    await first!.schedule(async () => {
      firstStartedAt = Date.now();
    });
    expect(firstStartedAt - holdingSince).toBeGreaterThanOrEqual(195);
  });

  it('frees a dead process’s places once its leases lapse, counting them until an interval after', async () => {
    const prefix = redis.prefix();
    const options = { requestsPerInterval: 2, intervalMs: 500, maxConcurrency: 2 };
    const deadClient = await redis.client();
    const dead = createRedisRateBudgetRegistry({ redis: deadClient, prefix, leaseMs: 300 }).forAccount(
      'crash',
      options,
    );
    // Two requests that never answer, then the process is gone: no renewal, no release.
    void dead.schedule(() => new Promise(() => {}));
    void dead.schedule(() => new Promise(() => {}));
    await until(async () => dead.load().inFlight === 2);
    const grantedAt = Date.now();
    deadClient.disconnect();

    const [alive] = await processes(1, prefix);
    let startedAt = 0;
    await alive!.forAccount('crash', options).schedule(async () => {
      startedAt = Date.now();
    });
    // Lapsed 300 ms after the grant, then counted for one interval: not before 800 ms, not much after.
    expect(startedAt - grantedAt).toBeGreaterThanOrEqual(790);
    expect(startedAt - grantedAt).toBeLessThan(1_800);
  });

  it('renews the lease of a request that runs longer than it', async () => {
    const prefix = redis.prefix();
    const options = { requestsPerInterval: 100, intervalMs: 100, maxConcurrency: 1 };
    const [slow, other] = (await processes(2, prefix, 150)).map((registry) =>
      registry.forAccount('slow', options),
    );
    const timings: Timing[] = [];
    const running = timed(slow!, timings, 600);
    await sleep(50);
    await timed(other!, timings, 10);
    await running;
    const [first, second] = [...timings].sort((a, b) => a.start - b.start);
    expect(second!.start).toBeGreaterThanOrEqual(first!.end);
  });

  it('fails closed with a retryable redis_unavailable error, and sends nothing, when Redis is gone', async () => {
    const client = await redis.client();
    const budget = createRedisRateBudgetRegistry({ redis: client, prefix: redis.prefix() }).forAccount(
      'down',
      {
        requestsPerInterval: 10,
      },
    );
    client.disconnect();
    let sent = 0;
    const startedAt = Date.now();
    const error = await budget
      .schedule(async () => {
        sent += 1;
      })
      .catch((caught: unknown) => caught);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(sent).toBe(0);
    expect(isCrmConnectError(error) && error.code).toBe('redis_unavailable');
    expect(isCrmConnectError(error) && error.retryable).toBe(true);
    expect(budget.load()).toEqual({ waiting: 0, inFlight: 0 });
  });

  it('hands out one budget per account, dropped when its last holder releases it', async () => {
    const client: Redis = await redis.client();
    const registry = createRedisRateBudgetRegistry({ redis: client, prefix: redis.prefix() });
    const options = { requestsPerInterval: 10 };
    const pinned = registry.forAccount('pinned', options);
    expect(registry.forAccount('pinned', { requestsPerInterval: 99 })).toBe(pinned);
    expect(pinned.options).toEqual({ requestsPerInterval: 10, intervalMs: 60_000, maxConcurrency: 16 });
    const held = registry.acquire('held', options);
    expect(registry.acquire('held', options)).toBe(held);
    expect(registry.size()).toBe(2);
    registry.release('held');
    expect(registry.size()).toBe(2);
    registry.release('held');
    expect(registry.size()).toBe(1);
    expect(() => registry.forAccount('bad', { requestsPerInterval: 0 })).toThrow(RangeError);
    expect(() => createRedisRateBudgetRegistry({ redis: client, leaseMs: 0 })).toThrow(RangeError);
  });
});

/** Polls `condition` every 10 ms, for up to 5 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await sleep(10);
  }
}
