import {
  type CrmUser,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  createRedactingAuditSink,
  createRedactingLogger,
  createRedactor,
  idempotencyKey,
  type OpeningEvent,
  type PluginContext,
} from '@crm-connect/core';
import { callAbandoned, chatStarted } from '@crm-connect/testkit';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { zendesk } from '../src/index.js';

/**
 * What zendesk-records.ts writes and how it reads Zendesk's answers, pinned on the wire: the
 * connection is called directly (no connector, no conformance fixture) over nock and the real
 * HTTP layer.
 */

const origin = 'https://acme.zendesk.com';
const apiToken = 'a9Xk2mQ7vL4pR8sT1wZ6yB3nC5dF0gH2jK4lM6oP';
const admin: CrmUser = { id: '360001234501', email: 'ada.admin@acme.com', name: 'Ada Admin', active: true };
const agent: CrmUser = { id: '360001234502', email: 'alex.agent@acme.com', name: 'Alex Agent', active: true };
const basic = (email: string) => `Basic ${Buffer.from(`${email}/token:${apiToken}`).toString('base64')}`;

interface Sent {
  method: string;
  path: string;
  headers: Record<string, unknown>;
  body: unknown;
}
let sent: Sent[] = [];
const audit = createMemoryAuditSink();

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  sent = [];
  audit.clear?.();
  expect(pending, 'every answer the test prepared was asked for').toEqual([]);
});

function crm(): nock.Scope {
  const scope = nock(origin);
  scope.on(
    'request',
    (request: { method: string; path: string; headers: Record<string, unknown> }, _i, body) => {
      sent.push({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: body === '' || body === undefined ? undefined : JSON.parse(body),
      });
    },
  );
  return scope;
}

function connect(extra: Record<string, unknown> = {}) {
  const plugin = zendesk();
  const redactor = createRedactor();
  const context: PluginContext = {
    redactor,
    logger: createRedactingLogger({ log: () => undefined }, redactor),
    audit: createRedactingAuditSink(audit.sink, redactor),
    rateBudgets: createRateBudgetRegistry(),
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
  };
  return plugin.connect(
    plugin.settings.schema.parse({
      subdomain: 'acme',
      email: admin.email,
      apiToken,
      defaultUser: true,
      ...extra,
    }),
    context,
  );
}

function wireTicket(id: number, overrides: Record<string, unknown> = {}) {
  return { id, requester_id: 360009876501, assignee_id: Number(admin.id), status: 'open', ...overrides };
}

function createInput(
  event: OpeningEvent = chatStarted(),
  owner: CrmUser = admin,
  performer: CrmUser = admin,
) {
  return {
    event,
    owner,
    performer,
    idempotencyKey: idempotencyKey(event.interactionId, 'create-ticket'),
    ownerReason: 'default-user' as const,
    subject: 'Chat with Jane Doe',
    description: 'Hello',
  };
}

const ticketRef = (id: string) => ({ id, url: `${origin}/agent/tickets/${id}` });
const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error & Record<string, unknown>,
  );

