import {
  CrmConnectError,
  CrmRejectedInputError,
  createMemoryRecordLinkStore,
  RateLimitedError,
  TransportError,
} from '@crm-connect/core';
import { expect, it, vi } from 'vitest';
import { describeWithRedis } from '../../redis/test/support/redis-test.js';
import type { TenantSource } from '../src/index.js';
import { agentAssigned, chatStarted, interactionEnded, newInteractionId } from './support/events.js';
import { createFakeCrm, type FakeCrm, fakePlugin } from './support/fake-crm.js';
import { fastRetry, workerTests } from './support/worker-test.js';

const callsOf = (crm: FakeCrm, operation: string, interactionId: string) =>
  crm.calls.filter((call) => call.operation === operation && call.interactionId === interactionId);

describeWithRedis('worker: retries, dead letters and tenants', (redis) => {
  const context = workerTests(redis);
  /** A worker for tenant `acme` on a fake CRM, with one record-link store, as a platform would share. */
  async function setUp(tenants?: TenantSource) {
    const test = context();
    const crm = createFakeCrm();
    const { plugin } = fakePlugin(crm.api);
    const links = createMemoryRecordLinkStore();
    await test.worker({
      tenants:
        tenants ??
        (async (tenantId) => (tenantId === 'acme' ? { plugin, settings: { defaultUser: true } } : undefined)),
      recordLinks: () => links,
      retry: fastRetry,
      // A note retried after a failure first waits as long as the HTTP timeout (it may still land).
      http: { timeoutMs: 50 },
    });
    return { test, crm, plugin, producer: await test.producer() };
  }

  it('a retryable error: the event is tried again with backoff, its interaction’s later events wait behind it', async () => {
    const { test, crm, producer } = await setUp();
    const id = newInteractionId();
    crm.fail({
      operation: 'createTicket',
      interactionId: id,
      times: 2,
      error: () => new TransportError('503'),
    });
    await producer.enqueue('acme', chatStarted(id));
    await producer.enqueue('acme', agentAssigned(id, 1));
    await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:admin', 'owner:agent-1']));
    expect(callsOf(crm, 'createTicket', id)).toHaveLength(3);
    expect(await test.deadLetters()).toEqual([]);
  });

  it('honours the CRM’s Retry-After', async () => {
    const { crm, producer } = await setUp();
    const id = newInteractionId();
    crm.fail({
      operation: 'createTicket',
      interactionId: id,
      error: () => new RateLimitedError('429', { retryAfterMs: 600 }),
    });
    await producer.enqueue('acme', chatStarted(id));
    await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:admin']));
    const [first, second] = callsOf(crm, 'createTicket', id);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(600);
  });

  it('a non-retryable error: the event goes to the dead-letter queue with its typed error, and the interaction goes on', async () => {
    const { test, crm, producer } = await setUp();
    const id = newInteractionId();
    crm.fail({
      operation: 'createTicket',
      interactionId: id,
      error: () => new CrmRejectedInputError('Subject is required', { pluginId: 'fake', status: 422 }),
    });
    const started = chatStarted(id);
    await producer.enqueue('acme', started);
    await producer.enqueue('acme', agentAssigned(id, 2));
    // The assignment, next in the mailbox, opens the record.
    await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:agent-2']));
    const letters = await test.deadLetters();
    expect(letters).toEqual([
      {
        tenantId: 'acme',
        interactionId: id,
        event: started,
        error: {
          code: 'crm_rejected_input',
          message: 'Subject is required',
          retryable: false,
          pluginId: 'fake',
          status: 422,
        },
        attempts: 1,
        enqueuedAt: expect.any(String),
        deadLetteredAt: expect.any(String),
      },
    ]);
    expect(callsOf(crm, 'createTicket', id)).toHaveLength(2);
  });

  it('a retryable error that lasts: dead-lettered after `retry.attempts` tries, with the last error', async () => {
    const { test, crm, producer } = await setUp();
    const id = newInteractionId();
    crm.fail({
      operation: 'addNote',
      interactionId: id,
      times: 99,
      error: () => new TransportError('503 again'),
    });
    await producer.enqueue('acme', chatStarted(id));
    await producer.enqueue('acme', interactionEnded(id));
    await producer.enqueue('acme', agentAssigned(id, 3));
    await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:admin', 'owner:agent-3']));
    expect(callsOf(crm, 'addNote', id)).toHaveLength(fastRetry.attempts);
    const [letter] = await test.deadLetters();
    expect(letter).toMatchObject({
      interactionId: id,
      attempts: fastRetry.attempts,
      error: { code: 'transport_failed', retryable: true },
    });
    expect(letter?.event).toMatchObject({ type: 'interaction.ended' });
  });

  it('an unknown tenant: its events are dead-lettered with tenant_unknown, other tenants’ are handled', async () => {
    const { test, crm, producer } = await setUp();
    const lost = newInteractionId();
    const kept = newInteractionId();
    await producer.enqueue('ghost', chatStarted(lost));
    await producer.enqueue('acme', chatStarted(kept));
    await vi.waitFor(() => expect(crm.writes.get(kept)).toEqual(['create:admin']));
    await vi.waitFor(async () => expect(await test.deadLetters()).toHaveLength(1));
    const [letter] = await test.deadLetters();
    expect(letter).toMatchObject({ tenantId: 'ghost', interactionId: lost, attempts: 1 });
    expect(letter?.error).toMatchObject({ code: 'tenant_unknown', retryable: false });
    expect(letter?.error.message).toContain('ghost');
  });

  it('a tenant whose settings are invalid: configuration_invalid, dead-lettered', async () => {
    const crm = createFakeCrm();
    const { plugin } = fakePlugin(crm.api);
    const { test, producer } = await setUp(async () => ({ plugin, settings: { defaultUser: 'yes' } }));
    await producer.enqueue('acme', chatStarted(newInteractionId()));
    await vi.waitFor(async () => expect(await test.deadLetters()).toHaveLength(1));
    expect((await test.deadLetters())[0]?.error).toMatchObject({ code: 'configuration_invalid' });
  });

  it('a tenant source that fails is retried; its typed errors keep their retryable flag', async () => {
    const crm = createFakeCrm();
    const { plugin } = fakePlugin(crm.api);
    let reads = 0;
    const { test, producer } = await setUp(async (tenantId) => {
      reads += 1;
      if (reads === 1) throw new Error('settings database connection reset');
      if (tenantId === 'frozen')
        throw new CrmConnectError('tenant_suspended', 'Suspended', { retryable: false });
      return { plugin, settings: { defaultUser: true } };
    });
    const id = newInteractionId();
    await producer.enqueue('acme', chatStarted(id));
    await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:admin']));
    await producer.enqueue('frozen', chatStarted(newInteractionId()));
    await vi.waitFor(async () => expect(await test.deadLetters()).toHaveLength(1));
    expect((await test.deadLetters())[0]).toMatchObject({ attempts: 1, error: { code: 'tenant_suspended' } });
  });

  it('an end that overtook its opening event: the opening event is handled first, then the end, without waiting', async () => {
    const { test, crm, producer } = await setUp();
    const id = newInteractionId();
    await producer.enqueue('acme', interactionEnded(id));
    await producer.enqueue('acme', agentAssigned(id, 2));
    await producer.enqueue('acme', chatStarted(id));
    await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:admin', 'note', 'owner:agent-2']));
    expect(await test.deadLetters()).toEqual([]);
  });
});
