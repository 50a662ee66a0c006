import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthenticationError } from '../src/errors.js';
import { createHttpClient } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import { createRedactor } from '../src/redaction.js';

/** Where a request may go, what it carries, and what a failure before any answer says. */

const origin = 'https://origin.crm.test';
const token = 'origin-token-5566778899';

function setup(options: { defaultHeaders?: Record<string, string>; timeoutMs?: number } = {}) {
  const headers = vi.fn(async () => ({ Authorization: `Bearer ${token}` }));
  const client = createHttpClient({
    pluginId: 'testcrm',
    baseUrl: `${origin}/api/v2/`,
    auth: { headers },
    budget: createRateBudgetRegistry().forAccount('origin', { requestsPerInterval: 1_000 }),
    redactor: createRedactor([token]),
    defaultHeaders: options.defaultHeaders,
    timeoutMs: options.timeoutMs,
    retry: { maxRetries: 0 },
  });
  return { client, headers };
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('credentials go only to the CRM’s own origin', () => {
  it('an absolute URL on the base URL’s origin is sent', async () => {
    const { client } = setup();
    nock(origin).get('/api/v2/users').query({ page: '2' }).reply(200, { users: [] });
    await expect(
      client.request({ method: 'GET', path: `${origin}/api/v2/users?page=2`, operation: 'next page' }),
    ).resolves.toMatchObject({ status: 200 });
  });

  it('another origin is refused unsent, and the error names both origins', async () => {
    const { client, headers } = setup();
    const error = await client
      .request({ method: 'GET', path: 'HTTPS://attacker.test/next', operation: 'next page' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'input_invalid',
      message:
        'testcrm: next page named https://attacker.test, not https://origin.crm.test; nothing was sent, so no credential left for a host it was not checked against.',
      issues: [{ path: 'path', message: 'path: must be on https://origin.crm.test' }],
    });
    expect(headers).not.toHaveBeenCalled();
  });

  it('a malformed absolute URL is refused unsent', async () => {
    const { client, headers } = setup();
    const error = await client
      .request({ method: 'GET', path: 'https://[not-a-host/x', operation: 'next page' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'input_invalid' });
    expect((error as Error).message).toContain('named a malformed URL, not https://origin.crm.test');
    expect(headers).not.toHaveBeenCalled();
  });

  it('an origin the plugin checked itself is sent to', async () => {
    const { client } = setup();
    nock('https://login.crm.test').get('/id/00D/005').reply(200, { user_id: '005' });
    await expect(
      client.request({
        method: 'GET',
        path: 'https://login.crm.test/id/00D/005',
        operation: 'read identity',
        crossOriginChecked: true,
      }),
    ).resolves.toMatchObject({ data: { user_id: '005' } });
  });

  it('a relative path that quotes another origin in its query is relative', async () => {
    const { client } = setup();
    nock(origin).get('/api/v2/search').query({ next: 'https://other.test/x' }).reply(200, {});
    await expect(
      client.request({ method: 'GET', path: 'search?next=https://other.test/x', operation: 'search' }),
    ).resolves.toMatchObject({ status: 200 });
  });
});

describe('what a request carries', () => {
  it('default headers, then the request’s own, then the credentials, each overriding the one before', async () => {
    const { client } = setup({
      defaultHeaders: { Accept: 'application/json', 'X-Version': '1', Authorization: 'no' },
    });
    nock(origin)
      .put('/api/v2/tickets/7', { ticket: { status: 'solved' } })
      .query({ async: 'true' })
      .matchHeader('accept', 'application/json')
      .matchHeader('x-version', '2')
      .matchHeader('authorization', `Bearer ${token}`)
      .reply(200, {});
    await expect(
      client.request({
        method: 'PUT',
        path: 'tickets/7',
        query: { async: true },
        headers: { 'X-Version': '2', Authorization: 'also no' },
        body: { ticket: { status: 'solved' } },
        operation: 'solve ticket',
      }),
    ).resolves.toMatchObject({ status: 200 });
  });
});

describe('a failure before any answer', () => {
  it('names the code and the origin to check, keeps a redacted cause, and is retryable', async () => {
    const { client } = setup();
    nock(origin)
      .post('/api/v2/x')
      .replyWithError(
        Object.assign(new Error(`connect ECONNREFUSED with ${token}`), { code: 'ECONNREFUSED' }),
      );
    const error = await client
      .request({ method: 'POST', path: 'x', operation: 'create x' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'transport_failed',
      retryable: true,
      attempts: 1,
      message:
        'testcrm: create x failed before an answer (ECONNREFUSED: connect ECONNREFUSED with [REDACTED]). Check that https://origin.crm.test is reachable; the request is retried automatically when it is safe to repeat.',
      cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED with [REDACTED]' },
    });
  });

  it('a failure with no code says it was a network error', async () => {
    const { client } = setup();
    nock(origin).get('/api/v2/x').replyWithError('the line went dead');
    const error = await client
      .request({ method: 'GET', path: 'x', operation: 'read x' })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      'read x failed before an answer (network error: the line went dead).',
    );
  });

  // ETIMEDOUT: the socket's own, or the layer's deadline for the whole exchange (http-deadline.test.ts).
  for (const code of ['ETIMEDOUT']) {
    it(`${code} is a timeout`, async () => {
      const { client } = setup({ timeoutMs: 4_321 });
      nock(origin)
        .get('/api/v2/x')
        .replyWithError(Object.assign(new Error('too slow'), { code }));
      const error = await client
        .request({ method: 'GET', path: 'x', operation: 'read x' })
        .catch((e: unknown) => e);
      expect((error as Error).message).toBe(
        'testcrm: read x timed out after 4321 ms. Check that https://origin.crm.test is reachable; the request is retried automatically when it is safe to repeat.',
      );
    });
  }

  it('ECONNABORTED (an aborted connection, not a timeout) is a failure before an answer', async () => {
    const { client } = setup({ timeoutMs: 4_321 });
    nock(origin)
      .get('/api/v2/x')
      .replyWithError(Object.assign(new Error('aborted'), { code: 'ECONNABORTED' }));
    const error = await client
      .request({ method: 'GET', path: 'x', operation: 'read x' })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain('read x failed before an answer (ECONNABORTED: aborted).');
  });

  it('the default deadline is 30 s', async () => {
    const { client } = setup();
    nock(origin)
      .get('/api/v2/x')
      .replyWithError(Object.assign(new Error('too slow'), { code: 'ETIMEDOUT' }));
    const error = await client
      .request({ method: 'GET', path: 'x', operation: 'read x' })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain('timed out after 30000 ms');
  });
});

