import { createConnector, createRateBudgetRegistry, isCrmConnectError } from '@crm-connect/core';
import {
  agentAssigned,
  chatStarted,
  interactionEnded,
  useHarness,
  voicemailReceived,
} from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { maxNoteLength } from '../src/kustomer-notes.js';
import {
  bearer,
  conversationBody,
  conversationLookup,
  currentUserBody,
  customerBody,
  customerId,
  janeByEmail,
  kustomerFixture,
  noteBody,
  notFound,
  origin,
  users,
  usersPage,
} from './kustomer-fixture.js';

const harness = useHarness(kustomerFixture);
type Body = Record<string, unknown>;
const conversationId = '6c3d4e5f60718293a4b5c6d7';

function bodyOf(method: string, path: string | RegExp): Body {
  const request = harness().requests.find(
    (candidate) =>
      candidate.method === method &&
      (typeof path === 'string' ? candidate.path === path : path.test(candidate.path)),
  );
  expect(request, `${method} ${path}`).toBeDefined();
  return (request?.body ?? {}) as Body;
}

describe('kustomer: opening a conversation', () => {
  it('creates the customer (looked up by email, external id, then phone) and the conversation assigned to the default user', async () => {
    const h = harness();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm().get(conversationLookup).reply(404, notFound);
    h.crm().get(janeByEmail).reply(404, notFound);
    h.crm().get('/v1/customers/externalId=shop-customer-77').reply(404, notFound);
    h.crm().get('/v1/customers/phone=%2B15555550100').reply(404, notFound);
    h.crm().post('/v1/customers').reply(201, customerBody());
    h.crm()
      .post('/v1/conversations')
      .reply(201, (_uri, body) => conversationBody(conversationId, body as Body));
    h.crm()
      .post(`/v1/conversations/${conversationId}/notes`)
      .reply(201, (_uri, body) => noteBody('n1', conversationId, body as Body));

    const event = chatStarted({
      endUser: {
        name: 'Jane Doe',
        email: 'jane.doe@example.com',
        phone: '+15555550100',
        externalId: 'shop-customer-77',
      },
    });
    const audit = await h.connector({ defaultUser: true }).handle(event);

    expect(audit).toMatchObject({
      outcome: 'created',
      recordId: conversationId,
      reason: 'default-user',
      owner: { id: users.admin.id },
      performer: { id: users.admin.id },
    });
    for (const request of h.requests) expect(request.headers.authorization).toBe(bearer);
    expect(h.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /v1/users/current',
      `GET /v1/conversations/externalId=${encodeURIComponent(event.interactionId)}`,
      'GET /v1/customers/email=jane.doe%40example.com',
      'GET /v1/customers/externalId=shop-customer-77',
      'GET /v1/customers/phone=%2B15555550100',
      'POST /v1/customers',
      'POST /v1/conversations',
      `POST /v1/conversations/${conversationId}/notes`,
    ]);
    expect(bodyOf('POST', '/v1/customers')).toEqual({
      name: 'Jane Doe',
      emails: [{ type: 'home', email: 'jane.doe@example.com' }],
      phones: [{ type: 'mobile', phone: '+15555550100' }],
      externalId: 'shop-customer-77',
    });
    expect(bodyOf('POST', '/v1/conversations')).toEqual({
      customer: customerId,
      externalId: event.interactionId,
      name: 'Chat with Jane Doe',
      status: 'open',
      direction: 'in',
      assignedUsers: [users.admin.id],
      replyChannel: 'chat',
    });
    const note = bodyOf('POST', `/v1/conversations/${conversationId}/notes`);
    expect(note.externalId).toBe(`crm-connect:${event.interactionId}:create-ticket:description`);
    expect(note.body).toContain('Hello, my order #123 has not arrived.');
  });

  it('a voicemail with an identified agent: the agent is assigned, the key user performs, the channel is voice', async () => {
    const h = harness();
    h.use(kustomerFixture.mocks.connectionUser);
    h.use(kustomerFixture.mocks.userByEmail(users.agent.email, users.agent));
    h.use(kustomerFixture.mocks.createTicket(conversationId));
    const event = voicemailReceived({ agent: { id: 'p-7', emails: [users.agent.email] } });
    const audit = await h.connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({ reason: 'identified-agent', performerReason: 'connection-user' });
    const create = bodyOf('POST', '/v1/conversations');
    expect(create).toMatchObject({
      assignedUsers: [users.agent.id],
      replyChannel: 'voice',
      name: 'Voicemail from Jane Doe',
    });
    expect(h.writes().every((request) => request.headers.authorization === bearer)).toBe(true);
  });

  it('a redelivered chat event yields one conversation, even after a restart (no link remembered)', async () => {
    const h = harness();
    const event = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.use(kustomerFixture.mocks.createTicket(conversationId));
    const first = await h.connector({ defaultUser: true }).handle(event);
    const writesAfterFirst = h.writes().length;
    const description = bodyOf('POST', `/v1/conversations/${conversationId}/notes`);

    // A new connector forgets the link: the conversation is found by its external id instead.
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm()
      .get(`/v1/conversations/externalId=${encodeURIComponent(event.interactionId)}`)
      .reply(200, conversationBody(conversationId, { externalId: event.interactionId }));
    h.crm()
      .get(`/v1/conversations/${conversationId}/notes`)
      .query({ page: 1, pageSize: 100 })
      .reply(200, { data: [noteBody('n1', conversationId, description).data], links: { next: null } });
    const second = await h.connector({ defaultUser: true }).handle(event);

    expect(first).toMatchObject({ outcome: 'created', recordId: conversationId });
    expect(second).toMatchObject({ outcome: 'existing', recordId: conversationId });
    expect(h.writes()).toHaveLength(writesAfterFirst);
    expect(h.writes().filter((request) => request.path === '/v1/conversations')).toHaveLength(1);
  });

  it('a redelivered event whose first attempt stopped before the description note writes the note only', async () => {
    const h = harness();
    const event = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm()
      .get(conversationLookup)
      .reply(200, conversationBody(conversationId, { externalId: event.interactionId }));
    h.crm()
      .get(`/v1/conversations/${conversationId}/notes`)
      .query(true)
      .reply(200, { data: [], links: { next: null } });
    h.crm()
      .post(`/v1/conversations/${conversationId}/notes`)
      .reply(201, (_uri, body) => noteBody('n1', conversationId, body as Body));
    const audit = await h.connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({ outcome: 'existing', recordId: conversationId });
    expect(h.writes().map((request) => request.path)).toEqual([`/v1/conversations/${conversationId}/notes`]);
  });

  it('an uncertain create (HTTP 503) is looked up before anything is sent again: one conversation', async () => {
    const h = harness();
    const event = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm().get(conversationLookup).reply(404, notFound);
    h.crm().get(janeByEmail).reply(200, customerBody());
    h.crm()
      .post('/v1/conversations')
      .reply(503, { errors: [{ status: 503, title: 'Service Unavailable' }] });
    // It had been created after all.
    h.crm()
      .get(conversationLookup)
      .reply(200, conversationBody(conversationId, { externalId: event.interactionId }));
    h.crm()
      .get(`/v1/conversations/${conversationId}/notes`)
      .query(true)
      .reply(200, { data: [], links: { next: null } });
    h.crm()
      .post(`/v1/conversations/${conversationId}/notes`)
      .reply(201, (_uri, body) => noteBody('n1', conversationId, body as Body));
    const audit = await h.connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({ outcome: 'created', recordId: conversationId });
    expect(h.writes().filter((request) => request.path === '/v1/conversations')).toHaveLength(1);
  });

  it('a create that times out is looked up only once Kustomer had as long again to finish it: one conversation', async () => {
    // Found by the fault matrix: the lookup ran the moment the create timed out, while Kustomer was
    // still processing it, found nothing, and the create was sent again: two conversations.
    const h = harness();
    const event = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm().get(conversationLookup).reply(404, notFound);
    h.crm().get(janeByEmail).reply(200, customerBody());
    const timeoutMs = 200;
    // Kustomer commits the conversation 300 ms after it arrives, beyond the client's timeout.
    let committedAt = Number.POSITIVE_INFINITY;
    h.crm()
      .post('/v1/conversations', () => {
        committedAt = Date.now() + 300;
        return true;
      })
      .delay(300)
      .reply(201, (_uri, body) => conversationBody(conversationId, body as Body));
    h.crm()
      .get(conversationLookup)
      .reply(() =>
        Date.now() >= committedAt
          ? [200, conversationBody(conversationId, { externalId: event.interactionId })]
          : [404, notFound],
      );
    h.crm()
      .get(`/v1/conversations/${conversationId}/notes`)
      .query(true)
      .reply(200, { data: [], links: { next: null } });
    h.crm()
      .post(`/v1/conversations/${conversationId}/notes`)
      .reply(201, (_uri, body) => noteBody('n1', conversationId, body as Body));
    const connector = createConnector({
      plugin: kustomerFixture.plugin,
      settings: { ...kustomerFixture.settings, defaultUser: true },
      rateBudgets: createRateBudgetRegistry(),
      http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs },
    });
    const audit = await connector.handle(event);
    expect(audit).toMatchObject({ outcome: 'created', recordId: conversationId });
    expect(h.writes().filter((request) => request.path === '/v1/conversations')).toHaveLength(1);
  });

  it('a customer created concurrently ("duplicate" answer) is looked up again and used', async () => {
    const h = harness();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm().get(conversationLookup).reply(404, notFound);
    h.crm().get(janeByEmail).reply(404, notFound);
    h.crm().get('/v1/customers/phone=%2B15555550100').reply(404, notFound);
    h.crm()
      .post('/v1/customers')
      .reply(400, {
        errors: [
          {
            status: 400,
            code: 'duplicate',
            title: 'Duplicate',
            detail: 'email jane.doe@example.com already exists',
          },
        ],
      });
    h.crm().get(janeByEmail).reply(200, customerBody());
    h.crm()
      .post('/v1/conversations')
      .reply(201, (_uri, body) => conversationBody(conversationId, body as Body));
    h.crm()
      .post(`/v1/conversations/${conversationId}/notes`)
      .reply(201, (_uri, body) => noteBody('n1', conversationId, body as Body));
    const audit = await h.connector({ defaultUser: true }).handle(chatStarted());
    expect(audit).toMatchObject({ outcome: 'created', recordId: conversationId });
    expect(bodyOf('POST', '/v1/conversations').customer).toBe(customerId);
    expect(h.writes().filter((request) => request.path === '/v1/customers')).toHaveLength(1);
  });

  it('an assignee Kustomer refuses falls back to the default user', async () => {
    const h = harness();
    h.use(kustomerFixture.mocks.connectionUser);
    h.use(kustomerFixture.mocks.userByEmail(users.agent.email, users.agent));
    h.crm().get(conversationLookup).reply(404, notFound);
    h.crm().get(janeByEmail).reply(200, customerBody());
    h.crm()
      .post('/v1/conversations')
      .reply(400, {
        errors: [
          {
            status: 400,
            code: 'invalid',
            title: 'Invalid assignee',
            detail: 'user is not active',
            source: { pointer: '/data/attributes/assignedUsers/0' },
          },
        ],
      });
    h.use(kustomerFixture.mocks.createTicket(conversationId));
    const event = chatStarted({ agent: { id: 'p-7', emails: [users.agent.email] } });
    const audit = await h.connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({
      outcome: 'created',
      reason: 'default-user',
      owner: { id: users.admin.id },
    });
    const creates = h.writes().filter((request) => request.path === '/v1/conversations');
    expect(creates.map((request) => (request.body as Body).assignedUsers)).toEqual([
      [users.agent.id],
      [users.admin.id],
    ]);
    const fallback = h.audit.events().find((event) => event.reason === 'owner-fallback');
    expect(fallback?.error?.message).toContain(users.agent.id);
  });
});

