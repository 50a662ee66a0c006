import { portableCrmSchema } from '@crm-connect/sandbox-crms';
import { z } from 'zod';

/** The messages between the tenants figure and its worker process (forked with --expose-gc). */

export const tenantsTaskSchema = z.object({
  /** The sandbox CRM whose settings each tenant's are made from (tenant-settings.ts). */
  crm: portableCrmSchema,
  sandboxUrl: z.string(),
  tenants: z.number().int().positive(),
  /** Connectors created and closed before the baseline, so lazily loaded code is not counted. */
  warmup: z.number().int().nonnegative(),
});
export type TenantsTask = z.infer<typeof tenantsTaskSchema>;

export const tenantsReportSchema = z.union([
  z.object({
    /** Heap used after a full garbage collection: before creating, with every connector open, after closing them all. */
    heapBytes: z.object({ before: z.number(), open: z.number(), closed: z.number() }),
    /** Wall time and CPU time of all the creates, in ms. */
    createMs: z.number(),
    createCpuMs: z.number(),
    /** Resources (timers, sockets…) the process had after closing that it did not have before creating. */
    resourcesLeft: z.array(z.string()),
  }),
  z.object({ error: z.string() }),
]);
export type TenantsReport = z.infer<typeof tenantsReportSchema>;
