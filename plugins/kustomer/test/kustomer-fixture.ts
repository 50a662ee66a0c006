import type { Channel } from '@crm-connect/core';
import type {
  CapturedRequest,
  ConformanceFixture,
  LoseAnswer,
  SeededUsers,
  WriteDeclarations,
} from '@crm-connect/testkit';
import type nock from 'nock';
import { kustomer } from '../src/index.js';

/**
 * Kustomer's wire format, trimmed from the shapes of its API reference (JSON:API envelopes,
 * 24-hex ids). Shared by the conformance suite and the plugin's own tests.
 */

export const plugin = kustomer();
export const origin = 'https://acme.api.kustomerapp.com';
export const orgId = '5e8a7b6c5d4e3f2a1b0c9d8e';
// Kustomer API keys are long bearer tokens (JWT-shaped); these are made up.
export const apiKey =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJvcmciOiI1ZThhN2I2YzVkNGUzZjJhMWIwYzlkOGUiLCJ1c2VyIjoiNWYzYzFhOWU4YjdkNmM1ZTRmM2EyYjFjIn0.q8K3Zk1mXv0R7oT2yN5bW4cJ9hL6gP1sD3fA8eU0iQ';
export const revokedApiKey =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJvcmciOiI1ZThhN2I2YzVkNGUzZjJhMWIwYzlkOGUiLCJ1c2VyIjoiNWYzYzFhOWU4YjdkNmM1ZTRmM2EwMDAwIn0.Zr0vK3dR3v0K3dR3v0K3dR3v0K3dR3v0K3dR3v0K3d';
export const bearer = `Bearer ${apiKey}`;
export const customerId = '5f1e2d3c4b5a69788796a5b4';

/** Every role crm-connect needs, as Kustomer lists them on a key. */
export const allRoles = [
  'org.permission.customer.read',
  'org.permission.customer.create',
  'org.permission.conversation.read',
  'org.permission.conversation.create',
  'org.permission.conversation.update',
  'org.permission.note.create',
  'org.permission.user.read',
];

export const users: SeededUsers = {
  // The API key's machine user: the default user.
  admin: { id: '5f3c1a9e8b7d6c5e4f3a2b1c', name: 'crm-connect', active: true, role: 'machine' },
  agent: {
    id: '5f3c1a9e8b7d6c5e4f3a2b2d',
    email: 'alex.agent@acme.test',
    name: 'Alex Agent',
    active: true,
    role: 'user',
  },
  otherAgent: {
    id: '5f3c1a9e8b7d6c5e4f3a2b3e',
    email: 'olga.other@acme.test',
    name: 'Olga Other',
    active: true,
    role: 'user',
  },
  deactivatedAgent: {
    id: '5f3c1a9e8b7d6c5e4f3a2b4f',
    email: 'gus.gone@acme.test',
    name: 'Gus Gone',
    active: false,
    role: 'user',
  },
};

type User = SeededUsers['admin'];

/** A user resource as `GET /v1/users` and `GET /v1/users/current` return it. */
export function userResource(user: User, roles: readonly string[] = []) {
  return {
    type: 'user',
    id: user.id,
    attributes: {
      name: user.name,
      displayName: user.name,
      userType: user.role,
      email: user.email ?? null,
      mobile: null,
      roles,
      deleted: !user.active,
      deletedAt: user.active ? null : '2026-09-30T16:02:11.000Z',
      createdAt: '2024-03-04T09:12:45.123Z',
      updatedAt: '2026-10-01T08:00:00.000Z',
    },
    relationships: {
      org: { links: { self: `/v1/orgs/${orgId}` }, data: { type: 'org', id: orgId } },
    },
    links: { self: `/v1/users/${user.id}` },
  };
}

export function currentUserBody(user: User = users.admin, org = orgId) {
  const resource = userResource(user, allRoles);
  return {
    data: {
      ...resource,
      relationships: { org: { links: { self: `/v1/orgs/${org}` }, data: { type: 'org', id: org } } },
    },
  };
}

