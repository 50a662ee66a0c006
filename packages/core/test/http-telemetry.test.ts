import { context, metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuthProvider, createHttpClient } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import { createRedactor } from '../src/redaction.js';

/** What the HTTP layer measures of refreshes, rate limits, budget waits and failed attempts. */

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const origin = 'https://http-telemetry.crm.test';
const spans = new InMemorySpanExporter();
const reader = new CollectingReader();
const contextManager = new AsyncLocalStorageContextManager();

async function counted(name: string, match: Record<string, unknown> = {}): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  let sum = 0;
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics)
      if (metric.descriptor.name === name)
        for (const point of metric.dataPoints)
          if (Object.entries(match).every(([key, value]) => point.attributes[key] === value))
            sum += typeof point.value === 'number' ? point.value : 0;
  return sum;
}

function client(auth: AuthProvider = { headers: async () => ({}) }) {
  return createHttpClient({
    pluginId: 'telemetrycrm',
    baseUrl: origin,
    auth,
    budget: createRateBudgetRegistry().forAccount('telemetrycrm:acme', { requestsPerInterval: 1_000 }),
    redactor: createRedactor(),
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
  });
}

const refreshing = (refresh: () => Promise<boolean>): AuthProvider => ({
  headers: async () => ({}),
  refresh,
});
const read = (auth?: AuthProvider) =>
  client(auth)
    .request({ method: 'GET', path: '/me', operation: 'who am i' })
    .catch((error: unknown) => error);

beforeAll(() => {
  nock.disableNetConnect();
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});

afterAll(() => {
  trace.disable();
  metrics.disable();
  context.disable();
});

beforeEach(() => spans.reset());

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('token refreshes after a 401', () => {
  it('a refresh that renewed the credentials counts as a success, and the resend says why it was sent', async () => {
    const before = await counted('crm_connect.token.refreshes', { 'crm_connect.outcome': 'success' });
    nock(origin).get('/me').reply(401, {}).get('/me').reply(200, {});
    await read(refreshing(async () => true));
    expect(await counted('crm_connect.token.refreshes', { 'crm_connect.outcome': 'success' })).toBe(
      before + 1,
    );
    const [, resend] = spans.getFinishedSpans();
    expect(resend?.attributes).toMatchObject({
      'http.request.resend_count': 1,
      'crm_connect.retry.reason': 'unauthorized',
    });
  });

  it('a refresh that got nothing, or failed, counts as a failure', async () => {
    const before = await counted('crm_connect.token.refreshes', { 'crm_connect.outcome': 'failure' });
    nock(origin).get('/me').twice().reply(401, {});
    await read(refreshing(async () => false));
    await read(
      refreshing(async () => {
        throw new Error('token endpoint down');
      }),
    );
    expect(await counted('crm_connect.token.refreshes', { 'crm_connect.outcome': 'failure' })).toBe(
      before + 2,
    );
  });
});

describe('rate limits', () => {
  it('a 429 is counted as a rate limit; a 503 with Retry-After is not', async () => {
    const before = await counted('crm_connect.rate_limited', { 'crm_connect.plugin': 'telemetrycrm' });
    nock(origin)
      .get('/me')
      .reply(503, '', { 'Retry-After': '0' })
      .get('/me')
      .reply(429, '', { 'Retry-After': '0' })
      .get('/me')
      .reply(200, {});
    await read();
    expect(await counted('crm_connect.rate_limited', { 'crm_connect.plugin': 'telemetrycrm' })).toBe(
      before + 1,
    );
  });
});

describe('each attempt’s span', () => {
  it('says how long the attempt waited for the budget: no wait on an idle account', async () => {
    nock(origin).get('/me').reply(200, {});
    await read();
    const [span] = spans.getFinishedSpans();
    const waited = span?.attributes['crm_connect.rate_budget.wait_ms'];
    expect(waited).toBeGreaterThanOrEqual(0);
    expect(waited).toBeLessThan(1_000);
  });

  it('a failure before any answer carries its typed code and redacted message as an error', async () => {
    nock(origin)
      .post('/me')
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const error = (await client()
      .request({ method: 'POST', path: '/me', operation: 'who am i' })
      .catch((e: unknown) => e)) as Error;
    const [span] = spans.getFinishedSpans();
    expect(span?.attributes['error.type']).toBe('transport_failed');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: error.message });
  });
});