describe('zendesk tickets: what is created', () => {
  it('an abandoned call is tagged as one, on the voice channel', async () => {
    crm()
      .post('/api/v2/tickets')
      .reply(201, { ticket: wireTicket(501) });
    const event = callAbandoned();
    await connect().createTicket(createInput(event));
    expect(sent[0]?.body).toMatchObject({
      ticket: {
        external_id: event.interactionId,
        tags: ['crm_connect', 'crm_connect_channel_voice', 'crm_connect_abandoned_call'],
      },
    });
  });

  it('a ticket without a requester in the answer has no contact', async () => {
    crm()
      .post('/api/v2/tickets')
      .reply(201, { ticket: wireTicket(502, { requester_id: null }) });
    const result = await connect().createTicket(createInput());
    expect(result).toEqual({
      ticket: { ...ticketRef('502'), contactId: undefined },
      created: true,
      attempts: 1,
    });
  });

  it.each(['abc', '12a', 'a12', ''])(
    'an owner id "%s" that is not a Zendesk user id is refused before any request',
    async (id) => {
      const error = await caught(connect().createTicket(createInput(chatStarted(), { ...admin, id })));
      expect(error).toMatchObject({
        code: 'input_invalid',
        pluginId: 'zendesk',
        issues: [{ path: 'owner.id', message: 'owner.id: must be a numeric Zendesk user id' }],
      });
      expect(error.message).toContain(`Zendesk user ids are numbers; "${id}" is not a Zendesk user id.`);
      expect(sent).toEqual([]);
    },
  );

  it.each(['x35460', '35460x', '1/../2'])(
    'a ticket id "%s" that is not a Zendesk ticket id never reaches a URL',
    async (id) => {
      const connection = connect();
      const input = { interactionId: 'chat-1', ticket: ticketRef(id), owner: admin, performer: admin };
      for (const error of [
        await caught(connection.changeOwner(input)),
        await caught(connection.addNote({ ...input, body: 'Note', idempotencyKey: 'k', mayExist: false })),
      ]) {
        expect(error).toMatchObject({
          code: 'input_invalid',
          issues: [{ path: 'ticket.id', message: 'ticket.id: must be a numeric Zendesk ticket id' }],
        });
        expect(error.message).toContain(
          `Zendesk ticket ids are numbers; "${id}" is not a Zendesk ticket id.`,
        );
      }
      expect(sent).toEqual([]);
    },
  );

  it('the agent’s token refused on create: made as the admin, and the audit trail says so', async () => {
    crm()
      .post('/api/v2/tickets')
      .matchHeader('authorization', basic(agent.email ?? ''))
      .reply(401, {
        error: "Couldn't authenticate you",
      });
    crm()
      .post('/api/v2/tickets')
      .matchHeader('authorization', basic(admin.email ?? ''))
      .reply(201, {
        ticket: wireTicket(503, { assignee_id: Number(agent.id) }),
      });
    const event = chatStarted();
    const result = await connect().createTicket(createInput(event, agent, agent));
    expect(result).toMatchObject({ created: true, attempts: 2 });
    const [entry] = audit.events().filter((candidate) => candidate.interactionId === event.interactionId);
    expect(entry).toMatchObject({
      crm: 'zendesk',
      interactionId: event.interactionId,
      eventType: 'chat.started',
      operation: 'create-ticket',
      performer: { id: agent.id, name: agent.name },
      reason: 'connection-failover',
      attempts: 1,
      outcome: 'failed',
      error: { code: 'authentication_failed', message: entry?.detail },
    });
    expect(entry?.detail).toContain(`agent ${agent.id}`);
  });

  it.each([
    ['change-owner', 'agent.assigned'],
    ['add-note', 'interaction.ended'],
  ] as const)(
    'the agent’s token refused on %s: the failover is audited with its event type',
    async (operation, eventType) => {
      crm()
        .put('/api/v2/tickets/504')
        .matchHeader('authorization', basic(agent.email ?? ''))
        .reply(401, {});
      crm()
        .put('/api/v2/tickets/504')
        .matchHeader('authorization', basic(admin.email ?? ''))
        .reply(200, {
          ticket: wireTicket(504),
        });
      const connection = connect();
      const interactionId = `chat-failover-${operation}`;
      const input = { interactionId, ticket: ticketRef('504'), owner: agent, performer: agent };
      if (operation === 'change-owner') await connection.changeOwner(input);
      else await connection.addNote({ ...input, body: 'Note', idempotencyKey: 'k-1', mayExist: false });
      const entries = audit.events().filter((candidate) => candidate.interactionId === interactionId);
      expect(entries).toMatchObject([
        { operation, eventType, reason: 'connection-failover', outcome: 'failed' },
      ]);
    },
  );
});

