import { createZendeskSandbox, type ZendeskSandbox, zendeskSandboxSettings } from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useZendeskSpecCheck } from '../../packages/sandbox/test/zendesk-openapi-check.js';
import { connectorFor, deliver } from './connectors.js';
import { agentAssigned, chatStarted, interactionEnded } from './events.js';

/**
 * Zendesk notes written exactly once and the truthful owner of an existing ticket, through the
 * real plugin and the Zendesk sandbox: a comment is a ticket update (PUT) that Zendesk never
 * de-duplicates, so a redelivered `interaction.ended` whose first answer was lost, or one handled
 * by a connector that did not create the ticket, must look the note up (audit metadata) first.
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

const plugin = zendesk();
const connector = () => connectorFor(plugin, { ...zendeskSandboxSettings(sandbox), defaultUser: true });
const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user?.email === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email, numericId: Number(user.id) };
};
const ticketOf = (interactionId: string) => {
  const tickets = sandbox.store.tickets.filter((ticket) => ticket.external_id === interactionId);
  expect(tickets).toHaveLength(1);
  return tickets[0] as (typeof tickets)[number];
};
const commentsOf = (interactionId: string) =>
  sandbox.store.comments.filter((comment) => comment.ticket_id === ticketOf(interactionId).id);
const routesSince = (sequence: number) =>
  sandbox.log
    .entries()
    .filter((entry) => entry.sequence > sequence)
    .map((entry) => entry.route);
const lastSequence = () => sandbox.log.entries().at(-1)?.sequence ?? 0;

describe('zendesk sandbox: a note is written exactly once', () => {
  it('the happy path: one PUT per note part, no lookup', async () => {
    const zd = connector();
    const event = chatStarted();
    await zd.handle(event);
    const before = lastSequence();
    const audit = await zd.handle(interactionEnded(event.interactionId));
    expect(audit).toMatchObject({ operation: 'add-note', outcome: 'updated', attempts: 1 });
    expect(routesSince(before)).toEqual(['tickets.update']);
    expect(commentsOf(event.interactionId)).toHaveLength(2);
  });

  it('the answer to the note was lost, the event is redelivered: one comment, found by its audit metadata', async () => {
    const zd = connector();
    const event = chatStarted();
    await zd.handle(event);
    const fault = sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'tickets.update' });
    const audit = await deliver(zd, interactionEnded(event.interactionId));
    expect(fault.exhausted()).toBe(true);
    expect(audit).toMatchObject({ outcome: 'existing', reason: 'already-written' });
    const comments = commentsOf(event.interactionId);
    expect(comments).toHaveLength(2);
    expect(comments[1]?.body).toContain('Agent: Hi, how can I help?');
    expect(sandbox.log.entries().filter((entry) => entry.route === 'tickets.audits')).toHaveLength(1);
  });

  it('the same interaction.ended redelivered to a fresh connector (no shared store): one comment', async () => {
    const event = chatStarted();
    const first = connector();
    await first.handle(event);
    await first.handle(interactionEnded(event.interactionId));
    const audit = await connector().handle(interactionEnded(event.interactionId));
    expect(audit).toMatchObject({ outcome: 'existing', reason: 'already-written' });
    expect(commentsOf(event.interactionId)).toHaveLength(2);
  });

  it('a fresh connector whose note never landed writes it, once', async () => {
    const event = chatStarted();
    await connector().handle(event);
    const before = lastSequence();
    const audit = await connector().handle(interactionEnded(event.interactionId));
    expect(audit).toMatchObject({ outcome: 'updated' });
    expect(routesSince(before)).toEqual(['users.me', 'tickets.list', 'tickets.audits', 'tickets.update']);
    expect(commentsOf(event.interactionId)).toHaveLength(2);
  });

  it('a note in three parts whose first part landed before the answer was lost: only the two missing parts are written', async () => {
    const zd = connector();
    const event = chatStarted();
    await zd.handle(event);
    const line = (n: number) => `Customer: message ${n} — ça coûte 42 € 🙂 ${'x'.repeat(60)}\n`;
    const transcript = Array.from({ length: 1_600 }, (_, n) => line(n)).join('');
    const ended = { ...interactionEnded(event.interactionId), transcript, disposition: undefined };
    sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'tickets.update' });
    await deliver(zd, ended);
    const notes = commentsOf(event.interactionId).slice(1);
    expect(notes.map((note) => note.body.slice(0, 14))).toEqual([
      '(part 1 of 3)\n',
      '(part 2 of 3)\n',
      '(part 3 of 3)\n',
    ]);
  });

  it('a ticket with more audits than one page: the note is found on the second page', async () => {
    const zd = connector();
    const event = chatStarted();
    await zd.handle(event);
    // 120 updates before the note (reassignments back and forth): its audit comes after the first page of 100.
    const ids = [person('agent'), person('otherAgent')];
    const ticketId = ticketOf(event.interactionId).id;
    const authorization = `Basic ${Buffer.from(`${person('admin').email}/token:${sandbox.seed.credentials.apiToken}`).toString('base64')}`;
    for (let n = 0; n < 120; n += 1) {
      const response = await fetch(`${sandbox.url}/api/v2/tickets/${ticketId}`, {
        method: 'PUT',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ ticket: { assignee_id: ids[n % 2]?.numericId } }),
      });
      expect(response.status).toBe(200);
    }
    sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'tickets.update' });
    const audit = await deliver(zd, interactionEnded(event.interactionId));
    expect(audit).toMatchObject({ outcome: 'existing' });
    expect(commentsOf(event.interactionId)).toHaveLength(2);
    expect(sandbox.log.entries().filter((entry) => entry.route === 'tickets.audits')).toHaveLength(2);
  });
});

describe('zendesk sandbox: the owner of an existing ticket', () => {
  it('a late chat.started redelivered to a second connector after agent.assigned: the agent stays the assignee and is reported as owner', async () => {
    const agent = person('agent');
    const event = chatStarted();
    const first = connector();
    await first.handle(event);
    await first.handle(agentAssigned(event.interactionId, agent.email));
    expect(ticketOf(event.interactionId).assignee_id).toBe(agent.numericId);

    const late = await connector().handle(event);
    expect(late).toMatchObject({ outcome: 'existing', owner: { id: agent.id } });
    expect(ticketOf(event.interactionId).assignee_id).toBe(agent.numericId);
    expect(sandbox.store.tickets.count()).toBe(1);
  });

  it('an assignment that overtook its opening event, then the opening event on another connector: one ticket, the agent keeps it', async () => {
    const agent = person('agent');
    const event = chatStarted();
    // The assignment arrives first: its connector opens the ticket, owned by the agent.
    await connector().handle(agentAssigned(event.interactionId, agent.email));
    // The opening event reaches another connector: same key, another body (Zendesk refuses it).
    const late = await connector().handle(event);
    expect(late).toMatchObject({ outcome: 'existing', owner: { id: agent.id } });
    expect(ticketOf(event.interactionId).assignee_id).toBe(agent.numericId);
  });
});
