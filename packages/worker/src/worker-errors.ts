import { CrmConnectError, isCrmConnectError } from '@crm-connect/core';
import { redisErrorCodes } from '@crm-connect/redis';

/** The codes of the errors this package throws or dead-letters. Decide by `code`, retry by `retryable`. */
export const workerErrorCodes = {
  /** The tenant source knows no such tenant; not retryable (the event is dead-lettered). */
  tenantUnknown: 'tenant_unknown',
  /** The tenant source failed (its database, say); retryable. */
  tenantSourceFailed: 'tenant_source_failed',
  /** An event was started as many times as the retry budget allows without finishing (its worker died or froze each time); not retryable. */
  attemptsExhausted: 'attempts_exhausted',
  /** Redis or the queue did not answer while enqueueing; deliver the event again. Retryable. */
  queueUnavailable: redisErrorCodes.unavailable,
} as const;

/** Thrown when the tenant source returns nothing for an event's tenant. */
export function tenantUnknown(tenantId: string): CrmConnectError {
  return new CrmConnectError(
    workerErrorCodes.tenantUnknown,
    `No CRM is configured for tenant ${tenantId}: save the tenant's CRM settings. The event is kept in the dead-letter queue.`,
    { retryable: false },
  );
}

/**
 * The typed error for a tenant source that threw: the source's own typed error as is, anything
 * else retryable (a settings database that blinked). Only the error's name and message are kept.
 */
export function tenantSourceFailed(tenantId: string, error: unknown): CrmConnectError {
  if (isCrmConnectError(error)) return error;
  const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CrmConnectError(
    workerErrorCodes.tenantSourceFailed,
    `Could not read the settings of tenant ${tenantId} (${summary}); the event is retried.`,
    { retryable: true, cause: new Error(summary) },
  );
}

/** Dead-letters an event that kept dying with its worker (a crash loop), instead of retrying it forever. */
export function attemptsExhausted(starts: number): CrmConnectError {
  return new CrmConnectError(
    workerErrorCodes.attemptsExhausted,
    `The event was started ${starts} times without finishing (its worker died or lost its job lock each time); it is set aside so the interaction's later events can go on.`,
    { retryable: false },
  );
}

/**
 * The typed error for a failed Redis or BullMQ call in the producer: retryable. Delivering the
 * event again completes whatever the failed call left undone (see `createProducer`).
 */
export function queueUnavailable(operation: string, error: unknown): CrmConnectError {
  if (isCrmConnectError(error)) return error;
  const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CrmConnectError(
    workerErrorCodes.queueUnavailable,
    `Redis is unavailable (${operation}: ${summary}); deliver the event again once Redis answers.`,
    { retryable: true, cause: new Error(summary) },
  );
}
