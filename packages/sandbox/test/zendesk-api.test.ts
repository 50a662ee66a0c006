import { createZendeskSandbox, type ZendeskSandbox } from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useZendeskSpecCheck } from './zendesk-openapi-check.js';

/**
 * The Zendesk sandbox over plain HTTP, requests written from Zendesk's API reference: what the
 * sandbox does by itself, checked without any plugin. The plugin's runs against it are in
 * test/sandbox/ at the repository root.
 */

let sandbox: ZendeskSandbox;
beforeEach(async () => {
  sandbox = createZendeskSandbox();
  await sandbox.start();
});
afterEach(async () => {
  await sandbox.stop();
});
// Hand-made requests here include deliberately wrong ones: the sandbox's answers are what is checked.
useZendeskSpecCheck(() => [sandbox], { requests: false });

const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user?.email === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email, numericId: Number(user.id) };
};

/** HTTP Basic as Zendesk's API tokens take it: `{email}/token:{token}`. */
const apiTokenAuth = (email: string, token = sandbox.seed.credentials.apiToken) =>
  `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;

const currentUser = (authorization?: string) =>
  fetch(`${sandbox.url}/api/v2/users/me`, {
    headers: authorization === undefined ? {} : { authorization },
  });

const createTicket = (authorization: string, ticket: Record<string, unknown>) =>
  fetch(`${sandbox.url}/api/v2/tickets`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ ticket: { subject: 'Order 123', comment: { body: 'Where is it?' }, ...ticket } }),
  });

/** `POST /oauth/tokens` with the seeded OAuth client (client credentials grant). */
const requestOAuthToken = (clientSecret = sandbox.seed.credentials.oauthClientSecret) =>
  fetch(`${sandbox.url}/oauth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: sandbox.seed.credentials.oauthClientId,
      client_secret: clientSecret,
      scope: 'read write',
    }),
  });

type UserAnswer = { user: { id: number | null; name: string; email: string; role: string } };