describe('kustomer: later events', () => {
  it('an agent assigned later becomes the only assigned user (PATCH assignedUsers)', async () => {
    const h = harness();
    const opened = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.use(kustomerFixture.mocks.createTicket(conversationId));
    h.use(kustomerFixture.mocks.userByEmail(users.agent.email, users.agent));
    h.use(kustomerFixture.mocks.changeOwner(conversationId));
    const connector = h.connector({ defaultUser: true });
    await connector.handle(opened);
    const audit = await connector.handle(agentAssigned(opened.interactionId, [users.agent.email]));
    expect(audit).toMatchObject({
      operation: 'change-owner',
      outcome: 'updated',
      owner: { id: users.agent.id },
    });
    const patch = h.requests.find((request) => request.method === 'PATCH');
    expect(patch).toMatchObject({
      path: `/v1/conversations/${conversationId}`,
      body: { assignedUsers: [users.agent.id] },
      headers: { authorization: bearer, host: new URL(origin).host },
    });
  });

  it('after a restart, an assignment finds the conversation by the interaction id', async () => {
    const h = harness();
    const interactionId = 'chat-restart-1';
    h.use(kustomerFixture.mocks.connectionUser);
    h.use(kustomerFixture.mocks.userByEmail(users.agent.email, users.agent));
    h.crm()
      .get(`/v1/conversations/externalId=${interactionId}`)
      .reply(200, conversationBody(conversationId, { externalId: interactionId }));
    h.use(kustomerFixture.mocks.changeOwner(conversationId));
    const audit = await h
      .connector({ defaultUser: true })
      .handle(agentAssigned(interactionId, [users.agent.email]));
    expect(audit).toMatchObject({ outcome: 'updated', recordId: conversationId });
  });

  it('a long transcript is written in full as numbered notes, never truncated', async () => {
    const h = harness();
    const opened = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.use(kustomerFixture.mocks.createTicket(conversationId));
    const connector = h.connector({ defaultUser: true });
    await connector.handle(opened);
    const line = 'Customer: my parcel is still not here, can you check again please?\n';
    const transcript = line.repeat(Math.ceil((maxNoteLength * 2.5) / line.length));
    h.crm()
      .post(`/v1/conversations/${conversationId}/notes`)
      .times(3)
      .reply(201, (_uri, body) => noteBody('n2', conversationId, body as Body));
    const writesBefore = h.writes().length;
    const audit = await connector.handle(
      interactionEnded(opened.interactionId, { transcript, disposition: undefined }),
    );
    expect(audit).toMatchObject({ operation: 'add-note', outcome: 'updated', attempts: 3 });
    const notes = h
      .writes()
      .slice(writesBefore)
      .map((request) => request.body as { body: string; externalId: string });
    expect(notes).toHaveLength(3);
    expect(notes.map((note) => /^\(part \d of \d\)\n\n/.exec(note.body)?.[0].trim())).toEqual([
      '(part 1 of 3)',
      '(part 2 of 3)',
      '(part 3 of 3)',
    ]);
    for (const note of notes) expect(note.body.length).toBeLessThanOrEqual(maxNoteLength);
    expect(new Set(notes.map((note) => note.externalId)).size).toBe(3);
    const rejoined = notes.map((note) => note.body.replace(/^\(part \d+ of \d+\)\n\n/, '')).join('');
    expect(rejoined).toBe(`Transcript:\n${transcript}`);
  });
});

