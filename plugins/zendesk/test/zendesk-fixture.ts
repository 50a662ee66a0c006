import type { CrmUser } from '@crm-connect/core';
import type {
  CapturedRequest,
  ConformanceFixture,
  LoseAnswer,
  SeededUsers,
  WriteDeclarations,
} from '@crm-connect/testkit';
import type nock from 'nock';
import { zendesk } from '../src/index.js';

/**
 * The conformance fixture, and Zendesk payloads for the plugin's own tests. Payloads are trimmed
 * from the named examples of Zendesk's OpenAPI file (CurrentUserResponseExample,
 * TicketResponseExample, TicketUpdateResponseExample) and the documented error envelopes.
 */

export const origin = 'https://acme.zendesk.com';
export const apiToken = 'a9Xk2mQ7vL4pR8sT1wZ6yB3nC5dF0gH2jK4lM6oP';
export const revokedApiToken = 'r3v0k3dT0k3nXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';
export const oauthClient = {
  oauthClientId: 'crm_connect_acme',
  oauthClientSecret: '6f1d0c93b2a84e57a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4',
};

export const users = {
  admin: {
    id: '360001234501',
    email: 'ada.admin@acme.com',
    name: 'Ada Admin',
    active: true,
    role: 'admin',
  },
  agent: {
    id: '360001234502',
    email: 'alex.agent@acme.com',
    name: 'Alex Agent',
    active: true,
    role: 'agent',
  },
  otherAgent: {
    id: '360001234503',
    email: 'olga.other@acme.com',
    name: 'Olga Other',
    active: true,
    role: 'agent',
  },
  deactivatedAgent: {
    id: '360001234504',
    email: 'gus.gone@acme.com',
    name: 'Gus Gone',
    active: false,
    role: 'agent',
  },
} satisfies SeededUsers;

const userRoleTypes: Record<string, number | null> = { admin: 4, agent: null };

/** A Zendesk user object as the API returns it (trimmed); a CrmUser marked inactive comes back suspended. */
export function wireUser(user: CrmUser, overrides: Record<string, unknown> = {}) {
  return {
    id: Number(user.id),
    url: `${origin}/api/v2/users/${user.id}.json`,
    name: user.name ?? null,
    email: user.email ?? null,
    created_at: '2024-02-12T09:14:57Z',
    updated_at: '2026-11-02T16:20:11Z',
    time_zone: 'Europe/Paris',
    phone: null,
    locale: 'en-US',
    locale_id: 1,
    organization_id: null,
    role: user.role ?? 'agent',
    role_type: userRoleTypes[user.role ?? 'agent'] ?? null,
    custom_role_id: null,
    verified: true,
    active: true,
    suspended: !user.active,
    default_group_id: 360000451112,
    tags: [],
    user_fields: {},
    ...overrides,
  };
}

/** What `GET /api/v2/users/me` answers for credentials Zendesk did not recognise, in the reported 200 case. */
export const anonymousUser = {
  id: null,
  url: null,
  name: 'Anonymous user',
  email: 'invalid@example.com',
  created_at: null,
  updated_at: null,
  time_zone: 'UTC',
  locale_id: 1,
  locale: 'en-US',
  organization_id: null,
  role: 'end-user',
  verified: false,
  authenticity_token: 'xUvMG8CbHyCZNfWV6dtHR6GKMG7oUv4Z2y8ySqmD2Wo=',
};

/** A created or updated ticket as Zendesk answers it (trimmed TicketResponseExample). */
export function wireTicket(id: number | string, overrides: Record<string, unknown> = {}) {
  return {
    url: `${origin}/api/v2/tickets/${id}.json`,
    // Zendesk ids are integers on the wire; crm-connect carries them as strings.
    id: Number(id),
    external_id: null,
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    created_at: '2026-11-21T10:00:02Z',
    updated_at: '2026-11-21T10:00:02Z',
    type: null,
    subject: 'Chat with Jane Doe',
    description: 'Interaction chat-1 (chat) at 2026-11-21T10:00:00Z.',
    priority: null,
    status: 'open',
    requester_id: 360009876501,
    submitter_id: Number(users.admin.id),
    assignee_id: Number(users.admin.id),
    organization_id: null,
    group_id: 360000451112,
    tags: ['crm_connect', 'crm_connect_channel_chat'],
    custom_fields: [],
    is_public: false,
    ...overrides,
  };
}

export const rateLimitHeaders = { 'X-Rate-Limit': '700', 'X-Rate-Limit-Remaining': '699' };

