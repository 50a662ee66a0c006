import type { RecordLinkStore } from '@crm-connect/core';
import { expect, it } from 'vitest';
import { createRedisRecordLinkStore } from '../src/index.js';
import { describeWithRedis } from './support/redis-test.js';

describeWithRedis('Redis record-link store', (redis) => {
  it('shares links and note states between processes, each plugin and interaction apart', async () => {
    const prefix = redis.prefix();
    const first: RecordLinkStore = createRedisRecordLinkStore({ redis: await redis.client(), prefix });
    const second = createRedisRecordLinkStore({ redis: await redis.client(), prefix });
    // Interaction ids may hold colons: (plugin `a`, interaction `b:c`) is not (plugin `a:b`, interaction `c`).
    await first.set('zendesk', 'sunco:conv:1', {
      ticket: { id: '42', url: 'https://acme.zendesk.com/agent/tickets/42' },
      createdHere: true,
    });
    expect(await second.get('zendesk', 'sunco:conv:1')).toEqual({
      ticket: { id: '42', url: 'https://acme.zendesk.com/agent/tickets/42' },
      createdHere: true,
    });
    expect(await second.get('kustomer', 'sunco:conv:1')).toBeUndefined();
    expect(await second.get('zendesk:sunco', 'conv:1')).toBeUndefined();

    await first.setNoteState('zendesk', 'i-1', 'k', { status: 'pending', at: 5 });
    expect(await second.noteState('zendesk', 'i-1', 'k')).toEqual({ status: 'pending', at: 5 });
    expect(await second.noteState('zendesk', 'i-2', 'k')).toBeUndefined();
    expect(await second.noteState('zendesk', 'i-1', 'other')).toBeUndefined();
    await second.setNoteState('zendesk', 'i-1', 'k', { status: 'written' });
    expect(await first.noteState('zendesk', 'i-1', 'k')).toEqual({ status: 'written' });
  });

  it('never turns a written note back into a pending one', async () => {
    const store = createRedisRecordLinkStore({ redis: await redis.client(), prefix: redis.prefix() });
    await store.setNoteState('crm', 'i', 'k', { status: 'written' });
    await store.setNoteState('crm', 'i', 'k', { status: 'pending', at: 1 });
    expect(await store.noteState('crm', 'i', 'k')).toEqual({ status: 'written' });
  });

  it('expires links and note states after their TTL, started again by each write', async () => {
    const client = await redis.client();
    const prefix = redis.prefix();
    const store = createRedisRecordLinkStore({ redis: client, prefix, linkTtlMs: 300, noteTtlMs: 300 });
    await store.set('crm', 'i', { ticket: { id: '1' }, createdHere: false });
    await store.setNoteState('crm', 'i', 'a', { status: 'written' });
    expect(await client.pttl(`${prefix}link:crm:i`)).toBeGreaterThan(200);
    expect(await client.pttl(`${prefix}notes:crm:i`)).toBeGreaterThan(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await store.setNoteState('crm', 'i', 'b', { status: 'pending', at: 2 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await store.get('crm', 'i')).toBeUndefined();
    expect(await store.noteState('crm', 'i', 'a')).toEqual({ status: 'written' });
    const defaults = createRedisRecordLinkStore({ redis: client, prefix });
    await defaults.set('crm', 'j', { ticket: { id: '2' }, createdHere: true });
    expect(await client.pttl(`${prefix}link:crm:j`)).toBeGreaterThan(29 * 24 * 60 * 60 * 1000);
  });

  it('refuses a value it did not write, with a non-retryable redis_failed error', async () => {
    const client = await redis.client();
    const prefix = redis.prefix();
    const store = createRedisRecordLinkStore({ redis: client, prefix });
    await client.set(`${prefix}link:crm:i`, '{"ticket":{}}');
    await expect(store.get('crm', 'i')).rejects.toMatchObject({ code: 'redis_failed', retryable: false });
  });

  it('fails with a retryable redis_unavailable error when Redis is gone', async () => {
    const client = await redis.client();
    const store = createRedisRecordLinkStore({ redis: client, prefix: redis.prefix() });
    client.disconnect();
    await expect(store.get('crm', 'i')).rejects.toMatchObject({ code: 'redis_unavailable', retryable: true });
    await expect(store.setNoteState('crm', 'i', 'k', { status: 'written' })).rejects.toMatchObject({
      code: 'redis_unavailable',
    });
  });
});
