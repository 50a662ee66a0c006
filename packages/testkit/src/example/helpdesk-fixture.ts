import type { CapturedRequest, ConformanceFixture, SeededUsers } from '../fixture.js';
import { helpdeskPlugin } from './helpdesk-plugin.js';

/**
 * The example's mocked Helpdesk: what the conformance suite needs to know about its wire format.
 * A plugin's own fixture has the same shape (`plugins/<crm>/test/<crm>-fixture.ts`).
 */

export const origin = 'https://acme.helpdesk.test';
/** Made up, like the API it opens. */
export const apiKey = 'hd_live_7f3a9c2e5b8d4f1a6c0e9b2d';

export const users: SeededUsers = {
  admin: { id: 'u-admin', email: 'admin@acme.test', name: 'Ada Admin', active: true, role: 'admin' },
  agent: { id: 'u-agent', email: 'alex@acme.test', name: 'Alex Agent', active: true, role: 'agent' },
  otherAgent: { id: 'u-other', email: 'olga@acme.test', name: 'Olga Other', active: true, role: 'agent' },
  deactivatedAgent: { id: 'u-gone', email: 'gone@acme.test', name: 'Gus Gone', active: false, role: 'agent' },
};

const wire = (user: SeededUsers['admin']) => ({
  id: user.id,
  email: user.email,
  name: user.name,
  active: user.active,
  role: user.role,
});
const bearer = `Bearer ${apiKey}`;

interface TicketBody {
  ticket?: { subject?: string; description?: string; owner_id?: string; external_id?: string };
  note?: { body?: string; public?: boolean };
}
const bodyOf = (request: CapturedRequest) => (request.body ?? {}) as TicketBody;

