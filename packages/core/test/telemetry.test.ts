import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createConnector } from '../src/connector.js';
import { createHttpClient } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import { definePlugin } from '../src/plugin.js';
import { commonSettingsShape } from '../src/settings/common-settings.js';
import type { CrmUser } from '../src/users.js';

/** Reads what the SDK aggregated, on demand. */
class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const origin = 'https://telemetry.crm.test';
const apiKey = 'tk_live_5f4e3d2c1b0a99887766';
const admin: CrmUser = { id: 'admin-7', name: 'Ada Admin', active: true };
const spans = new InMemorySpanExporter();
const reader = new CollectingReader();
const contextManager = new AsyncLocalStorageContextManager();

/** A plugin whose writes go through the real HTTP layer to a nock'd CRM. */
const plugin = definePlugin({
  id: 'otelcrm',
  displayName: 'Otel CRM',
  settings: {
    schema: z.object({ ...commonSettingsShape, apiKey: z.string().min(1) }),
    secretFields: ['apiKey'],
    credentialGroups: [],
  },
  capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
  validateCredentials: async () => ({ connectionUser: admin, warnings: [] }),
  connect(settings, context) {
    const http = createHttpClient({
      pluginId: 'otelcrm',
      baseUrl: origin,
      auth: { headers: async () => ({ Authorization: `Bearer ${settings.apiKey}` }) },
      budget: context.rateBudgets.forAccount('otelcrm:acme', { requestsPerInterval: 1_000 }),
      redactor: context.redactor,
      logger: context.logger,
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
    });
    return {
      connectionUser: async () => admin,
      findUserByEmail: async () => undefined,
      listAssignableUsers: async () => [admin],
      async createTicket(input) {
        const answer = await http.request<{ id: number }>({
          method: 'POST',
          path: `/tickets?requester=${encodeURIComponent(input.event.endUser.email ?? '')}`,
          body: { subject: input.subject, description: input.description },
          operation: 'create ticket',
          idempotencyKey: input.idempotencyKey,
        });
        return { ticket: { id: String(answer.data.id) }, created: true, attempts: answer.attempts };
      },
      findTicket: async () => undefined,
      changeOwner: async () => ({ attempts: 1 }),
      async addNote(input) {
        const answer = await http.request({
          method: 'PUT',
          path: `/tickets/${input.ticket.id}/notes`,
          body: { note: input.body },
          operation: 'add note',
        });
        return { attempts: answer.attempts, written: true };
      },
    };
  },
});

const transcript = 'Customer: my card number is 4111 1111 1111 1111';
const event = (interactionId: string) => ({
  type: 'chat.started',
  interactionId,
  channel: 'chat',
  occurredAt: '2026-12-01T10:00:00Z',
  endUser: { name: 'Jane Doe', email: 'jane.doe@example.com' },
});

function connector() {
  return createConnector({
    plugin,
    settings: { apiKey, defaultUser: true },
    tenantId: 'tenant-42',
    rateBudgets: createRateBudgetRegistry(),
  });
}

async function collectedMetrics(): Promise<Map<string, { value: unknown; attributes: object }[]>> {
  const { resourceMetrics } = await reader.collect();
  const found = new Map<string, { value: unknown; attributes: object }[]>();
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics)
      found.set(
        metric.descriptor.name,
        metric.dataPoints.map((point) => ({ value: point.value, attributes: point.attributes })),
      );
  return found;
}

function sumOf(points: { value: unknown; attributes: object }[] | undefined, match: object): number {
  return (points ?? [])
    .filter((point) =>
      Object.entries(match).every(([key, value]) => Reflect.get(point.attributes, key) === value),
    )
    .reduce((sum, point) => sum + (typeof point.value === 'number' ? point.value : 0), 0);
}

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
  nock.enableNetConnect();
});

beforeEach(() => spans.reset());
afterEach(() => nock.cleanAll());

