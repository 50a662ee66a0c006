import {
  type CreateTicketInput,
  type CrmUser,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  createRedactingLogger,
  createRedactor,
} from '@crm-connect/core';
import { chatStarted } from '@crm-connect/testkit';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kustomer } from '../src/index.js';

/**
 * What kustomer-records.ts writes and how it reads Kustomer's answers, on the wire: the connection
 * is called directly over nock and the real HTTP layer, with its own answers (not the conformance
 * fixture).
 */

const origin = 'https://acme.api.kustomerapp.com';
const apiKey =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJvcmciOiJyZWNvcmRzLXdpcmUtdGVzdCJ9.K3dRecordsWireTestKey0123456789abcdefAB';
const orgId = '5e8a7b6c5d4e3f2a1b0c9d8e';
const keyUser = { id: '5f3c1a9e8b7d6c5e4f3a2b1c', name: 'crm-connect', active: true, role: 'machine' };
const agent: CrmUser = {
  id: '5f3c1a9e8b7d6c5e4f3a2b2d',
  email: 'alex.agent@acme.test',
  name: 'Alex Agent',
  active: true,
};
const customerId = '5f1e2d3c4b5a69788796a5b4';
const conversationId = '6c3d4e5f60718293a4b5c6d7';

interface Sent {
  method: string;
  path: string;
  body: unknown;
}
let sent: Sent[] = [];
/** Requests no interceptor was prepared for: a request the plugin should not have made. */
let unexpected: string[] = [];
const noMatch = (request: { method?: string; path?: string }) => {
  unexpected.push(`${request.method} ${request.path}`);
};

beforeAll(() => {
  nock.disableNetConnect();
  nock.emitter.on('no match', noMatch);
});
afterAll(() => {
  nock.emitter.removeListener('no match', noMatch);
  nock.enableNetConnect();
});
afterEach(() => {
  const pending = nock.pendingMocks();
  const unasked = unexpected;
  nock.cleanAll();
  sent = [];
  unexpected = [];
  expect(pending, 'interceptors never called').toEqual([]);
  expect(unasked, 'requests nothing was prepared for').toEqual([]);
});

function crm(): nock.Scope {
  const scope = nock(origin);
  scope.on('request', (request: { method: string; path: string }, _interceptor: unknown, body: string) => {
    if (request.path === '/v1/users/current') return;
    sent.push({
      method: request.method,
      path: request.path,
      body: body === '' ? undefined : JSON.parse(body),
    });
  });
  return scope;
}

/** A connection; its key's user is read once, first. */
function connect() {
  crm()
    .get('/v1/users/current')
    .reply(200, {
      data: {
        type: 'user',
        id: keyUser.id,
        attributes: {
          name: keyUser.name,
          displayName: keyUser.name,
          userType: 'machine',
          email: null,
          roles: [],
        },
        relationships: { org: { data: { type: 'org', id: orgId } } },
      },
    });
  const redactor = createRedactor();
  const plugin = kustomer();
  return plugin.connect(plugin.settings.schema.parse({ apiBaseUrl: origin, apiKey }), {
    redactor,
    logger: createRedactingLogger({ log: () => undefined }, redactor),
    audit: createMemoryAuditSink().sink,
    rateBudgets: createRateBudgetRegistry(),
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
  });
}

function conversation(id: string, assignedUsers: string[] | null = [], customer: string | null = customerId) {
  return {
    data: {
      type: 'conversation',
      id,
      attributes: { name: 'Chat with Jane Doe', status: 'open', assignedUsers },
      relationships: { customer: { data: customer === null ? null : { type: 'customer', id: customer } } },
    },
  };
}
const note = (id: string) => ({ data: { type: 'note', id, attributes: { body: 'Hello', externalId: 'k' } } });
const notFound = { errors: [{ status: 404, code: 'not_found', title: 'Not Found' }] };
const lookup = (interactionId: string) => `/v1/conversations/externalId=${encodeURIComponent(interactionId)}`;

function input(overrides: Partial<CreateTicketInput> = {}): CreateTicketInput {
  return {
    event: chatStarted({ endUser: { name: 'Jane Doe', email: 'jane.doe@example.com' } }),
    owner: agent,
    performer: keyUser,
    ownerReason: 'identified-agent',
    idempotencyKey: 'key-1',
    subject: 'Chat with Jane Doe',
    description: 'Hello',
    ...overrides,
  };
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error & Record<string, unknown>,
  );

/** The customer found by email, the conversation created, its description note written. */
function newConversation(interactionId: string, answer = conversation(conversationId)) {
  crm().get(lookup(interactionId)).reply(404, notFound);
  crm()
    .get('/v1/customers/email=jane.doe%40example.com')
    .reply(200, { data: { type: 'customer', id: customerId } });
  crm().post('/v1/conversations').reply(201, answer);
  crm().post(`/v1/conversations/${conversationId}/notes`).reply(201, note('n1'));
}