describe("kustomer: Kustomer's note length limit (1 to 10,240 characters)", () => {
  /** Kustomer's API reference: a note body is 1 to 10,240 characters. */
  const documentedLimit = 10_240;

  async function notesWritten(transcript: string, parts: number) {
    const h = harness();
    const opened = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.use(kustomerFixture.mocks.createTicket(conversationId));
    const connector = h.connector({ defaultUser: true });
    await connector.handle(opened);
    h.crm()
      .post(`/v1/conversations/${conversationId}/notes`)
      .times(parts)
      .reply(201, (_uri, body) => noteBody('n3', conversationId, body as Body));
    const writesBefore = h.writes().length;
    await connector.handle(interactionEnded(opened.interactionId, { transcript, disposition: undefined }));
    return h
      .writes()
      .slice(writesBefore)
      .map((request) => (request.body as { body: string }).body);
  }

  it('a note just over the limit is written as two notes, each within it', async () => {
    // "Transcript:\n" and the transcript: 10,241 characters in all.
    const transcript = 'a'.repeat(documentedLimit + 1 - 'Transcript:\n'.length);
    const notes = await notesWritten(transcript, 2);
    expect(notes).toHaveLength(2);
    for (const note of notes) expect(note.length).toBeLessThanOrEqual(documentedLimit);
  });

  it('characters are counted as UTF-16 code units: 6,000 emoji (12,000 units) are two notes', async () => {
    const transcript = '😀'.repeat(6_000);
    const notes = await notesWritten(transcript, 2);
    expect(notes).toHaveLength(2);
    for (const note of notes) expect(note.length).toBeLessThanOrEqual(documentedLimit);
    // No emoji is cut in half.
    expect(notes.map((note) => note.replace(/^\(part \d+ of \d+\)\n\n/, '')).join('')).toBe(
      `Transcript:\n${transcript}`,
    );
  });
});

