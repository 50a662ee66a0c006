import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import type { LogFields, Logger, LogLevel } from '../src/logging.js';
import { createRedactor } from '../src/redaction.js';

/**
 * One request id per request, kept across its retries: in the configured header to the CRM (for
 * support cases), in the answer, in its error and on every log line about it.
 */

const origin = 'https://request-id.crm.test';
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Line {
  level: LogLevel;
  message: string;
  fields: LogFields | undefined;
}

function setup(options: { requestIdHeader?: string; enabled?: Logger['enabled'] } = {}) {
  const lines: Line[] = [];
  const logger: Logger = {
    log: (level, message, fields) => lines.push({ level, message, fields }),
    ...(options.enabled === undefined ? {} : { enabled: options.enabled }),
  };
  const client = createHttpClient({
    pluginId: 'testcrm',
    baseUrl: origin,
    auth: { headers: async () => ({}) },
    budget: createRateBudgetRegistry().forAccount('request-id', { requestsPerInterval: 1_000 }),
    redactor: createRedactor(['secret-in-path-0042']),
    logger,
    requestIdHeader: options.requestIdHeader,
    retry: { initialDelayMs: 1, maxDelayMs: 5, maxRetries: 2 },
  });
  return { client, lines };
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('the request id', () => {
  it('is sent in the configured header, the same on every retry, and is the answer’s request id', async () => {
    const sent: unknown[] = [];
    const { client } = setup({ requestIdHeader: 'X-Correlation-Id' });
    nock(origin)
      .get('/x')
      .times(2)
      .reply(function () {
        sent.push(this.req.headers['x-correlation-id']);
        return sent.length === 1 ? [503, ''] : [200, {}];
      });
    const answer = await client.request({ method: 'GET', path: '/x', operation: 'read' });
    expect(answer.requestId).toMatch(uuid);
    expect(sent).toEqual([answer.requestId, answer.requestId]);
  });

  it('differs between two requests', async () => {
    const { client } = setup({ requestIdHeader: 'X-Correlation-Id' });
    nock(origin).get('/x').twice().reply(200, {});
    const first = await client.request({ method: 'GET', path: '/x', operation: 'read' });
    const second = await client.request({ method: 'GET', path: '/x', operation: 'read' });
    expect(first.requestId).not.toBe(second.requestId);
  });

  it('is not sent when no header is configured', async () => {
    let headers: Record<string, unknown> = {};
    const { client } = setup();
    nock(origin)
      .get('/x')
      .reply(function () {
        headers = this.req.headers;
        return [200, {}];
      });
    const answer = await client.request({ method: 'GET', path: '/x', operation: 'read' });
    expect(Object.values(headers)).not.toContain(answer.requestId);
  });

  it('is carried by the error and every log line of a failed request', async () => {
    const sent: unknown[] = [];
    const { client, lines } = setup({ requestIdHeader: 'X-Correlation-Id' });
    nock(origin)
      .get('/x')
      .times(3)
      .reply(function () {
        sent.push(this.req.headers['x-correlation-id']);
        return [500, 'boom'];
      });
    const error = (await client
      .request({ method: 'GET', path: '/x', operation: 'read' })
      .catch((e: unknown) => e)) as { requestId: string };
    expect(error).toMatchObject({ code: 'transport_failed', attempts: 3 });
    expect(sent).toEqual([error.requestId, error.requestId, error.requestId]);
    expect(lines.map((line) => [line.message, line.fields?.requestId])).toEqual([
      ['crm request', error.requestId],
      ['crm request retried', error.requestId],
      ['crm request', error.requestId],
      ['crm request retried', error.requestId],
      ['crm request', error.requestId],
      ['crm request failed', error.requestId],
    ]);
  });
});

describe('what each request logs', () => {
  it('one debug line per attempt, with its redacted path, status and attempt number', async () => {
    const { client, lines } = setup();
    nock(origin)
      .get('/users/secret-in-path-0042')
      .reply(502, '')
      .get('/users/secret-in-path-0042')
      .reply(200, {});
    const answer = await client.request({
      method: 'GET',
      path: '/users/secret-in-path-0042',
      operation: 'read user',
    });
    const debug = lines.filter((line) => line.level === 'debug');
    expect(debug.map((line) => line.fields)).toEqual([
      {
        requestId: answer.requestId,
        plugin: 'testcrm',
        operation: 'read user',
        method: 'GET',
        path: '/users/[REDACTED]',
        status: 502,
        attempt: 1,
        ms: expect.toSatisfy((ms: number) => ms >= 0 && ms < 5_000),
      },
      expect.objectContaining({ status: 200, attempt: 2, path: '/users/[REDACTED]' }),
    ]);
    expect(debug.map((line) => line.message)).toEqual(['crm request', 'crm request']);
  });

  it('each retry is a warning naming the retry, its delay and the error', async () => {
    const { client, lines } = setup();
    nock(origin).get('/x').reply(429, '', { 'Retry-After': '0' }).get('/x').reply(200, {});
    const answer = await client.request({ method: 'GET', path: '/x', operation: 'read' });
    expect(lines.filter((line) => line.message === 'crm request retried')).toEqual([
      {
        level: 'warn',
        message: 'crm request retried',
        fields: {
          requestId: answer.requestId,
          plugin: 'testcrm',
          retry: 1,
          delayMs: 0,
          error: 'rate_limited',
          message: 'testcrm: read failed with HTTP 429: rate limit reached. Retry after 0 s.',
        },
      },
    ]);
  });

  it('a request that finally fails is one warning with its code, status and attempts', async () => {
    const { client, lines } = setup();
    nock(origin).post('/x').reply(422, { error: 'bad' });
    const error = (await client
      .request({ method: 'POST', path: '/x', body: {}, operation: 'create' })
      .catch((e: unknown) => e)) as Error & { requestId: string };
    expect(lines.filter((line) => line.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'crm request failed',
        fields: {
          requestId: error.requestId,
          plugin: 'testcrm',
          operation: 'create',
          code: 'crm_rejected_input',
          status: 422,
          attempts: 1,
          message: error.message,
        },
      },
    ]);
  });

  it('no debug line for a logger that says debug is off; a logger that does not say gets them', async () => {
    const quiet = setup({ enabled: (level) => level !== 'debug' });
    nock(origin).get('/x').twice().reply(200, {});
    await quiet.client.request({ method: 'GET', path: '/x', operation: 'read' });
    expect(quiet.lines).toEqual([]);
    const plain = setup();
    await plain.client.request({ method: 'GET', path: '/x', operation: 'read' });
    expect(plain.lines.map((line) => line.message)).toEqual(['crm request']);
  });
});