describe('kustomer conversation create: what is written', () => {
  it.each([
    ['chat', 'chat'],
    ['messaging', 'chat'],
    ['sms', 'sms'],
    ['email', 'email'],
    ['voice', 'voice'],
    ['social', undefined],
  ] as const)(
    'a %s interaction: replyChannel %s, the owner the only assigned user',
    async (channel, replyChannel) => {
      const connection = connect();
      const event = { ...input().event, channel };
      newConversation(event.interactionId);
      const result = await connection.createTicket(input({ event }));
      const create = sent.find(
        (request) => request.method === 'POST' && request.path === '/v1/conversations',
      );
      expect(create?.body).toEqual({
        customer: customerId,
        externalId: event.interactionId,
        name: 'Chat with Jane Doe',
        status: 'open',
        direction: 'in',
        assignedUsers: [agent.id],
        ...(replyChannel === undefined ? {} : { replyChannel }),
      });
      expect(result).toEqual({
        ticket: { id: conversationId, contactId: customerId },
        created: true,
        attempts: 2,
      });
    },
  );

  it('the description becomes the first internal note, keyed, without a lookup', async () => {
    const connection = connect();
    const event = input().event;
    newConversation(event.interactionId);
    await connection.createTicket(input({ event }));
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET ${lookup(event.interactionId)}`,
      'GET /v1/customers/email=jane.doe%40example.com',
      'POST /v1/conversations',
      `POST /v1/conversations/${conversationId}/notes`,
    ]);
    expect(sent[3]?.body).toEqual({ body: 'Hello', externalId: 'key-1:description' });
  });

  it('a new customer, the conversation and its note: three writes, their attempts added up', async () => {
    const connection = connect();
    const event = input().event;
    crm().get(lookup(event.interactionId)).reply(404, notFound);
    crm().get('/v1/customers/email=jane.doe%40example.com').reply(404, notFound);
    crm()
      .post('/v1/customers')
      .reply(201, { data: { type: 'customer', id: customerId } });
    crm()
      .post('/v1/conversations')
      .reply(503, { errors: [{ status: 503 }] });
    // An uncertain create is looked up before it is sent again.
    crm().get(lookup(event.interactionId)).reply(404, notFound);
    crm().post('/v1/conversations').reply(201, conversation(conversationId));
    crm().post(`/v1/conversations/${conversationId}/notes`).reply(201, note('n1'));
    const result = await connection.createTicket(input({ event }));
    expect(result).toEqual({
      ticket: { id: conversationId, contactId: customerId },
      created: true,
      attempts: 4,
    });
  });

  it('a conversation answered without its customer takes the customer it was created for', async () => {
    const connection = connect();
    const event = input().event;
    newConversation(event.interactionId, conversation(conversationId, [agent.id], null));
    const result = await connection.createTicket(input({ event }));
    expect(result.ticket).toEqual({ id: conversationId, contactId: customerId });
  });

  it('an unreadable create answer: the conversation is looked up, found, and its note looked up before writing', async () => {
    const connection = connect();
    const event = input().event;
    crm().get(lookup(event.interactionId)).reply(404, notFound);
    crm()
      .get('/v1/customers/email=jane.doe%40example.com')
      .reply(200, { data: { type: 'customer', id: customerId } });
    crm()
      .post('/v1/conversations')
      .reply(201, { data: { type: 'conversation' } });
    crm()
      .get(lookup(event.interactionId))
      .reply(200, conversation(conversationId, [agent.id]));
    crm().get(`/v1/conversations/${conversationId}/notes`).query(true).reply(200, { data: [] });
    crm().post(`/v1/conversations/${conversationId}/notes`).reply(201, note('n1'));
    const result = await connection.createTicket(input({ event }));
    expect(result.ticket).toEqual({ id: conversationId, contactId: customerId });
    expect(sent.filter((request) => request.path === '/v1/conversations')).toHaveLength(1);
  });

  it('an assignee Kustomer refuses is an owner refusal naming them', async () => {
    const connection = connect();
    const event = input().event;
    crm().get(lookup(event.interactionId)).reply(404, notFound);
    crm()
      .get('/v1/customers/email=jane.doe%40example.com')
      .reply(200, { data: { type: 'customer', id: customerId } });
    crm()
      .post('/v1/conversations')
      .reply(400, {
        errors: [
          {
            status: 400,
            code: 'invalid',
            title: 'assignedUsers: user is not active',
            source: { pointer: '/assignedUsers' },
          },
        ],
      });
    const error = await caught(connection.createTicket(input({ event })));
    expect(error).toMatchObject({ code: 'owner_rejected', ownerId: agent.id });
    expect(error.message).toContain(
      `Kustomer refused Alex Agent (user ${agent.id}) as the conversation's assignee`,
    );
  });
});

