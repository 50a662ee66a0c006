import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Attributes,
  type AttributeValue,
  INVALID_SPAN_CONTEXT,
  type Span,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/**
 * Which interaction event a connector is handling, read by the audit sink. An audit event names
 * the write, not always the event that caused it: an `agent.assigned` that overtook its opening
 * event opens the record, audited as a `chat.started` would be. Core runs each event inside a
 * `crm-connect.handle` span carrying `crm_connect.event.type` (docs/observability.md), so this
 * registers the smallest OpenTelemetry tracer that keeps that span's attributes for the code it
 * runs: the public telemetry contract, nothing of core patched. Every other span (the HTTP
 * attempts) is a non-recording one and costs nothing.
 */

const handleSpanName = 'crm-connect.handle';
const current = new AsyncLocalStorage<Map<string, AttributeValue>>();

function recordingSpan(attributes: Map<string, AttributeValue>): Span {
  const span: Span = {
    spanContext: () => INVALID_SPAN_CONTEXT,
    setAttribute(key, value) {
      if (value !== undefined) attributes.set(key, value);
      return span;
    },
    setAttributes(values: Attributes) {
      for (const [key, value] of Object.entries(values)) if (value !== undefined) attributes.set(key, value);
      return span;
    },
    addEvent: () => span,
    addLink: () => span,
    addLinks: () => span,
    setStatus: () => span,
    updateName: () => span,
    end: () => {},
    isRecording: () => true,
    recordException: () => {},
  };
  return span;
}

// One implementation for the interface's overloads of startActiveSpan, hence the assertion.
const tracer = {
  startSpan: () => trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
  startActiveSpan(name: string, ...rest: unknown[]) {
    // (name, fn), (name, options, fn) or (name, options, context, fn): the function comes last.
    const run = rest[rest.length - 1] as (span: Span) => unknown;
    if (name !== handleSpanName) return run(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
    const attributes = new Map<string, AttributeValue>();
    return current.run(attributes, () => run(recordingSpan(attributes)));
  },
} as Tracer;

/** Installs the tracer for this process. Call once, before the first event is handled. */
export function captureHandledEvents(): void {
  trace.setGlobalTracerProvider({ getTracer: () => tracer });
}

/** The type of the event being handled where this is called (inside `connector.handle`), if known. */
export function handledEventType(): string | undefined {
  const type = current.getStore()?.get('crm_connect.event.type');
  return typeof type === 'string' ? type : undefined;
}
