import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpClient, type RetryOptions } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import type { LogFields, Logger } from '../src/logging.js';
import { createRedactor } from '../src/redaction.js';

/**
 * Retry-After is honoured on 429 and 503 (docs/http-layer.md), but only a 429 speaks for the
 * whole account: a 503 is one server's trouble, and holds only the request that got it.
 */

const origin = 'https://retry-after.crm.test';

function setup(retry: RetryOptions = {}) {
  const logged: Array<{ message: string; fields: LogFields | undefined }> = [];
  const logger: Logger = { log: (_level, message, fields) => logged.push({ message, fields }) };
  const budget = createRateBudgetRegistry().forAccount('retry-after', { requestsPerInterval: 1_000 });
  const client = createHttpClient({
    pluginId: 'testcrm',
    baseUrl: origin,
    auth: { headers: async () => ({}) },
    budget,
    redactor: createRedactor(),
    logger,
    retry: { initialDelayMs: 10, maxDelayMs: 50, ...retry },
  });
  const retried = () =>
    logged.filter((line) => line.message === 'crm request retried').map((line) => line.fields);
  return { client, budget, retried };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!condition() && Date.now() - started < timeoutMs)
    await new Promise((resolve) => setTimeout(resolve, 5));
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  vi.useRealTimers();
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('a 503 with Retry-After', () => {
  it('waits the CRM’s delay before its own retry, but does not hold the other callers of the account', async () => {
    const { client, retried } = setup();
    const sentAt: Record<string, number[]> = { a: [], b: [] };
    nock(origin)
      .get('/a')
      .reply(() => {
        sentAt.a?.push(Date.now());
        return [503, 'maintenance', { 'Retry-After': '1' }];
      })
      .get('/a')
      .reply(() => {
        sentAt.a?.push(Date.now());
        return [200, { id: 'a' }];
      })
      .get('/b')
      .reply(() => {
        sentAt.b?.push(Date.now());
        return [200, { id: 'b' }];
      });
    const first = client.request({ method: 'GET', path: '/a', operation: 'read a' });
    await until(() => retried().length > 0);
    const second = await client.request({ method: 'GET', path: '/b', operation: 'read b' });
    // The other caller went out at once, well inside the 503's second…
    expect(second.status).toBe(200);
    expect((sentAt.b?.[0] ?? 0) - (sentAt.a?.[0] ?? 0)).toBeLessThan(700);
    await expect(first).resolves.toMatchObject({ status: 200, attempts: 2 });
    const [firstA = 0, secondA = 0] = sentAt.a ?? [];
    // …while the request that got the 503 waited the whole second, as told.
    expect(secondA - firstA).toBeGreaterThanOrEqual(1_000);
    expect(retried()).toEqual([
      expect.objectContaining({ delayMs: 1_000, error: 'transport_failed', retry: 1 }),
    ]);
  });

  it('a Retry-After beyond the limit is not waited for: the server error is thrown after one attempt', async () => {
    const { client, retried } = setup();
    nock(origin).get('/a').reply(503, 'down for the night', { 'Retry-After': '121' });
    const error = await client
      .request({ method: 'GET', path: '/a', operation: 'read a' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'transport_failed', retryAfterMs: 121_000, attempts: 1 });
    expect(retried()).toEqual([]);
  });
});

