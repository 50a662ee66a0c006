import { idempotencyKey } from '@crm-connect/core';
import {
  agentAssigned,
  type CapturedRequest,
  chatStarted,
  interactionEnded,
  useHarness,
  voicemailReceived,
} from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { maxCommentBytes } from '../src/index.js';
import {
  basic,
  createdTicketReply,
  oauthClient,
  origin,
  updatedTicketReply,
  users,
  wireTicket,
  wireUser,
  zendeskFixture,
} from './zendesk-fixture.js';

const harness = useHarness(zendeskFixture);
const { mocks } = zendeskFixture;
const adminAuth = basic(users.admin.email);

interface TicketBody {
  ticket: {
    subject?: string;
    comment?: { body: string; public: boolean };
    requester?: { name: string; email: string };
    requester_id?: number;
    assignee_id?: number;
    external_id?: string;
    tags?: string[];
    custom_fields?: { id: number; value: string }[];
  };
}
const bodyOf = (request: CapturedRequest | undefined) => request?.body as TicketBody;
const writes = () => harness().writes();
const createKey = (interactionId: string) => idempotencyKey(interactionId, 'create-ticket');

function ticketCreated(id: number, lookup: 'miss' | 'hit' = 'miss') {
  harness()
    .crm()
    .post('/api/v2/tickets')
    .reply(...createdTicketReply(id, lookup));
}

function ticketUpdated(id: number, times = 1) {
  harness()
    .crm()
    .put(`/api/v2/tickets/${id}`)
    .times(times)
    .reply(...updatedTicketReply(id));
}

function userFound(user: (typeof users)[keyof typeof users]) {
  harness().use(mocks.userByEmail(user.email, user));
}

