import { expect, it } from 'vitest';
import { createRedisClaimStore } from '../src/index.js';
import { describeWithRedis } from './support/redis-test.js';

describeWithRedis('Redis claim store (webhook dedupe)', (redis) => {
  it('of concurrent claims from many processes, exactly one wins', async () => {
    const prefix = redis.prefix();
    const stores = await Promise.all(
      Array.from({ length: 8 }, async () =>
        createRedisClaimStore({ redis: await redis.client(), prefix, name: 'sunshine-event' }),
      ),
    );
    const results = await Promise.all(
      stores.flatMap((store) => [store.claim('evt-1'), store.claim('evt-1')]),
    );
    expect(results.filter((result) => result === 'claimed')).toHaveLength(1);
    expect(results.filter((result) => result === 'processing')).toHaveLength(15);
  });

  it('claim, then complete: later deliveries are duplicates for the processed TTL', async () => {
    const client = await redis.client();
    const prefix = redis.prefix();
    const store = createRedisClaimStore({ redis: client, prefix, name: 'events', processedTtlMs: 200 });
    expect(await store.claim('a')).toBe('claimed');
    await store.complete('a');
    expect(await store.claim('a')).toBe('processed');
    expect(await client.pttl(`${prefix}events:a`)).toBeLessThanOrEqual(200);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await store.claim('a')).toBe('claimed');
  });

  it('release lets the next delivery be handled, and never removes another process’s claim', async () => {
    const prefix = redis.prefix();
    const first = createRedisClaimStore({
      redis: await redis.client(),
      prefix,
      name: 'events',
      claimTtlMs: 100,
    });
    const second = createRedisClaimStore({ redis: await redis.client(), prefix, name: 'events' });
    expect(await first.claim('b')).toBe('claimed');
    await first.release('b');
    expect(await second.claim('b')).toBe('claimed');
    await second.release('b');

    // The first process's claim lapses while it is still working; the second claims the id.
    expect(await first.claim('c')).toBe('claimed');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await second.claim('c')).toBe('claimed');
    await first.release('c');
    expect(await first.claim('c')).toBe('processing');
    // A release of an id this process never claimed does nothing.
    await first.release('c');
    expect(await second.claim('c')).toBe('processing');
  });

  it('fails with a retryable redis_unavailable error when Redis is gone', async () => {
    const client = await redis.client();
    const store = createRedisClaimStore({ redis: client, prefix: redis.prefix(), name: 'events' });
    client.disconnect();
    await expect(store.claim('d')).rejects.toMatchObject({ code: 'redis_unavailable', retryable: true });
  });
});
