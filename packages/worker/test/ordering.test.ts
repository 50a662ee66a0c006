import type { InteractionEvent } from '@crm-connect/core';
import { createRedisRecordLinkStore } from '@crm-connect/redis';
import { expect, it, vi } from 'vitest';
import { describeWithRedis } from '../../redis/test/support/redis-test.js';
import type { TenantSource } from '../src/index.js';
import { agentAssigned, chatStarted, interactionEnded, newInteractionId } from './support/events.js';
import { createFakeCrm, fakePlugin } from './support/fake-crm.js';
import { workerTests } from './support/worker-test.js';

/** The writes the connector makes for events handled in this order (the fake CRM's `writes`). */
function expectedWrites(events: readonly InteractionEvent[]): string[] {
  const writes: string[] = [];
  let open = false;
  for (const event of events) {
    if (event.type === 'agent.assigned') {
      const owner = event.agent.emails[0]?.replace(/^agent(\d)@acme\.test$/, 'agent-$1');
      // An assignment that overtakes its opening event opens the record, owned by the agent.
      writes.push(open ? `owner:${owner}` : `create:${owner}`);
      open = true;
    } else if (event.type === 'interaction.ended') {
      writes.push('note');
    } else if (!open) {
      writes.push('create:admin');
      open = true;
    }
  }
  return writes;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis(
  'worker: the events of one interaction are handled one at a time, in order, across workers',
  (redis) => {
    const context = workerTests(redis);

    it('three workers and three producers, 24 interactions pushed at once, some events overtaking others, some delivered twice', async () => {
      const test = context();
      const crm = createFakeCrm({ latencyMs: 8 });
      const { plugin } = fakePlugin(crm.api);
      const tenants: TenantSource = async () => ({ plugin, settings: { defaultUser: true } });
      const links = createRedisRecordLinkStore({ redis: await redis.client(), prefix: test.prefix });
      const handledBy = [0, 0, 0];
      for (const index of [0, 1, 2]) {
        await test.worker({
          tenants,
          concurrency: 2,
          recordLinks: () => links,
          audit: () => () => {
            handledBy[index] = (handledBy[index] ?? 0) + 1;
          },
        });
      }
      const producers = await Promise.all([test.producer(), test.producer(), test.producer()]);

      const interactions = Array.from({ length: 24 }, (_, index) => {
        const id = newInteractionId('order');
        const events: InteractionEvent[] = [
          chatStarted(id),
          agentAssigned(id, 1),
          agentAssigned(id, 2),
          agentAssigned(id, 3),
          interactionEnded(id),
        ];
        // Every third interaction: the first assignment arrives before the chat started.
        if (index % 3 === 0)
          events.splice(0, 2, events[1] as InteractionEvent, events[0] as InteractionEvent);
        return { id, events };
      });
      const statuses: string[] = [];
      await Promise.all(
        interactions.map(async ({ events }, index) => {
          for (const [position, event] of events.entries()) {
            await pause(Math.random() * 5);
            const producer = producers[(index + position) % 3];
            statuses.push((await producer?.enqueue('acme', event))?.status ?? 'none');
            // Every fourth interaction: its assignments are delivered twice, by another producer.
            if (index % 4 === 0 && event.type === 'agent.assigned') {
              statuses.push(
                (await producers[(index + position + 1) % 3]?.enqueue('acme', event))?.status ?? 'none',
              );
            }
          }
        }),
      );
      expect(statuses.filter((status) => status === 'queued')).toHaveLength(24 * 5);
      expect(statuses.filter((status) => status === 'duplicate')).toHaveLength(6 * 3);

      await vi.waitFor(
        () => {
          for (const { id, events } of interactions)
            expect(crm.writes.get(id) ?? [], id).toHaveLength(expectedWrites(events).length);
        },
        { timeout: 15_000, interval: 50 },
      );
      for (const { id, events } of interactions)
        expect(crm.writes.get(id), id).toEqual(expectedWrites(events));
      expect(crm.tickets.size).toBe(24);
      // Never two calls for one interaction at once, whichever worker made them.
      expect(crm.peakInFlight()).toBe(1);
      // Every worker took part.
      for (const count of handledBy) expect(count).toBeGreaterThan(0);
      await vi.waitFor(async () =>
        expect(await test.drainJobCounts()).toMatchObject({ active: 0, wait: 0, delayed: 0, failed: 0 }),
      );
      expect(await test.deadLetters()).toEqual([]);
    });
  },
);
