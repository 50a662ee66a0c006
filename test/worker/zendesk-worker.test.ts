import { createRateBudgetRegistry } from '@crm-connect/core';
import { createZendeskSandbox, type ZendeskSandbox, zendeskSandboxSettings } from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createRedisRecordLinkStore } from '../../packages/redis/src/index.js';
import { describeWithRedis } from '../../packages/redis/test/support/redis-test.js';
import { useZendeskSpecCheck } from '../../packages/sandbox/test/zendesk-openapi-check.js';
import type { TenantSource } from '../../packages/worker/src/index.js';
import { workerTests } from '../../packages/worker/test/support/worker-test.js';
import { agentAssigned, chatStarted, interactionEnded } from '../sandbox/events.js';

/**
 * The worker with a real plugin: Zendesk through the queue and two workers against the Zendesk
 * sandbox, record links shared in Redis, one lost answer on the way, and a tenant whose
 * credentials are wrong.
 */

let sandbox: ZendeskSandbox;
beforeEach(async () => {
  sandbox = createZendeskSandbox();
  await sandbox.start();
});
afterEach(async () => {
  await sandbox.stop();
});
useZendeskSpecCheck(() => [sandbox]);

const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user?.email === undefined) throw new Error(`no seeded ${key}`);
  return { email: user.email, numericId: Number(user.id) };
};
const ticketsOf = (interactionId: string) =>
  sandbox.store.tickets.filter((ticket) => ticket.external_id === interactionId);
const commentsOf = (ticketId: number) =>
  sandbox.store.comments.filter((comment) => comment.ticket_id === ticketId);

describeWithRedis('worker: Zendesk through the queue, against the sandbox', (redis) => {
  const context = workerTests(redis);

  it('two workers, events overtaking and redelivered, a lost answer: one ticket each, the right owner, each note once', async () => {
    const test = context();
    const plugin = zendesk();
    const client = await redis.client();
    const tenants: TenantSource = async (tenantId) => {
      if (tenantId === 'acme')
        return { plugin, settings: { ...zendeskSandboxSettings(sandbox), defaultUser: true } };
      if (tenantId === 'typo')
        return {
          plugin,
          settings: { ...zendeskSandboxSettings(sandbox), apiToken: 'wrong-token-0000000000000000' },
        };
      return undefined;
    };
    const options = {
      tenants,
      recordLinks: (tenantId: string) =>
        createRedisRecordLinkStore({ redis: client, prefix: `${test.prefix}tenant:${tenantId}:` }),
      rateBudgets: createRateBudgetRegistry(),
      retry: { attempts: 4, initialDelayMs: 50, maxDelayMs: 200 },
      // A note whose answer was lost is looked up once the CRM had as long as this to land it.
      http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 500 },
    };
    await test.worker(options);
    await test.worker(options);
    const producer = await test.producer();
    // The first ticket update (an owner change or a note, whichever comes first) is written, its answer lost.
    const fault = sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'tickets.update' });

    const agent = person('agent');
    const other = person('otherAgent');
    const first = chatStarted();
    const second = chatStarted();
    const plans = [
      {
        id: first.interactionId,
        owner: agent,
        events: [
          first,
          agentAssigned(first.interactionId, agent.email),
          interactionEnded(first.interactionId),
        ],
      },
      {
        id: second.interactionId,
        owner: other,
        // The assignment overtakes the chat's start, and the start is delivered twice.
        events: [
          agentAssigned(second.interactionId, other.email),
          second,
          second,
          interactionEnded(second.interactionId),
        ],
      },
    ];
    await Promise.all(
      plans.map(async ({ events }) => {
        for (const event of events) await producer.enqueue('acme', event);
      }),
    );
    await producer.enqueue('typo', chatStarted());

    for (const { id, owner } of plans) {
      await vi.waitFor(
        () => {
          const [ticket, ...more] = ticketsOf(id);
          expect(more).toEqual([]);
          expect(ticket?.assignee_id).toBe(owner.numericId);
          // The first message and the end-of-interaction note, each once.
          expect(commentsOf(ticket?.id ?? 0)).toHaveLength(2);
        },
        { timeout: 15_000, interval: 100 },
      );
    }
    expect(fault.exhausted()).toBe(true);
    await vi.waitFor(async () => expect(await test.deadLetters()).toHaveLength(1));
    const [letter] = await test.deadLetters();
    expect(letter).toMatchObject({
      tenantId: 'typo',
      error: { code: 'authentication_failed', pluginId: 'zendesk' },
    });
    expect(JSON.stringify(letter)).not.toContain('wrong-token-0000000000000000');
    await vi.waitFor(async () =>
      expect(await test.drainJobCounts()).toMatchObject({ active: 0, wait: 0, delayed: 0, failed: 0 }),
    );
  });
});
