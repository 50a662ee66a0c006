import { CrmRejectedInputError, createMemoryRecordLinkStore } from '@crm-connect/core';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeWithRedis } from '../../redis/test/support/redis-test.js';
import { chatStarted, newInteractionId } from './support/events.js';
import { createFakeCrm, fakePlugin } from './support/fake-crm.js';
import { fastRetry, workerTests } from './support/worker-test.js';

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const reader = new CollectingReader();

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});

afterAll(() => {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
});

async function metric(name: string) {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((found) => found.descriptor.name === name);
}

describeWithRedis('worker: OpenTelemetry', (redis) => {
  const worker = workerTests(redis);

  async function setUp() {
    const test = worker();
    const crm = createFakeCrm();
    const { plugin } = fakePlugin(crm.api);
    const links = createMemoryRecordLinkStore();
    await test.worker({
      tenants: async () => ({ plugin, settings: { defaultUser: true } }),
      recordLinks: () => links,
      retry: fastRetry,
    });
    return { test, crm, producer: await test.producer() };
  }

  it('an event enqueued inside a span is handled in the same trace, in another worker', async () => {
    const { crm, producer } = await setUp();
    const id = newInteractionId();
    const tracer = trace.getTracer('platform');
    const platformSpan = tracer.startSpan('platform.receive-webhook');
    await context.with(trace.setSpan(context.active(), platformSpan), () =>
      producer.enqueue('acme', chatStarted(id)),
    );
    platformSpan.end();
    await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:admin']));
    const handle = await vi.waitFor(() => {
      const found = spans
        .getFinishedSpans()
        .find(
          (span) =>
            span.name === 'crm-connect.handle' && span.attributes['crm_connect.interaction.id'] === id,
        );
      if (found === undefined) throw new Error('no handle span yet');
      return found;
    });
    expect(handle.spanContext().traceId).toBe(platformSpan.spanContext().traceId);
    expect(handle.parentSpanContext?.spanId).toBe(platformSpan.spanContext().spanId);
  });

  it('an event enqueued with no active span starts a trace of its own', async () => {
    const { crm, producer } = await setUp();
    const id = newInteractionId();
    await producer.enqueue('acme', chatStarted(id));
    await vi.waitFor(() => expect(crm.writes.get(id)).toEqual(['create:admin']));
    const handle = spans
      .getFinishedSpans()
      .find(
        (span) => span.name === 'crm-connect.handle' && span.attributes['crm_connect.interaction.id'] === id,
      );
    expect(handle?.parentSpanContext).toBeUndefined();
  });

  it('event age, dead letters and queue depth are measured', async () => {
    const { test, crm, producer } = await setUp();
    const id = newInteractionId();
    crm.fail({
      operation: 'createTicket',
      interactionId: id,
      error: () => new CrmRejectedInputError('bad subject'),
    });
    await producer.enqueue('acme', chatStarted(id));
    await vi.waitFor(async () => expect(await test.deadLetters()).toHaveLength(1));
    const deadLetters = await metric('crm_connect.worker.dead_letters');
    expect(
      deadLetters?.dataPoints.some((point) => point.attributes['error.type'] === 'crm_rejected_input'),
    ).toBe(true);
    const age = await metric('crm_connect.worker.event.age');
    expect(age?.dataPoints.length).toBeGreaterThan(0);
    const depth = await metric('crm_connect.worker.queue.depth');
    const letters = depth?.dataPoints.find(
      (point) =>
        point.attributes['crm_connect.queue'] === 'dead-letters' &&
        point.attributes['crm_connect.queue.state'] === 'waiting',
    );
    expect(letters?.value).toBeGreaterThanOrEqual(1);
  });
});