export function createdTicketReply(id: number | string, lookup: 'miss' | 'hit' = 'miss') {
  return [
    201,
    {
      ticket: wireTicket(id),
      audit: { id: 9_120_001, ticket_id: Number(id), author_id: Number(users.admin.id) },
    },
    {
      ...rateLimitHeaders,
      Location: `${origin}/api/v2/tickets/${id}.json`,
      'x-idempotency-lookup': lookup,
    },
  ] as const;
}

export function updatedTicketReply(id: number | string) {
  return [
    200,
    {
      ticket: wireTicket(id),
      audit: { id: 9_120_002, ticket_id: Number(id), author_id: Number(users.admin.id) },
    },
    rateLimitHeaders,
  ] as const;
}

export function basic(email: string, token = apiToken): string {
  return `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;
}

/** The staff filter of the agent pool, as the plugin encodes it. */
export const staffListQuery = { 'role[]': ['agent', 'admin'], 'page[size]': '100' };

const byEmail = new Map<string, CrmUser>(Object.values(users).map((user) => [user.email, user]));

/** Which seeded user a request was made as: from the Basic `{email}/token:…` credentials, or the OAuth admin. */
export function performerOf(request: CapturedRequest): string | undefined {
  const authorization = request.headers.authorization ?? '';
  if (authorization.startsWith('Bearer ')) return users.admin.id;
  if (!authorization.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
  const email = decoded.split('/token:')[0] ?? '';
  return byEmail.get(email)?.id;
}

export function assigneeOf(request: CapturedRequest): string | undefined {
  const assignee = (request.body as { ticket?: { assignee_id?: number } } | undefined)?.ticket?.assignee_id;
  return assignee === undefined ? undefined : String(assignee);
}

/** Zendesk's Idempotency-Key is honoured on ticket creation only (`POST /api/v2/tickets`). */
export function idempotencyKeyOf(request: CapturedRequest): string | undefined {
  if (request.method !== 'POST' || request.path.split('?')[0] !== '/api/v2/tickets') return undefined;
  return request.headers['idempotency-key'];
}

/**
 * A ticket create Zendesk made whose answer was lost. Zendesk keeps the key's first answer: a
 * repeat with the same Idempotency-Key is answered with that ticket (`x-idempotency-lookup: hit`,
 * after which the plugin reads the ticket as it is now); a repeat with another key, or none,
 * makes a second ticket. The interaction's ticket is also listed by its external id.
 */
function createTicketAnswerLost(ticketId: string, lose: LoseAnswer) {
  return (crm: () => nock.Scope) => {
    let key: string | undefined;
    lose(
      crm()
        .post('/api/v2/tickets')
        .matchHeader('idempotency-key', (value: string) => {
          key = value;
          return true;
        }),
    );
    crm()
      .post('/api/v2/tickets')
      .matchHeader('idempotency-key', (value: string) => value === key)
      .optionally()
      .times(3)
      .reply(...createdTicketReply(ticketId, 'hit'));
    crm()
      .post('/api/v2/tickets')
      .optionally()
      .reply(...createdTicketReply(Number(ticketId) + 1));
    crm()
      .get(`/api/v2/tickets/${ticketId}`)
      .optionally()
      .times(3)
      .reply(200, { ticket: wireTicket(ticketId) }, rateLimitHeaders);
    crm()
      .get('/api/v2/tickets')
      .query((query) => typeof query.external_id === 'string')
      .optionally()
      .times(3)
      .reply(200, { tickets: [wireTicket(ticketId)], next_page: null, previous_page: null, count: 1 });
  };
}

interface CommentUpdate {
  ticket?: { comment?: { body?: string; public?: boolean }; metadata?: Record<string, unknown> };
}

/**
 * An internal note Zendesk added whose answer was lost. A comment is a ticket update Zendesk never
 * de-duplicates: a repeated PUT adds the comment again. The ticket's audits then list the update
 * as Zendesk keeps it: the update's metadata under `metadata.custom`, the private comment among
 * its events.
 */
function addNoteAnswerLost(ticketId: string, lose: LoseAnswer) {
  return (crm: () => nock.Scope) => {
    let update: CommentUpdate['ticket'];
    lose(
      crm().put(`/api/v2/tickets/${ticketId}`, (body: CommentUpdate) => {
        if (body.ticket?.comment?.public !== false) return false;
        update = body.ticket;
        return true;
      }),
    );
    crm()
      .get(`/api/v2/tickets/${ticketId}/audits`)
      .query(true)
      .optionally()
      .times(3)
      .reply(
        200,
        () => ({
          audits: [
            {
              id: 9_120_003,
              ticket_id: Number(ticketId),
              author_id: Number(users.admin.id),
              created_at: '2026-11-21T10:20:00Z',
              metadata: { custom: update?.metadata ?? {}, system: { client: 'crm-connect' } },
              via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
              events: [
                { id: 2_127_301_148, type: 'Comment', body: update?.comment?.body ?? '', public: false },
              ],
            },
          ],
          meta: { has_more: false, after_cursor: null, before_cursor: null },
          links: { prev: null, next: null },
        }),
        rateLimitHeaders,
      );
    crm()
      .put(`/api/v2/tickets/${ticketId}`, (body: CommentUpdate) => body.ticket?.comment?.public === false)
      .optionally()
      .reply(...updatedTicketReply(ticketId));
  };
}

interface TicketWrite {
  ticket?: {
    subject?: string;
    comment?: { body?: string; public?: boolean };
    assignee_id?: number;
    external_id?: string;
    metadata?: Record<string, unknown>;
  };
}
const ticketOf = (request: CapturedRequest) => (request.body as TicketWrite | undefined)?.ticket;
const visibilityOf = (request: CapturedRequest) => {
  const shown = ticketOf(request)?.comment?.public;
  return shown === false ? 'internal' : shown === true ? 'public' : undefined;
};
/** Exactly these fields, no more: a ticket update sends only what it changes. */
const onlyFields =
  (...fields: string[]) =>
  (value: unknown) =>
    typeof value === 'object' && value !== null && Object.keys(value).sort().join() === fields.sort().join();

/** The searchable tags of a new ticket, by what opened it. */
const tagsByEvent: Record<string, string[]> = {
  'chat.started': ['crm_connect', 'crm_connect_channel_chat'],
  'voicemail.received': ['crm_connect', 'crm_connect_channel_voice', 'crm_connect_voicemail'],
  'call.abandoned': ['crm_connect', 'crm_connect_channel_voice', 'crm_connect_abandoned_call'],
};

/**
 * What Zendesk must receive. A ticket create carries the requester inline (the end user has an
 * email), the owner as `assignee_id`, the interaction id as `external_id`, the description as its
 * first comment, internal (`public: false`), and the `Idempotency-Key` Zendesk honours on ticket
 * creation. An owner change is a PUT of `assignee_id` alone; a note is a PUT of an internal comment
 * whose key rides in the update's audit metadata (`crm_connect_note`), by which a redelivery finds it.
 */
export const writes: WriteDeclarations = {
  createTicket: ({ event }) => [
    {
      label: 'the ticket create',
      method: 'POST',
      path: '/api/v2/tickets',
      headers: { 'idempotency-key': /^crm-connect:.+:create-ticket$/ },
      body: {
        ticket: {
          requester: { name: 'Jane Doe', email: 'jane.doe@example.com' },
          tags: tagsByEvent[event.type] ?? [],
          comment: onlyFields('body', 'public'),
          // No interaction field is configured: no custom field is sent.
          custom_fields: undefined,
        },
      },
      subject: (request) => ticketOf(request)?.subject,
      content: (request) => ticketOf(request)?.comment?.body,
      owner: (request) => assigneeOf(request),
      interactionId: (request) => ticketOf(request)?.external_id,
      idempotencyKey: (request) => request.headers['idempotency-key'],
      visibility: visibilityOf,
    },
  ],
  changeOwner: ({ ticketId }) => [
    {
      label: 'the reassignment',
      method: 'PUT',
      path: `/api/v2/tickets/${ticketId}`,
      body: { ticket: onlyFields('assignee_id') },
      owner: (request) => assigneeOf(request),
    },
  ],
  addNote: ({ ticketId }) => [
    {
      label: 'the internal note',
      method: 'PUT',
      path: `/api/v2/tickets/${ticketId}`,
      headers: { 'idempotency-key': undefined },
      body: { ticket: onlyFields('comment', 'metadata') },
      content: (request) => ticketOf(request)?.comment?.body,
      visibility: visibilityOf,
      idempotencyKey: (request) => ticketOf(request)?.metadata?.crm_connect_note,
    },
  ],
};

/** Zendesk's answer to an assignee it cannot assign (deactivated, not an agent). */
export const assigneeRefused = {
  error: 'RecordInvalid',
  description: 'Record validation errors',
  details: { assignee: [{ description: 'Assignee is not an agent', error: 'InvalidValue' }] },
};

const plugin = zendesk();

export const zendeskFixture: ConformanceFixture<typeof plugin.settings.schema> = {
  plugin,
  origins: [origin],
  // Token mode, with an OAuth client already entered too (an admin preparing the switch): every secret field is set.
  settings: { subdomain: 'acme', authMode: 'apiToken', email: users.admin.email, apiToken, ...oauthClient },
  invalidCredentials: { apiToken: revokedApiToken },
  ticketId: '35436',
  users,
  mocks: {
    validCredentials: (crm) => {
      crm()
        .get('/api/v2/users/me')
        .matchHeader('authorization', basic(users.admin.email))
        .reply(200, { user: wireUser(users.admin) }, rateLimitHeaders);
    },
    invalidCredentials: (crm) => {
      crm()
        .get('/api/v2/users/me')
        .matchHeader('authorization', basic(users.admin.email, revokedApiToken))
        .reply(401, { error: "Couldn't authenticate you" });
    },
    connectionUser: (crm) => {
      crm()
        .get('/api/v2/users/me')
        .matchHeader('authorization', basic(users.admin.email))
        .reply(200, { user: wireUser(users.admin) }, rateLimitHeaders);
    },
    userByEmail: (email, user) => (crm) => {
      crm()
        .get('/api/v2/users/search')
        .query({ query: email.toLowerCase() })
        .matchHeader('authorization', basic(users.admin.email))
        .reply(200, {
          users: user === undefined ? [] : [wireUser(user)],
          next_page: null,
          previous_page: null,
          count: user === undefined ? 0 : 1,
        });
    },
    assignableUsers: (list) => (crm) => {
      crm()
        .get('/api/v2/users')
        .query(staffListQuery)
        .matchHeader('authorization', basic(users.admin.email))
        .reply(200, {
          users: list.map((user) => wireUser(user)),
          meta: { has_more: false, after_cursor: null, before_cursor: null },
          links: { next: null, prev: null },
        });
    },
    createTicket: (ticketId) => (crm) => {
      crm()
        .post('/api/v2/tickets')
        .matchHeader('idempotency-key', /^crm-connect:.+:create-ticket$/)
        .reply(...createdTicketReply(ticketId));
    },
    createTicketRateLimitedOnce: (ticketId) => (crm) => {
      crm()
        .post('/api/v2/tickets')
        .matchHeader('idempotency-key', /^crm-connect:.+:create-ticket$/)
        // As Zendesk answers a rate limit: a one-line text body, not JSON (the sandbox models both).
        .reply(429, 'Rate limit exceeded, please wait before making more requests', {
          'Content-Type': 'text/plain; charset=utf-8',
          'Retry-After': '1',
        });
      crm()
        .post('/api/v2/tickets')
        .matchHeader('idempotency-key', /^crm-connect:.+:create-ticket$/)
        .reply(...createdTicketReply(ticketId));
    },
    changeOwner: (ticketId) => (crm) => {
      crm()
        .put(`/api/v2/tickets/${ticketId}`, (body) => body.ticket?.assignee_id !== undefined)
        .reply(...updatedTicketReply(ticketId));
    },
    addNote: (ticketId) => (crm) => {
      crm()
        .put(`/api/v2/tickets/${ticketId}`, (body) => body.ticket?.comment?.public === false)
        .reply(...updatedTicketReply(ticketId));
    },
    createTicketAnswerLost,
    addNoteAnswerLost,
    findTicket: (interactionId, ticketId) => (crm) => {
      // External ids need not be unique: a later ticket with the same one (a merge, an agent's copy)
      // is listed first; the interaction's is the oldest.
      const tickets =
        ticketId === undefined
          ? []
          : [
              // Listed first, and first as text too ("135436" < "35436"): only a numeric order finds the oldest.
              wireTicket(Number(ticketId) + 100_000, { external_id: interactionId }),
              wireTicket(ticketId, { external_id: interactionId }),
            ];
      crm()
        .get('/api/v2/tickets')
        .query({ external_id: interactionId })
        .matchHeader('authorization', basic(users.admin.email))
        .reply(200, { tickets, next_page: null, previous_page: null, count: tickets.length });
    },
    createTicketExisting: (ticketId, owner) => (crm) => {
      if (owner.id === users.admin.id) {
        // The same event delivered before: Zendesk replays the key's first answer, and the ticket
        // is read as it is now.
        crm()
          .post('/api/v2/tickets')
          .matchHeader('idempotency-key', /^crm-connect:.+:create-ticket$/)
          .reply(...createdTicketReply(ticketId, 'hit'));
        crm()
          .get(`/api/v2/tickets/${ticketId}`)
          .matchHeader('authorization', basic(users.admin.email))
          .reply(200, { ticket: wireTicket(ticketId, { assignee_id: Number(owner.id) }) }, rateLimitHeaders);
        return;
      }
      // Opened with the agent as assignee (an assignment that overtook this event, on another
      // worker): the key was used with another body, which Zendesk refuses; the interaction's
      // ticket is found by its external id.
      crm()
        .post('/api/v2/tickets')
        .matchHeader('idempotency-key', /^crm-connect:.+:create-ticket$/)
        .reply(400, { error: 'IdempotentRequestError', description: 'Idempotency key was already used.' });
      crm()
        .get('/api/v2/tickets')
        .query((query) => typeof query.external_id === 'string')
        .matchHeader('authorization', basic(users.admin.email))
        .reply(200, {
          tickets: [wireTicket(ticketId, { assignee_id: Number(owner.id) })],
          next_page: null,
          previous_page: null,
          count: 1,
        });
    },
    addNoteToFoundTicket: (ticketId, present) => (crm) => {
      // The ticket's audits: the note's update (its key in the metadata) when it is there.
      const update = {
        id: 9_120_004,
        ticket_id: Number(ticketId),
        author_id: Number(users.admin.id),
        created_at: '2026-11-21T10:20:00Z',
        metadata: { custom: { crm_connect_note: present?.key }, system: { client: 'crm-connect' } },
        via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
        events: [{ id: 2_127_301_149, type: 'Comment', body: present?.body, public: false }],
      };
      crm()
        .get(`/api/v2/tickets/${ticketId}/audits`)
        .query(true)
        .reply(
          200,
          {
            audits: [
              {
                id: 9_120_001,
                ticket_id: Number(ticketId),
                author_id: Number(users.admin.id),
                created_at: '2026-11-21T10:00:02Z',
                metadata: { custom: {}, system: { client: 'crm-connect' } },
                via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
                events: [{ id: 2_127_301_100, type: 'Comment', body: 'Interaction …', public: false }],
              },
              ...(present === undefined ? [] : [update]),
            ],
            meta: { has_more: false, after_cursor: null, before_cursor: null },
            links: { prev: null, next: null },
          },
          rateLimitHeaders,
        );
      if (present !== undefined) return;
      crm()
        .put(`/api/v2/tickets/${ticketId}`, (body: TicketWrite) => body.ticket?.comment?.public === false)
        .reply(...updatedTicketReply(ticketId));
    },
    createTicketLongDescription: (ticketId) => (crm) => {
      // A comment holds 60,000 bytes here: the first part goes with the ticket, the rest follows
      // as a further internal note, labelled and keyed by its part.
      crm()
        .post('/api/v2/tickets', (body: TicketWrite) =>
          /\(part 1 of 2\)/.test(body.ticket?.comment?.body ?? ''),
        )
        .reply(...createdTicketReply(ticketId));
      crm()
        .put(
          `/api/v2/tickets/${ticketId}`,
          (body: TicketWrite) =>
            body.ticket?.comment?.public === false &&
            /\(part 2 of 2\)/.test(body.ticket.comment.body ?? '') &&
            /^crm-connect:.+:create-ticket:part-2-of-2$/.test(String(body.ticket.metadata?.crm_connect_note)),
        )
        .reply(...updatedTicketReply(ticketId));
    },
    createTicketOwnerRejected: (ticketId, rejected) => (crm) => {
      crm()
        .post('/api/v2/tickets', (body: TicketWrite) => body.ticket?.assignee_id === Number(rejected.id))
        .reply(422, assigneeRefused);
      crm()
        .post('/api/v2/tickets', (body: TicketWrite) => body.ticket?.assignee_id === Number(users.admin.id))
        .reply(...createdTicketReply(ticketId));
    },
    createTicketStepFails: {
      notApplicable:
        'an end user with an email goes inline in the ticket create (requester: {name, email}): one request, no contact step',
    },
  },
  writes,
  // Zendesk ids are numbers: a Salesforce Case id and an Entra object id are not.
  foreignIds: { ticket: '500xx000003DgXAAA', user: 'e39c5d16-675b-48d1-8e67-667427e9c084' },
  ownerOf: assigneeOf,
  performerOf,
  idempotencyKeyOf,
};