describe('zendesk tickets: answers that are lost, replayed or refused', () => {
  it('an unreadable create answer: the ticket is looked up by external id and reported as existing', async () => {
    const event = chatStarted();
    crm().post('/api/v2/tickets').reply(201, { ok: true });
    crm()
      .get('/api/v2/tickets')
      .query({ external_id: event.interactionId })
      .reply(200, { tickets: [wireTicket(505, { assignee_id: Number(agent.id) })] });
    const result = await connect().createTicket(createInput(event));
    expect(result).toEqual({
      ticket: { ...ticketRef('505'), contactId: '360009876501' },
      created: false,
      attempts: 2,
      owner: { id: agent.id, active: true },
    });
    expect(sent.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  it('an unreadable create answer and no ticket found: the typed error names the create', async () => {
    const event = chatStarted();
    crm().post('/api/v2/tickets').reply(201, { ok: true });
    crm().get('/api/v2/tickets').query({ external_id: event.interactionId }).reply(200, { tickets: [] });
    const error = await caught(connect().createTicket(createInput(event)));
    expect(error).toMatchObject({ code: 'invalid_response', retryable: true });
    expect(error.message).toContain('the answer to "create the ticket" with HTTP 201');
  });

  it('a key used with another body after a retry: the found ticket, attempts counted from every request', async () => {
    const event = chatStarted();
    crm().post('/api/v2/tickets').reply(503, { error: 'ServiceUnavailable' });
    crm()
      .post('/api/v2/tickets')
      .reply(400, { error: 'IdempotentRequestError', description: 'Used before.' });
    crm()
      .get('/api/v2/tickets')
      .query({ external_id: event.interactionId })
      .reply(200, { tickets: [wireTicket(506, { assignee_id: null })] });
    const result = await connect().createTicket(createInput(event));
    // An unassigned ticket reports no owner.
    expect(result).toEqual({
      ticket: { ...ticketRef('506'), contactId: '360009876501' },
      created: false,
      attempts: 3,
    });
  });

  it('a key used with another body and no ticket carrying the interaction id: the conflict is the error', async () => {
    const event = chatStarted();
    crm()
      .post('/api/v2/tickets')
      .reply(400, { error: 'IdempotentRequestError', description: 'Used before.' });
    crm().get('/api/v2/tickets').query({ external_id: event.interactionId }).reply(200, { tickets: [] });
    const error = await caught(connect().createTicket(createInput(event)));
    expect(error).toMatchObject({ code: 'conflict', status: 400 });
    expect(error.message).toContain('Zendesk refused to create the ticket (HTTP 400');
  });

  it('a replayed creation whose ticket cannot be read: the typed error names the read', async () => {
    crm()
      .post('/api/v2/tickets')
      .reply(201, { ticket: wireTicket(507) }, { 'x-idempotency-lookup': 'hit' });
    crm().get('/api/v2/tickets/507').reply(200, '<html>Help Center</html>');
    const error = await caught(connect().createTicket(createInput()));
    expect(error).toMatchObject({ code: 'invalid_response' });
    expect(error.message).toContain('the answer to "read the existing ticket"');
  });

  it('reading the replayed ticket is retried after a server error (a GET is safe to repeat)', async () => {
    crm()
      .post('/api/v2/tickets')
      .reply(201, { ticket: wireTicket(508) }, { 'x-idempotency-lookup': 'hit' });
    crm().get('/api/v2/tickets/508').reply(503, { error: 'ServiceUnavailable' });
    crm()
      .get('/api/v2/tickets/508')
      .reply(200, { ticket: wireTicket(508, { assignee_id: Number(agent.id) }) });
    const result = await connect().createTicket(createInput());
    expect(result).toMatchObject({ created: false, attempts: 3, owner: { id: agent.id } });
    expect(sent.map((request) => request.method)).toEqual(['POST', 'GET', 'GET']);
  });
});

describe('zendesk findTicket', () => {
  it('several tickets carry the interaction id: the oldest (lowest number) is the one', async () => {
    crm()
      .get('/api/v2/tickets')
      .query({ external_id: 'chat-7' })
      .reply(200, { tickets: [wireTicket(10), wireTicket(9), wireTicket(100)] });
    expect(await connect().findTicket('chat-7')).toEqual({ ...ticketRef('9'), contactId: '360009876501' });
    expect(sent[0]?.headers.authorization).toBe(basic(admin.email ?? ''));
  });

  it('the lookup is retried after a server error', async () => {
    crm().get('/api/v2/tickets').query({ external_id: 'chat-8' }).reply(503, {});
    crm()
      .get('/api/v2/tickets')
      .query({ external_id: 'chat-8' })
      .reply(200, { tickets: [wireTicket(11)] });
    expect(await connect().findTicket('chat-8')).toMatchObject({ id: '11' });
  });

  it('an unreadable list: the typed error names the lookup', async () => {
    crm().get('/api/v2/tickets').query({ external_id: 'chat-9' }).reply(200, { results: [] });
    const error = await caught(connect().findTicket('chat-9'));
    expect(error.message).toContain('the answer to "find the ticket of an interaction"');
  });

  it('a refused lookup: the error names the lookup', async () => {
    crm().get('/api/v2/tickets').query({ external_id: 'chat-10' }).reply(403, { error: 'Forbidden' });
    const error = await caught(connect().findTicket('chat-10'));
    expect(error).toMatchObject({ code: 'permission_denied' });
    expect(error.message).toContain('Zendesk refused to find the ticket of an interaction (HTTP 403');
  });
});

describe('zendesk reassignment and notes: errors name what failed', () => {
  const input = { interactionId: 'chat-20', ticket: ticketRef('520'), owner: agent, performer: admin };

  it('a reassignment refused because the user is not an agent is an owner refusal', async () => {
    crm()
      .put('/api/v2/tickets/520', { ticket: { assignee_id: Number(agent.id) } })
      .reply(422, {
        error: 'RecordInvalid',
        description: 'Record validation errors',
        details: { assignee: [{ description: 'Assignee is not an agent', error: 'InvalidValue' }] },
      });
    const error = await caught(connect().changeOwner(input));
    expect(error).toMatchObject({ code: 'owner_rejected' });
    expect(error.message).toContain('Assignee is not an agent');
  });

  it('a reassignment of a deleted ticket names the reassignment', async () => {
    crm().put('/api/v2/tickets/520').reply(404, { error: 'RecordNotFound', description: 'Not found' });
    const error = await caught(connect().changeOwner(input));
    expect(error).toMatchObject({ code: 'not_found' });
    expect(error.message).toContain('Zendesk refused to reassign the ticket (HTTP 404');
  });

  it('an unreadable reassignment answer is a retryable typed error naming it', async () => {
    crm().put('/api/v2/tickets/520').reply(200, { status: 'ok' });
    const error = await caught(connect().changeOwner(input));
    expect(error).toMatchObject({ code: 'invalid_response', retryable: true });
    expect(error.message).toContain('the answer to "reassign the ticket"');
  });

  it('a note on a deleted ticket names the note', async () => {
    crm().put('/api/v2/tickets/520').reply(404, { error: 'RecordNotFound', description: 'Not found' });
    const error = await caught(
      connect().addNote({ ...input, body: 'Note', idempotencyKey: 'k-20', mayExist: false }),
    );
    expect(error.message).toContain('Zendesk refused to add an internal note (HTTP 404');
  });

  it('an unreadable note answer is a retryable typed error naming the note', async () => {
    crm().put('/api/v2/tickets/520').reply(200, {});
    const error = await caught(
      connect().addNote({ ...input, body: 'Note', idempotencyKey: 'k-21', mayExist: false }),
    );
    expect(error).toMatchObject({ code: 'invalid_response', retryable: true });
    expect(error.message).toContain('the answer to "add an internal note"');
  });
});

describe('zendesk notes written by this connection', () => {
  const note = (key: string, mayExist: boolean) => ({
    interactionId: 'chat-30',
    ticket: ticketRef('530'),
    body: 'Disposition: resolved',
    performer: admin,
    idempotencyKey: key,
    mayExist,
  });

  it('a note this connection wrote is not written again, not even looked up when it may exist', async () => {
    crm()
      .put('/api/v2/tickets/530', {
        ticket: {
          comment: { body: 'Disposition: resolved', public: false },
          metadata: { crm_connect_note: 'k-30' },
        },
      })
      .reply(200, { ticket: wireTicket(530) });
    const connection = connect();
    expect(await connection.addNote(note('k-30', false))).toEqual({ attempts: 1, written: true });
    expect(await connection.addNote(note('k-30', false))).toEqual({ attempts: 0, written: false });
    expect(await connection.addNote(note('k-30', true))).toEqual({ attempts: 0, written: false });
    expect(sent).toHaveLength(1);
  });

  it('another connection does not know it: a note that may exist is looked up in the audits first', async () => {
    crm()
      .get('/api/v2/tickets/530/audits')
      .query(true)
      .reply(200, {
        audits: [{ metadata: { custom: { crm_connect_note: 'k-31' } }, events: [] }],
        meta: { has_more: false },
      });
    expect(await connect().addNote(note('k-31', true))).toEqual({ attempts: 1, written: false });
    expect(sent.map((request) => request.method)).toEqual(['GET']);
  });
});
