import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import { type MemorySnapshot, type MemoryTask, memoryReportSchema } from './memory-task.js';
import { runInWorker } from './worker-process.js';

/** Figure 5: the connector process's memory after N whole interactions, and after ten times as many. */
export interface MemoryResult {
  snapshots: MemorySnapshot[];
  /** RSS growth from the first checkpoint to the last, in MB (10⁶ bytes): the target is < 50. */
  rssGrowthMb: number;
  heapGrowthMb: number;
  failed: number;
  seconds: number;
}

export interface MemoryOptions {
  checkpoints: number[];
  concurrency: number;
}

const megabyte = 1_000_000;

export async function measureMemory(crm: SandboxCrm, options: MemoryOptions): Promise<MemoryResult> {
  const running = await crm.start();
  try {
    const task: MemoryTask = { crm: await running.portable(), ...options };
    const started = performance.now();
    const report = await runInWorker(
      new URL('./memory-worker.js', import.meta.url),
      task,
      memoryReportSchema,
    );
    if ('error' in report) throw new Error(`The ${crm.displayName} memory worker failed: ${report.error}`);
    const first = report.snapshots[0];
    const last = report.snapshots.at(-1);
    if (first === undefined || last === undefined) throw new Error('The memory worker reported no snapshot');
    return {
      snapshots: report.snapshots,
      rssGrowthMb: (last.rssBytes - first.rssBytes) / megabyte,
      heapGrowthMb: (last.heapUsedBytes - first.heapUsedBytes) / megabyte,
      failed: report.failed,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await running.stop();
  }
}