export function currentTokenBody(roles: readonly string[] = allRoles, name = 'crm-connect') {
  return {
    data: {
      type: 'token',
      id: '6a1b2c3d4e5f60718293a4b5',
      attributes: {
        name,
        roles,
        lastTokenChars: 'iQ',
        ipAddress: '203.0.113.10',
        userAgent: 'crm-connect',
        createdAt: '2026-01-12T10:00:00.000Z',
        updatedAt: '2026-01-12T10:00:00.000Z',
        lastAccessedAt: '2026-11-21T09:59:00.000Z',
      },
      relationships: {
        org: { links: { self: `/v1/orgs/${orgId}` }, data: { type: 'org', id: orgId } },
        user: { links: { self: `/v1/users/${users.admin.id}` }, data: { type: 'user', id: users.admin.id } },
      },
      links: { self: '/v1/auth/tokens/6a1b2c3d4e5f60718293a4b5' },
    },
  };
}

/**
 * A page of `GET /v1/users`: its links repeat the listing's filter (`email`, `deleted`) with the
 * page numbers, as Kustomer's links repeat the request's query.
 */
export function usersPage(
  list: readonly User[],
  page = 1,
  next = false,
  filter: Readonly<Record<string, string>> = {},
) {
  const link = (target: number) =>
    `/v1/users?${new URLSearchParams({ ...filter, page: String(target), pageSize: '100' }).toString()}`;
  return {
    meta: { page, pageSize: 100 },
    data: list.map((user) => userResource(user)),
    links: {
      self: link(page),
      first: link(1),
      prev: page > 1 ? link(page - 1) : null,
      next: next ? link(page + 1) : null,
    },
  };
}

export function customerBody(id = customerId) {
  return {
    data: {
      type: 'customer',
      id,
      attributes: {
        name: 'Jane Doe',
        displayName: 'Jane Doe',
        emails: [{ type: 'home', email: 'jane.doe@example.com', verified: false }],
        phones: [{ type: 'mobile', phone: '+15555550100', verified: false }],
        externalId: null,
        createdAt: '2025-06-02T14:20:00.000Z',
        updatedAt: '2026-11-20T08:00:00.000Z',
      },
      relationships: { org: { data: { type: 'org', id: orgId } } },
      links: { self: `/v1/customers/${id}` },
    },
  };
}

export function conversationBody(
  id: string,
  body: { assignedUsers?: unknown; externalId?: unknown; name?: unknown } = {},
) {
  return {
    data: {
      type: 'conversation',
      id,
      attributes: {
        name: body.name ?? 'Chat with Jane Doe',
        externalId: body.externalId ?? null,
        channels: [],
        status: 'open',
        priority: 3,
        direction: 'in',
        messageCount: 0,
        noteCount: 0,
        assignedUsers: body.assignedUsers ?? [],
        assignedTeams: [],
        createdAt: '2026-11-21T10:00:01.000Z',
        updatedAt: '2026-11-21T10:00:01.000Z',
      },
      relationships: {
        org: { data: { type: 'org', id: orgId } },
        customer: {
          links: { self: `/v1/customers/${customerId}` },
          data: { type: 'customer', id: customerId },
        },
        createdBy: { data: { type: 'user', id: users.admin.id } },
      },
      links: { self: `/v1/conversations/${id}` },
    },
  };
}

export function noteBody(
  id: string,
  conversationId: string,
  body: { body?: unknown; externalId?: unknown } = {},
) {
  return {
    data: {
      type: 'note',
      id,
      attributes: {
        body: body.body ?? '',
        externalId: body.externalId ?? null,
        createdAt: '2026-11-21T10:00:02.000Z',
        updatedAt: '2026-11-21T10:00:02.000Z',
      },
      relationships: {
        conversation: { data: { type: 'conversation', id: conversationId } },
        customer: { data: { type: 'customer', id: customerId } },
        createdBy: { data: { type: 'user', id: users.admin.id } },
      },
      links: { self: `/v1/notes/${id}` },
    },
  };
}