describe('kustomer: agents', () => {
  it('finds an agent even when the email filter is ignored, paging through the users', async () => {
    const h = harness();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm()
      .get('/v1/users')
      .query({ email: users.otherAgent.email, page: 1, pageSize: 100 })
      .reply(200, usersPage([users.admin, users.agent], 1, true, { email: users.otherAgent.email }));
    h.crm()
      .get('/v1/users')
      .query({ email: users.otherAgent.email, page: 2, pageSize: 100 })
      .reply(200, usersPage([users.otherAgent], 2, false, { email: users.otherAgent.email }));
    h.use(kustomerFixture.mocks.createTicket(conversationId));
    const event = chatStarted({ agent: { id: 'p-8', emails: [users.otherAgent.email] } });
    const audit = await h.connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({ reason: 'identified-agent', owner: { id: users.otherAgent.id } });
  });

  it('the random pool holds active full users only, across pages', async () => {
    const h = harness();
    const machine = { id: '5f3c1a9e8b7d6c5e4f3a2b5a', name: 'Zapier', active: true, role: 'machine' };
    const collaborator = {
      id: '5f3c1a9e8b7d6c5e4f3a2b6b',
      email: 'c@acme.test',
      name: 'Cleo',
      active: true,
      role: 'limited',
    };
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm()
      .get('/v1/users')
      .query({ deleted: false, page: 1, pageSize: 100 })
      .reply(200, usersPage([machine, users.agent, collaborator], 1, true, { deleted: 'false' }));
    h.crm()
      .get('/v1/users')
      .query({ deleted: false, page: 2, pageSize: 100 })
      .reply(200, usersPage([users.deactivatedAgent, users.otherAgent], 2, false, { deleted: 'false' }));
    h.use(kustomerFixture.mocks.createTicket(conversationId));
    // 0.99 picks the last of the pool: only [agent, otherAgent] remain.
    const audit = await h.connector({ defaultUser: false }, () => 0.99).handle(chatStarted());
    expect(audit).toMatchObject({ reason: 'random-agent', owner: { id: users.otherAgent.id } });
  });
});

