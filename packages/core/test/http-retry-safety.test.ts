import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpMethod } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import { createRedactor } from '../src/redaction.js';

/**
 * Which requests are sent again after a 5xx or a lost answer (docs/http-layer.md): GET, HEAD, PUT
 * and DELETE are idempotent and retried; POST and PATCH are sent once, unless they carry an
 * idempotency key or the plugin vouches that repeating them is harmless.
 */

const origin = 'https://retry-safety.crm.test';

function setup(idempotencyHeader?: string) {
  return createHttpClient({
    pluginId: 'testcrm',
    baseUrl: origin,
    auth: { headers: async () => ({}) },
    budget: createRateBudgetRegistry().forAccount('retry-safety', { requestsPerInterval: 1_000 }),
    redactor: createRedactor(),
    idempotencyHeader,
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
  });
}

function mock(method: HttpMethod) {
  const scope = nock(origin);
  return method === 'HEAD' ? scope.head('/records/7') : scope.intercept('/records/7', method);
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('idempotent methods are retried', () => {
  for (const method of ['GET', 'HEAD', 'PUT', 'DELETE'] as const) {
    it(`${method}: retried after a 503`, async () => {
      mock(method).reply(503, '');
      mock(method).reply(200, '');
      await expect(
        setup().request({ method, path: '/records/7', operation: 'touch record' }),
      ).resolves.toMatchObject({ status: 200, attempts: 2 });
    });

    it(`${method}: retried after an answer that never came (connection reset)`, async () => {
      mock(method).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      mock(method).reply(204);
      await expect(
        setup().request({ method, path: '/records/7', operation: 'touch record' }),
      ).resolves.toMatchObject({ status: 204, attempts: 2 });
    });
  }
});

describe('POST and PATCH are sent once unless made safe', () => {
  for (const method of ['POST', 'PATCH'] as const) {
    it(`${method} without a key: one attempt after a 503`, async () => {
      mock(method).reply(503, 'busy');
      const error = await setup()
        .request({ method, path: '/records/7', body: { a: 1 }, operation: 'write record' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'transport_failed', retryable: true, attempts: 1 });
    });

    it(`${method} without a key: one attempt after a lost answer`, async () => {
      mock(method).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      const error = await setup()
        .request({ method, path: '/records/7', body: { a: 1 }, operation: 'write record' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'transport_failed', attempts: 1 });
    });

    it(`${method} with an idempotency key: retried, the key sent each time in the configured header`, async () => {
      mock(method).matchHeader('x-request-key', 'write:int-7').reply(502, '');
      mock(method).matchHeader('x-request-key', 'write:int-7').reply(200, { ok: true });
      await expect(
        setup('X-Request-Key').request({
          method,
          path: '/records/7',
          body: { a: 1 },
          operation: 'write record',
          idempotencyKey: 'write:int-7',
        }),
      ).resolves.toMatchObject({ status: 200, data: { ok: true }, attempts: 2 });
    });
  }

  it('a key makes a write safe even when the plugin marked it not idempotent', async () => {
    mock('PUT').reply(503, '');
    mock('PUT').reply(200, '');
    await expect(
      setup().request({
        method: 'PUT',
        path: '/records/7',
        operation: 'append',
        idempotent: false,
        idempotencyKey: 'append:int-7',
      }),
    ).resolves.toMatchObject({ attempts: 2 });
  });

  it('without an idempotency header the key is not sent, only marks the write safe to retry', async () => {
    let sentHeaders: Record<string, unknown> = {};
    mock('POST').reply(503, '');
    mock('POST').reply(function () {
      sentHeaders = this.req.headers;
      return [201, { id: 1 }];
    });
    await expect(
      setup().request({
        method: 'POST',
        path: '/records/7',
        body: {},
        operation: 'create',
        idempotencyKey: 'create:int-7',
      }),
    ).resolves.toMatchObject({ status: 201, attempts: 2 });
    expect(Object.values(sentHeaders)).not.toContain('create:int-7');
  });

  it('a GET the plugin marks not idempotent is sent once', async () => {
    mock('GET').reply(500, '');
    const error = await setup()
      .request({ method: 'GET', path: '/records/7', operation: 'consume', idempotent: false })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'transport_failed', attempts: 1 });
  });
});
