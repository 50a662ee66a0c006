import type { EndUser } from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { createdTicketReply, rateLimitHeaders, users, wireUser, zendeskFixture } from './zendesk-fixture.js';

/**
 * The requester of a ticket opened for a verified end user (signed in through a messaging JWT or
 * the help center): found by external id first, then by the verified email, and made to carry the
 * external id, so the same person is the same requester on every channel and device. An
 * unverified external id never binds to a user found by email.
 * https://developer.zendesk.com/api-reference/ticketing/users/users/#search-users
 * https://developer.zendesk.com/api-reference/ticketing/users/users/#update-user
 * https://developer.zendesk.com/api-reference/ticketing/users/users/#create-or-update-user
 */

const harness = useHarness(zendeskFixture);

const steve = { id: '360009876520', name: 'Steve Rogers', active: true, role: 'end-user' };
const verified: EndUser = {
  name: 'Steve Rogers',
  email: 'steve.rogers@example.com',
  externalId: '912382197',
  verified: true,
};

interface TicketBody {
  ticket: { requester?: { name: string; email: string }; requester_id?: number };
}
const ticketBody = () =>
  harness()
    .writes()
    .find((request) => request.path === '/api/v2/tickets')?.body as TicketBody;

function searchByExternalId(found: object[]) {
  harness()
    .crm()
    .get('/api/v2/users/search')
    .query({ external_id: '912382197' })
    .reply(
      200,
      { users: found, next_page: null, previous_page: null, count: found.length },
      rateLimitHeaders,
    );
}

function searchByEmail(found: object[]) {
  harness()
    .crm()
    .get('/api/v2/users/search')
    .query({ query: 'email:steve.rogers@example.com' })
    .reply(200, { users: found, next_page: null, previous_page: null, count: found.length });
}

async function open(endUser: EndUser) {
  harness().use(zendeskFixture.mocks.connectionUser);
  harness()
    .crm()
    .post('/api/v2/tickets')
    .reply(...createdTicketReply(35436));
  return harness().connector({ defaultUser: true }).handle(chatStarted({ endUser }));
}

describe('zendesk requester of a verified end user', () => {
  it('known by external id: one search, that user is the requester, nothing else written', async () => {
    searchByExternalId([wireUser(steve, { external_id: '912382197', email: verified.email })]);
    await open(verified);
    expect(ticketBody().ticket.requester_id).toBe(Number(steve.id));
    expect(ticketBody().ticket.requester).toBeUndefined();
    expect(harness().writes()).toHaveLength(1);
  });

  it('unknown by external id, known by the verified email without one: the user is given the external id', async () => {
    searchByExternalId([]);
    searchByEmail([
      wireUser(users.agent, { email: 'steve.rogers@example.com.au' }),
      wireUser(steve, { email: verified.email, external_id: null }),
    ]);
    harness()
      .crm()
      .put(`/api/v2/users/${steve.id}`, { user: { external_id: '912382197' } })
      .reply(200, { user: wireUser(steve, { email: verified.email, external_id: '912382197' }) });
    await open(verified);
    expect(ticketBody().ticket.requester_id).toBe(Number(steve.id));
    const [bind] = harness().writes();
    expect(bind).toMatchObject({ method: 'PUT', path: `/api/v2/users/${steve.id}` });
  });

  it('unknown by both: created with the external id and the email in one upsert (no verification email)', async () => {
    searchByExternalId([]);
    searchByEmail([]);
    harness()
      .crm()
      .post('/api/v2/users/create_or_update', {
        user: {
          name: 'Steve Rogers',
          email: 'steve.rogers@example.com',
          external_id: '912382197',
          role: 'end-user',
          skip_verify_email: true,
        },
      })
      .reply(201, { user: wireUser(steve, { email: verified.email, external_id: '912382197' }) });
    await open(verified);
    expect(ticketBody().ticket.requester_id).toBe(Number(steve.id));
  });

  it('the verified email belongs to a user with another external id: not rebound; a user of its own, without the email', async () => {
    searchByExternalId([]);
    searchByEmail([wireUser(steve, { email: verified.email, external_id: 'shop-1' })]);
    harness()
      .crm()
      .post('/api/v2/users/create_or_update', {
        user: { name: 'Steve Rogers', external_id: '912382197', role: 'end-user' },
      })
      .reply(201, { user: { id: 360009876599, name: 'Steve Rogers', external_id: '912382197' } });
    await open(verified);
    expect(ticketBody().ticket.requester_id).toBe(360009876599);
    expect(
      harness()
        .writes()
        .map((request) => request.path),
    ).toEqual(['/api/v2/users/create_or_update', '/api/v2/tickets']);
  });

  it('the verified email belongs to an agent: the agent is not bound; the end user gets a user of their own', async () => {
    searchByExternalId([]);
    searchByEmail([wireUser(users.agent, { email: verified.email, external_id: null })]);
    harness()
      .crm()
      .post('/api/v2/users/create_or_update', {
        user: { name: 'Steve Rogers', external_id: '912382197', role: 'end-user' },
      })
      .reply(201, { user: { id: 360009876599, name: 'Steve Rogers', external_id: '912382197' } });
    await open(verified);
    expect(ticketBody().ticket.requester_id).toBe(360009876599);
  });

  it('an answer to the upsert that does not parse: a retryable typed error (the upsert is safe to repeat)', async () => {
    searchByExternalId([]);
    searchByEmail([]);
    harness().crm().post('/api/v2/users/create_or_update').reply(201, '<html></html>');
    harness().use(zendeskFixture.mocks.connectionUser);
    const error = await harness()
      .connector({ defaultUser: true })
      .handle(chatStarted({ endUser: verified }))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid_response', retryable: true });
  });
});

describe('zendesk requester of an unverified end user with an external id and an email', () => {
  it('known by external id: that user', async () => {
    searchByExternalId([wireUser(steve, { external_id: '912382197' })]);
    await open({ ...verified, verified: undefined });
    expect(ticketBody().ticket.requester_id).toBe(Number(steve.id));
  });

  it('unknown by external id: the email goes inline as before, and the external id is bound to nobody', async () => {
    searchByExternalId([]);
    await open({ ...verified, verified: undefined });
    expect(ticketBody().ticket.requester).toEqual({
      name: 'Steve Rogers',
      email: 'steve.rogers@example.com',
    });
    expect(harness().writes()).toHaveLength(1);
  });
});
