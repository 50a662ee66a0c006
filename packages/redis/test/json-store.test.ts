import { expect, it } from 'vitest';
import { z } from 'zod';
import { canonicalJson, createRedisJsonStore } from '../src/index.js';
import { describeWithRedis } from './support/redis-test.js';

interface Open {
  interactionId: string;
  channel: string;
  endUser: { name?: string; email?: string };
}

describeWithRedis('Redis JSON store', (redis) => {
  it('setIfAbsent: of processes racing to open one conversation, one wins and all see its value', async () => {
    const prefix = redis.prefix();
    const stores = await Promise.all(
      Array.from({ length: 6 }, async () =>
        createRedisJsonStore<Open>({ redis: await redis.client(), prefix, name: 'conversation' }),
      ),
    );
    const results = await Promise.all(
      stores.map((store, index) =>
        store.setIfAbsent('conv-1', {
          interactionId: `sunco:conv-1:evt-${index}`,
          channel: 'chat',
          endUser: {},
        }),
      ),
    );
    const winners = results.filter((result) => result.stored);
    expect(winners).toHaveLength(1);
    for (const result of results) expect(result.value).toEqual(winners[0]?.value);
    expect(await stores[0]?.get('conv-1')).toEqual(winners[0]?.value);
  });

  it('deleteIf closes only the value it read, whatever the key order', async () => {
    const store = createRedisJsonStore<Open>({
      redis: await redis.client(),
      prefix: redis.prefix(),
      name: 'c',
    });
    const opened: Open = {
      interactionId: 'i-1',
      channel: 'chat',
      endUser: { name: 'Ada', email: 'a@example.com' },
    };
    await store.set('conv', opened);
    expect(await store.deleteIf('conv', { ...opened, interactionId: 'i-2' })).toBe(false);
    expect(
      await store.deleteIf('conv', {
        endUser: { email: 'a@example.com', name: 'Ada' },
        channel: 'chat',
        interactionId: 'i-1',
      }),
    ).toBe(true);
    expect(await store.get('conv')).toBeUndefined();
    await store.set('conv', opened);
    await store.delete('conv');
    expect(await store.get('conv')).toBeUndefined();
  });

  it('keeps values for the TTL and checks what it reads with the schema', async () => {
    const client = await redis.client();
    const prefix = redis.prefix();
    const schema = z.object({ interactionId: z.string(), channel: z.string(), endUser: z.object({}) });
    const store = createRedisJsonStore({ redis: client, prefix, name: 'c', ttlMs: 5_000, schema });
    await store.set('x', { interactionId: 'i', channel: 'chat', endUser: {} });
    expect(await client.pttl(`${prefix}c:x`)).toBeGreaterThan(4_000);
    await client.set(`${prefix}c:y`, '{"interactionId":1}');
    await expect(store.get('y')).rejects.toMatchObject({ code: 'redis_failed', retryable: false });
    await client.set(`${prefix}c:z`, 'not json');
    await expect(store.get('z')).rejects.toMatchObject({ code: 'redis_failed' });
  });

  it('writes canonical JSON', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }], e: undefined })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });

  it('fails with a retryable redis_unavailable error when Redis is gone', async () => {
    const client = await redis.client();
    const store = createRedisJsonStore<Open>({ redis: client, prefix: redis.prefix(), name: 'c' });
    client.disconnect();
    await expect(
      store.setIfAbsent('k', { interactionId: 'i', channel: 'chat', endUser: {} }),
    ).rejects.toMatchObject({
      code: 'redis_unavailable',
      retryable: true,
    });
  });
});