describe('kustomer conversation create: the conversation exists already', () => {
  function existing(interactionId: string, assignedUsers: string[] | null) {
    crm().get(lookup(interactionId)).reply(200, conversation(conversationId, assignedUsers));
    // The description note may be there: looked up first, found, not written again.
    crm()
      .get(`/v1/conversations/${conversationId}/notes`)
      .query(true)
      .reply(200, {
        data: [{ type: 'note', id: 'n1', attributes: { body: 'Hello', externalId: 'key-1:description' } }],
      });
  }

  it('assigned to the key’s own user: that user is the owner, nothing read or written', async () => {
    const connection = connect();
    const event = input().event;
    existing(event.interactionId, [keyUser.id]);
    const result = await connection.createTicket(input({ event }));
    expect(result).toEqual({
      ticket: { id: conversationId, contactId: customerId },
      created: false,
      owner: { id: keyUser.id, name: keyUser.name, email: undefined, active: true, role: 'machine' },
      attempts: 0,
    });
    expect(sent.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('assigned to another user: that user is read and reported', async () => {
    const connection = connect();
    const event = input().event;
    existing(event.interactionId, [agent.id, keyUser.id]);
    crm()
      .get(`/v1/users/${agent.id}`)
      .reply(200, {
        data: {
          type: 'user',
          id: agent.id,
          attributes: {
            name: 'Alex Agent',
            displayName: 'Alex Agent',
            email: 'Alex.Agent@acme.test',
            userType: 'user',
            deleted: false,
          },
        },
      });
    const result = await connection.createTicket(input({ event }));
    expect(result.owner).toEqual({
      id: agent.id,
      email: agent.email,
      name: 'Alex Agent',
      active: true,
      role: 'user',
    });
  });

  it.each([
    ['deleted since (404)', 404, notFound],
    [
      'unreadable with this key (403)',
      403,
      { errors: [{ status: 403, code: 'forbidden', title: 'Forbidden' }] },
    ],
    ['answered in an unknown shape', 200, { user: {} }],
  ])('an assignee %s: no owner reported, the conversation still is', async (_name, status, body) => {
    const connection = connect();
    const event = input().event;
    existing(event.interactionId, [agent.id]);
    crm().get(`/v1/users/${agent.id}`).reply(status, body);
    const result = await connection.createTicket(input({ event }));
    expect(result).toMatchObject({ created: false, ticket: { id: conversationId } });
    expect(result.owner).toBeUndefined();
  });

  it('unassigned: no owner, and no user is read', async () => {
    const connection = connect();
    const event = input().event;
    existing(event.interactionId, null);
    const result = await connection.createTicket(input({ event }));
    expect(result.owner).toBeUndefined();
    expect(sent.filter((request) => request.path.startsWith('/v1/users/'))).toEqual([]);
  });

  it('answered without attributes or relationships: no owner, and the ticket has no contact', async () => {
    const connection = connect();
    crm()
      .get(lookup('chat-bare'))
      .reply(200, { data: { type: 'conversation', id: conversationId } });
    expect(await connection.findTicket('chat-bare')).toEqual({ id: conversationId, contactId: undefined });
  });

  it('answered with relationships but no customer: the ticket has no contact', async () => {
    const connection = connect();
    crm()
      .get(lookup('chat-no-customer'))
      .reply(200, { data: { type: 'conversation', id: conversationId, relationships: {} } });
    expect(await connection.findTicket('chat-no-customer')).toEqual({
      id: conversationId,
      contactId: undefined,
    });
  });

  it('an existing conversation answered without attributes: reported without an owner', async () => {
    const connection = connect();
    const event = input().event;
    crm()
      .get(lookup(event.interactionId))
      .reply(200, { data: { type: 'conversation', id: conversationId } });
    crm()
      .get(`/v1/conversations/${conversationId}/notes`)
      .query(true)
      .reply(200, {
        data: [{ type: 'note', id: 'n1', attributes: { body: 'Hello', externalId: 'key-1:description' } }],
      });
    const result = await connection.createTicket(input({ event }));
    expect(result).toEqual({
      ticket: { id: conversationId, contactId: undefined },
      created: false,
      owner: undefined,
      attempts: 0,
    });
  });

  it('reading the assignee is retried after a server error (a GET is safe to repeat)', async () => {
    const connection = connect();
    const event = input().event;
    existing(event.interactionId, [agent.id]);
    crm()
      .get(`/v1/users/${agent.id}`)
      .reply(503, { errors: [{ status: 503 }] });
    crm()
      .get(`/v1/users/${agent.id}`)
      .reply(200, {
        data: { type: 'user', id: agent.id, attributes: { name: 'Alex Agent', email: agent.email } },
      });
    const result = await connection.createTicket(input({ event }));
    expect(result.owner).toMatchObject({ id: agent.id, email: agent.email });
  });

  it('the description note missing (an earlier attempt stopped before it): written now', async () => {
    const connection = connect();
    const event = input().event;
    crm().get(lookup(event.interactionId)).reply(200, conversation(conversationId, []));
    crm().get(`/v1/conversations/${conversationId}/notes`).query(true).reply(200, { data: [] });
    crm()
      .post(`/v1/conversations/${conversationId}/notes`, { body: 'Hello', externalId: 'key-1:description' })
      .reply(201, note('n2'));
    const result = await connection.createTicket(input({ event }));
    expect(result).toMatchObject({ created: false, attempts: 1 });
  });

  it('an unreadable lookup answer is a typed error naming the lookup', async () => {
    const connection = connect();
    const event = input().event;
    crm()
      .get(lookup(event.interactionId))
      .reply(200, { data: { type: 'conversation' } });
    const error = await caught(connection.createTicket(input({ event })));
    expect(error).toMatchObject({ code: 'invalid_response' });
    expect(error.message).toContain('"find conversation by external id"');
  });
});

describe('kustomer findTicket, changeOwner and addNote', () => {
  it('findTicket: the conversation with its customer, the interaction id escaped in the path', async () => {
    const connection = connect();
    crm().get('/v1/conversations/externalId=chat%3A2026%2F1').reply(200, conversation(conversationId));
    expect(await connection.findTicket('chat:2026/1')).toEqual({ id: conversationId, contactId: customerId });
  });

  it('findTicket: undefined when Kustomer knows no such external id', async () => {
    const connection = connect();
    crm().get(lookup('chat-unknown')).reply(404, notFound);
    expect(await connection.findTicket('chat-unknown')).toBeUndefined();
  });

  const assign = {
    interactionId: 'chat-1',
    ticket: { id: conversationId },
    owner: agent,
    performer: keyUser,
  };

  it('changeOwner: the owner becomes the only assigned user, retried after a server error', async () => {
    const connection = connect();
    crm()
      .patch(`/v1/conversations/${conversationId}`)
      .reply(503, { errors: [{ status: 503 }] });
    crm()
      .patch(`/v1/conversations/${conversationId}`, { assignedUsers: [agent.id] })
      .reply(200, conversation(conversationId, [agent.id]));
    expect(await connection.changeOwner(assign)).toEqual({ attempts: 2 });
  });

  it('changeOwner refused for the user: an owner refusal naming them', async () => {
    const connection = connect();
    crm()
      .patch(`/v1/conversations/${conversationId}`)
      .reply(400, { errors: [{ status: 400, code: 'invalid', title: 'assignedUsers: user is deleted' }] });
    const error = await caught(connection.changeOwner(assign));
    expect(error).toMatchObject({ code: 'owner_rejected', ownerId: agent.id });
    expect(error.message).toContain(`Kustomer refused Alex Agent (user ${agent.id})`);
  });

  it('changeOwner on a deleted conversation: a not-found error naming the assignment', async () => {
    const connection = connect();
    crm().patch(`/v1/conversations/${conversationId}`).reply(404, notFound);
    const error = await caught(connection.changeOwner(assign));
    expect(error).toMatchObject({ code: 'not_found' });
    expect(error.message).toContain('assign conversation');
  });

  const end = {
    interactionId: 'chat-1',
    ticket: { id: conversationId },
    body: 'Disposition: resolved',
    performer: keyUser,
    idempotencyKey: 'note-1',
  };

  it('addNote on the happy path writes without a lookup', async () => {
    const connection = connect();
    crm()
      .post(`/v1/conversations/${conversationId}/notes`, {
        body: 'Disposition: resolved',
        externalId: 'note-1',
      })
      .reply(201, note('n3'));
    expect(await connection.addNote({ ...end, mayExist: false })).toMatchObject({
      attempts: 1,
      written: true,
    });
    expect(sent.map((request) => request.method)).toEqual(['POST']);
  });

  it('addNote that may exist looks it up first and writes nothing when found', async () => {
    const connection = connect();
    crm()
      .get(`/v1/conversations/${conversationId}/notes`)
      .query(true)
      .reply(200, {
        data: [{ type: 'note', id: 'n4', attributes: { body: 'other', externalId: 'note-1' } }],
      });
    expect(await connection.addNote({ ...end, mayExist: true })).toMatchObject({
      attempts: 0,
      written: false,
    });
    expect(sent.map((request) => request.method)).toEqual(['GET']);
  });
});