describe('zendesk ticket creation', () => {
  it('chat before an agent: the default user is assignee and performer, the requester goes inline', async () => {
    harness().use(mocks.connectionUser);
    ticketCreated(35436);
    const event = chatStarted();
    const audit = await harness().connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({
      outcome: 'created',
      recordId: '35436',
      reason: 'default-user',
      attempts: 1,
    });

    const [create] = writes();
    expect(create).toMatchObject({ method: 'POST', path: '/api/v2/tickets' });
    expect(create?.headers.authorization).toBe(adminAuth);
    expect(create?.headers['idempotency-key']).toBe(createKey(event.interactionId));
    expect(create?.headers['content-type']).toContain('application/json');
    expect(bodyOf(create)).toEqual({
      ticket: {
        subject: 'Chat with Jane Doe',
        comment: {
          body: `Interaction ${event.interactionId} (chat) at 2026-11-21T10:00:00Z.\n\nHello, my order #123 has not arrived.`,
          public: false,
        },
        requester: { name: 'Jane Doe', email: 'jane.doe@example.com' },
        assignee_id: Number(users.admin.id),
        external_id: event.interactionId,
        tags: ['crm_connect', 'crm_connect_channel_chat'],
      },
    });
  });

  it('voicemail: tagged as such, and the interaction id also goes to the configured ticket field', async () => {
    harness().use(mocks.connectionUser);
    ticketCreated(35437);
    const event = voicemailReceived();
    await harness().connector({ defaultUser: true, interactionFieldId: 360012345678 }).handle(event);
    expect(bodyOf(writes()[0]).ticket).toMatchObject({
      subject: 'Voicemail from Jane Doe',
      tags: ['crm_connect', 'crm_connect_channel_voice', 'crm_connect_voicemail'],
      custom_fields: [{ id: 360012345678, value: event.interactionId }],
    });
  });

  it('an identified agent owns the ticket and, in token mode, creates it with their own email', async () => {
    harness().use(mocks.connectionUser);
    userFound(users.agent);
    ticketCreated(35438);
    const event = chatStarted({ agent: { id: 'p-7', emails: [users.agent.email] } });
    const audit = await harness().connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({ owner: { id: users.agent.id }, performer: { id: users.agent.id } });
    const [create] = writes();
    expect(create?.headers.authorization).toBe(basic(users.agent.email));
    expect(bodyOf(create).ticket.assignee_id).toBe(Number(users.agent.id));
  });

  it('OAuth mode: the agent owns the ticket, the OAuth admin creates it with the bearer token', async () => {
    const bearer = 'Bearer oauth-token-0000000000000';
    harness()
      .crm()
      .post('/oauth/tokens')
      .reply(200, { access_token: 'oauth-token-0000000000000', token_type: 'bearer', expires_in: 1800 });
    harness()
      .crm()
      .get('/api/v2/users/me')
      .matchHeader('authorization', bearer)
      .reply(200, { user: wireUser(users.admin) });
    harness()
      .crm()
      .get('/api/v2/users/search')
      .query({ query: users.agent.email })
      .matchHeader('authorization', bearer)
      .reply(200, { users: [wireUser(users.agent)], count: 1 });
    ticketCreated(35439);
    const event = chatStarted({ agent: { id: 'p-7', emails: [users.agent.email] } });
    const audit = await harness()
      .connector({ authMode: 'oauthClientCredentials', ...oauthClient })
      .handle(event);
    expect(audit).toMatchObject({
      outcome: 'created',
      performer: { id: users.admin.id },
      owner: { id: users.agent.id },
      performerReason: 'connection-user',
    });
    const [, create] = writes();
    expect(create?.path).toBe('/api/v2/tickets');
    expect(create?.headers.authorization).toBe(bearer);
    expect(create?.headers['idempotency-key']).toBe(createKey(event.interactionId));
    expect(bodyOf(create).ticket.assignee_id).toBe(Number(users.agent.id));
  });

  it('a 429 then success creates exactly one ticket: the retry carries the same idempotency key', async () => {
    harness().use(mocks.connectionUser);
    harness()
      .crm()
      .post('/api/v2/tickets')
      .reply(429, 'Too Many Requests', { 'Retry-After': '1', 'Content-Type': 'text/plain' });
    ticketCreated(35440);
    const event = chatStarted();
    const audit = await harness().connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({ outcome: 'created', recordId: '35440', attempts: 2 });
    const creates = writes();
    expect(creates).toHaveLength(2);
    expect(creates.map((request) => request.headers['idempotency-key'])).toEqual([
      createKey(event.interactionId),
      createKey(event.interactionId),
    ]);
    expect(creates[1]?.body).toEqual(creates[0]?.body);
  });

  it('a server error is retried safely thanks to the key', async () => {
    harness().use(mocks.connectionUser);
    harness().crm().post('/api/v2/tickets').reply(503, { error: 'ServiceUnavailable' });
    ticketCreated(35441);
    const audit = await harness().connector({ defaultUser: true }).handle(chatStarted());
    expect(audit).toMatchObject({ outcome: 'created', attempts: 2 });
  });

  it('the same event replayed after a restart: same key, Zendesk answers the first ticket (lookup hit), no duplicate', async () => {
    const event = chatStarted();
    harness().use(mocks.connectionUser);
    ticketCreated(35442);
    const first = await harness().connector({ defaultUser: true }).handle(event);
    // A new connector has an empty link store: the event goes to Zendesk again.
    harness().use(mocks.connectionUser);
    ticketCreated(35442, 'hit');
    // The replayed answer is the first one: the ticket is read as it is now, for its assignee.
    harness()
      .crm()
      .get('/api/v2/tickets/35442')
      .reply(200, { ticket: wireTicket(35442, { assignee_id: Number(users.agent.id) }) });
    const replay = await harness().connector({ defaultUser: true }).handle(event);
    expect(first).toMatchObject({ outcome: 'created', recordId: '35442' });
    expect(replay).toMatchObject({ outcome: 'existing', recordId: '35442', owner: { id: users.agent.id } });
    const keys = writes().map((request) => request.headers['idempotency-key']);
    expect(keys).toEqual([createKey(event.interactionId), createKey(event.interactionId)]);
  });

  it('a replay whose body differs (the key was used with another request) finds the ticket the key created', async () => {
    // Found by the fault matrix: a caller known by phone only, two end users with that phone (made
    // by concurrent interactions), and a redelivery picking the other one as requester. Zendesk
    // refuses the key with another body; the event must not fail, its ticket exists.
    const event = chatStarted();
    harness().use(mocks.connectionUser);
    harness().crm().post('/api/v2/tickets').reply(400, {
      error: 'IdempotentRequestError',
      description: 'The Idempotency-Key was used before with a different request.',
    });
    harness()
      .crm()
      .get('/api/v2/tickets')
      .query({ external_id: event.interactionId })
      .reply(200, { tickets: [{ id: 35450, external_id: event.interactionId, requester_id: 360009876501 }] });
    const audit = await harness().connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({ outcome: 'existing', recordId: '35450', attempts: 2 });
    expect(writes()).toHaveLength(1);
  });

  it('Zendesk refusing the assignee: the default user takes the ticket (owner fallback)', async () => {
    harness().use(mocks.connectionUser);
    userFound(users.agent);
    harness()
      .crm()
      .post('/api/v2/tickets', (body: TicketBody) => body.ticket.assignee_id === Number(users.agent.id))
      .reply(422, {
        error: 'RecordInvalid',
        description: 'Record validation errors',
        details: { assignee: [{ description: 'Assignee is not an agent', error: 'InvalidValue' }] },
      });
    harness()
      .crm()
      .post('/api/v2/tickets', (body: TicketBody) => body.ticket.assignee_id === Number(users.admin.id))
      .reply(...createdTicketReply(35443));
    const event = chatStarted({ agent: { id: 'p-7', emails: [users.agent.email] } });
    const audit = await harness().connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({
      outcome: 'created',
      owner: { id: users.admin.id },
      reason: 'default-user',
    });
    const fallback = harness()
      .audit.events()
      .find((entry) => entry.reason === 'owner-fallback');
    expect(fallback?.error?.code).toBe('owner_rejected');
    expect(fallback?.error?.message).toContain('Assignee is not an agent');
    expect(writes()[1]?.headers.authorization).toBe(adminAuth);
  });

  it('other invalid data is a typed error naming the Zendesk field', async () => {
    harness().use(mocks.connectionUser);
    harness()
      .crm()
      .post('/api/v2/tickets')
      .reply(422, {
        error: 'RecordInvalid',
        description: 'Record validation errors',
        details: { requester: [{ description: 'Requester: Email is invalid', error: 'InvalidValue' }] },
      });
    const error = await harness()
      .connector({ defaultUser: true })
      .handle(chatStarted())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'crm_rejected_input',
      status: 422,
      retryable: false,
      issues: [{ path: 'ticket.requester', message: 'Requester: Email is invalid' }],
    });
    expect(writes()).toHaveLength(1);
  });

  it.each([
    [401, { error: "Couldn't authenticate you" }, 'authentication_failed'],
    [403, { error: 'Forbidden', description: 'You do not have access to this page.' }, 'permission_denied'],
  ])('a %i on a write is not retried', async (status, body, code) => {
    harness().use(mocks.connectionUser);
    harness().crm().post('/api/v2/tickets').reply(status, body);
    const error = await harness()
      .connector({ defaultUser: true })
      .handle(chatStarted())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code, status, retryable: false, attempts: 1 });
  });
});

