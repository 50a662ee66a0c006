import type { PluginSettingsSchema } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { agentAssigned, chatStarted, interactionEnded } from '../events.js';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';

/** Later events on an existing record, and redelivery. */
export function recordOperationsSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin, users, mocks } = fixture;
  const ticketId = fixture.ticketId ?? 'ticket-1';

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
      const audit = await connector.handle(agentAssigned(opened.interactionId, [users.agent.email]));
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

    it('the end of the interaction adds its transcript as a note', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      h.use(mocks.addNote(ticketId));
      const connector = h.connector({ defaultUser: true });
      const opened = chatStarted();
      await connector.handle(opened);
      const writesBefore = h.writes().length;
      const audit = await connector.handle(interactionEnded(opened.interactionId));
      expect(audit).toMatchObject({ operation: 'add-note', outcome: 'updated', recordId: ticketId });
      const noteWrites = h.writes().slice(writesBefore);
      expect(noteWrites.length).toBeGreaterThan(0);
      expect(JSON.stringify(noteWrites.map((request) => request.body))).toContain('how can I help');
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
