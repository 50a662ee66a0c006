import { defaultPrefix } from '@crm-connect/redis';
import type { DefaultJobOptions } from 'bullmq';
import { z } from 'zod';

/** The BullMQ queue of drain jobs: one job per interaction that has events waiting. */
export const drainQueueName = 'interactions';
/** The BullMQ queue events are set aside in when they cannot be written (no worker consumes it). */
export const deadLetterQueueName = 'dead-letters';

/** What producers and workers share: where Redis is and the prefix of every key. */
export const queueConnectionSchema = z.object({
  /** `redis://[[user]:password@]host:port[/db]` (or `rediss://` for TLS) of the Redis (≥ 6.2, not a cluster) every producer and worker shares. Required. */
  url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
  /** Prepended to every key: mailboxes, markers, dedupe claims and BullMQ's queues (`<prefix>queue:…`). Default `crm-connect:`. */
  prefix: z.string().min(1).default(defaultPrefix),
});
export type QueueConnection = z.output<typeof queueConnectionSchema>;

/** BullMQ's prefix for our queues; BullMQ adds `:<queue>:` after it. */
export function bullPrefix(prefix: string): string {
  return `${prefix}queue`;
}

/** The data of a drain job; its BullMQ job id is the token. */
export const drainJobSchema = z.object({
  tenantId: z.string(),
  interactionId: z.string(),
  /** The mailbox marker's value while this job owns the mailbox. */
  token: z.string(),
});
export type DrainJob = z.output<typeof drainJobSchema>;

/** The name of every drain job and the `backoff.type` of its retries (computed by the worker). */
export const drainJobName = 'drain';

/**
 * A drain job is retried by BullMQ only when the worker itself failed (Redis or BullMQ did not
 * answer): indefinitely, with a capped backoff, because giving up would strand the mailbox. The
 * events' own retries and dead letters are decided per event, by the drain job (README).
 */
export const drainJobOptions = {
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: drainJobName },
  // A finished job's id must be free again: a late "ensure the job exists" for its token then adds
  // a job that finds the marker gone and ends at once, instead of being ignored.
  removeOnComplete: true,
  removeOnFail: { count: 1_000 },
} as const satisfies DefaultJobOptions;

/** What the dead-letter queue holds per event: enough to inspect it and deliver it again. */
export interface DeadLetter {
  tenantId: string;
  interactionId: string;
  /** The event as it was enqueued (validated); the text of the entry if it could not be decoded. */
  event: unknown;
  /** The typed error that ended it: its code and message (crm-connect errors are redacted). */
  error: {
    code: string;
    message: string;
    retryable: boolean;
    pluginId?: string | undefined;
    status?: number | undefined;
    requestId?: string | undefined;
  };
  /** How many times the event was started. */
  attempts: number;
  /** ISO 8601: when it was enqueued, and when it was set aside. */
  enqueuedAt: string;
  deadLetteredAt: string;
}