describe('zendesk connection, called directly', () => {
  it('createTicket returns the ticket, its agent link and the requester as contact', async () => {
    const { plugin } = zendeskFixture;
    const connection = plugin.connect(
      plugin.settings.schema.parse(zendeskFixture.settings),
      harness().context(),
    );
    ticketCreated(35470, 'hit');
    harness()
      .crm()
      .get('/api/v2/tickets/35470')
      .reply(200, { ticket: wireTicket(35470) });
    const event = chatStarted();
    const result = await connection.createTicket({
      event,
      owner: users.agent,
      performer: users.admin,
      idempotencyKey: createKey(event.interactionId),
      ownerReason: 'identified-agent',
      subject: 'Chat with Jane Doe',
      description: 'Hello',
    });
    expect(result).toEqual({
      ticket: { id: '35470', contactId: '360009876501', url: `${origin}/agent/tickets/35470` },
      created: false,
      attempts: 2,
      // An existing ticket keeps its assignee, reported as the owner (not the one asked for).
      owner: { id: users.admin.id, active: true },
    });
    expect(writes()[0]?.headers.authorization).toBe(adminAuth);
  });

  it('findTicket: undefined when no ticket carries the interaction id', async () => {
    const { plugin } = zendeskFixture;
    const connection = plugin.connect(
      plugin.settings.schema.parse(zendeskFixture.settings),
      harness().context(),
    );
    harness()
      .crm()
      .get('/api/v2/tickets')
      .query({ external_id: 'chat-unknown' })
      .reply(200, { tickets: [], next_page: null, previous_page: null, count: 0 });
    expect(await connection.findTicket('chat-unknown')).toBeUndefined();
  });

  it('an unexpected answer is a typed error, not a crash', async () => {
    const { plugin } = zendeskFixture;
    const connection = plugin.connect(
      plugin.settings.schema.parse(zendeskFixture.settings),
      harness().context(),
    );
    harness().crm().get('/api/v2/tickets').query(true).reply(200, '<html>Help Center</html>');
    await expect(connection.findTicket('chat-1')).rejects.toMatchObject({ code: 'invalid_response' });
  });
});