describe('Retry-After boundaries', () => {
  it('Retry-After: 0 is a retry at once, not after the backoff', async () => {
    const { client, retried } = setup({ initialDelayMs: 5_000, maxDelayMs: 5_000 });
    nock(origin).get('/x').reply(429, '', { 'Retry-After': '0' }).get('/x').reply(200, {});
    const started = Date.now();
    await expect(client.request({ method: 'GET', path: '/x', operation: 'read' })).resolves.toMatchObject({
      attempts: 2,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(retried()).toEqual([expect.objectContaining({ delayMs: 0, error: 'rate_limited' })]);
  });

  it('a Retry-After exactly at the limit is waited for; one just beyond it is not', async () => {
    const atLimit = setup({ maxRetryAfterMs: 500 });
    nock(origin).get('/x').reply(429, '', { 'Retry-After': '0.5' }).get('/x').reply(200, {});
    await expect(
      atLimit.client.request({ method: 'GET', path: '/x', operation: 'read' }),
    ).resolves.toMatchObject({ attempts: 2 });
    expect(atLimit.retried()).toEqual([expect.objectContaining({ delayMs: 500 })]);

    const beyond = setup({ maxRetryAfterMs: 499 });
    nock(origin).get('/x').reply(429, '', { 'Retry-After': '0.5' });
    const error = await beyond.client
      .request({ method: 'GET', path: '/x', operation: 'read' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 500, attempts: 1 });
  });

  it('by default a Retry-After of 120 s is waited for (121 s is not, above)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { client, retried } = setup();
    nock(origin).get('/x').reply(503, '', { 'Retry-After': '120' }).get('/x').reply(200, {});
    const pending = client.request({ method: 'GET', path: '/x', operation: 'read' });
    let settled = false;
    void pending.then(() => (settled = true));
    // Small steps while the mocked socket answers (real I/O), one long one through the wait.
    const step = async (ms: number) => {
      await vi.advanceTimersByTimeAsync(ms);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    };
    for (let turns = 0; turns < 500 && retried().length === 0; turns += 1) await step(10);
    await step(119_000);
    expect(nock.pendingMocks()).toHaveLength(1);
    for (let turns = 0; turns < 500 && !settled; turns += 1) await step(10);
    await expect(pending).resolves.toMatchObject({ attempts: 2 });
    expect(retried()).toEqual([expect.objectContaining({ delayMs: 120_000 })]);
  });

  it('an unreadable Retry-After falls back to the client’s own backoff', async () => {
    const { client, retried } = setup({ initialDelayMs: 10, maxDelayMs: 50 });
    nock(origin).get('/x').reply(503, '', { 'Retry-After': 'soon' }).get('/x').reply(200, {});
    await expect(client.request({ method: 'GET', path: '/x', operation: 'read' })).resolves.toMatchObject({
      attempts: 2,
    });
    const [line] = retried();
    expect(line?.delayMs).toBeGreaterThanOrEqual(0);
    expect(line?.delayMs).toBeLessThanOrEqual(50);
  });

  it('a 429 with an HTTP-date in the past is retried at once', async () => {
    const { client, retried } = setup({ initialDelayMs: 5_000, maxDelayMs: 5_000 });
    nock(origin)
      .get('/x')
      .reply(429, '', { 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT' })
      .get('/x')
      .reply(200, {});
    await client.request({ method: 'GET', path: '/x', operation: 'read' });
    expect(retried()).toEqual([expect.objectContaining({ delayMs: 0 })]);
  });
});

describe('a 429 holds the account only for as long as it says', () => {
  it('a 429 without Retry-After puts no hold on the other callers', async () => {
    const { client, retried, budget } = setup({ initialDelayMs: 300, maxDelayMs: 300 });
    nock(origin).get('/a').reply(429, 'slow down').get('/a').reply(200, {}).get('/b').reply(200, {});
    const first = client.request({ method: 'GET', path: '/a', operation: 'read a' });
    await until(() => retried().length > 0);
    const started = Date.now();
    await client.request({ method: 'GET', path: '/b', operation: 'read b' });
    expect(Date.now() - started).toBeLessThan(250);
    await first;
    expect(budget.load()).toEqual({ waiting: 0, inFlight: 0 });
  });
});

describe('the client’s own backoff, without a Retry-After', () => {
  it('by default the first retry waits about 250 ms (at most 1.4 times it)', async () => {
    const logged: Array<LogFields | undefined> = [];
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers: async () => ({}) },
      budget: createRateBudgetRegistry().forAccount('backoff', { requestsPerInterval: 1_000 }),
      redactor: createRedactor(),
      logger: { log: (_level, message, fields) => message === 'crm request retried' && logged.push(fields) },
    });
    nock(origin).get('/x').reply(503, '').get('/x').reply(200, {});
    await client.request({ method: 'GET', path: '/x', operation: 'read' });
    const delay = Number(logged[0]?.delayMs);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(350);
  });

  it('no retry waits longer than maxDelayMs', async () => {
    const { client, retried } = setup({ initialDelayMs: 10_000, maxDelayMs: 5, maxRetries: 3 });
    nock(origin).get('/x').times(3).reply(502, '').get('/x').reply(200, {});
    await expect(client.request({ method: 'GET', path: '/x', operation: 'read' })).resolves.toMatchObject({
      attempts: 4,
    });
    const delays = retried().map((line) => Number(line?.delayMs));
    expect(delays).toHaveLength(3);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(5);
  });
});
