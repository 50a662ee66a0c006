import type { Connector } from '@crm-connect/core';
import { restorePlugin } from '@crm-connect/sandbox-crms';
import { benchConnector } from './bench-connector.js';
import { cpuMicros } from './cpu-time.js';
import { tenantSettings } from './tenant-settings.js';
import { type TenantsReport, type TenantsTask, tenantsTaskSchema } from './tenants-task.js';

/**
 * The tenants figure's worker process (started by tenants.ts with --expose-gc): one plugin, a
 * connector for each of N tenants with settings of their own, as a platform serving N customers
 * holds them, then every one closed. Reads the heap after a full garbage collection before, with
 * all open, and after closing.
 */

async function run(task: TenantsTask): Promise<TenantsReport> {
  const collect = globalThis.gc;
  if (collect === undefined) return { error: 'the tenants worker must run with --expose-gc' };
  const plugin = await restorePlugin(task.crm);
  const settingsOf = (tenant: number) =>
    tenantSettings(task.crm.settings, task.sandboxUrl, plugin.settings.secretFields, tenant);
  // The platform has its tenants' settings loaded already: made before the baseline.
  const settings = Array.from({ length: task.tenants }, (_, tenant) => settingsOf(tenant));
  // Default rate budgets (the process-wide registry), as a platform's connectors have.
  const create = (tenantSettings: Record<string, unknown>) => benchConnector(plugin, tenantSettings);
  for (let index = 0; index < task.warmup; index += 1) await create(settingsOf(task.tenants + index)).close();

  const heapAfterCollection = async () => {
    // Closing may leave promise callbacks and timers' clean-up a turn to run.
    await new Promise((resolve) => setImmediate(resolve));
    // Twice: the first collection's finalisers can free more on the second.
    collect();
    collect();
    return process.memoryUsage().heapUsed;
  };
  const resourcesBefore = process.getActiveResourcesInfo();
  const before = await heapAfterCollection();
  const startedCpu = cpuMicros();
  const started = performance.now();
  let connectors: Connector[] = settings.map(create);
  const createMs = performance.now() - started;
  const createCpuMs = (cpuMicros() - startedCpu) / 1000;
  const open = await heapAfterCollection();
  for (const connector of connectors) await connector.close();
  connectors = [];
  const closed = await heapAfterCollection();
  return {
    heapBytes: { before, open, closed },
    createMs,
    createCpuMs,
    resourcesLeft: leftOver(resourcesBefore, process.getActiveResourcesInfo()),
  };
}

/** The resources in `after` beyond those in `before`, counted by kind. */
function leftOver(before: readonly string[], after: readonly string[]): string[] {
  const remaining = [...before];
  const extra: string[] = [];
  for (const resource of after) {
    const index = remaining.indexOf(resource);
    if (index >= 0) remaining.splice(index, 1);
    else extra.push(resource);
  }
  return extra;
}

process.once('message', (message: unknown) => {
  const reply = (report: TenantsReport) => process.send?.(report, () => process.disconnect());
  const task = tenantsTaskSchema.safeParse(message);
  if (!task.success) {
    reply({ error: `unreadable task: ${task.error.message}` });
    return;
  }
  run(task.data).then(reply, (error: unknown) =>
    reply({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