export const notFound = { errors: [{ status: 404, code: 'not_found', title: 'Not Found' }] };
export const conversationLookup = /^\/v1\/conversations\/externalId=/;
export const janeByEmail = '/v1/customers/email=jane.doe%40example.com';

type Body = Record<string, unknown>;

/** The conversation create answering `ticketId`, echoing what was sent. */
function createConversation(scope: nock.Scope, ticketId: string): void {
  scope
    .post('/v1/conversations')
    .matchHeader('authorization', bearer)
    .reply(201, (_uri, body) => conversationBody(ticketId, body as Body));
}

function addNote(scope: nock.Scope, ticketId: string, noteId = '6b2c3d4e5f60718293a4b5c6'): void {
  scope
    .post(`/v1/conversations/${ticketId}/notes`)
    .matchHeader('authorization', bearer)
    .reply(201, (_uri, body) => noteBody(noteId, ticketId, body as Body));
}

/** The notes listing of a conversation, as `GET /v1/conversations/{id}/notes` pages it. */
function notesPage(conversationId: string, notes: readonly Body[]) {
  return {
    meta: { page: 1, pageSize: 100 },
    data: notes.map((note, index) => noteBody(`6b2c3d4e5f60718293a4b5d${index}`, conversationId, note).data),
    links: {
      self: `/v1/conversations/${conversationId}/notes?page=1&pageSize=100`,
      first: `/v1/conversations/${conversationId}/notes?page=1&pageSize=100`,
      prev: null,
      next: null,
    },
  };
}

/**
 * A conversation create Kustomer made whose answer was lost. Kustomer has no idempotency key: a
 * repeated POST makes a second conversation, so the plugin looks the conversation up by its
 * external id (core's createOnce) and finds it. Its description note was never written: the
 * conversation's notes are listed (it was found, not made by an answered create), then written.
 */
function createTicketAnswerLost(ticketId: string, lose: LoseAnswer) {
  return (crm: () => nock.Scope) => {
    let conversation: Body | undefined;
    const notes: Body[] = [];
    crm().get(conversationLookup).reply(404, notFound); // not there yet
    crm().get(janeByEmail).reply(200, customerBody()); // the contact
    lose(
      crm()
        .post('/v1/conversations', (body: Body) => {
          conversation = body;
          return true;
        })
        .matchHeader('authorization', bearer),
    );
    // What may follow, answered as Kustomer would now that the conversation exists.
    crm()
      .get(conversationLookup)
      .optionally()
      .times(3)
      .reply(200, () => conversationBody(ticketId, conversation));
    crm()
      .post('/v1/conversations')
      .optionally()
      .reply(201, (_uri, body) => conversationBody('6a1f0c2b3d4e5f6071829305', body as Body));
    crm()
      .get(`/v1/conversations/${ticketId}/notes`)
      .query(true)
      .optionally()
      .times(3)
      .reply(200, () => notesPage(ticketId, notes));
    crm()
      .post(`/v1/conversations/${ticketId}/notes`)
      .matchHeader('authorization', bearer)
      .optionally()
      .times(2)
      .reply(201, (_uri, body) => {
        notes.push(body as Body);
        return noteBody('6b2c3d4e5f60718293a4b5c6', ticketId, body as Body);
      });
  };
}

/**
 * A note Kustomer made whose answer was lost: no idempotency key, so a repeat adds a second note;
 * the conversation's notes list it, with the external id it was sent with.
 */
function addNoteAnswerLost(ticketId: string, lose: LoseAnswer) {
  return (crm: () => nock.Scope) => {
    let note: Body | undefined;
    lose(
      crm()
        .post(`/v1/conversations/${ticketId}/notes`, (body: Body) => {
          note = body;
          return true;
        })
        .matchHeader('authorization', bearer),
    );
    crm()
      .get(`/v1/conversations/${ticketId}/notes`)
      .query(true)
      .optionally()
      .times(3)
      .reply(200, () => notesPage(ticketId, note === undefined ? [] : [note]));
    crm()
      .post(`/v1/conversations/${ticketId}/notes`)
      .optionally()
      .reply(201, (_uri, body) => noteBody('6b2c3d4e5f60718293a4b5c7', ticketId, body as Body));
  };
}

