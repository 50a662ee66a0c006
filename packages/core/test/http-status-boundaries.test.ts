import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import { createRedactor } from '../src/redaction.js';

/** Which statuses are answers, which are errors, and which errors are retried. */

const origin = 'https://status.crm.test';

const client = () =>
  createHttpClient({
    pluginId: 'testcrm',
    baseUrl: origin,
    auth: { headers: async () => ({}) },
    budget: createRateBudgetRegistry().forAccount('status', { requestsPerInterval: 1_000 }),
    redactor: createRedactor(),
    retry: { initialDelayMs: 1, maxDelayMs: 5, maxRetries: 1 },
  });

const read = (acceptStatus?: number[]) =>
  client()
    .request({ method: 'GET', path: '/thing', operation: 'read thing', acceptStatus })
    .catch((error: unknown) => error);

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('2xx are answers, the rest errors', () => {
  it('200 and 299 are answers, with their data and lowercased headers', async () => {
    nock(origin).get('/thing').reply(200, { id: 1 }, { 'X-Total-Count': '3' });
    await expect(read()).resolves.toMatchObject({
      status: 200,
      data: { id: 1 },
      headers: { 'x-total-count': '3' },
      attempts: 1,
    });
    nock(origin).get('/thing').reply(299, { id: 2 });
    await expect(read()).resolves.toMatchObject({ status: 299, data: { id: 2 } });
  });

  it('a header sent twice is one value, joined with a comma', async () => {
    nock(origin)
      .get('/thing')
      .reply(200, {}, { 'Set-Cookie': ['a=1', 'b=2'] });
    await expect(read()).resolves.toMatchObject({ headers: { 'set-cookie': 'a=1, b=2' } });
  });

  it('300 is an error (a redirect is never followed), sent once', async () => {
    nock(origin)
      .get('/thing')
      .reply(300, 'choose', { Location: `${origin}/elsewhere` });
    await expect(read()).resolves.toMatchObject({ code: 'http_error', status: 300, attempts: 1 });
  });

  it('a listed status is an answer; unlisted, the same status is an error', async () => {
    nock(origin)
      .get('/thing')
      .reply(404, { errors: ['none'] });
    await expect(read([404])).resolves.toMatchObject({
      status: 404,
      data: { errors: ['none'] },
      attempts: 1,
    });
    nock(origin)
      .get('/thing')
      .reply(404, { errors: ['none'] });
    await expect(read([409])).resolves.toMatchObject({ code: 'not_found', status: 404 });
  });
});

describe('which error statuses are retried', () => {
  it('428 is not retried; 429 is', async () => {
    nock(origin).get('/thing').reply(428, 'precondition required');
    await expect(read()).resolves.toMatchObject({ code: 'http_error', status: 428, attempts: 1 });
    nock(origin).get('/thing').times(2).reply(429, 'slow down');
    await expect(read()).resolves.toMatchObject({ code: 'rate_limited', status: 429, attempts: 2 });
  });

  it('499 is not retried; 500 is', async () => {
    nock(origin).get('/thing').reply(499, 'client closed');
    await expect(read()).resolves.toMatchObject({ code: 'http_error', status: 499, attempts: 1 });
    nock(origin).get('/thing').times(2).reply(500, 'boom');
    await expect(read()).resolves.toMatchObject({ code: 'transport_failed', status: 500, attempts: 2 });
  });

  it('a retried 5xx that then succeeds is an answer', async () => {
    nock(origin).get('/thing').reply(504, '').get('/thing').reply(200, { id: 3 });
    await expect(read()).resolves.toMatchObject({ status: 200, data: { id: 3 }, attempts: 2 });
  });
});