export const helpdeskFixture: ConformanceFixture<typeof helpdeskPlugin.settings.schema> = {
  plugin: helpdeskPlugin,
  origins: [origin],
  settings: { baseUrl: origin, apiKey },
  invalidCredentials: { apiKey: 'hd_live_revoked_0000000000000' },
  users,
  mocks: {
    validCredentials: (crm) => {
      crm()
        .get('/api/me')
        .matchHeader('authorization', bearer)
        .reply(200, { user: wire(users.admin) });
    },
    invalidCredentials: (crm) => {
      crm()
        .get('/api/me')
        .reply(401, { error: { code: 'unauthorized', message: 'Invalid API key' } });
    },
    connectionUser: (crm) => {
      crm()
        .get('/api/me')
        .matchHeader('authorization', bearer)
        .reply(200, { user: wire(users.admin) });
    },
    userByEmail: (email, user) => (crm) => {
      crm()
        .get('/api/users')
        .query({ email: email.toLowerCase() })
        .reply(200, { users: user ? [wire(user as SeededUsers['admin'])] : [] });
    },
    assignableUsers: (list) => (crm) => {
      crm()
        .get('/api/users')
        .query({ role: 'agent' })
        .reply(200, { users: list.map((user) => wire(user as SeededUsers['admin'])) });
    },
    createTicket: (ticketId) => (crm) => {
      crm()
        .post('/api/tickets')
        .matchHeader('idempotency-key', /^crm-connect:/)
        .reply(201, { ticket: { id: ticketId } }, { 'x-idempotency-lookup': 'miss' });
    },
    createTicketRateLimitedOnce: (ticketId) => (crm) => {
      crm()
        .post('/api/tickets')
        .reply(429, { error: { code: 'rate_limited' } }, { 'Retry-After': '1' });
      crm()
        .post('/api/tickets')
        .reply(201, { ticket: { id: ticketId } }, { 'x-idempotency-lookup': 'miss' });
    },
    changeOwner: (ticketId) => (crm) => {
      crm()
        .patch(`/api/tickets/${ticketId}`)
        .reply(200, { ticket: { id: ticketId } });
    },
    addNote: (ticketId) => (crm) => {
      crm()
        .post(`/api/tickets/${ticketId}/notes`)
        .reply(201, { note: { id: 'n-1' } });
    },
    createTicketAnswerLost: (ticketId, lose) => (crm) => {
      // Helpdesk made the ticket; its answer never came back.
      lose(crm().post('/api/tickets'));
      // What may follow: a repeat with an Idempotency-Key is answered with the ticket already
      // made; a repeat without one makes a second ticket, as Helpdesk would.
      crm()
        .post('/api/tickets')
        .matchHeader('idempotency-key', /.+/)
        .optionally()
        .reply(201, { ticket: { id: ticketId } }, { 'x-idempotency-lookup': 'hit' });
      crm()
        .post('/api/tickets')
        .optionally()
        .reply(201, { ticket: { id: `${ticketId}-2` } }, { 'x-idempotency-lookup': 'miss' });
    },
    findTicket: (interactionId, ticketId) => (crm) => {
      crm()
        .get('/api/tickets')
        .query({ external_id: interactionId })
        .reply(200, { tickets: ticketId === undefined ? [] : [{ id: ticketId }] });
    },
    createTicketOwnerRejected: (ticketId, rejected) => (crm) => {
      // Helpdesk refuses an inactive owner with 422 owner_inactive; the create as the default user then succeeds.
      crm()
        .post('/api/tickets', (body: TicketBody) => body.ticket?.owner_id === rejected.id)
        .reply(422, { error: { code: 'owner_inactive', message: 'The owner is inactive' } });
      crm()
        .post('/api/tickets', (body: TicketBody) => body.ticket?.owner_id === users.admin.id)
        .reply(201, { ticket: { id: ticketId } }, { 'x-idempotency-lookup': 'miss' });
    },
    createTicketExisting: (ticketId, owner) => (crm) => {
      // Helpdesk replays the ticket the key made, with its owner now.
      crm()
        .post('/api/tickets')
        .matchHeader('idempotency-key', /^crm-connect:/)
        .reply(201, { ticket: { id: ticketId, owner_id: owner.id } }, { 'x-idempotency-lookup': 'hit' });
    },
    addNoteToFoundTicket: (ticketId, present) => (crm) => {
      // The note's Idempotency-Key makes a repeat safe: no lookup first. A note there already is
      // replayed (`hit`) for its key.
      crm()
        .post(`/api/tickets/${ticketId}/notes`)
        .matchHeader('idempotency-key', present === undefined ? /^crm-connect:/ : present.key)
        .reply(
          201,
          { note: { id: 'n-1' } },
          { 'x-idempotency-lookup': present === undefined ? 'miss' : 'hit' },
        );
    },
    createTicketLongDescription: {
      notApplicable: 'Helpdesk takes a description of any length in one field',
    },
    createTicketStepFails: {
      notApplicable: 'Helpdesk takes the requester inline in the ticket create: one request, no contact step',
    },
    createTicketContactRefused: {
      refusal: 'HTTP 422',
      mock: (crm) => {
        // The requester goes inline in the ticket create: Helpdesk refuses the whole create.
        crm()
          .post('/api/tickets')
          .reply(422, { error: { code: 'invalid_requester', message: 'The requester email is invalid' } });
      },
    },
    createTicketRefused: {
      refusal: 'HTTP 422',
      mock: (crm) => {
        crm()
          .post('/api/tickets')
          .reply(422, { error: { code: 'invalid_subject', message: 'The subject is too long' } });
      },
    },
    addNoteAnswerLost: (ticketId, lose) => (crm) => {
      lose(crm().post(`/api/tickets/${ticketId}/notes`));
      crm()
        .post(`/api/tickets/${ticketId}/notes`)
        .matchHeader('idempotency-key', /.+/)
        .optionally()
        .reply(201, { note: { id: 'n-1' } }, { 'x-idempotency-lookup': 'hit' });
      crm()
        .post(`/api/tickets/${ticketId}/notes`)
        .optionally()
        .reply(201, { note: { id: 'n-2' } }, { 'x-idempotency-lookup': 'miss' });
    },
  },
  // Helpdesk replays a ticket with its owner_id alone.
  existingOwnerDetails: [],
  writes: {
    createTicket: () => [
      {
        label: 'the ticket create',
        method: 'POST',
        path: '/api/tickets',
        headers: { authorization: bearer, 'idempotency-key': /^crm-connect:.+:create-ticket$/ },
        // The requester goes inline: Helpdesk finds or creates the end user by email.
        body: { ticket: { requester: { email: 'jane.doe@example.com', name: 'Jane Doe' } } },
        subject: (request) => bodyOf(request).ticket?.subject,
        content: (request) => bodyOf(request).ticket?.description,
        owner: (request) => bodyOf(request).ticket?.owner_id,
        interactionId: (request) => bodyOf(request).ticket?.external_id,
        idempotencyKey: (request) => request.headers['idempotency-key'],
      },
    ],
    changeOwner: ({ ticketId }) => [
      {
        label: 'the owner change',
        method: 'PATCH',
        path: `/api/tickets/${ticketId}`,
        body: { ticket: (ticket: unknown) => Object.keys(ticket as object).join() === 'owner_id' },
        owner: (request) => bodyOf(request).ticket?.owner_id,
      },
    ],
    addNote: ({ ticketId }) => [
      {
        label: 'the internal note',
        method: 'POST',
        path: `/api/tickets/${ticketId}/notes`,
        headers: { 'idempotency-key': /^crm-connect:.+:add-note:[0-9a-f]{16}$/ },
        content: (request) => bodyOf(request).note?.body,
        visibility: (request) => (bodyOf(request).note?.public === false ? 'internal' : 'public'),
        idempotencyKey: (request) => request.headers['idempotency-key'],
      },
    ],
  },
  // Helpdesk de-duplicates every POST on this header: two requests with one key make one record.
  idempotencyKeyOf: (request) => request.headers['idempotency-key'],
  ownerOf: (request) => (request.body as { ticket?: { owner_id?: string } } | undefined)?.ticket?.owner_id,
  // Helpdesk attributes everything done with a key to the key's user.
  performerOf: (request) => (request.headers.authorization === bearer ? users.admin.id : undefined),
};
