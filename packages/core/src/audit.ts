import type { AgentStatus, OwnerReason, PerformerReason, SkipReason } from './actor-resolution.js';
import type { InteractionEventType } from './events.js';
import type { Redactor } from './redaction.js';

/** The CRM writes crm-connect makes. */
export type WriteOperation = 'create-ticket' | 'change-owner' | 'add-note';

export type AuditOutcome =
  /** The record was created by this write. */
  | 'created'
  /** An existing record was updated. */
  | 'updated'
  /** The record already existed (a redelivered event or a retried create) and was reused. */
  | 'existing'
  /** No write was needed or allowed (see `reason`). */
  | 'skipped'
  /** The write failed; `error` says why. */
  | 'failed';

/** Why a write went the way it did: the actor rule's reasons, plus what plugins and the connector add. */
export type AuditReason =
  | OwnerReason
  | SkipReason
  | 'error'
  | 'owner-fallback'
  | 'connection-failover'
  | 'nothing-to-write'
  | 'already-linked'
  /** The note was already on the record (found in the store, or on the CRM after an uncertain write). */
  | 'already-written'
  /** An assignment that happened before the one the record's owner comes from, delivered late: not applied. */
  | 'superseded-assignment';

/** One structured event per CRM write (or deliberate non-write). */
export interface AuditEvent {
  at: string;
  interactionId: string;
  eventType: InteractionEventType;
  crm: string;
  operation: WriteOperation;
  recordId?: string | undefined;
  performer?: { id: string; name?: string | undefined } | undefined;
  owner?: { id: string; name?: string | undefined } | undefined;
  reason: AuditReason;
  agentStatus?: AgentStatus | undefined;
  /**
   * Why the performer is who it is: the actor rule's reason, or `connection-user-fallback` when the
   * plugin reports that the decided performer could not write and the connection's user did.
   */
  performerReason?: PerformerReason | 'connection-user-fallback' | undefined;
  /** HTTP attempts the write took, retries included. */
  attempts: number;
  outcome: AuditOutcome;
  error?: { code: string; message: string } | undefined;
  /** Free-form, plugin-specific detail (never secrets; it is redacted anyway). */
  detail?: string | undefined;
}

/** Receives audit events. It may be async; crm-connect awaits it so events are not lost on shutdown. */
export type AuditSink = (event: AuditEvent) => void | Promise<void>;

/** An audit sink that keeps the last `limit` events in memory, for tests, the demo and diagnostics. */
export interface MemoryAuditSink {
  sink: AuditSink;
  events(): readonly AuditEvent[];
  clear(): void;
}

export function createMemoryAuditSink(limit = 10_000): MemoryAuditSink {
  const events: AuditEvent[] = [];
  return {
    sink(event) {
      events.push(event);
      if (events.length > limit) events.splice(0, events.length - limit);
    },
    events: () => events,
    clear: () => {
      events.length = 0;
    },
  };
}

/** Wraps a sink so every event passes through the redactor first. */
export function createRedactingAuditSink(sink: AuditSink, redactor: Redactor): AuditSink {
  return (event) => sink(redactor.redactValue(event));
}