describe('OpenTelemetry: one span per event, a client span per CRM request', () => {
  it('a chat before any agent: the handle span, its HTTP child, and the records metric', async () => {
    nock(origin).post('/tickets').query(true).reply(201, { id: 901 });
    await connector().handle(event('i-otel-1'));

    const finished = spans.getFinishedSpans();
    const handle = finished.find((span) => span.name === 'crm-connect.handle');
    const client = finished.find((span) => span.kind === SpanKind.CLIENT);
    expect(handle?.attributes).toMatchObject({
      'crm_connect.plugin': 'otelcrm',
      'crm_connect.tenant': 'tenant-42',
      'crm_connect.event.type': 'chat.started',
      'crm_connect.interaction.id': 'i-otel-1',
      'crm_connect.operation': 'create-ticket',
      'crm_connect.decision.reason': 'default-user',
      'crm_connect.outcome': 'created',
      'crm_connect.record.id': '901',
    });
    expect(client?.name).toBe('POST /tickets');
    expect(client?.parentSpanContext?.spanId).toBe(handle?.spanContext().spanId);
    expect(client?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': 'telemetry.crm.test',
      'server.port': 443,
      'url.template': '/tickets',
      'http.response.status_code': 201,
      'crm_connect.operation': 'create ticket',
    });
    expect(client?.attributes['http.request.resend_count']).toBeUndefined();

    const recorded = await collectedMetrics();
    expect(
      sumOf(recorded.get('crm_connect.records'), {
        'crm_connect.outcome': 'created',
        'crm_connect.reason': 'default-user',
      }),
    ).toBeGreaterThanOrEqual(1);
    const utilization = recorded.get('crm_connect.rate_budget.utilization');
    expect(
      utilization?.some((point) => Reflect.get(point.attributes, 'crm_connect.plugin') === 'otelcrm'),
    ).toBe(true);
    expect(recorded.get('crm_connect.rate_budget.wait')).toBeDefined();
    expect(
      sumOf(recorded.get('crm_connect.requests'), { 'crm_connect.status_class': '2xx' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('a retried request: one client span per attempt, the resend counted with its reason', async () => {
    nock(origin)
      .post('/tickets')
      .query(true)
      .reply(503, { error: 'busy' })
      .post('/tickets')
      .query(true)
      .reply(201, {
        id: 902,
      });
    const before = sumOf((await collectedMetrics()).get('crm_connect.retries'), {});
    await connector().handle(event('i-otel-2'));

    const attempts = spans.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(attempts.map((span) => span.attributes['http.response.status_code'])).toEqual([503, 201]);
    expect(attempts[0]?.attributes['error.type']).toBe('503');
    expect(attempts[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[1]?.attributes).toMatchObject({
      'http.request.resend_count': 1,
      'crm_connect.retry.reason': 'transport_failed',
    });
    expect(sumOf((await collectedMetrics()).get('crm_connect.retries'), {}) - before).toBe(1);
  });

  it('a 429: the rate-limit answer and the hold it puts on the account are measured', async () => {
    nock(origin)
      .post('/tickets')
      .query(true)
      .reply(429, { error: 'slow down' }, { 'Retry-After': '0' })
      .post('/tickets')
      .query(true)
      .reply(201, { id: 903 });
    const before = sumOf((await collectedMetrics()).get('crm_connect.rate_limited'), {});
    await connector().handle(event('i-otel-3'));
    const recorded = await collectedMetrics();
    expect(
      sumOf(recorded.get('crm_connect.rate_limited'), { 'crm_connect.plugin': 'otelcrm' }) - before,
    ).toBe(1);
    expect(recorded.get('crm_connect.rate_limit.hold')).toBeDefined();
  });

  it('a refused write: the handle span carries the typed error code and an error status', async () => {
    nock(origin).post('/tickets').query(true).reply(400, { error: 'bad subject' });
    await expect(connector().handle(event('i-otel-4'))).rejects.toMatchObject({ code: 'crm_rejected_input' });
    const handle = spans.getFinishedSpans().find((span) => span.name === 'crm-connect.handle');
    expect(handle?.status.code).toBe(SpanStatusCode.ERROR);
    expect(handle?.attributes).toMatchObject({
      'error.type': 'crm_rejected_input',
      'crm_connect.outcome': 'failed',
    });
    expect(handle?.events[0]?.name).toBe('exception');
  });

  it('an invalid event is still one span, with the typed code', async () => {
    await expect(connector().handle({ type: 'chat.started' })).rejects.toMatchObject({
      code: 'input_invalid',
    });
    const handle = spans.getFinishedSpans().find((span) => span.name === 'crm-connect.handle');
    expect(handle?.attributes['error.type']).toBe('input_invalid');
  });
});

describe('OpenTelemetry: every event type', () => {
  it('each event type gives one handle span with its type, decision and outcome, and counts its record', async () => {
    nock(origin).post('/tickets').query(true).times(3).reply(201, { id: 950 });
    nock(origin).put('/tickets/950/notes').reply(200, {});
    const handler = connector();
    const agent = { id: 'p-ada', emails: ['ada@acme.test'] };
    const events = [
      event('i-types-1'),
      { ...event('i-types-2'), type: 'voicemail.received', channel: 'voice' },
      { ...event('i-types-3'), type: 'call.abandoned', channel: 'voice' },
      { ...event('i-types-1'), type: 'agent.assigned', agent },
      { ...event('i-types-1'), type: 'interaction.ended', notes: 'Resolved.' },
    ];
    const connectorWithAbandoned = createConnector({
      plugin,
      settings: { apiKey, defaultUser: true, abandonedCallTickets: true },
      rateBudgets: createRateBudgetRegistry(),
    });
    for (const sent of events.slice(0, 2)) await handler.handle(sent);
    await connectorWithAbandoned.handle(events[2]);
    for (const sent of events.slice(3)) await handler.handle(sent);
    const handles = spans.getFinishedSpans().filter((span) => span.name === 'crm-connect.handle');
    expect(handles.map((span) => span.attributes['crm_connect.event.type'])).toEqual([
      'chat.started',
      'voicemail.received',
      'call.abandoned',
      'agent.assigned',
      'interaction.ended',
    ]);
    expect(handles.map((span) => span.attributes['crm_connect.outcome'])).toEqual([
      'created',
      'created',
      'created',
      'skipped',
      'updated',
    ]);
    // The assignment names an agent the CRM does not know: the owner stays, and the span says why.
    expect(handles[3]?.attributes['crm_connect.decision.reason']).toBe('agent-unmapped');
    const records = (await collectedMetrics()).get('crm_connect.records');
    expect(
      sumOf(records, { 'crm_connect.operation': 'add-note', 'crm_connect.outcome': 'updated' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('OpenTelemetry: nothing secret or personal in any exported attribute', () => {
  it('no API key, credential, email, query or note text in spans, events or metric attributes', async () => {
    nock(origin)
      .post('/tickets')
      .query(true)
      .reply(201, { id: 904 })
      .put('/tickets/904/notes')
      .reply(401, { error: `invalid key ${apiKey}` });
    const handler = connector();
    await handler.handle(event('i-otel-5'));
    await expect(
      handler.handle({ ...event('i-otel-5'), type: 'interaction.ended', transcript }),
    ).rejects.toMatchObject({ code: 'authentication_failed' });

    const exported = JSON.stringify({
      spans: spans.getFinishedSpans().map((span) => ({
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        status: span.status,
      })),
      metrics: [...(await collectedMetrics()).entries()],
    });
    for (const forbidden of [
      apiKey,
      'jane.doe@example.com',
      'jane.doe%40example.com',
      'requester=',
      '4111',
      'Jane Doe',
    ])
      expect(exported, `exported telemetry holds ${forbidden}`).not.toContain(forbidden);
    expect(exported).toContain('PUT /tickets/{id}/notes');
  });
});
