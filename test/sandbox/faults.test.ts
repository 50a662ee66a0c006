import type { Connector } from '@crm-connect/core';
import { kustomer } from '@crm-connect/kustomer';
import {
  createKustomerSandbox,
  createZendeskSandbox,
  type InjectedFault,
  kustomerSandboxSettings,
  type Sandbox,
  zendeskSandboxSettings,
} from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorFor, deliver } from './connectors.js';
import { agentAssigned, chatStarted, interactionEnded, platformAgent, voicemailReceived } from './events.js';

/**
 * The real plugins against misbehaving sandboxes: rate limits, server errors and a connection
 * dropped after the write was committed. Whatever happens, every interaction yields exactly one
 * record, counted in the sandbox's store. Events are delivered at least once, as platforms do.
 */

const running: Sandbox<unknown>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.stop()));
});

const agentEmail = 'alex.agent@acme.test';

/** A chat before any agent (later assigned, then ended), a chat with an agent, a voicemail. */
async function runScenario(connector: Connector): Promise<string[]> {
  const waiting = chatStarted();
  const withAgent = chatStarted({ agent: platformAgent(agentEmail) });
  const voicemail = voicemailReceived();
  const events = [
    waiting,
    withAgent,
    voicemail,
    agentAssigned(waiting.interactionId, agentEmail),
    interactionEnded(waiting.interactionId, agentEmail),
    interactionEnded(withAgent.interactionId, agentEmail),
  ];
  for (const event of events) await deliver(connector, event);
  return [waiting.interactionId, withAgent.interactionId, voicemail.interactionId];
}

interface Case {
  crm: string;
  createRoute: string;
  start(): Promise<{
    sandbox: Sandbox<unknown>;
    connector: Connector;
    recordsOf(interactionId: string): number;
    ownerOf(interactionId: string): string | undefined;
    agentId: string;
  }>;
}

const cases: Case[] = [
  {
    crm: 'zendesk',
    createRoute: 'tickets.create',
    async start() {
      const sandbox = createZendeskSandbox();
      running.push(sandbox);
      await sandbox.start();
      const connector = connectorFor(zendesk(), { ...zendeskSandboxSettings(sandbox), defaultUser: true });
      const tickets = (id: string) => sandbox.store.tickets.filter((ticket) => ticket.external_id === id);
      return {
        sandbox,
        connector,
        recordsOf: (id) => tickets(id).length,
        ownerOf: (id) => String(tickets(id)[0]?.assignee_id),
        agentId: sandbox.seed.users.find((user) => user.email === agentEmail)?.id ?? '',
      };
    },
  },
  {
    crm: 'kustomer',
    createRoute: 'conversations.create',
    async start() {
      const sandbox = createKustomerSandbox();
      running.push(sandbox);
      await sandbox.start();
      const connector = connectorFor(kustomer(), { ...kustomerSandboxSettings(sandbox), defaultUser: true });
      const conversations = (id: string) =>
        sandbox.store.conversations.filter((conversation) => conversation.externalId === id);
      return {
        sandbox,
        connector,
        recordsOf: (id) => conversations(id).length,
        ownerOf: (id) => conversations(id)[0]?.assignedUsers[0],
        agentId: sandbox.seed.users.find((user) => user.email === agentEmail)?.id ?? '',
      };
    },
  },
];

describe.each(cases)('$crm under faults', ({ createRoute, start }) => {
  it('429s, 5xx and a connection dropped after the commit: exactly one record per interaction, owned as without faults', async () => {
    const { sandbox, connector, recordsOf, ownerOf, agentId } = await start();
    const injected: InjectedFault[] = [
      // The first two requests of the run, whatever they are, are rate limited.
      sandbox.faults.inject({ kind: 'rate-limit', times: 2, retryAfterSeconds: 0.02 }),
      // The second create is refused twice with a server error...
      sandbox.faults.inject({ kind: 'server-error', route: createRoute, skip: 1, times: 2, status: 503 }),
      // ...and the create after those is committed, but its answer never arrives.
      sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: createRoute, skip: 3 }),
      // Any request may also be slow.
      sandbox.faults.inject({ kind: 'slow', delayMs: 30, times: 3, skip: 5 }),
    ];
    const interactions = await runScenario(connector);

    for (const fault of injected) expect(fault.exhausted(), fault.fault.kind).toBe(true);
    const dropped = sandbox.log.entries().filter((entry) => entry.fault === 'drop');
    expect(dropped).toEqual([
      expect.objectContaining({ route: createRoute, handled: true, status: undefined }),
    ]);
    for (const id of interactions) expect(recordsOf(id), id).toBe(1);
    // Every interaction ends up with the agent except the voicemail, which the default user keeps.
    expect(interactions.map(ownerOf).map((owner) => owner === agentId)).toEqual([true, true, false]);
  });

  it('a steady rate limit (N per scaled minute): every record is written, the sandbox refused what was over', async () => {
    const { sandbox, connector, recordsOf } = await start();
    // Four requests per "minute" of 150 ms: well below what the scenario sends at full speed.
    sandbox.limitRate({ requestsPerMinute: 4, timeScale: 400 });
    const interactions = await runScenario(connector);
    for (const id of interactions) expect(recordsOf(id), id).toBe(1);
    expect(sandbox.log.entries().filter((entry) => entry.fault === 'rate-window').length).toBeGreaterThan(0);
  });
});