const fieldOf = (request: CapturedRequest, field: string) => (request.body as Body | undefined)?.[field];
/** Kustomer's reply channel of each channel the suite's events use. */
const replyChannelOf: Partial<Record<Channel, string>> = { chat: 'chat', voice: 'voice' };
/** Kustomer notes are internal by kind: agents see them, the customer never does. */
const internalNote = () => 'internal' as const;

/**
 * What Kustomer must receive. A conversation is created for the customer found by email, open and
 * inbound, assigned to the owner alone, the interaction id as its external id (what a redelivery
 * looks it up by: Kustomer has no idempotency key), the subject as its name; the description
 * follows as its first note, whose external id is derived from the create's key. An assignment
 * PATCHes `assignedUsers` alone; a note carries its text and the external id of its key.
 */
export const writes: WriteDeclarations = {
  createTicket: ({ event, ticketId }) => [
    {
      label: 'the conversation create',
      method: 'POST',
      path: '/v1/conversations',
      headers: { authorization: bearer },
      bodyFields: ['customer', 'externalId', 'name', 'status', 'direction', 'assignedUsers', 'replyChannel'],
      body: {
        customer: customerId,
        status: 'open',
        direction: 'in',
        replyChannel: replyChannelOf[event.channel],
      },
      subject: (request) => fieldOf(request, 'name'),
      owner: (request) => {
        const assigned = fieldOf(request, 'assignedUsers');
        return Array.isArray(assigned) && assigned.length === 1 ? assigned[0] : undefined;
      },
      interactionId: (request) => fieldOf(request, 'externalId'),
      idempotencyKey: (request) => fieldOf(request, 'externalId'),
    },
    {
      label: 'the description note',
      method: 'POST',
      path: `/v1/conversations/${ticketId}/notes`,
      bodyFields: ['body', 'externalId'],
      body: { externalId: /^crm-connect:.+:create-ticket:description(:part-\d+-of-\d+)?$/ },
      content: (request) => fieldOf(request, 'body'),
      visibility: internalNote,
      idempotencyKey: (request) => fieldOf(request, 'externalId'),
    },
  ],
  changeOwner: ({ ticketId }) => [
    {
      label: 'the assignment',
      method: 'PATCH',
      path: `/v1/conversations/${ticketId}`,
      bodyFields: ['assignedUsers'],
      owner: (request) => {
        const assigned = fieldOf(request, 'assignedUsers');
        return Array.isArray(assigned) && assigned.length === 1 ? assigned[0] : undefined;
      },
    },
  ],
  addNote: ({ ticketId }) => [
    {
      label: 'the note',
      method: 'POST',
      path: `/v1/conversations/${ticketId}/notes`,
      bodyFields: ['body', 'externalId'],
      body: { externalId: /^crm-connect:.+:add-note:[0-9a-f]{16}(:part-\d+-of-\d+)?$/ },
      content: (request) => fieldOf(request, 'body'),
      visibility: internalNote,
      idempotencyKey: (request) => fieldOf(request, 'externalId'),
    },
  ],
};

/** Kustomer refusing an assignee it cannot assign (deleted, deactivated). */
const assigneeRefused = {
  errors: [
    {
      status: 400,
      code: 'invalid',
      title: 'Bad Request',
      detail: 'assignedUsers: user is deleted',
      source: { pointer: '/data/attributes/assignedUsers' },
    },
  ],
};

/**
 * A create whose conversation Kustomer made and whose description note it refuses (503) on every
 * attempt of the first delivery. The redelivery finds the conversation by its external id (no
 * second conversation), lists its notes (none), and writes the note.
 */