describe('zendesk sandbox: tickets', () => {
  it('Idempotency-Key: a replay answers the original ticket with x-idempotency-lookup: hit; another body under the key is refused', async () => {
    const admin = person('admin');
    const headers = {
      authorization: `Basic ${Buffer.from(`${admin.email}/token:${sandbox.seed.credentials.apiToken}`).toString('base64')}`,
      'content-type': 'application/json',
      'idempotency-key': 'order-123-ticket',
    };
    const body = {
      ticket: { subject: 'Order 123', comment: { body: 'Where is it?' }, assignee_id: admin.numericId },
    };
    const send = (payload: unknown) =>
      fetch(`${sandbox.url}/api/v2/tickets.json`, { method: 'POST', headers, body: JSON.stringify(payload) });
    const first = await send(body);
    const replay = await send(body);
    expect([first.status, replay.status]).toEqual([201, 201]);
    expect(first.headers.get('x-idempotency-lookup')).toBe('miss');
    expect(replay.headers.get('x-idempotency-lookup')).toBe('hit');
    const ticketId = async (response: Response) =>
      ((await response.json()) as { ticket: { id: number } }).ticket.id;
    expect(await ticketId(replay)).toBe(await ticketId(first));
    expect(sandbox.store.tickets.count()).toBe(1);
    const other = await send({ ticket: { ...body.ticket, subject: 'Another order' } });
    expect(other.status).toBe(400);
    expect(sandbox.store.tickets.count()).toBe(1);
  });

  it('validates assignees like Zendesk: a suspended agent or an end user is a 422 RecordInvalid on the assignee', async () => {
    const admin = person('admin');
    const headers = {
      authorization: `Basic ${Buffer.from(`${admin.email}/token:${sandbox.seed.credentials.apiToken}`).toString('base64')}`,
      'content-type': 'application/json',
    };
    const create = (assignee: number) =>
      fetch(`${sandbox.url}/api/v2/tickets`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          ticket: {
            subject: 'x',
            comment: { body: 'y' },
            requester: { email: 'jo@example.com' },
            assignee_id: assignee,
          },
        }),
      });
    const suspended = await create(person('deactivatedAgent').numericId);
    expect(suspended.status).toBe(422);
    expect(await suspended.json()).toMatchObject({
      error: 'RecordInvalid',
      details: { assignee: [expect.objectContaining({ error: 'InvalidValue' })] },
    });
    const requester = sandbox.store.users.find((user) => user.email === 'jo@example.com');
    // The refused create made nothing, not even its requester.
    expect(requester).toBeUndefined();
    expect(sandbox.store.tickets.count()).toBe(0);
  });

  it('an inline requester is found by email or created as an end user; tickets.list finds a ticket by external_id', async () => {
    const admin = person('admin');
    const requester = { name: 'Jo Roe', email: 'Jo@Example.com' };
    const first = await createTicket(apiTokenAuth(admin.email), { requester, external_id: 'chat-1' });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toMatch(/\/api\/v2\/tickets\/\d+\.json$/);
    await createTicket(apiTokenAuth(admin.email), { requester, external_id: 'chat-2' });
    const endUsers = sandbox.store.users.filter((user) => user.role === 'end-user');
    expect(endUsers).toEqual([expect.objectContaining({ name: 'Jo Roe', email: 'jo@example.com' })]);
    expect(sandbox.store.tickets.all().map((ticket) => ticket.requester_id)).toEqual([
      endUsers[0]?.id,
      endUsers[0]?.id,
    ]);
    const listed = await fetch(`${sandbox.url}/api/v2/tickets.json?external_id=chat-2`, {
      headers: { authorization: apiTokenAuth(admin.email) },
    });
    const { tickets } = (await listed.json()) as { tickets: { external_id: string; submitter_id: number }[] };
    expect(tickets).toEqual([
      expect.objectContaining({ external_id: 'chat-2', submitter_id: admin.numericId }),
    ]);
  });

  it("an agent's API token request is made as that agent: the ticket's submitter and the log's principal", async () => {
    const agent = person('agent');
    const response = await createTicket(apiTokenAuth(agent.email), { assignee_id: agent.numericId });
    expect(response.status).toBe(201);
    expect(sandbox.store.tickets.all()).toEqual([
      expect.objectContaining({
        submitter_id: agent.numericId,
        assignee_id: agent.numericId,
        status: 'open',
      }),
    ]);
    expect(sandbox.log.entries().at(-1)).toMatchObject({ route: 'tickets.create', principal: agent.id });
  });
});

