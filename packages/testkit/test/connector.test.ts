import { isCrmConnectError } from '@crm-connect/core';
import { agentAssigned, chatStarted, interactionEnded, useHarness } from '@crm-connect/testkit';
import { helpdeskFixture, users } from '@crm-connect/testkit/example';
import { describe, expect, it } from 'vitest';

const harness = useHarness(helpdeskFixture);
const { mocks } = helpdeskFixture;

describe('connector behaviour beyond the contract', () => {
  it('an owner the CRM refuses falls back to the default user, with an audit event', async () => {
    const h = harness();
    h.use(mocks.connectionUser);
    h.use(mocks.userByEmail(users.agent.email, users.agent));
    h.crm()
      .post('/api/tickets')
      .reply(422, { error: { code: 'owner_inactive' } });
    h.crm()
      .post(
        '/api/tickets',
        (body: { ticket: { owner_id: string } }) => body.ticket.owner_id === users.admin.id,
      )
      .reply(201, { ticket: { id: 'ticket-9' } });
    const audit = await h
      .connector({ defaultUser: true })
      .handle(chatStarted({ agent: { id: 'p1', emails: [users.agent.email] } }));
    expect(audit).toMatchObject({
      outcome: 'created',
      reason: 'default-user',
      owner: { id: users.admin.id },
    });
    expect(h.audit.events().map((event) => [event.reason, event.outcome])).toEqual([
      ['owner-fallback', 'failed'],
      ['default-user', 'created'],
    ]);
  });

  it('with the default user off, a refused owner is a typed error, never a silent drop', async () => {
    const h = harness();
    h.use(mocks.connectionUser);
    h.use(mocks.userByEmail(users.agent.email, users.agent));
    h.crm()
      .post('/api/tickets')
      .reply(422, { error: { code: 'owner_inactive' } });
    const error = await h
      .connector({ defaultUser: false })
      .handle(chatStarted({ agent: { id: 'p1', emails: [users.agent.email] } }))
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('owner_rejected');
    expect(h.audit.events().at(-1)).toMatchObject({ outcome: 'failed', error: { code: 'owner_rejected' } });
  });

  it('an assignment that overtakes its opening event opens the record, owned by the agent', async () => {
    const h = harness();
    h.use(mocks.connectionUser);
    h.use(mocks.userByEmail(users.agent.email, users.agent));
    h.crm().get('/api/tickets').query(true).reply(200, { tickets: [] });
    h.use(mocks.createTicket('ticket-3'));
    const connector = h.connector({ defaultUser: true });
    const opening = chatStarted();
    const audit = await connector.handle(agentAssigned(opening.interactionId, [users.agent.email]));
    expect(audit).toMatchObject({
      operation: 'create-ticket',
      outcome: 'created',
      reason: 'identified-agent',
      owner: { id: users.agent.id },
    });
    const late = await connector.handle(opening);
    expect(late).toMatchObject({ outcome: 'existing', recordId: 'ticket-3' });
  });

  it('after a restart, a later event finds the record in the CRM by its interaction id', async () => {
    const h = harness();
    h.use(mocks.connectionUser);
    h.crm()
      .get('/api/tickets')
      .query({ external_id: 'chat-restarted-1' })
      .reply(200, { tickets: [{ id: 'ticket-7' }] });
    h.use(mocks.addNote('ticket-7'));
    const audit = await h.connector({ defaultUser: true }).handle(interactionEnded('chat-restarted-1'));
    expect(audit).toMatchObject({ operation: 'add-note', recordId: 'ticket-7', outcome: 'updated' });
  });

  it('the end of an interaction with no record is a retryable not-found error that says what to send first', async () => {
    const h = harness();
    h.use(mocks.connectionUser);
    h.crm().get('/api/tickets').query(true).reply(200, { tickets: [] });
    const error = await h
      .connector({ defaultUser: true })
      .handle(interactionEnded('chat-unknown-1'))
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && [error.code, error.retryable]).toEqual(['not_found', true]);
    expect(String((error as Error).message)).toContain('opening event');
  });

  it('the legacy rule with no active agent at all is a configuration error naming the fix', async () => {
    const h = harness();
    h.use(mocks.connectionUser);
    h.use(mocks.assignableUsers([users.deactivatedAgent]));
    const error = await h
      .connector({ defaultUser: false })
      .handle(chatStarted())
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('configuration_invalid');
    expect(String((error as Error).message)).toContain('Enable the default user');
  });

  it('an interaction end with nothing to write sends nothing', async () => {
    const h = harness();
    const audit = await h
      .connector()
      .handle(interactionEnded('chat-empty-1', { transcript: undefined, disposition: undefined }));
    expect(audit).toMatchObject({ outcome: 'skipped', reason: 'nothing-to-write' });
    expect(h.requests).toEqual([]);
  });

  it('events of one interaction are handled in order, even when delivered at once', async () => {
    const h = harness();
    h.use(mocks.connectionUser);
    h.use(mocks.createTicket('ticket-5'));
    h.use(mocks.userByEmail(users.agent.email, users.agent));
    h.use(mocks.changeOwner('ticket-5'));
    h.use(mocks.addNote('ticket-5'));
    const connector = h.connector({ defaultUser: true });
    const opening = chatStarted();
    const results = await Promise.all([
      connector.handle(opening),
      connector.handle(agentAssigned(opening.interactionId, [users.agent.email])),
      connector.handle(interactionEnded(opening.interactionId)),
    ]);
    expect(results.map((result) => result.operation)).toEqual(['create-ticket', 'change-owner', 'add-note']);
    expect(h.writes().map((request) => request.method)).toEqual(['POST', 'PATCH', 'POST']);
  });
});