function createTicketStepFails(ticketId: string) {
  return (crm: () => nock.Scope) => {
    let conversation: Body | undefined;
    let redelivered = false;
    const notes: Body[] = [];
    crm().get(conversationLookup).reply(404, notFound);
    crm().get(janeByEmail).reply(200, customerBody());
    crm()
      .post('/v1/conversations', (body: Body) => {
        conversation = body;
        return true;
      })
      .matchHeader('authorization', bearer)
      .reply(201, (_uri, body) => conversationBody(ticketId, body as Body));
    crm()
      .get(conversationLookup)
      .optionally()
      .times(3)
      .reply(200, () => {
        redelivered = true;
        return conversationBody(ticketId, conversation);
      });
    crm()
      .get(`/v1/conversations/${ticketId}/notes`)
      .query(true)
      .optionally()
      .times(10)
      .reply(200, () => notesPage(ticketId, notes));
    crm()
      .post(`/v1/conversations/${ticketId}/notes`)
      .matchHeader('authorization', bearer)
      .times(6)
      .optionally()
      .reply((_uri, body) => {
        if (!redelivered)
          return [503, { errors: [{ status: 503, code: 'unavailable', title: 'Service Unavailable' }] }];
        notes.push(body as Body);
        return [201, noteBody('6b2c3d4e5f60718293a4b5c6', ticketId, body as Body)];
      });
  };
}

