import { isCrmConnectError } from '@crm-connect/core';
import { createZendeskSandbox, type ZendeskSandbox, zendeskSandboxSettings } from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useZendeskSpecCheck } from '../../packages/sandbox/test/zendesk-openapi-check.js';
import { connectorFor } from './connectors.js';
import { agentAssigned, chatStarted, interactionEnded, platformAgent, voicemailReceived } from './events.js';

/** The real Zendesk plugin, configured through its normal settings, against the Zendesk sandbox. */

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
const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user?.email === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email, numericId: Number(user.id) };
};
const connector = (overrides: Record<string, unknown> = {}, random?: () => number) =>
  connectorFor(plugin, { ...zendeskSandboxSettings(sandbox), defaultUser: true, ...overrides }, random);
const ticketOf = (interactionId: string) => {
  const tickets = sandbox.store.tickets.filter((ticket) => ticket.external_id === interactionId);
  expect(tickets).toHaveLength(1);
  return tickets[0] as (typeof tickets)[number];
};
const commentsOf = (ticketId: number) =>
  sandbox.store.comments.filter((comment) => comment.ticket_id === ticketId);

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isCrmConnectError(error)) throw new Error(`expected a crm-connect error, got ${String(error)}`);
  return error;
}

describe('zendesk sandbox: credential validation', () => {
  it('API token of the admin: valid, the admin is the default user', async () => {
    const check = await connector().validateCredentials();
    expect(check.connectionUser).toMatchObject({
      id: person('admin').id,
      email: 'ada.admin@acme.test',
      role: 'admin',
    });
    expect(check.warnings[0]).toContain('2027-04-30');
  });

  it("a wrong API token: Zendesk's 401, reported as refused credentials", async () => {
    const error = await failure(connector({ apiToken: 'notTheRightToken0000000' }).validateCredentials());
    expect(error.code).toBe('authentication_failed');
    expect(error.status).toBe(401);
    expect(error.message).toContain("Couldn't authenticate you");
    expect(sandbox.log.entries().at(-1)).toMatchObject({
      route: 'users.me',
      status: 401,
      principal: undefined,
    });
  });

  it('the anonymous-user answer some accounts give to bad credentials is refused too', async () => {
    await sandbox.stop();
    sandbox = createZendeskSandbox({ badCredentialsOnMe: 'anonymous-user' });
    await sandbox.start();
    const error = await failure(connector({ apiToken: 'notTheRightToken0000000' }).validateCredentials());
    expect(error.code).toBe('authentication_failed');
    expect(error.message).toContain('anonymous user');
  });

  it("an agent's email with the token: authenticated, refused because not an admin", async () => {
    const error = await failure(connector({ email: person('agent').email }).validateCredentials());
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain('alex.agent@acme.test is an agent, not an admin');
  });

  it('a revoked API token stops working', async () => {
    await connector().validateCredentials();
    sandbox.revokeCredential('apiToken');
    expect((await failure(connector().validateCredentials())).code).toBe('authentication_failed');
  });

  it('OAuth client credentials: a token from POST /oauth/tokens acts as the admin; a wrong secret is invalid_client', async () => {
    const oauth = zendeskSandboxSettings(sandbox, 'oauthClientCredentials');
    const check = await connectorFor(plugin, oauth).validateCredentials();
    expect(check).toEqual({
      connectionUser: expect.objectContaining({ id: person('admin').id }),
      warnings: [],
    });
    expect(sandbox.store.accessTokens.count()).toBe(1);
    const error = await failure(
      connectorFor(plugin, {
        ...oauth,
        oauthClientSecret: 'wrong-secret-000000000000',
      }).validateCredentials(),
    );
    expect(error.code).toBe('authentication_failed');
    expect(error.message).toContain('invalid_client');
  });
});