describe('zendesk sandbox: audits and their metadata', () => {
  type Audit = {
    id: number;
    ticket_id: number;
    author_id: number;
    metadata: { custom: Record<string, unknown>; system: Record<string, unknown> };
    events: { type: string; body?: string; public?: boolean; field_name?: string }[];
  };
  const update = (authorization: string, ticketId: number, ticket: Record<string, unknown>) =>
    fetch(`${sandbox.url}/api/v2/tickets/${ticketId}.json`, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    });

  it("an update's write-only metadata is kept on its audit, under metadata.custom; the answer's audit is the stored one", async () => {
    const admin = person('admin');
    const auth = apiTokenAuth(admin.email);
    const created = (await (await createTicket(auth, {})).json()) as { ticket: { id: number } };
    const ticketId = created.ticket.id;
    const answer = await update(auth, ticketId, {
      comment: { body: 'Transcript', public: false },
      metadata: { crm_connect_note: 'note-key-1' },
    });
    expect(answer.status).toBe(200);
    const { ticket, audit } = (await answer.json()) as { ticket: Record<string, unknown>; audit: Audit };
    expect(ticket).not.toHaveProperty('metadata');
    expect(audit).toMatchObject({
      ticket_id: ticketId,
      author_id: admin.numericId,
      metadata: { custom: { crm_connect_note: 'note-key-1' }, system: expect.any(Object) },
      events: [expect.objectContaining({ type: 'Comment', body: 'Transcript', public: false })],
    });
    const listed = await fetch(`${sandbox.url}/api/v2/tickets/${ticketId}/audits.json`, {
      headers: { authorization: auth },
    });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as {
      audits: Audit[];
      next_page: string | null;
      previous_page: string | null;
      count: number;
    };
    // Offset pagination (the OpenAPI's TicketAuditsResponseNoneCursor): the create's audit, then the update's.
    expect(body).toMatchObject({ next_page: null, previous_page: null, count: 2 });
    expect(body.audits.map((entry) => entry.metadata.custom)).toEqual([
      {},
      { crm_connect_note: 'note-key-1' },
    ]);
    expect(body.audits[1]).toEqual(audit);
    const comments = (await (
      await fetch(`${sandbox.url}/api/v2/tickets/${ticketId}/comments`, { headers: { authorization: auth } })
    ).json()) as { comments: { audit_id: number }[] };
    expect(comments.comments.map((comment) => comment.audit_id)).toEqual(
      body.audits.map((entry) => entry.id),
    );
  });

  it('cursor pagination (page[size], page[after]): meta.has_more, after_cursor and links.next, 100 at most per page', async () => {
    const auth = apiTokenAuth(person('admin').email);
    const created = (await (await createTicket(auth, {})).json()) as { ticket: { id: number } };
    const ticketId = created.ticket.id;
    for (let n = 0; n < 4; n += 1)
      await update(auth, ticketId, { comment: { body: `Note ${n}`, public: false } });
    type Page = {
      audits: Audit[];
      meta: { has_more: boolean; after_cursor: string | null; before_cursor: string | null };
      links: { next: string | null; prev: string | null };
    };
    const page = async (query: string) =>
      (await (
        await fetch(`${sandbox.url}/api/v2/tickets/${ticketId}/audits?${query}`, {
          headers: { authorization: auth },
        })
      ).json()) as Page;
    const first = await page('page[size]=3');
    expect(first.audits).toHaveLength(3);
    expect(first.meta.has_more).toBe(true);
    expect(first.links.next).toContain('page%5Bafter%5D=');
    const second = await page(
      `page[size]=3&page[after]=${encodeURIComponent(first.meta.after_cursor ?? '')}`,
    );
    expect(second.audits.map((audit) => audit.events[0]?.body)).toEqual(['Note 2', 'Note 3']);
    expect(second.meta.has_more).toBe(false);
    expect(second.links.next).toBeNull();
    expect((await page('page[size]=500')).audits).toHaveLength(5);
  });

  it('PUT /api/v2/users/{id} sets an external id; one already taken is a 422', async () => {
    const auth = apiTokenAuth(person('admin').email);
    await createTicket(auth, { requester: { name: 'Jo Roe', email: 'jo@example.com' } });
    const jo = sandbox.store.users.find((user) => user.email === 'jo@example.com');
    const set = (id: number | undefined, externalId: string) =>
      fetch(`${sandbox.url}/api/v2/users/${id}`, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ user: { external_id: externalId } }),
      });
    const answer = await set(jo?.id, 'usr_42');
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { user: { external_id: string } }).user.external_id).toBe('usr_42');
    const taken = await set(person('agent').numericId, 'usr_42');
    expect(taken.status).toBe(422);
    expect(await taken.json()).toMatchObject({ details: { external_id: expect.any(Array) } });
  });
});

