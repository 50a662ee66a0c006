import type { Redactor } from '@crm-connect/core';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * `demo --trace`: the OpenTelemetry spans the demo's connectors emit (docs/observability.md),
 * recorded in memory and printed, for one interaction per CRM, as a short tree: the
 * `crm-connect.handle` span of each event and the CLIENT span of each HTTP attempt under it.
 */

/** One HTTP attempt (a CLIENT span). */
export interface DemoTraceRequest {
  /** `METHOD /route/template`. */
  name: string;
  statusCode: number | undefined;
  /** 0 for the first attempt. */
  resendCount: number;
  durationMs: number;
  /** `error.type`: the status of a 4xx/5xx answer, or the typed code when no answer came. */
  error?: string | undefined;
}

/** One `connector.handle(event)` (a `crm-connect.handle` span) and its HTTP attempts. */
export interface DemoTraceHandle {
  name: string;
  eventType: string | undefined;
  decisionReason: string | undefined;
  outcome: string | undefined;
  durationMs: number;
  error?: string | undefined;
  requests: DemoTraceRequest[];
}

/** The trace of one interaction of one CRM. */
export interface DemoTrace {
  crm: string;
  displayName: string;
  interaction: string;
  interactionId: string;
  handles: DemoTraceHandle[];
}

/** What the demo asks for: one interaction per CRM. */
export interface DemoTraceSelection {
  crm: string;
  displayName: string;
  interaction: string;
  interactionId: string;
}

export interface DemoTraceRecorder {
  /** Why nothing could be recorded, when nothing could. */
  unavailable: string | undefined;
  /** The trees of the selected interactions, from the spans ended so far. */
  collect(selections: readonly DemoTraceSelection[]): DemoTrace[];
  /** Stops recording (the provider stays registered, sampling nothing). */
  stop(): void;
}

/**
 * The provider is registered once per process and kept: the API lets a global provider be set
 * only once, and the instrumented modules' tracers keep the provider they first delegated to.
 * Between `--trace` runs its sampler records nothing, so the spans cost what the no-op ones do.
 */
let installed: { exporter: InMemorySpanExporter; registered: boolean } | undefined;
let recording = false;

const demoSampler: Sampler = {
  shouldSample: () => ({
    decision: recording ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD,
  }),
  toString: () => 'crm-connect demo --trace',
};

/** Registers the tracer provider (and a context manager, for the parent links) and starts recording. */
export function startDemoTrace(): DemoTraceRecorder {
  if (installed === undefined) {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      sampler: demoSampler,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const registered = trace.setGlobalTracerProvider(provider);
    // Without a context manager the HTTP spans would not be children of the handle span. One
    // registered already (by the host process) serves as well.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    installed = { exporter, registered };
  }
  const { exporter, registered } = installed;
  exporter.reset();
  recording = registered;
  return {
    unavailable: registered
      ? undefined
      : 'another OpenTelemetry tracer provider is registered in this process; its exporters have the spans',
    collect: (selections) =>
      selections.map((selection) => buildTrace(selection, exporter.getFinishedSpans())),
    stop: () => {
      recording = false;
    },
  };
}

function buildTrace(selection: DemoTraceSelection, spans: readonly ReadableSpan[]): DemoTrace {
  const handles = spans
    .filter(
      (span) =>
        span.name === 'crm-connect.handle' &&
        span.attributes['crm_connect.interaction.id'] === selection.interactionId,
    )
    .sort(byStart);
  return {
    ...selection,
    handles: handles.map((handle) => ({
      name: handle.name,
      eventType: text(handle.attributes['crm_connect.event.type']),
      decisionReason: text(handle.attributes['crm_connect.decision.reason']),
      outcome: text(handle.attributes['crm_connect.outcome']),
      durationMs: milliseconds(handle),
      error: text(handle.attributes['error.type']),
      requests: spans
        .filter(
          (span) =>
            span.kind === SpanKind.CLIENT &&
            span.parentSpanContext?.spanId === handle.spanContext().spanId &&
            span.spanContext().traceId === handle.spanContext().traceId,
        )
        .sort(byStart)
        .map((span) => {
          const status = span.attributes['http.response.status_code'];
          const resends = span.attributes['http.request.resend_count'];
          return {
            name: span.name,
            statusCode: typeof status === 'number' ? status : undefined,
            resendCount: typeof resends === 'number' ? resends : 0,
            durationMs: milliseconds(span),
            error: text(span.attributes['error.type']),
          };
        }),
    })),
  };
}

function byStart(a: ReadableSpan, b: ReadableSpan): number {
  return a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];
}

function milliseconds(span: ReadableSpan): number {
  return Math.round((span.duration[0] * 1e3 + span.duration[1] / 1e6) * 10) / 10;
}

function text(value: unknown): string | undefined {
  return value === undefined ? undefined : String(value);
}

/** The trees as text, redacted: one block per CRM. */
export function renderDemoTrace(traces: readonly DemoTrace[], redactor: Redactor): string {
  const lines = ['', 'Trace of one interaction per CRM (OpenTelemetry spans):'];
  for (const entry of traces) {
    lines.push('', `${entry.displayName} — ${entry.interaction} (${entry.interactionId})`);
    if (entry.handles.length === 0) lines.push('  (no span recorded)');
    for (const handle of entry.handles) {
      const fields = [
        `event ${handle.eventType ?? '?'}`,
        `decision ${handle.decisionReason ?? '—'}`,
        `outcome ${handle.outcome ?? '—'}`,
        ...(handle.error === undefined ? [] : [`error ${handle.error}`]),
        `${handle.durationMs} ms`,
      ];
      lines.push(`  ${handle.name}  ${fields.join(', ')}`);
      for (const request of handle.requests) {
        const details = [
          `status ${request.statusCode ?? '—'}`,
          `resend ${request.resendCount}`,
          ...(request.error === undefined ? [] : [`error ${request.error}`]),
          `${request.durationMs} ms`,
        ];
        lines.push(`    ${request.name}  ${details.join(', ')}`);
      }
    }
  }
  return redactor.redact(`${lines.join('\n')}\n`);
}