describe('zendesk requesters without an email', () => {
  it('a caller known by phone is found and named by id', async () => {
    harness().use(mocks.connectionUser);
    harness()
      .crm()
      .get('/api/v2/users/search')
      .query({ query: '+15555550100' })
      .reply(200, {
        users: [
          wireUser(users.agent, { phone: '+15555550100' }),
          { id: 360009876511, name: 'Jane Doe', email: null, role: 'end-user', phone: '+1 555-555-0100' },
        ],
        count: 2,
      });
    ticketCreated(35450);
    const event = voicemailReceived({ endUser: { phone: '+15555550100' } });
    await harness().connector({ defaultUser: true }).handle(event);
    const ticket = bodyOf(writes()[0]).ticket;
    expect(ticket.requester_id).toBe(360009876511);
    expect(ticket.requester).toBeUndefined();
  });

  it('an unknown caller is created as an end user first', async () => {
    harness().use(mocks.connectionUser);
    harness()
      .crm()
      .get('/api/v2/users/search')
      .query({ query: '+15555550199' })
      .reply(200, { users: [], count: 0 });
    harness()
      .crm()
      .post('/api/v2/users', {
        user: { name: 'Caller +15555550199', phone: '+15555550199', role: 'end-user' },
      })
      .reply(201, { user: { id: 360009876512, name: 'Caller +15555550199', role: 'end-user' } });
    ticketCreated(35451);
    await harness()
      .connector({ defaultUser: true })
      .handle(voicemailReceived({ endUser: { phone: '+15555550199' } }));
    const [createUser, createTicket] = writes();
    expect(createUser?.headers['idempotency-key']).toBeUndefined();
    expect(createUser?.headers.authorization).toBe(adminAuth);
    expect(bodyOf(createTicket).ticket.requester_id).toBe(360009876512);
  });

  it('a visitor known by external id is found by it, or upserted', async () => {
    harness().use(mocks.connectionUser);
    harness()
      .crm()
      .get('/api/v2/users/search')
      .query({ external_id: 'shop-42' })
      .reply(200, { users: [], count: 0 });
    harness()
      .crm()
      .post('/api/v2/users/create_or_update', {
        user: { name: 'Sam Shopper', external_id: 'shop-42', role: 'end-user' },
      })
      .reply(201, { user: { id: 360009876513, name: 'Sam Shopper', external_id: 'shop-42' } });
    ticketCreated(35452);
    await harness()
      .connector({ defaultUser: true })
      .handle(chatStarted({ endUser: { name: 'Sam Shopper', externalId: 'shop-42' } }));
    expect(bodyOf(writes()[1]).ticket.requester_id).toBe(360009876513);
  });
});

