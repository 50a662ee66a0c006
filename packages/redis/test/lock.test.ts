import { isCrmConnectError } from '@crm-connect/core';
import { expect, it } from 'vitest';
import { createRedisLocks, createRedisTokenCache } from '../src/index.js';
import { describeWithRedis } from './support/redis-test.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis('Redis locks', (redis) => {
  it('one holder at a time across processes: single-flight refresh through a shared token cache', async () => {
    const prefix = redis.prefix();
    const processes = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const client = await redis.client();
        return {
          locks: createRedisLocks({ redis: client, prefix }),
          tokens: createRedisTokenCache({ redis: client, prefix, name: 'salesforce-access-token' }),
        };
      }),
    );
    let refreshes = 0;
    let holders = 0;
    let peakHolders = 0;
    // Every process finds the token stale at once; one refreshes, the others read its token.
    const tokens = await Promise.all(
      processes.map(({ locks, tokens }) =>
        locks.withLock(
          'salesforce-refresh:00D000000000001:005000000000001AAA',
          async () => {
            holders += 1;
            peakHolders = Math.max(peakHolders, holders);
            try {
              const cached = await tokens.get('00D000000000001');
              if (cached !== undefined) return cached;
              refreshes += 1;
              await sleep(50);
              await tokens.set('00D000000000001', `access-${refreshes}`, 60_000);
              return `access-${refreshes}`;
            } finally {
              holders -= 1;
            }
          },
          { ttlMs: 5_000, waitMs: 5_000 },
        ),
      ),
    );
    expect(refreshes).toBe(1);
    expect(peakHolders).toBe(1);
    expect(tokens).toEqual(Array(5).fill('access-1'));
  });

  it('only the owner extends or releases; a dead holder’s lock frees after its TTL', async () => {
    const prefix = redis.prefix();
    const first = createRedisLocks({ redis: await redis.client(), prefix });
    const second = createRedisLocks({ redis: await redis.client(), prefix });
    const held = await first.acquire('refresh', { ttlMs: 200 });
    expect(held).toBeDefined();
    expect(await second.acquire('refresh', { ttlMs: 200 })).toBeUndefined();
    expect(await held!.extend(300)).toBe(true);
    await sleep(350);
    // Expired without release (the holder died): the next one takes it, and the old token is powerless.
    const taken = await second.acquire('refresh', { ttlMs: 1_000 });
    expect(taken).toBeDefined();
    expect(await held!.release()).toBe(false);
    expect(await held!.extend(1_000)).toBe(false);
    expect(await first.acquire('refresh', { ttlMs: 1_000 })).toBeUndefined();
    expect(await taken!.release()).toBe(true);
    expect(await first.acquire('refresh', { ttlMs: 1_000 })).toBeDefined();
  });

  it('waits for a held lock up to waitMs, then fails with a retryable lock_timeout error', async () => {
    const prefix = redis.prefix();
    const locks = createRedisLocks({ redis: await redis.client(), prefix });
    const held = await locks.acquire('busy', { ttlMs: 300 });
    const startedAt = Date.now();
    const error = await locks
      .withLock('busy', async () => 'never', { ttlMs: 1_000, waitMs: 100 })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && [error.code, error.retryable]).toEqual(['lock_timeout', true]);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(100);
    // Released early: a waiter gets it within a poll interval, not at the TTL.
    setTimeout(() => void held!.release(), 50);
    const waitedFrom = Date.now();
    expect(await locks.withLock('busy', async () => 'mine', { ttlMs: 1_000, waitMs: 1_000 })).toBe('mine');
    expect(Date.now() - waitedFrom).toBeLessThan(250);
  });

  it('withLock keeps extending the lock while the task runs', async () => {
    const prefix = redis.prefix();
    const first = createRedisLocks({ redis: await redis.client(), prefix });
    const second = createRedisLocks({ redis: await redis.client(), prefix });
    let secondGotIt = false;
    await first.withLock(
      'long',
      async (signal) => {
        await sleep(500);
        secondGotIt = (await second.acquire('long', { ttlMs: 1_000 })) !== undefined;
        expect(signal.aborted).toBe(false);
      },
      { ttlMs: 150 },
    );
    expect(secondGotIt).toBe(false);
    expect(await second.acquire('long', { ttlMs: 1_000 })).toBeDefined();
  });

  it('aborts the task’s signal when the lock is lost', async () => {
    const client = await redis.client();
    const prefix = redis.prefix();
    const locks = createRedisLocks({ redis: client, prefix });
    const reason = await locks.withLock(
      'lost',
      async (signal) => {
        // Another party removes the lock (an operator, a frozen holder's expiry).
        await client.del(`${prefix}lock:lost`);
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return signal.reason;
      },
      { ttlMs: 90 },
    );
    expect(isCrmConnectError(reason) && reason.code).toBe('lock_lost');
  });

  it('fails with a retryable redis_unavailable error when Redis is gone', async () => {
    const client = await redis.client();
    const locks = createRedisLocks({ redis: client, prefix: redis.prefix() });
    const tokens = createRedisTokenCache({ redis: client, prefix: redis.prefix(), name: 'tokens' });
    client.disconnect();
    await expect(locks.withLock('x', async () => 1, { ttlMs: 1_000 })).rejects.toMatchObject({
      code: 'redis_unavailable',
      retryable: true,
    });
    await expect(tokens.get('x')).rejects.toMatchObject({ code: 'redis_unavailable', retryable: true });
  });
});

describeWithRedis('Redis token cache', (redis) => {
  it('shares tokens with a TTL, and forgets a stale one without evicting a fresher one', async () => {
    const client = await redis.client();
    const prefix = redis.prefix();
    const tokens = createRedisTokenCache({ redis: client, prefix, name: 'access' });
    expect(await tokens.get('org')).toBeUndefined();
    await tokens.set('org', 'token-1', 5_000);
    expect(await client.pttl(`${prefix}access:org`)).toBeGreaterThan(4_000);
    expect(await tokens.get('org')).toBe('token-1');
    // Process A got a 401 with token-1, but process B already stored token-2.
    await tokens.set('org', 'token-2', 5_000);
    expect(await tokens.deleteIf('org', 'token-1')).toBe(false);
    expect(await tokens.get('org')).toBe('token-2');
    expect(await tokens.deleteIf('org', 'token-2')).toBe(true);
    await tokens.set('org', 'token-3', 50);
    await sleep(100);
    expect(await tokens.get('org')).toBeUndefined();
    await tokens.set('org', 'token-4', 5_000);
    await tokens.delete('org');
    expect(await tokens.get('org')).toBeUndefined();
  });
});
