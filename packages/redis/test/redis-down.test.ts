import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import {
  connectRedis,
  createRedisClaimStore,
  createRedisJsonStore,
  createRedisLocks,
  createRedisRateBudgetRegistry,
  createRedisRecordLinkStore,
  createRedisTokenCache,
} from '../src/index.js';
import { closedPortUrl, describeWithRedis } from './support/redis-test.js';

const unavailable = { code: 'redis_unavailable', retryable: true };

describeWithRedis('when Redis is unreachable', (redis) => {
  it('connecting to a closed port fails fast with a retryable redis_unavailable error', async () => {
    const startedAt = Date.now();
    await expect(connectRedis({ url: await closedPortUrl() })).rejects.toMatchObject(unavailable);
    expect(Date.now() - startedAt).toBeLessThan(2_500);
  });

  it('every store fails closed once the server stops, fast, and works again once it is back', async () => {
    const server = await redis.ownServer();
    const client = await connectRedis({ url: server.url });
    const prefix = redis.prefix();
    const budget = createRedisRateBudgetRegistry({ redis: client, prefix }).forAccount('acme', {
      requestsPerInterval: 100,
    });
    const links = createRedisRecordLinkStore({ redis: client, prefix });
    const claims = createRedisClaimStore({ redis: client, prefix, name: 'events' });
    const values = createRedisJsonStore<{ id: string }>({ redis: client, prefix, name: 'values' });
    const locks = createRedisLocks({ redis: client, prefix });
    const tokens = createRedisTokenCache({ redis: client, prefix, name: 'tokens' });
    const everyStore = () => [
      budget.schedule(async () => 'sent'),
      links.get('crm', 'i'),
      links.setNoteState('crm', 'i', 'k', { status: 'written' }),
      claims.claim('e'),
      values.setIfAbsent('v', { id: '1' }),
      locks.acquire('l', { ttlMs: 1_000 }),
      tokens.get('t'),
    ];
    await Promise.all(everyStore());

    await server.stop();
    let startedAt = Date.now();
    for (const call of everyStore()) await expect(call).rejects.toMatchObject(unavailable);
    expect(Date.now() - startedAt).toBeLessThan(2_500);

    // Back on the same port: the client reconnects by itself and the stores work again.
    await redis.ownServer(server.port);
    startedAt = Date.now();
    while (client.status !== 'ready') {
      if (Date.now() - startedAt > 10_000) throw new Error('no reconnection within 10 s');
      await sleep(50);
    }
    expect(await budget.schedule(async () => 'sent')).toBe('sent');
    expect(await claims.claim('e2')).toBe('claimed');
    client.disconnect();
  });

  it('a hung server fails calls after the command timeout instead of hanging them', async () => {
    const server = await redis.ownServer();
    const client = await connectRedis({ url: server.url, commandTimeoutMs: 300 });
    const links = createRedisRecordLinkStore({ redis: client, prefix: redis.prefix() });
    process.kill(server.pid, 'SIGSTOP');
    try {
      const startedAt = Date.now();
      await expect(links.get('crm', 'i')).rejects.toMatchObject(unavailable);
      expect(Date.now() - startedAt).toBeLessThan(1_500);
    } finally {
      process.kill(server.pid, 'SIGCONT');
      client.disconnect();
    }
  });
});
