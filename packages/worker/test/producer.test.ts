import { hasErrorCode } from '@crm-connect/core';
import { connectRedis } from '@crm-connect/redis';
import { expect, it, vi } from 'vitest';
import { describeWithRedis } from '../../redis/test/support/redis-test.js';
import { createProducer, type TenantSource } from '../src/index.js';
import { createMailboxes, encodeEntry, mailboxKeys, seenKey } from '../src/mailbox.js';
import { agentAssigned, chatStarted, newInteractionId } from './support/events.js';
import { createFakeCrm, fakePlugin } from './support/fake-crm.js';
import { workerTests } from './support/worker-test.js';

describeWithRedis('producer: validation at the edge and deduplication of redelivered events', (redis) => {
  const context = workerTests(redis);
  const withCrm = () => {
    const crm = createFakeCrm();
    const { plugin } = fakePlugin(crm.api);
    const tenants: TenantSource = async () => ({ plugin, settings: { defaultUser: true } });
    return { crm, tenants };
  };

  it('refuses an invalid event or tenant id with a typed error naming the field, and enqueues nothing', async () => {
    const test = context();
    const producer = await test.producer();
    const event = chatStarted(newInteractionId());
    const invalid = await producer
      .enqueue('acme', { ...event, endUser: { email: 'not-an-email' } })
      .catch((error) => error);
    expect(hasErrorCode(invalid, 'input_invalid')).toBe(true);
    expect(invalid.message).toContain('endUser.email');
    const badTenant = await producer.enqueue('acme:eu', event).catch((error) => error);
    expect(hasErrorCode(badTenant, 'input_invalid')).toBe(true);
    expect(badTenant.message).toContain('tenant id');
    expect(await test.drainJobCounts()).toMatchObject({ wait: 0, active: 0, delayed: 0 });
  });

  it('a redelivered event is enqueued once, even with its fields in another order and its email in capitals', async () => {
    const test = context();
    const { crm, tenants } = withCrm();
    const producer = await test.producer();
    const id = newInteractionId();
    const event = chatStarted(id);
    expect(await producer.enqueue('acme', event)).toEqual({ status: 'queued', interactionId: id });
    const reordered = Object.fromEntries(Object.entries(event).reverse());
    const shouted = {
      ...reordered,
      endUser: { ...event.endUser, email: event.endUser.email?.toUpperCase() },
    };
    expect(await producer.enqueue('acme', shouted)).toEqual({ status: 'duplicate', interactionId: id });
    // The same content for another tenant is another event.
    expect((await producer.enqueue('globex', event)).status).toBe('queued');
    await test.worker({ tenants });
    await vi.waitFor(() =>
      expect(crm.calls.filter((call) => call.operation === 'createTicket')).toHaveLength(2),
    );
    await vi.waitFor(async () => expect(await test.drainJobCounts()).toMatchObject({ wait: 0, active: 0 }));
    expect(crm.calls.filter((call) => call.operation === 'createTicket')).toHaveLength(2);
  });

  it('the same event delivered to three producers at once is enqueued by exactly one', async () => {
    const test = context();
    const producers = await Promise.all([test.producer(), test.producer(), test.producer()]);
    const event = agentAssigned(newInteractionId(), 2);
    const results = await Promise.all(producers.map((producer) => producer.enqueue('acme', event)));
    expect(results.map((result) => result.status).sort()).toEqual(['duplicate', 'duplicate', 'queued']);
  });

  it('after the dedupe window the same content is enqueued again', async () => {
    const test = context();
    const producer = await test.producer({ dedupeWindowMs: 200 });
    const event = chatStarted(newInteractionId());
    expect((await producer.enqueue('acme', event)).status).toBe('queued');
    expect((await producer.enqueue('acme', event)).status).toBe('duplicate');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await producer.enqueue('acme', event)).status).toBe('queued');
  });

  it('a producer that died between appending the event and adding the drain job: the redelivery adds the job', async () => {
    const test = context();
    const { crm, tenants } = withCrm();
    await test.worker({ tenants });
    const id = newInteractionId();
    const event = chatStarted(id);
    // What the dead producer did: the append and the marker, without the job.
    const client = await connectRedis({ url: test.url });
    const appended = await createMailboxes(client).push(
      mailboxKeys(test.prefix, 'acme', id),
      seenKey(test.prefix, 'acme', event),
      encodeEntry(event, Date.now()),
      60_000,
    );
    await client.quit();
    expect(appended.appended).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(crm.writes.get(id)).toBeUndefined();
    // The platform got no answer, so it delivers the event again.
    const producer = await test.producer();
    expect((await producer.enqueue('acme', event)).status).toBe('duplicate');
    await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:admin']));
  });

  it('Redis unreachable: enqueue fails fast with a retryable redis_unavailable error', async () => {
    const server = await redis.ownServer();
    const producer = await createProducer({ url: server.url, prefix: redis.prefix() });
    await server.stop();
    const started = Date.now();
    const error = await producer.enqueue('acme', chatStarted(newInteractionId())).catch((caught) => caught);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toMatchObject({ code: 'redis_unavailable', retryable: true });
    await producer.close();
  });
});
