import { createKustomerSandbox, type KustomerSandbox } from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * The Kustomer sandbox over plain HTTP, requests written from Kustomer's API reference: what the
 * sandbox does by itself, checked without any plugin. The plugin's runs against it are in
 * test/sandbox/ at the repository root.
 */

let sandbox: KustomerSandbox;
beforeEach(async () => {
  sandbox = createKustomerSandbox();
  await sandbox.start();
});
afterEach(async () => {
  await sandbox.stop();
});

const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email ?? '' };
};

/** Bearer auth with one of the seeded API keys, and a JSON body. */
const headers = (key: 'apiKey' | 'limitedApiKey' = 'apiKey') => ({
  authorization: `Bearer ${sandbox.seed.credentials[key]}`,
  'content-type': 'application/json',
});

const post = (path: string, body: unknown) =>
  fetch(`${sandbox.url}${path}`, { method: 'POST', headers: headers(), body: JSON.stringify(body) });

/** A single-resource answer. */
type Resource = { data: { type: string; id: string } };
type UserResource = { data: { id: string; attributes: { name: string; userType: string; roles: string[] } } };

describe('kustomer sandbox: API keys and roles', () => {
  it("users/current is the key's machine user, tokens/current the key with its roles", async () => {
    const current = await fetch(`${sandbox.url}/v1/users/current`, { headers: headers() });
    expect(current.status).toBe(200);
    const user = (await current.json()) as UserResource & {
      data: { relationships: { org: { data: { type: string } } } };
    };
    expect(user.data).toMatchObject({
      id: person('apiKeyUser').id,
      attributes: { name: 'crm-connect', userType: 'machine' },
      relationships: { org: { data: { type: 'org' } } },
    });
    const token = await fetch(`${sandbox.url}/v1/auth/tokens/current`, { headers: headers('limitedApiKey') });
    expect(
      ((await token.json()) as { data: { attributes: { name: string; roles: string[] } } }).data,
    ).toMatchObject({
      attributes: {
        name: 'reporting',
        roles: ['org.permission.customer.read', 'org.permission.conversation.read'],
      },
    });
  });

  it('a revoked key is 401 in JSON:API shape; the other key still works', async () => {
    sandbox.revokeCredential('apiKey');
    const response = await fetch(`${sandbox.url}/v1/users/current`, { headers: headers() });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      errors: [{ status: 401, code: 'unauthorized', title: 'Unauthorized', detail: 'invalid token' }],
    });
    expect(
      (await fetch(`${sandbox.url}/v1/users/current`, { headers: headers('limitedApiKey') })).status,
    ).toBe(200);
  });

  it('the sandbox enforces roles: the limited key cannot create a customer (403 naming the roles)', async () => {
    const response = await fetch(`${sandbox.url}/v1/customers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sandbox.seed.credentials.limitedApiKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'Jo' }),
    });
    expect(response.status).toBe(403);
    expect(JSON.stringify(await response.json())).toContain('org.permission.customer.create');
    expect(sandbox.store.customers.count()).toBe(0);
  });
});

describe('kustomer sandbox: conversations', () => {
  it("a conversation is written by the key's user and assigned as asked; a deleted user cannot be assigned (400 on assignedUsers)", async () => {
    const customer = await post('/v1/customers', { name: 'Jo', emails: [{ email: 'jo@example.com' }] });
    const customerId = ((await customer.json()) as Resource).data.id;
    const agent = person('agent');
    const created = await post('/v1/conversations', {
      customer: customerId,
      externalId: 'chat-1',
      assignedUsers: [agent.id],
    });
    expect(created.status).toBe(201);
    expect(sandbox.store.conversations.all()).toEqual([
      expect.objectContaining({
        externalId: 'chat-1',
        assignedUsers: [agent.id],
        createdBy: person('apiKeyUser').id,
      }),
    ]);
    sandbox.deactivateUser(agent.email);
    const refused = await post('/v1/conversations', {
      customer: customerId,
      externalId: 'chat-2',
      assignedUsers: [agent.id],
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      errors: [{ status: 400, source: { pointer: '/data/attributes/assignedUsers' } }],
    });
    expect(sandbox.store.conversations.count()).toBe(1);
    const users = await fetch(`${sandbox.url}/v1/users/${agent.id}`, { headers: headers() });
    expect(
      ((await users.json()) as { data: { attributes: { deleted: boolean } } }).data.attributes.deleted,
    ).toBe(true);
  });

  it("a malformed answer: the conversation is committed, but answered 200 with a body that is not Kustomer's shape", async () => {
    const customer = await post('/v1/customers', { name: 'Jo', emails: [{ email: 'jo@example.com' }] });
    const customerId = ((await customer.json()) as Resource).data.id;
    const fault = sandbox.faults.inject({
      kind: 'malformed-answer',
      route: 'conversations.create',
      status: 200,
      body: { ok: true },
    });
    const answered = await post('/v1/conversations', { customer: customerId, externalId: 'chat-m' });
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ ok: true });
    expect(fault.exhausted()).toBe(true);
    expect(sandbox.store.conversations.all()).toEqual([expect.objectContaining({ externalId: 'chat-m' })]);
    expect(sandbox.log.entries().at(-1)).toMatchObject({
      route: 'conversations.create',
      fault: 'malformed-answer',
      handled: true,
      status: 200,
    });
    // A text body (a proxy's page) keeps the route's status unless told otherwise.
    sandbox.faults.inject({ kind: 'malformed-answer', route: 'notes.create', body: '<html>OK</html>' });
    const conversationId = sandbox.store.conversations.all()[0]?.id ?? '';
    const note = await post(`/v1/conversations/${conversationId}/notes`, { body: 'hello' });
    expect(note.status).toBe(201);
    expect(note.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await note.text()).toBe('<html>OK</html>');
    expect(sandbox.store.notes.count()).toBe(1);
  });
});

describe('kustomer sandbox: customers and users', () => {
  it('customers are unique by email, phone and external id: a duplicate create is a 409 conflict', async () => {
    const create = (body: unknown) =>
      fetch(`${sandbox.url}/v1/customers`, {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify(body),
      });
    const first = await create({
      name: 'Jo',
      emails: [{ type: 'home', email: 'Jo@Example.com' }],
      externalId: 'shop-1',
    });
    expect(first.status).toBe(201);
    const id = ((await first.json()) as Resource).data.id;
    expect((await create({ name: 'Jo again', emails: [{ email: 'jo@example.com' }] })).status).toBe(409);
    expect((await create({ name: 'Jo again', externalId: 'shop-1' })).status).toBe(409);
    expect(sandbox.store.customers.count()).toBe(1);
    const found = await fetch(`${sandbox.url}/v1/customers/email=jo%40example.com`, { headers: headers() });
    expect(((await found.json()) as Resource).data).toMatchObject({ type: 'customer', id });
    expect(
      (await fetch(`${sandbox.url}/v1/customers/phone=%2B15550000000`, { headers: headers() })).status,
    ).toBe(404);
  });

  it('lists users with JSON:API envelopes, filtered by email or deleted, paged with links', async () => {
    const page = await fetch(`${sandbox.url}/v1/users?deleted=false&page=1&pageSize=2`, {
      headers: headers(),
    });
    const body = (await page.json()) as { meta: unknown; data: unknown[]; links: { next: string | null } };
    expect(body.meta).toEqual({ page: 1, pageSize: 2 });
    expect(body.data).toHaveLength(2);
    expect(body.links.next).toBe('/v1/users?deleted=false&page=2&pageSize=2');
    const byEmail = await fetch(`${sandbox.url}/v1/users?email=GUS.GONE%40acme.test`, { headers: headers() });
    expect(((await byEmail.json()) as { data: unknown[] }).data).toEqual([
      expect.objectContaining({
        type: 'user',
        attributes: expect.objectContaining({ deleted: true, userType: 'user' }),
      }),
    ]);
  });
});

describe('kustomer sandbox: notes', () => {
  /** A conversation to put notes on, created over the API. */
  async function conversation(): Promise<string> {
    const customer = await post('/v1/customers', { name: 'Jo', emails: [{ email: 'jo@example.com' }] });
    const customerId = ((await customer.json()) as Resource).data.id;
    const created = await post('/v1/conversations', { customer: customerId, externalId: 'chat-notes' });
    return ((await created.json()) as Resource).data.id;
  }

  it('a note body is 1 to 10,240 characters, as the API reference says: longer or empty is a 400 naming body', async () => {
    const conversationId = await conversation();
    const note = (body: string) => post(`/v1/conversations/${conversationId}/notes`, { body });
    expect((await note('x'.repeat(10_240))).status).toBe(201);
    const tooLong = await note('x'.repeat(10_241));
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toEqual({
      errors: [
        {
          status: 400,
          code: 'bad_request',
          title: 'Bad Request',
          detail: 'body: must be at most 10240 characters',
          source: { pointer: '/data/attributes/body' },
        },
      ],
    });
    const empty = await note('');
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({
      errors: [{ status: 400, code: 'bad_request', source: { pointer: '/data/attributes/body' } }],
    });
    // Characters as JavaScript counts them (UTF-16 code units): 5,121 emoji are 10,242 of them.
    expect((await note('😀'.repeat(5_120))).status).toBe(201);
    expect((await note('😀'.repeat(5_121))).status).toBe(400);
    expect(sandbox.store.notes.count()).toBe(2);
  });
});

describe('kustomer sandbox: rate-limit answers', () => {
  const read = () => fetch(`${sandbox.url}/v1/users/current`, { headers: headers() });

  it('the documented headers only: x-ratelimit-limit, -remaining and -reset, no Retry-After (Kustomer does not promise one)', async () => {
    sandbox.limitRate({ requestsPerMinute: 2, timeScale: 60 });
    const admitted = await read();
    expect(admitted.headers.get('x-ratelimit-limit')).toBe('2');
    expect(admitted.headers.get('x-ratelimit-remaining')).toBe('1');
    await read();
    const refused = await read();
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ errors: [{ status: 429, code: 'rate_limited' }] });
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(refused.headers.get('x-ratelimit-limit')).toBe('2');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    // Seconds until a slot frees up in the (scaled) minute: less than one here.
    const reset = Number(refused.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(0);
    expect(reset).toBeLessThanOrEqual(1);

    sandbox.limitRate(undefined);
    sandbox.faults.inject({ kind: 'rate-limit', retryAfterSeconds: 7 });
    const faulted = await fetch(`${sandbox.url}/v1/users/current`, { headers: headers() });
    expect(faulted.status).toBe(429);
    expect(faulted.headers.get('x-ratelimit-reset')).toBe('7');
    expect(faulted.headers.get('retry-after')).toBeNull();
  });

  it('options: the reset as epoch seconds, and a Retry-After as well', async () => {
    await sandbox.stop();
    const now = Date.UTC(2026, 10, 21, 10, 0, 0);
    sandbox = createKustomerSandbox({
      clock: () => now,
      rateLimitAnswer: { reset: 'epoch-seconds', retryAfter: true },
    });
    await sandbox.start();
    sandbox.faults.inject({ kind: 'rate-limit', retryAfterSeconds: 7 });
    const refused = await read();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-reset')).toBe(String(now / 1000 + 7));
    expect(refused.headers.get('retry-after')).toBe('7');
  });
});