describe('zendesk reassignment and notes', () => {
  async function openTicket(id: number) {
    harness().use(mocks.connectionUser);
    ticketCreated(id);
    const connector = harness().connector({ defaultUser: true });
    const event = chatStarted();
    await connector.handle(event);
    return { connector, event, writesBefore: writes().length };
  }

  it('an agent assigned later: PUT assignee_id, made as that agent', async () => {
    const { connector, event, writesBefore } = await openTicket(35460);
    userFound(users.agent);
    ticketUpdated(35460);
    const audit = await connector.handle(agentAssigned(event.interactionId, [users.agent.email]));
    expect(audit).toMatchObject({
      operation: 'change-owner',
      outcome: 'updated',
      owner: { id: users.agent.id },
    });
    const [put] = writes().slice(writesBefore);
    expect(put).toMatchObject({ method: 'PUT', path: '/api/v2/tickets/35460' });
    expect(put?.headers.authorization).toBe(basic(users.agent.email));
    expect(bodyOf(put)).toEqual({ ticket: { assignee_id: Number(users.agent.id) } });
  });

  it('the agent’s own token refused: the write is made as the admin once, and audited', async () => {
    const { connector, event, writesBefore } = await openTicket(35461);
    userFound(users.agent);
    harness()
      .crm()
      .put('/api/v2/tickets/35461')
      .matchHeader('authorization', basic(users.agent.email))
      .reply(401, { error: "Couldn't authenticate you" });
    harness()
      .crm()
      .put('/api/v2/tickets/35461')
      .matchHeader('authorization', adminAuth)
      .reply(...updatedTicketReply(35461));
    const audit = await connector.handle(agentAssigned(event.interactionId, [users.agent.email]));
    expect(audit).toMatchObject({ outcome: 'updated', attempts: 2 });
    expect(writes().slice(writesBefore)).toHaveLength(2);
    const failover = harness()
      .audit.events()
      .find((entry) => entry.reason === 'connection-failover');
    expect(failover).toMatchObject({
      interactionId: event.interactionId,
      operation: 'change-owner',
      performer: { id: users.agent.id },
    });
    expect(failover?.detail).toContain('made as the admin');
  });

  it('a deleted ticket: a not-found error that says so', async () => {
    const { connector, event } = await openTicket(35462);
    userFound(users.agent);
    harness()
      .crm()
      .put('/api/v2/tickets/35462')
      .reply(404, { error: 'RecordNotFound', description: 'Not found' });
    const error = await connector
      .handle(agentAssigned(event.interactionId, [users.agent.email]))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'not_found', status: 404 });
    expect((error as Error).message).toContain('RecordNotFound: Not found');
    expect((error as Error).message).toContain('no longer exists');
  });

  it('after a restart the ticket is found by external_id', async () => {
    const event = chatStarted();
    harness().use(mocks.connectionUser);
    userFound(users.agent);
    harness()
      .crm()
      .get('/api/v2/tickets')
      .query({ external_id: event.interactionId })
      .matchHeader('authorization', adminAuth)
      .reply(200, {
        tickets: [
          { id: 35480, external_id: event.interactionId, requester_id: 360009876501 },
          { id: 35463, external_id: event.interactionId, requester_id: 360009876501 },
        ],
        next_page: null,
        previous_page: null,
        count: 2,
      });
    ticketUpdated(35463);
    const audit = await harness()
      .connector({ defaultUser: true })
      .handle(agentAssigned(event.interactionId, [users.agent.email]));
    expect(audit).toMatchObject({ recordId: '35463', outcome: 'updated' });
  });

  it('the end of the interaction: the transcript as one internal note, keyed by its content', async () => {
    const { connector, event, writesBefore } = await openTicket(35464);
    ticketUpdated(35464);
    const ended = interactionEnded(event.interactionId);
    const audit = await connector.handle(ended);
    expect(audit).toMatchObject({ operation: 'add-note', outcome: 'updated', recordId: '35464' });
    const [put] = writes().slice(writesBefore);
    expect(put).toMatchObject({ method: 'PUT', path: '/api/v2/tickets/35464' });
    expect(put?.headers.authorization).toBe(adminAuth);
    const body = 'Disposition: resolved\n\nTranscript:\nCustomer: Hello\nAgent: Hi, how can I help?';
    // The note's key rides in the update's audit metadata, where a redelivery can look it up.
    expect(bodyOf(put)).toEqual({
      ticket: {
        comment: { body, public: false },
        metadata: { crm_connect_note: idempotencyKey(event.interactionId, 'add-note', body) },
      },
    });
    // Zendesk honours Idempotency-Key on ticket creation only: a comment PUT carries none.
    expect(put?.headers['idempotency-key']).toBeUndefined();
  });

  it('a note whose PUT fails on a server error is not repeated blindly (a PUT comment appends)', async () => {
    const { connector, event, writesBefore } = await openTicket(35467);
    harness().crm().put('/api/v2/tickets/35467').reply(503, { error: 'ServiceUnavailable' });
    const error = await connector
      .handle(interactionEnded(event.interactionId))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'transport_failed', attempts: 1 });
    expect(writes().slice(writesBefore)).toHaveLength(1);
  });

  it('a long transcript is split into keyed internal notes, nothing lost; a redelivery writes nothing again', async () => {
    const { connector, event, writesBefore } = await openTicket(35465);
    const line = (n: number) => `Customer: message ${n} — ça coûte 42 € 🙂 ${'x'.repeat(60)}\n`;
    const transcript = Array.from({ length: 1_600 }, (_, n) => line(n)).join('');
    ticketUpdated(35465, 3);
    const ended = interactionEnded(event.interactionId, { transcript, disposition: undefined });
    await connector.handle(ended);
    const puts = writes().slice(writesBefore);
    expect(puts).toHaveLength(3);
    const bodies = puts.map((put) => bodyOf(put).ticket.comment?.body ?? '');
    bodies.forEach((text, index) => {
      expect(text.startsWith(`(part ${index + 1} of 3)\n\n`)).toBe(true);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxCommentBytes);
      expect(bodyOf(puts[index]).ticket.comment?.public).toBe(false);
    });
    const rejoined = bodies.map((text) => text.replace(/^\(part \d+ of 3\)\n\n/, '')).join('');
    expect(rejoined).toBe(`Transcript:\n${transcript}`);
    expect(puts.map((put) => put.headers['idempotency-key'])).toEqual([undefined, undefined, undefined]);

    await connector.handle(ended);
    expect(writes().slice(writesBefore)).toHaveLength(3);
  });

  it('a voicemail transcription too long for one comment: the ticket, then the rest as notes', async () => {
    harness().use(mocks.connectionUser);
    ticketCreated(35466);
    ticketUpdated(35466);
    const transcription = 'Hello, I am calling about my invoice. '.repeat(2_000);
    const event = voicemailReceived({ transcription });
    const audit = await harness().connector({ defaultUser: true }).handle(event);
    expect(audit).toMatchObject({ outcome: 'created', recordId: '35466', attempts: 2 });
    const [create, note] = writes();
    const first = bodyOf(create).ticket.comment?.body ?? '';
    const second = bodyOf(note).ticket.comment?.body ?? '';
    expect(first.startsWith('(part 1 of 2)\n\n')).toBe(true);
    expect(second.startsWith('(part 2 of 2)\n\n')).toBe(true);
    expect(note?.headers['idempotency-key']).toBeUndefined();
    expect(`${first.slice(15)}${second.slice(15)}`).toContain(transcription);
  });
});
