import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { AuditEvent } from '../audit.js';
import { isCrmConnectError } from '../errors.js';
import { instrumentationScope, instruments } from './instruments.js';

/** Who handles the event: what every span and record metric of a connector is attributed to. */
export interface HandleScope {
  pluginId: string;
  /** The platform's tenant id, when the connector was given one. */
  tenantId?: string | undefined;
  /** Every attribute value that comes from outside (ids, messages) passes through it. */
  redact(text: string): string;
}

/**
 * Runs the handling of one event inside a `crm-connect.handle` span, made the active span so the
 * HTTP layer's request spans are its children. The span carries the plugin, tenant, event type,
 * interaction id, and the decision's reason and outcome; a failure sets its status and the typed
 * error's code. No event content (names, emails, transcripts) is ever an attribute.
 */
/** One tracer for the module (see request-telemetry.ts). */
const tracer = trace.getTracer(instrumentationScope.name, instrumentationScope.version);

export function withHandleSpan(
  scope: HandleScope,
  run: (span: Span) => Promise<AuditEvent>,
): Promise<AuditEvent> {
  return tracer.startActiveSpan('crm-connect.handle', { kind: SpanKind.INTERNAL }, async (span) => {
    if (span.isRecording()) {
      span.setAttribute('crm_connect.plugin', scope.pluginId);
      if (scope.tenantId !== undefined) span.setAttribute('crm_connect.tenant', scope.redact(scope.tenantId));
    }
    try {
      const audit = await run(span);
      if (span.isRecording()) {
        span.setAttributes({
          'crm_connect.operation': audit.operation,
          'crm_connect.decision.reason': audit.reason,
          'crm_connect.outcome': audit.outcome,
        });
        if (audit.recordId !== undefined)
          span.setAttribute('crm_connect.record.id', scope.redact(audit.recordId));
      }
      return audit;
    } catch (error) {
      if (span.isRecording()) {
        const code = isCrmConnectError(error) ? error.code : 'internal_error';
        const message = scope.redact(error instanceof Error ? error.message : String(error));
        span.setAttributes({ 'error.type': code, 'crm_connect.outcome': 'failed' });
        span.recordException({ name: code, message });
        span.setStatus({ code: SpanStatusCode.ERROR, message });
      }
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The event's own attributes, once it has been validated. */
export function describeEvent(
  span: Span,
  scope: HandleScope,
  event: { type: string; interactionId: string },
): void {
  if (!span.isRecording()) return;
  span.setAttributes({
    'crm_connect.event.type': event.type,
    'crm_connect.interaction.id': scope.redact(event.interactionId),
  });
}

/** Counts one audit event: a write made, found existing, skipped or failed, by reason. */
export function countRecord(scope: HandleScope, event: AuditEvent): void {
  instruments().records.add(1, {
    'crm_connect.plugin': scope.pluginId,
    'crm_connect.operation': event.operation,
    'crm_connect.outcome': event.outcome,
    'crm_connect.reason': event.reason,
  });
}
