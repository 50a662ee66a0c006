import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import { type TenantsTask, tenantsReportSchema } from './tenants-task.js';
import { runInWorker } from './worker-process.js';

/**
 * Figures 10 and 11: a platform holds a connector per customer (tenant), most of them idle. What
 * one costs to hold and to create, with 1,000 of them open in one process; and what is left of
 * them once each is closed (nothing, meant: a platform closes a connector when a customer
 * disconnects or changes settings, thousands of times over a process's life). Measured in a worker
 * process of its own; the connectors are created and closed without a write (tenant-settings.ts).
 */
export interface TenantsResult {
  tenants: number;
  /** Heap per open connector after a full garbage collection, bytes: the target is ≤ 50 kB. */
  heapPerConnectorBytes: number;
  /** Wall time per create, ms. */
  createMs: number;
  /** CPU time per create, ms: the target is ≤ 0.5 (see `checkTargets`). */
  createCpuMs: number;
  /** Heap left per connector after all were closed, bytes (the target is 0; ≤ 1 kB is within the heap's noise). */
  keptPerConnectorBytes: number;
  /** Timers, sockets and other handles left after closing that were not there before creating. */
  resourcesLeft: string[];
}

export interface TenantsOptions {
  tenants: number;
  warmup: number;
}

export async function measureTenants(crm: SandboxCrm, options: TenantsOptions): Promise<TenantsResult> {
  // Started for its settings only (Salesforce's are made by linking admins): nothing is sent to it.
  const running = await crm.start();
  try {
    const task: TenantsTask = {
      crm: await running.portable(),
      sandboxUrl: running.sandbox.url,
      tenants: options.tenants,
      warmup: options.warmup,
    };
    const report = await runInWorker(
      new URL('./tenants-worker.js', import.meta.url),
      task,
      tenantsReportSchema,
    );
    if ('error' in report) throw new Error(`The ${crm.displayName} tenants worker failed: ${report.error}`);
    const { before, open, closed } = report.heapBytes;
    return {
      tenants: options.tenants,
      heapPerConnectorBytes: (open - before) / options.tenants,
      createMs: report.createMs / options.tenants,
      createCpuMs: report.createCpuMs / options.tenants,
      keptPerConnectorBytes: (closed - before) / options.tenants,
      resourcesLeft: report.resourcesLeft,
    };
  } finally {
    await running.stop();
  }
}
