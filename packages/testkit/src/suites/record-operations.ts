import type { PluginSettingsSchema } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { agentAssigned, chatStarted, interactionEnded } from '../events.js';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';
import { expectWritten } from '../written.js';

/** Later events on an existing record, and redelivery. */
export function recordOperationsSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin, users, mocks } = fixture;
  const ticketId = fixture.ticketId ?? 'ticket-1';
  const performsAsAgent = plugin.capabilities(plugin.settings.schema.parse(fixture.settings)).performsAsAgent;

  describe(`${plugin.id}: record operations`, () => {
    it('an agent assigned later becomes the owner', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      h.use(mocks.userByEmail(users.agent.email, users.agent));
      h.use(mocks.changeOwner(ticketId));
      const connector = h.connector({ defaultUser: true });
      const opened = chatStarted();
      await connector.handle(opened);
      const writesBefore = h.writes().length;
      const assigned = agentAssigned(opened.interactionId, [users.agent.email]);
      const requestsBefore = h.requests.length;
      const audit = await connector.handle(assigned);
      expect(audit.attempts).toBeGreaterThanOrEqual(1);
      expect(audit.attempts).toBeLessThanOrEqual(h.requests.length - requestsBefore);
      expectWritten(fixture, 'changeOwner', h.writes().slice(writesBefore), {
        event: assigned,
        ticketId,
        owner: users.agent,
        performer: performsAsAgent ? users.agent : users.admin,
      });
      expect(audit).toMatchObject({
        operation: 'change-owner',
        outcome: 'updated',
        recordId: ticketId,
        reason: 'identified-agent',
      });
      expect(audit.owner?.id).toBe(users.agent.id);
      const ownerChange = h
        .writes()
        .slice(writesBefore)
        .find((request) => fixture.ownerOf(request) !== undefined);
      expect(ownerChange && fixture.ownerOf(ownerChange)).toBe(users.agent.id);
    });

    it('a reassignment answered with a 503 is sent again (the same owner twice is harmless) and the agent owns the record', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      h.use(mocks.userByEmail(users.agent.email, users.agent));
      const connector = h.connector({ defaultUser: true });
      const opened = chatStarted();
      await connector.handle(opened);
      // The declared reassignment, refused once by a gateway; then the fixture's own answer.
      const assigned = agentAssigned(opened.interactionId, [users.agent.email]);
      const expected = {
        event: assigned,
        ticketId,
        owner: users.agent,
        performer: performsAsAgent ? users.agent : users.admin,
      };
      const [reassignment] = fixture.writes.changeOwner(expected);
      if (reassignment === undefined) throw new Error("the fixture's writes.changeOwner declares no request");
      h.crm().intercept(reassignment.path, reassignment.method).reply(503, 'Service Unavailable');
      h.use(mocks.changeOwner(ticketId));
      const writesBefore = h.writes().length;
      const audit = await connector.handle(assigned);
      expect(audit).toMatchObject({
        operation: 'change-owner',
        outcome: 'updated',
        owner: { id: users.agent.id },
      });
      expect(audit.attempts).toBe(2);
      expectWritten(fixture, 'changeOwner', h.writes().slice(writesBefore), expected, { retries: true });
    });

    it('an assignment to an unmapped agent leaves the owner unchanged', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      h.use(mocks.userByEmail('nobody@example.com', undefined));
      const connector = h.connector({ defaultUser: true });
      const opened = chatStarted();
      await connector.handle(opened);
      const writesBefore = h.writes().length;
      const audit = await connector.handle(agentAssigned(opened.interactionId, ['nobody@example.com']));
      expect(audit).toMatchObject({ outcome: 'skipped', reason: 'agent-unmapped' });
      expect(h.writes().length).toBe(writesBefore);
    });

    it('the end of the interaction adds its disposition and transcript as one internal note', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      h.use(mocks.addNote(ticketId));
      const connector = h.connector({ defaultUser: true });
      const opened = chatStarted();
      await connector.handle(opened);
      const writesBefore = h.writes().length;
      const ended = interactionEnded(opened.interactionId);
      const requestsBefore = h.requests.length;
      const audit = await connector.handle(ended);
      expect(audit.attempts).toBeGreaterThanOrEqual(1);
      expect(audit.attempts).toBeLessThanOrEqual(h.requests.length - requestsBefore);
      expect(audit).toMatchObject({ operation: 'add-note', outcome: 'updated', recordId: ticketId });
      expectWritten(fixture, 'addNote', h.writes().slice(writesBefore), {
        event: ended,
        ticketId,
        performer: users.admin,
      });
    });

    it('a redelivered opening event creates no second record', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      const connector = h.connector({ defaultUser: true });
      const event = chatStarted();
      const first = await connector.handle(event);
      const writesAfterFirst = h.writes().length;
      const second = await connector.handle(event);
      expect(first.outcome).toBe('created');
      expect(second).toMatchObject({ outcome: 'existing', recordId: ticketId });
      expect(h.writes().length).toBe(writesAfterFirst);
    });
  });
}
