import { inspect } from 'node:util';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isCrmConnectError } from '../src/errors.js';
import { type AuthProvider, createHttpClient } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import type { Logger } from '../src/logging.js';
import { createRedactor } from '../src/redaction.js';

const origin = 'https://api.crm.test';
const apiKey = 'sk_live_9f8e7d6c5b4a3210';

function setup(
  options: {
    auth?: AuthProvider;
    requestsPerInterval?: number;
    intervalMs?: number;
    timeoutMs?: number;
  } = {},
) {
  const lines: string[] = [];
  const logger: Logger = {
    log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`),
  };
  const budget = createRateBudgetRegistry().forAccount('test', {
    requestsPerInterval: options.requestsPerInterval ?? 1_000,
    intervalMs: options.intervalMs ?? 60_000,
  });
  const client = createHttpClient({
    pluginId: 'testcrm',
    baseUrl: origin,
    auth: options.auth ?? { headers: async () => ({ Authorization: `Bearer ${apiKey}` }) },
    budget,
    redactor: createRedactor([apiKey]),
    logger,
    idempotencyHeader: 'Idempotency-Key',
    retry: { initialDelayMs: 10, maxDelayMs: 50 },
    timeoutMs: options.timeoutMs,
  });
  return { client, lines, budget };
}

beforeAll(() => {
  nock.disableNetConnect();
});

/**
 * Advances fake time in small steps, yielding to the real event loop between them: the mocked
 * sockets answer through real I/O callbacks that fake timers alone would never run.
 */
async function advance(ms: number, step = 10): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, ms - elapsed));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
}
afterEach(() => {
  vi.useRealTimers();
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('retries', () => {
  it('a 429 with Retry-After: 2 waits about 2 s before the retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { client, lines } = setup();
    const sentAt: number[] = [];
    nock(origin)
      .get('/tickets/1')
      .reply(() => {
        sentAt.push(Date.now());
        return [429, { error: 'slow down' }, { 'Retry-After': '2' }];
      })
      .get('/tickets/1')
      .reply(() => {
        sentAt.push(Date.now());
        return [200, { id: 1 }];
      });
    const pending = client.request({ method: 'GET', path: '/tickets/1', operation: 'read ticket' });
    await advance(1_900);
    expect(sentAt).toHaveLength(1);
    for (let turns = 0; turns < 300 && sentAt.length < 2; turns += 1) await advance(10);
    const response = await pending;
    expect(response).toMatchObject({ status: 200, data: { id: 1 }, attempts: 2 });
    // The client chose exactly the server's delay (not its own 10–50 ms backoff)…
    expect(lines.find((line) => line.includes('retried'))).toContain('"delayMs":2000');
    // …and the retry really went out no sooner.
    expect((sentAt[1] ?? 0) - (sentAt[0] ?? 0)).toBeGreaterThanOrEqual(2_000);
  });

  it('a 429 with an HTTP-date Retry-After is honoured too', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      now: new Date('2026-11-21T10:00:00Z'),
    });
    const { client } = setup();
    nock(origin)
      .get('/x')
      .reply(429, '', { 'Retry-After': 'Sat, 21 Nov 2026 10:00:03 GMT' })
      .get('/x')
      .reply(200, {});
    const pending = client.request({ method: 'GET', path: '/x', operation: 'read' });
    await advance(2_900);
    expect(nock.pendingMocks()).toHaveLength(1);
    await advance(400);
    await expect(pending).resolves.toMatchObject({ attempts: 2 });
  });

  it('never retries a non-idempotent POST without an idempotency key', async () => {
    const { client } = setup();
    nock(origin).post('/tickets').reply(503, { error: 'maintenance' });
    const error = await client
      .request({ method: 'POST', path: '/tickets', body: {}, operation: 'create ticket' })
      .catch((e: unknown) => e);
    expect(isCrmConnectError(error) && error.code).toBe('transport_failed');
    expect(isCrmConnectError(error) && error.attempts).toBe(1);
  });

  it('never retries a POST without a key even on a 429', async () => {
    const { client } = setup();
    nock(origin).post('/tickets').reply(429, '', { 'Retry-After': '0' });
    const error = await client
      .request({ method: 'POST', path: '/tickets', body: {}, operation: 'create ticket' })
      .catch((e: unknown) => e);
    expect(isCrmConnectError(error) && error.code).toBe('rate_limited');
    expect(isCrmConnectError(error) && error.attempts).toBe(1);
  });

  it('retries a POST that carries an idempotency key, sending the same key each time', async () => {
    const { client } = setup();
    nock(origin)
      .post('/tickets')
      .matchHeader('idempotency-key', 'create:int-1')
      .reply(503, 'busy')
      .post('/tickets')
      .matchHeader('idempotency-key', 'create:int-1')
      .reply(201, { id: 9 });
    const response = await client.request({
      method: 'POST',
      path: '/tickets',
      body: { subject: 'x' },
      operation: 'create ticket',
      idempotencyKey: 'create:int-1',
    });
    expect(response).toMatchObject({ status: 201, attempts: 2 });
  });

  it('retries a write the plugin declares idempotent (an upsert by external id)', async () => {
    const { client } = setup();
    nock(origin).patch('/cases/ext/int-1').reply(502, 'bad gateway').patch('/cases/ext/int-1').reply(200, {});
    await expect(
      client.request({
        method: 'PATCH',
        path: '/cases/ext/int-1',
        body: {},
        operation: 'upsert case',
        idempotent: true,
      }),
    ).resolves.toMatchObject({ attempts: 2 });
  });

  it('never retries a PUT the plugin declares not idempotent (a PUT that appends a comment)', async () => {
    const { client } = setup();
    nock(origin).put('/tickets/7').reply(503, 'busy');
    const error = await client
      .request({
        method: 'PUT',
        path: '/tickets/7',
        body: { comment: 'x' },
        operation: 'add note',
        idempotent: false,
      })
      .catch((e: unknown) => e);
    expect(isCrmConnectError(error) && error.attempts).toBe(1);
  });

  it('retries a GET after a dropped connection', async () => {
    const { client } = setup();
    nock(origin)
      .get('/users')
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .get('/users')
      .reply(200, []);
    await expect(
      client.request({ method: 'GET', path: '/users', operation: 'list users' }),
    ).resolves.toMatchObject({ attempts: 2 });
  });

  it('gives up after the configured retries and says how many attempts it made', async () => {
    const { client } = setup();
    nock(origin).get('/users').times(5).reply(500, 'boom');
    const error = await client
      .request({ method: 'GET', path: '/users', operation: 'list users' })
      .catch((e: unknown) => e);
    expect(isCrmConnectError(error) && error.attempts).toBe(5);
    expect(isCrmConnectError(error) && error.retryable).toBe(true);
  });

  it('does not wait for a Retry-After beyond the limit: it throws the rate-limit error at once', async () => {
    const { client } = setup();
    nock(origin).get('/users').reply(429, '', { 'Retry-After': '3600' });
    const error = await client
      .request({ method: 'GET', path: '/users', operation: 'list users' })
      .catch((e: unknown) => e);
    expect(isCrmConnectError(error) && error.code).toBe('rate_limited');
    expect(isCrmConnectError(error) && error.retryAfterMs).toBe(3_600_000);
  });

  it('does not retry a 4xx answer', async () => {
    const { client } = setup();
    nock(origin).get('/users/9').reply(404, { error: 'RecordNotFound' });
    const error = await client
      .request({ method: 'GET', path: '/users/9', operation: 'read user' })
      .catch((e: unknown) => e);
    expect(isCrmConnectError(error) && error.code).toBe('not_found');
  });

  it('treats listed statuses as answers', async () => {
    const { client } = setup();
    nock(origin).get('/customers/email=a@b.test').reply(404, { errors: [] });
    await expect(
      client.request({
        method: 'GET',
        path: '/customers/email=a@b.test',
        operation: 'find',
        acceptStatus: [404],
      }),
    ).resolves.toMatchObject({ status: 404 });
  });

  it('times out a request that takes too long', async () => {
    const { client } = setup({ timeoutMs: 50 });
    nock(origin).post('/slow').delay(500).reply(200, {});
    const error = await client
      .request({ method: 'POST', path: '/slow', operation: 'slow write' })
      .catch((e: unknown) => e);
    expect(isCrmConnectError(error) && error.code).toBe('transport_failed');
    expect(String((error as Error).message)).toContain('timed out');
  });
});

describe('credentials refresh', () => {
  it('after a 401, refreshes once and sends the request again', async () => {
    let token = 'expired-token-1111';
    const auth: AuthProvider = {
      headers: async () => ({ Authorization: `Bearer ${token}` }),
      refresh: vi.fn(async () => {
        token = 'fresh-token-2222';
        return true;
      }),
    };
    const { client } = setup({ auth });
    nock(origin)
      .get('/me')
      .matchHeader('authorization', 'Bearer expired-token-1111')
      .reply(401, {})
      .get('/me')
      .matchHeader('authorization', 'Bearer fresh-token-2222')
      .reply(200, { id: 'u1' });
    await expect(
      client.request({ method: 'GET', path: '/me', operation: 'who am i' }),
    ).resolves.toMatchObject({ attempts: 2 });
    expect(auth.refresh).toHaveBeenCalledTimes(1);
  });

  it('refreshes only once: a second 401 is an authentication error', async () => {
    const auth: AuthProvider = {
      headers: async () => ({ Authorization: 'Bearer nope-nope-nope' }),
      refresh: vi.fn(async () => true),
    };
    const { client } = setup({ auth });
    nock(origin).get('/me').times(2).reply(401, {});
    const error = await client
      .request({ method: 'GET', path: '/me', operation: 'who am i' })
      .catch((e: unknown) => e);
    expect(isCrmConnectError(error) && error.code).toBe('authentication_failed');
    expect(auth.refresh).toHaveBeenCalledTimes(1);
  });
});

describe('the rate budget', () => {
  // Fake time, but each step yields to real I/O: a loaded machine needs more than the default 20 s.
  it('holds under 200 concurrent calls: never more than the cap in any window, and every call completes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // A task asks for its credentials first thing, so this records when the budget let it start.
    const startedAt: number[] = [];
    const auth: AuthProvider = {
      headers: async () => {
        startedAt.push(Date.now());
        return { Authorization: `Bearer ${apiKey}` };
      },
    };
    const { client } = setup({ auth, requestsPerInterval: 10, intervalMs: 1_000 });
    nock(origin)
      .get(/\/items\/\d+/)
      .times(200)
      .reply(200, {});
    const calls = Array.from({ length: 200 }, (_, index) =>
      client.request({ method: 'GET', path: `/items/${index}`, operation: 'read item' }),
    );
    // 20 windows of 1 s, each ending 1 s after the previous one's answers: the mocked answers take
    // a varying number of fake steps, so fake time runs until every call has settled.
    let settled = 0;
    for (const call of calls) void call.then(() => (settled += 1));
    for (let waited = 0; settled < calls.length && waited < 120_000; waited += 1_000)
      await advance(1_000, 25);
    const results = await Promise.all(calls);
    expect(results).toHaveLength(200);
    expect(startedAt).toHaveLength(200);
    for (const start of startedAt) {
      const inWindow = startedAt.filter((other) => other >= start && other < start + 1_000).length;
      expect(inWindow).toBeLessThanOrEqual(10);
    }
    // The budget is usable at once: the first window starts its full 10 calls without waiting.
    const first = Math.min(...startedAt);
    expect(startedAt.filter((start) => start < first + 1_000)).toHaveLength(10);
  }, 90_000);

  it('a 429 holds every caller of the account, not only the one that got it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { client, lines } = setup();
    let limitedAt = 0;
    let otherSentAt = 0;
    nock(origin)
      .get('/a')
      .reply(() => {
        limitedAt = Date.now();
        return [429, '', { 'Retry-After': '5' }];
      })
      .get('/a')
      .reply(200, {})
      .get('/b')
      .reply(() => {
        otherSentAt = Date.now();
        return [200, {}];
      });
    const first = client.request({ method: 'GET', path: '/a', operation: 'a' });
    // Start the other caller only once the client has taken the 429 in (it logs the retry).
    for (let turns = 0; turns < 500 && !lines.some((line) => line.includes('retried')); turns += 1)
      await advance(10);
    expect(limitedAt).toBeGreaterThan(0);
    const second = client.request({ method: 'GET', path: '/b', operation: 'b' });
    await advance(6_000);
    await Promise.all([first, second]);
    expect(otherSentAt - limitedAt).toBeGreaterThanOrEqual(5_000);
  });
});

describe('secret redaction', () => {
  it('no configured secret appears in error messages, error objects or log lines', async () => {
    const { client, lines } = setup();
    nock(origin)
      .post(`/echo`)
      .query(true)
      .reply(422, { error: 'RecordInvalid', description: `token ${apiKey} is not allowed here` });
    const error = await client
      .request({ method: 'POST', path: `/echo`, query: { key: apiKey }, operation: 'echo', body: { apiKey } })
      .catch((e: unknown) => e);
    expect(isCrmConnectError(error)).toBe(true);
    const haystack = [
      String((error as Error).message),
      JSON.stringify(error),
      inspect(error, { depth: 8 }),
      ...lines,
    ].join('\n');
    expect(haystack).not.toContain(apiKey);
    expect(haystack).not.toContain(Buffer.from(apiKey).toString('base64'));
    expect(haystack).toContain('[REDACTED]');
  });

  it('a Basic credential built from a secret is redacted as sent', async () => {
    const basic = Buffer.from(`admin@acme.test/token:${apiKey}`).toString('base64');
    const { client, lines } = setup({ auth: { headers: async () => ({ Authorization: `Basic ${basic}` }) } });
    nock(origin)
      .get('/me')
      .reply(401, { error: `Couldn't authenticate Basic ${basic}` });
    const error = await client
      .request({ method: 'GET', path: '/me', operation: 'who am i' })
      .catch((e: unknown) => e);
    const haystack = [String((error as Error).message), inspect(error, { depth: 8 }), ...lines].join('\n');
    expect(haystack).not.toContain(basic);
  });

  it('redacts credential headers only: an impersonated user id stays readable', async () => {
    const redactor = createRedactor();
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: {
        headers: async () => ({ Authorization: 'Bearer tok-abcdef-123', MSCRMCallerID: 'user-42-guid' }),
      },
      budget: createRateBudgetRegistry().forAccount('t2', { requestsPerInterval: 100 }),
      redactor,
    });
    nock(origin).get('/me').matchHeader('mscrmcallerid', 'user-42-guid').reply(200, {});
    await client.request({ method: 'GET', path: '/me', operation: 'who am i' });
    expect(redactor.redact('tok-abcdef-123 acting as user-42-guid')).toBe(
      '[REDACTED] acting as user-42-guid',
    );
  });

  it("agents' Basic credentials around a registered API token add nothing to the redactor, and stay redacted", async () => {
    const apiToken = 'gV4sPz7QmW2xT9kLb3NcR8yH1fJ6dA0eU5oI';
    const redactor = createRedactor([apiToken]);
    let email = '';
    const basic = () => Buffer.from(`${email}/token:${apiToken}`).toString('base64');
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers: async () => ({ Authorization: `Basic ${basic()}` }) },
      budget: createRateBudgetRegistry().forAccount('t3', { requestsPerInterval: 10_000 }),
      redactor,
    });
    nock(origin).get('/me').times(300).reply(200, {});
    for (let agent = 0; agent < 300; agent += 1) {
      email = `agent-${agent}@helpdesk.example`;
      await client.request({ method: 'GET', path: '/me', operation: 'who am i' });
    }
    expect(redactor.size()).toBe(1);
    expect(redactor.redact(`Basic ${basic()}`)).toBe('Basic [REDACTED]');
  });

  it('a credential no registered secret covers is registered as sent', async () => {
    const redactor = createRedactor();
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers: async () => ({ 'x-api-key': 'unregistered-key-0123456789' }) },
      budget: createRateBudgetRegistry().forAccount('t4', { requestsPerInterval: 100 }),
      redactor,
    });
    nock(origin).get('/me').twice().reply(200, {});
    await client.request({ method: 'GET', path: '/me', operation: 'who am i' });
    await client.request({ method: 'GET', path: '/me', operation: 'who am i' });
    expect(redactor.size()).toBe(1);
    expect(redactor.redact('key unregistered-key-0123456789')).toBe('key [REDACTED]');
  });

  it('a transport failure keeps no raw client error (whose config holds the credentials)', async () => {
    const { client } = setup();
    nock(origin)
      .post('/x')
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const error = await client
      .request({ method: 'POST', path: '/x', operation: 'x' })
      .catch((e: unknown) => e);
    expect(inspect(error, { depth: 10 })).not.toContain(apiKey);
    expect(isCrmConnectError(error) && error.retryable).toBe(true);
  });
});