export const kustomerFixture: ConformanceFixture<typeof plugin.settings.schema> = {
  plugin,
  origins: [origin],
  settings: { apiBaseUrl: origin, apiKey },
  invalidCredentials: { apiKey: revokedApiKey },
  ticketId: '6a1f0c2b3d4e5f6071829304',
  users,
  mocks: {
    validCredentials: (crm) => {
      crm().get('/v1/users/current').matchHeader('authorization', bearer).reply(200, currentUserBody());
      crm()
        .get('/v1/auth/tokens/current')
        .matchHeader('authorization', bearer)
        .reply(200, currentTokenBody());
    },
    invalidCredentials: (crm) => {
      crm()
        .get('/v1/users/current')
        .reply(401, {
          errors: [{ status: 401, code: 'unauthorized', title: 'Unauthorized', detail: 'invalid token' }],
        });
    },
    connectionUser: (crm) => {
      crm().get('/v1/users/current').matchHeader('authorization', bearer).reply(200, currentUserBody());
    },
    userByEmail: (email, user) => (crm) => {
      crm()
        .get('/v1/users')
        .query({ email: email.toLowerCase(), page: 1, pageSize: 100 })
        .matchHeader('authorization', bearer)
        .reply(200, usersPage(user === undefined ? [] : [user as User]));
    },
    assignableUsers: (list) => (crm) => {
      crm()
        .get('/v1/users')
        .query({ deleted: false, page: 1, pageSize: 100 })
        .matchHeader('authorization', bearer)
        .reply(200, usersPage(list as User[]));
    },
    createTicket: (ticketId) => (crm) => {
      crm().get(conversationLookup).reply(404, notFound);
      crm().get(janeByEmail).reply(200, customerBody());
      createConversation(crm(), ticketId);
      addNote(crm(), ticketId);
    },
    createTicketRateLimitedOnce: (ticketId) => (crm) => {
      crm().get(conversationLookup).reply(404, notFound);
      crm().get(janeByEmail).reply(200, customerBody());
      crm()
        .post('/v1/conversations')
        .reply(
          429,
          { errors: [{ status: 429, code: 'rate_limited', title: 'Too Many Requests' }] },
          { 'Retry-After': '1', 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '0' },
        );
      // Before creating again, the plugin checks the first create left nothing behind.
      crm().get(conversationLookup).reply(404, notFound);
      createConversation(crm(), ticketId);
      addNote(crm(), ticketId);
    },
    changeOwner: (ticketId) => (crm) => {
      crm()
        .patch(`/v1/conversations/${ticketId}`)
        .matchHeader('authorization', bearer)
        .reply(200, (_uri, body) => conversationBody(ticketId, body as Body));
    },
    addNote: (ticketId) => (crm) => {
      addNote(crm(), ticketId);
    },
    createTicketAnswerLost,
    addNoteAnswerLost,
    findTicket: (interactionId, ticketId) => (crm) => {
      const lookup = crm().get(`/v1/conversations/externalId=${encodeURIComponent(interactionId)}`);
      if (ticketId === undefined) lookup.reply(404, notFound);
      else lookup.reply(200, conversationBody(ticketId, { externalId: interactionId }));
    },
    createTicketExisting: (ticketId, owner) => (crm) => {
      // Found by its external id, assigned to `owner` now, its description note not written yet.
      crm()
        .get(conversationLookup)
        .reply(200, conversationBody(ticketId, { assignedUsers: [owner.id] }));
      crm()
        .get(`/v1/conversations/${ticketId}/notes`)
        .query({ page: 1, pageSize: 100 })
        .reply(200, notesPage(ticketId, []));
      addNote(crm(), ticketId);
      // The key's own user is known already; anyone else is read.
      if (owner.id === users.admin.id) return;
      crm()
        .get(`/v1/users/${owner.id}`)
        .matchHeader('authorization', bearer)
        .reply(200, { data: userResource(owner as User) });
    },
    addNoteToFoundTicket: (ticketId, present) => (crm) => {
      // The conversation's notes, this one among them (by its external id) when present.
      const earlier = { body: 'Called back, left a message.', externalId: null };
      crm()
        .get(`/v1/conversations/${ticketId}/notes`)
        .query({ page: 1, pageSize: 100 })
        .reply(
          200,
          notesPage(
            ticketId,
            present === undefined ? [earlier] : [earlier, { body: present.body, externalId: present.key }],
          ),
        );
      if (present === undefined) addNote(crm(), ticketId);
    },
    createTicketLongDescription: (ticketId) => (crm) => {
      // A note holds 10,240 characters: the description becomes labelled notes, each keyed by its part.
      crm().get(conversationLookup).reply(404, notFound);
      crm().get(janeByEmail).reply(200, customerBody());
      createConversation(crm(), ticketId);
      crm()
        .post(
          `/v1/conversations/${ticketId}/notes`,
          (body: Body) =>
            String(body.body).length <= 10_240 &&
            /^crm-connect:.+:create-ticket:description:part-\d+-of-7$/.test(String(body.externalId)),
        )
        .matchHeader('authorization', bearer)
        .times(7)
        .reply(201, (_uri, body) => noteBody('6b2c3d4e5f60718293a4b5c6', ticketId, body as Body));
    },
    createTicketOwnerRejected: (ticketId, rejected) => (crm) => {
      crm().get(conversationLookup).reply(404, notFound);
      crm().get(janeByEmail).reply(200, customerBody());
      crm()
        .post(
          '/v1/conversations',
          (body: Body) => JSON.stringify(body.assignedUsers) === JSON.stringify([rejected.id]),
        )
        .reply(400, assigneeRefused);
      crm().get(conversationLookup).reply(404, notFound);
      crm().get(janeByEmail).reply(200, customerBody());
      crm()
        .post(
          '/v1/conversations',
          (body: Body) => JSON.stringify(body.assignedUsers) === JSON.stringify([users.admin.id]),
        )
        .reply(201, (_uri, body) => conversationBody(ticketId, body as Body));
      addNote(crm(), ticketId);
    },
    createTicketStepFails,
  },
  writes,
  ownerOf: (request) => {
    const assigned = (request.body as { assignedUsers?: unknown } | undefined)?.assignedUsers;
    return Array.isArray(assigned) && typeof assigned[0] === 'string' ? assigned[0] : undefined;
  },
  // Kustomer attributes everything done with a key to the key's machine user.
  performerOf: (request) => (request.headers.authorization === bearer ? users.admin.id : undefined),
};