describe('kustomer: errors', () => {
  it('a 403 names the role the call needs; a 401 says to create a new key', async () => {
    const h = harness();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm().get(conversationLookup).reply(404, notFound);
    h.crm().get(janeByEmail).reply(200, customerBody());
    h.crm()
      .post('/v1/conversations')
      .reply(403, { errors: [{ status: 403, code: 'forbidden', title: 'Forbidden' }] });
    const forbidden = await h
      .connector({ defaultUser: true })
      .handle(chatStarted())
      .catch((error: unknown) => error);
    expect(isCrmConnectError(forbidden) && forbidden.code).toBe('permission_denied');
    expect(String((forbidden as Error).message)).toContain('org.permission.conversation.create');
    expect(String((forbidden as Error).message)).toContain('org.user.conversation.write');

    h.crm()
      .get('/v1/users/current')
      .reply(401, { errors: [{ status: 401, title: 'Unauthorized' }] });
    const unauthorized = await h
      .connector({ defaultUser: true })
      .handle(chatStarted())
      .catch((error: unknown) => error);
    expect(isCrmConnectError(unauthorized) && unauthorized.code).toBe('authentication_failed');
    expect(String((unauthorized as Error).message)).toContain('Settings › Security › API Keys');
  });

  it('a conversation deleted in Kustomer is a typed not-found error on assignment', async () => {
    const h = harness();
    h.use(kustomerFixture.mocks.connectionUser);
    h.use(kustomerFixture.mocks.userByEmail(users.agent.email, users.agent));
    h.crm().get(conversationLookup).reply(200, conversationBody(conversationId));
    h.crm().patch(`/v1/conversations/${conversationId}`).reply(404, notFound);
    const error = await h
      .connector({ defaultUser: true })
      .handle(agentAssigned('chat-deleted-1', [users.agent.email]))
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('not_found');
    expect(String((error as Error).message)).toContain('deleted or merged');
  });

  it('the key user is read once per connector, whatever the number of events', async () => {
    const h = harness();
    h.crm().get('/v1/users/current').once().reply(200, currentUserBody());
    h.use(kustomerFixture.mocks.createTicket(conversationId));
    h.use(kustomerFixture.mocks.createTicket('6c3d4e5f60718293a4b5c6d8'));
    const connector = h.connector({ defaultUser: true });
    await connector.handle(chatStarted());
    await connector.handle(chatStarted());
    expect(h.requests.filter((request) => request.path === '/v1/users/current')).toHaveLength(1);
  });
});
