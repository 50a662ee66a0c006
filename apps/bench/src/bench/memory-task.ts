import { portableCrmSchema } from '@crm-connect/sandbox-crms';
import { z } from 'zod';

/**
 * The messages between the memory figure and its worker process. The worker holds only the
 * connector, so its memory is the connector's alone: the sandbox, whose store grows with every
 * record, stays in the bench's own process.
 */

export const memoryTaskSchema = z.object({
  /** The CRM the parent started, as the worker rebuilds its plugin. */
  crm: portableCrmSchema,
  /** Interactions after which memory is read (after a full garbage collection), in increasing order. */
  checkpoints: z.array(z.number().int().positive()).min(1),
  /** Interactions in flight at once. */
  concurrency: z.number().int().positive(),
});
export type MemoryTask = z.infer<typeof memoryTaskSchema>;

export const memorySnapshotSchema = z.object({
  interactions: z.number().int(),
  rssBytes: z.number(),
  heapUsedBytes: z.number(),
});
export type MemorySnapshot = z.infer<typeof memorySnapshotSchema>;

export const memoryReportSchema = z.union([
  z.object({ snapshots: z.array(memorySnapshotSchema), failed: z.number().int() }),
  z.object({ error: z.string() }),
]);
export type MemoryReport = z.infer<typeof memoryReportSchema>;
