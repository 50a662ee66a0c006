import type { CrmUser, InteractionEvent, PluginSettingsSchema } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { callAbandoned, chatStarted, voicemailReceived } from '../events.js';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';
import { expectWritten } from '../written.js';

/** The actor rule end to end: the audit event says who, and the request sent says the same. */
export function actorResolutionSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin, users, mocks } = fixture;
  const ticketId = fixture.ticketId ?? 'ticket-1';
  const capabilities = (overrides: Record<string, unknown> = {}) =>
    plugin.capabilities(plugin.settings.schema.parse({ ...fixture.settings, ...overrides }));

  /** Checks a write twice: what the connector reports, and what went over the wire (as the fixture declares it). */
  function expectTicketWrite(
    audit: { owner?: { id: string }; performer?: { id: string }; recordId?: string; attempts: number },
    owner: CrmUser,
    performer: CrmUser,
    event: InteractionEvent,
    writesBefore = 0,
  ) {
    expectWritten(fixture, 'createTicket', harness().writes().slice(writesBefore), {
      event,
      ticketId,
      owner,
      performer,
    });
    // The HTTP attempts the write took: at least one, never more than the requests sent.
    expect(audit.attempts).toBeGreaterThanOrEqual(1);
    expect(audit.attempts).toBeLessThanOrEqual(harness().requests.length);
    expect(audit.owner?.id).toBe(owner.id);
    expect(audit.performer?.id).toBe(performer.id);
    expect(audit.recordId).toBe(ticketId);
    const writes = harness().writes();
    expect(writes.length).toBeGreaterThan(0);
    const ownerWrite = writes.find((request) => fixture.ownerOf(request) !== undefined);
    expect(ownerWrite, 'a write request carrying the owner').toBeDefined();
    if (ownerWrite === undefined) return;
    expect(fixture.ownerOf(ownerWrite)).toBe(owner.id);
    expect(fixture.performerOf(ownerWrite)).toBe(performer.id);
    expect(ownerWrite.headers.authorization ?? '').not.toBe('');
  }

  describe(`${plugin.id}: actor resolution end to end`, () => {
    it('chat before any agent, default user on: the default user owns and performs', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      const event = chatStarted();
      const audit = await h.connector({ defaultUser: true }).handle(event);
      expect(audit).toMatchObject({ outcome: 'created', reason: 'default-user', agentStatus: 'none' });
      expectTicketWrite(audit, users.admin, users.admin, event);
    });

    it('voicemail before its callback, default user on: owned by the default user', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      const event = voicemailReceived();
      const audit = await h.connector({ defaultUser: true }).handle(event);
      expect(audit).toMatchObject({ outcome: 'created', reason: 'default-user' });
      expectTicketWrite(audit, users.admin, users.admin, event);
    });

    it('abandoned call: a ticket by the default user when enabled, nothing when disabled', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      const abandoned = callAbandoned();
      const on = await h.connector({ defaultUser: true, abandonedCallTickets: true }).handle(abandoned);
      expect(on).toMatchObject({ outcome: 'created', reason: 'default-user' });
      expectTicketWrite(on, users.admin, users.admin, abandoned);

      const before = h.writes().length;
      h.use(mocks.connectionUser);
      const off = await h
        .connector({ defaultUser: true, abandonedCallTickets: false })
        .handle(callAbandoned());
      expect(off).toMatchObject({ outcome: 'skipped', reason: 'abandoned-call-tickets-disabled' });
      expect(h.writes().length).toBe(before);
    });

    it('default user off: a random active agent (legacy), chosen by the injected random source', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.assignableUsers([users.agent, users.otherAgent, users.deactivatedAgent]));
      h.use(mocks.createTicket(ticketId));
      const event = chatStarted();
      const audit = await h.connector({ defaultUser: false }, () => 0.99).handle(event);
      expect(audit).toMatchObject({ outcome: 'created', reason: 'random-agent' });
      const performer = capabilities({ defaultUser: false }).performsAsAgent ? users.otherAgent : users.admin;
      expectTicketWrite(audit, users.otherAgent, performer, event);
    });

    it('an identified agent owns the record', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.userByEmail(users.agent.email, users.agent));
      h.use(mocks.createTicket(ticketId));
      const event = chatStarted({ agent: { id: 'platform-1', emails: [users.agent.email.toUpperCase()] } });
      const audit = await h.connector({ defaultUser: true }).handle(event);
      expect(audit).toMatchObject({
        outcome: 'created',
        reason: 'identified-agent',
        agentStatus: 'identified',
      });
      expectTicketWrite(
        audit,
        users.agent,
        capabilities().performsAsAgent ? users.agent : users.admin,
        event,
      );
    });

    it('a deactivated agent is never chosen: the default user takes the record', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.userByEmail(users.deactivatedAgent.email, users.deactivatedAgent));
      h.use(mocks.createTicket(ticketId));
      const event = chatStarted({ agent: { id: 'platform-2', emails: [users.deactivatedAgent.email] } });
      const audit = await h.connector({ defaultUser: true }).handle(event);
      expect(audit).toMatchObject({ reason: 'default-user', agentStatus: 'deactivated' });
      expectTicketWrite(audit, users.admin, users.admin, event);
    });

    if (capabilities().alwaysUseAdmin) {
      it('always use the admin user: the admin performs, the agent keeps ownership', async () => {
        const h = harness();
        h.use(mocks.connectionUser);
        h.use(mocks.userByEmail(users.agent.email, users.agent));
        h.use(mocks.createTicket(ticketId));
        const event = chatStarted({ agent: { id: 'platform-1', emails: [users.agent.email] } });
        const audit = await h.connector({ defaultUser: true, alwaysUseAdmin: true }).handle(event);
        expect(audit).toMatchObject({ reason: 'identified-agent', performerReason: 'always-admin' });
        expectTicketWrite(audit, users.agent, users.admin, event);
      });
    }
  });
}