describe('what holds the account, and what passes through', () => {
  function withBudget(auth?: () => Promise<Record<string, string>>) {
    const budget = createRateBudgetRegistry().forAccount('held', { requestsPerInterval: 1_000 });
    const holdFor = vi.spyOn(budget, 'holdFor');
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers: auth ?? (async () => ({})) },
      budget,
      redactor: createRedactor(),
      retry: { maxRetries: 0 },
    });
    return { client, holdFor };
  }

  it('a 503 with Retry-After fails this request only; a 429 with one holds the whole account', async () => {
    const { client, holdFor } = withBudget();
    nock(origin).get('/busy').reply(503, 'down', { 'Retry-After': '7' });
    await expect(client.request({ method: 'GET', path: '/busy', operation: 'read' })).rejects.toMatchObject({
      status: 503,
      retryAfterMs: 7_000,
    });
    expect(holdFor).not.toHaveBeenCalled();
    nock(origin).get('/limited').reply(429, {}, { 'Retry-After': '3' });
    await expect(
      client.request({ method: 'GET', path: '/limited', operation: 'read' }),
    ).rejects.toMatchObject({
      code: 'rate_limited',
    });
    expect(holdFor).toHaveBeenCalledWith(3_000);
  });

  it('a typed error from the credentials is the caller’s, not a transport failure', async () => {
    const refused = new AuthenticationError('testcrm: the token was revoked', { pluginId: 'testcrm' });
    const { client } = withBudget(async () => {
      throw refused;
    });
    await expect(client.request({ method: 'GET', path: '/x', operation: 'read' })).rejects.toBe(refused);
  });
});
