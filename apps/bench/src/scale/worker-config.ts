import { portableCrmSchema } from '@crm-connect/sandbox-crms';
import { z } from 'zod';

/**
 * What the parent (`run-cell.ts`) and each worker process (`scale-worker.ts`) say to each other,
 * and what the workers record in Redis for the parent to check.
 */

/** The first message a worker process gets: everything it needs to run as one of the platform's workers. */
export const workerConfigSchema = z.object({
  /** `w1`, `w2`…: names the process in the applied-events list. */
  label: z.string(),
  redisUrl: z.string(),
  /** The cell's key prefix: its queue, mailboxes, budgets, record links and applied-events list. */
  prefix: z.string(),
  tenantId: z.string(),
  /** The CRM's plugin, rebuilt here with `restorePlugin`, as another machine would. */
  crm: portableCrmSchema,
  /** The tenant's saved settings (the sandbox's, default user and abandoned-call tickets on). */
  settings: z.record(z.string(), z.unknown()),
  /** `redis`: one shared budget per account; `memory`: core's per-process registry (the control). */
  budgets: z.enum(['redis', 'memory']),
  limit: z.object({ requestsPerWindow: z.int().positive(), windowMs: z.int().positive() }),
  concurrency: z.int().positive(),
  lockDurationMs: z.int().positive(),
  stalledIntervalMs: z.int().positive(),
  /** How long a Redis budget place survives its process, in ms (scaled down with the window). */
  leaseMs: z.int().positive(),
  /** The connectors' per-attempt HTTP deadline, in ms. */
  timeoutMs: z.int().positive(),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** What a worker process tells the parent. */
export type WorkerMessage =
  | { kind: 'ready' }
  /** A worker's stalled-job check took over a drain job whose lock lapsed (its worker died). */
  | { kind: 'stalled'; jobId: string; at: number };

/** What the parent tells a worker: stop gracefully (`worker.close()`), then exit. */
export const stopMessage = 'stop';

/**
 * One audit event, as a worker's audit sink pushes it (awaited, before the drain job removes the
 * event from its mailbox): the Redis list is the order in which events were applied, across every
 * process.
 */
export const appliedEventSchema = z.object({
  interactionId: z.string(),
  /** The event being handled (from the handle span), which the audit does not always name. */
  eventType: z.string(),
  operation: z.string(),
  outcome: z.string(),
  reason: z.string(),
  ownerId: z.string().optional(),
  /** The worker process, `w1`… */
  worker: z.string(),
  /** Wall clock, ms. */
  at: z.number(),
});
export type AppliedEvent = z.infer<typeof appliedEventSchema>;

/** The list of applied events of a cell. */
export function appliedKey(prefix: string): string {
  return `${prefix}scale:applied`;
}