describe('zendesk sandbox: authentication', () => {
  it("users/me: an API token acts as the active user whose email comes with it; a wrong token is 401 Couldn't authenticate you", async () => {
    const admin = person('admin');
    const asAdmin = await currentUser(apiTokenAuth(admin.email));
    expect(asAdmin.status).toBe(200);
    expect(((await asAdmin.json()) as UserAnswer).user).toMatchObject({ id: admin.numericId, role: 'admin' });
    const asAgent = await currentUser(apiTokenAuth(person('agent').email));
    expect(((await asAgent.json()) as UserAnswer).user).toMatchObject({ role: 'agent' });
    const wrong = await currentUser(apiTokenAuth(admin.email, 'notTheRightToken0000000'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: "Couldn't authenticate you" });
    expect(sandbox.log.entries().at(-1)).toMatchObject({
      route: 'users.me',
      status: 401,
      principal: undefined,
    });
  });

  it('users/me without credentials is the anonymous user; with badCredentialsOnMe: anonymous-user, so are bad ones', async () => {
    const anonymous = await currentUser();
    expect(anonymous.status).toBe(200);
    expect(((await anonymous.json()) as UserAnswer).user).toMatchObject({ id: null, name: 'Anonymous user' });
    await sandbox.stop();
    sandbox = createZendeskSandbox({ badCredentialsOnMe: 'anonymous-user' });
    await sandbox.start();
    const bad = await currentUser(apiTokenAuth(person('admin').email, 'notTheRightToken0000000'));
    expect(bad.status).toBe(200);
    expect(((await bad.json()) as UserAnswer).user).toMatchObject({ id: null, role: 'end-user' });
  });

  it('a suspended agent can neither sign in nor be assigned; a revoked API token stops working for everyone', async () => {
    const admin = person('admin');
    const agent = person('agent');
    sandbox.deactivateUser(agent.email);
    expect((await currentUser(apiTokenAuth(agent.email))).status).toBe(401);
    const assigned = await createTicket(apiTokenAuth(admin.email), { assignee_id: agent.numericId });
    expect(assigned.status).toBe(422);
    expect(await assigned.json()).toMatchObject({
      error: 'RecordInvalid',
      details: { assignee: expect.any(Array) },
    });
    expect((await currentUser(apiTokenAuth(admin.email))).status).toBe(200);
    sandbox.revokeCredential('apiToken');
    expect((await currentUser(apiTokenAuth(admin.email))).status).toBe(401);
  });

  it("OAuth client credentials: the token acts as the client's admin; a wrong secret is invalid_client; a revoked token is invalid_token", async () => {
    const wrong = await requestOAuthToken('wrong-secret-000000000000');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const granted = await requestOAuthToken();
    expect(granted.status).toBe(200);
    const token = (await granted.json()) as { access_token: string; token_type: string; scope: string };
    expect(token).toMatchObject({ token_type: 'bearer', scope: 'read write' });
    expect(token).not.toHaveProperty('expires_in');
    const bearer = `Bearer ${token.access_token}`;
    expect(((await (await currentUser(bearer)).json()) as UserAnswer).user.id).toBe(
      person('admin').numericId,
    );
    sandbox.revokeCredential('oauthAccessTokens');
    const revoked = await currentUser(bearer);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ error: 'invalid_token' });
  });
});

describe('zendesk sandbox: rate limits as Zendesk words them', () => {
  const admin = () => person('admin');

  it('an injected rate limit: 429, text/plain, Retry-After, nothing processed', async () => {
    sandbox.faults.inject({ kind: 'rate-limit', route: 'tickets.create', retryAfterSeconds: 7 });
    const response = await createTicket(apiTokenAuth(admin().email), {});
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.text()).toMatch(/rate limit/i);
    expect(sandbox.store.tickets.count()).toBe(0);
  });

  it('the steady rate limit answers the same way, with the account counters', async () => {
    sandbox.limitRate({ requestsPerMinute: 1 });
    expect((await currentUser(apiTokenAuth(admin().email))).status).toBe(200);
    const limited = await currentUser(apiTokenAuth(admin().email));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('x-rate-limit')).toBe('1');
    expect(limited.headers.get('x-rate-limit-remaining')).toBe('0');
  });

  it.each([
    ['text/html', 'text/html; charset=utf-8'],
    ['json', 'application/json; charset=utf-8'],
  ] as const)(
    'rateLimitAnswer %s: the other shapes reported for Zendesk 429s',
    async (shape, contentType) => {
      const other = createZendeskSandbox({ rateLimitAnswer: shape });
      await other.start();
      try {
        other.faults.inject({ kind: 'rate-limit', retryAfterSeconds: 2 });
        const response = await fetch(`${other.url}/api/v2/users/me`);
        expect(response.status).toBe(429);
        expect(response.headers.get('content-type')).toBe(contentType);
        expect(response.headers.get('retry-after')).toBe('2');
        const text = await response.text();
        if (shape === 'json') expect(JSON.parse(text)).toMatchObject({ error: 'TooManyRequests' });
        else expect(text).toMatch(/rate limit/i);
      } finally {
        await other.stop();
      }
    },
  );
});