describe('zendesk sandbox: who owns the ticket', () => {
  it('a chat before any agent: ticket owned and made by the admin (default user), first message as an internal note', async () => {
    const event = chatStarted();
    const audit = await connector().handle(event);
    const admin = person('admin');
    expect(audit).toMatchObject({ outcome: 'created', reason: 'default-user', owner: { id: admin.id } });
    const ticket = ticketOf(event.interactionId);
    expect(ticket).toMatchObject({
      id: Number(audit.recordId),
      assignee_id: admin.numericId,
      submitter_id: admin.numericId,
      status: 'open',
      tags: ['crm_connect', 'crm_connect_channel_chat'],
    });
    expect(sandbox.store.users.get(ticket.requester_id)).toMatchObject({
      email: 'jane.doe@example.com',
      role: 'end-user',
    });
    expect(commentsOf(ticket.id)).toEqual([
      expect.objectContaining({
        public: false,
        author_id: admin.numericId,
        body: expect.stringContaining('#123'),
      }),
    ]);
  });

  it('an identified agent owns the ticket and, in token mode, makes the write themselves', async () => {
    const agent = person('agent');
    const event = chatStarted({ agent: platformAgent(agent.email) });
    const audit = await connector().handle(event);
    expect(audit).toMatchObject({
      reason: 'identified-agent',
      performerReason: 'owner',
      owner: { id: agent.id },
    });
    expect(ticketOf(event.interactionId)).toMatchObject({
      assignee_id: agent.numericId,
      submitter_id: agent.numericId,
    });
    const create = sandbox.log.entries().find((entry) => entry.route === 'tickets.create');
    expect(create).toMatchObject({ principal: agent.id, status: 201 });
  });

  it('a deactivated (suspended) agent is never the owner: the default user takes the ticket, a later assignment to them is skipped', async () => {
    const gone = person('deactivatedAgent');
    const event = chatStarted({ agent: platformAgent(gone.email) });
    const zd = connector();
    const audit = await zd.handle(event);
    expect(audit).toMatchObject({
      reason: 'default-user',
      agentStatus: 'deactivated',
      owner: { id: person('admin').id },
    });
    const skipped = await zd.handle(agentAssigned(event.interactionId, gone.email));
    expect(skipped).toMatchObject({ outcome: 'skipped', reason: 'agent-deactivated' });
    expect(ticketOf(event.interactionId).assignee_id).toBe(person('admin').numericId);
  });

  it('default user off: the legacy random rule picks among active agents and admins with the seeded random source', async () => {
    const olga = person('otherAgent');
    const event = voicemailReceived();
    // Active staff in id order: Ada, Alex, Olga (Gus is suspended); 0.99 picks the last.
    const audit = await connector({ defaultUser: false }, () => 0.99).handle(event);
    expect(audit).toMatchObject({ reason: 'random-agent', owner: { id: olga.id } });
    const ticket = ticketOf(event.interactionId);
    expect(ticket.assignee_id).toBe(olga.numericId);
    expect(ticket.tags).toContain('crm_connect_voicemail');
    // The caller, known by phone only, became an end user with that phone.
    expect(sandbox.store.users.get(ticket.requester_id)).toMatchObject({
      phone: '+15555550199',
      role: 'end-user',
    });
    expect(sandbox.store.users.filter((user) => user.role === 'end-user')).toHaveLength(1);
    // A second voicemail from the same number: the caller is found by phone, not created again.
    const again = voicemailReceived();
    await connector().handle(again);
    expect(ticketOf(again.interactionId).requester_id).toBe(ticket.requester_id);
    expect(sandbox.store.users.filter((user) => user.role === 'end-user')).toHaveLength(1);
  });

  it('an agent assigned later takes the ticket over; the end of the interaction adds the transcript as an internal note', async () => {
    const agent = person('agent');
    const event = chatStarted();
    const zd = connector();
    await zd.handle(event);
    const assigned = await zd.handle(agentAssigned(event.interactionId, agent.email));
    expect(assigned).toMatchObject({
      outcome: 'updated',
      reason: 'identified-agent',
      owner: { id: agent.id },
    });
    expect(ticketOf(event.interactionId).assignee_id).toBe(agent.numericId);
    const ended = await zd.handle(interactionEnded(event.interactionId, agent.email));
    expect(ended).toMatchObject({ outcome: 'updated', operation: 'add-note' });
    const comments = commentsOf(ticketOf(event.interactionId).id);
    expect(comments).toHaveLength(2);
    expect(comments[1]).toMatchObject({ public: false, author_id: agent.numericId });
    expect(comments[1]?.body).toContain('Agent: Hi, how can I help?');
  });

  it('after a restart (new connector, no links), the ticket is found by external_id instead of a second one', async () => {
    const event = chatStarted();
    await connector().handle(event);
    const audit = await connector().handle(agentAssigned(event.interactionId, person('otherAgent').email));
    expect(audit.outcome).toBe('updated');
    expect(sandbox.store.tickets.count()).toBe(1);
    expect(
      sandbox.log
        .entries()
        .some((entry) => entry.route === 'tickets.list' && entry.query.includes('external_id')),
    ).toBe(true);
  });

  it('an agent deactivated after being cached: Zendesk refuses them (401 as performer, 422 as assignee), the default user takes the ticket', async () => {
    const agent = person('agent');
    const zd = connector();
    await zd.handle(chatStarted({ agent: platformAgent(agent.email) }));
    sandbox.deactivateUser(agent.email);
    const event = chatStarted({ agent: platformAgent(agent.email) });
    const audit = await zd.handle(event);
    expect(audit).toMatchObject({
      outcome: 'created',
      reason: 'default-user',
      owner: { id: person('admin').id },
    });
    expect(ticketOf(event.interactionId).assignee_id).toBe(person('admin').numericId);
    const reasons = zd.audit.events().map((entry) => entry.reason);
    expect(reasons).toContain('connection-failover');
    expect(reasons).toContain('owner-fallback');
    const refused = sandbox.log
      .entries()
      .filter((entry) => entry.route === 'tickets.create' && entry.status === 422);
    expect(refused).toHaveLength(1);
  });
});

describe('zendesk sandbox: OAuth tokens revoked mid-run', () => {
  it('an OAuth access token revoked mid-run: the plugin gets a 401, fetches a new token once and carries on', async () => {
    const zd = connectorFor(plugin, {
      ...zendeskSandboxSettings(sandbox, 'oauthClientCredentials'),
      defaultUser: true,
    });
    await zd.handle(chatStarted());
    sandbox.revokeCredential('oauthAccessTokens');
    const event = chatStarted();
    expect((await zd.handle(event)).outcome).toBe('created');
    expect(sandbox.store.accessTokens.count()).toBe(2);
    expect(sandbox.log.entries().filter((entry) => entry.status === 401)).toHaveLength(1);
    expect(ticketOf(event.interactionId).submitter_id).toBe(person('admin').numericId);
  });
});
