import { createMemoryRecordLinkStore } from '@crm-connect/core';
import { expect, it, vi } from 'vitest';
import { describeWithRedis } from '../../redis/test/support/redis-test.js';
import type { TenantSource } from '../src/index.js';
import { agentAssigned, chatStarted, newInteractionId } from './support/events.js';
import { createFakeCrm, fakePlugin, type PluginCounters } from './support/fake-crm.js';
import { workerTests } from './support/worker-test.js';

describeWithRedis('worker: graceful shutdown and the tenants’ connectors', (redis) => {
  const context = workerTests(redis);
  function fakeTenants() {
    const crm = createFakeCrm();
    const counters: PluginCounters = { connects: 0, closes: 0 };
    const { plugin } = fakePlugin(crm.api, counters);
    const tenants: TenantSource = async () => ({ plugin, settings: { defaultUser: true } });
    return { crm, counters, tenants };
  }

  it('close() lets the event under way finish, hands the rest of its mailbox to another worker, and closes the connectors', async () => {
    const test = context();
    const { crm, counters, tenants } = fakeTenants();
    const links = createMemoryRecordLinkStore();
    const producer = await test.producer();
    await test.drainJobCounts();
    const sockets = () => process.getActiveResourcesInfo().filter((type) => type === 'TCPSocketWrap').length;
    const socketsBefore = sockets();
    const first = await test.worker({ tenants, recordLinks: () => links });
    expect(sockets()).toBeGreaterThan(socketsBefore);
    const id = newInteractionId();
    const slow = crm.hold('createTicket', id);
    await producer.enqueue('acme', chatStarted(id));
    await producer.enqueue('acme', agentAssigned(id, 4));
    await slow.arrived;

    let closed = false;
    const closing = first.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false);
    slow.release();
    await closing;
    // The event under way was finished; the next one was left for another worker.
    expect(crm.writes.get(id)).toEqual(['create:admin']);
    expect(counters).toEqual({ connects: 1, closes: 1 });
    expect(await test.drainJobCounts()).toMatchObject({ active: 0, wait: 1 });
    // Its Redis connections are closed.
    await vi.waitFor(() => expect(sockets()).toBe(socketsBefore));

    await test.worker({ tenants, recordLinks: () => links });
    await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:admin', 'owner:agent-4']));
    expect(crm.peakInFlight()).toBe(1);
  });

  it('one connector per tenant, shared by its concurrent first events; closed when idle, created again when needed', async () => {
    const test = context();
    const { crm, counters, tenants } = fakeTenants();
    const worker = await test.worker({ tenants, concurrency: 8, connectors: { idleMs: 300 } });
    const producer = await test.producer();
    const ids = Array.from({ length: 6 }, () => newInteractionId());
    await Promise.all(ids.map((id) => producer.enqueue('acme', chatStarted(id))));
    await vi.waitFor(() => expect(crm.tickets.size).toBe(6));
    expect(counters.connects).toBe(1);
    expect(worker.connectors).toBe(1);

    await vi.waitFor(() => expect(counters.closes).toBe(1), { timeout: 2_000 });
    expect(worker.connectors).toBe(0);
    const later = newInteractionId();
    await producer.enqueue('acme', chatStarted(later));
    await vi.waitFor(() => expect(crm.writes.get(later)).toEqual(['create:admin']));
    expect(counters.connects).toBe(2);
  });

  it('at most `connectors.max` connectors: the least recently used tenant’s is closed', async () => {
    const test = context();
    const { crm, counters, tenants } = fakeTenants();
    const worker = await test.worker({ tenants, connectors: { max: 2 } });
    const producer = await test.producer();
    for (const tenant of ['one', 'two', 'three']) {
      const id = newInteractionId();
      await producer.enqueue(tenant, chatStarted(id));
      await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:admin']));
    }
    expect(worker.connectors).toBe(2);
    await vi.waitFor(() => expect(counters).toEqual({ connects: 3, closes: 1 }));
  });
});
