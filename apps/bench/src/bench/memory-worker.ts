import { restorePlugin } from '@crm-connect/sandbox-crms';
import { unthrottledBudgets } from '../unthrottled-budgets.js';
import { benchConnector } from './bench-connector.js';
import { fullInteraction } from './bench-events.js';
import { type MemoryReport, type MemorySnapshot, type MemoryTask, memoryTaskSchema } from './memory-task.js';

/**
 * The memory figure's worker process (started by memory.ts with --expose-gc): one connector,
 * whole interactions (chat started, agent assigned, interaction ended) against the sandbox the
 * parent runs, and the process's memory after a full garbage collection at each checkpoint.
 */

async function run(task: MemoryTask): Promise<MemoryReport> {
  const collect = globalThis.gc;
  if (collect === undefined) return { error: 'the memory worker must run with --expose-gc' };
  const plugin = await restorePlugin(task.crm);
  const connector = benchConnector(plugin, task.crm.settings, unthrottledBudgets());
  let started = 0;
  let failed = 0;
  const snapshots: MemorySnapshot[] = [];
  for (const checkpoint of task.checkpoints) {
    const lane = async () => {
      while (started < checkpoint) {
        const interactionId = `memory-${started}`;
        started += 1;
        try {
          for (const event of fullInteraction(interactionId)) await connector.handle(event);
        } catch {
          failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: task.concurrency }, lane));
    // Twice: the first collection's finalisers can free more on the second.
    collect();
    collect();
    const usage = process.memoryUsage();
    snapshots.push({ interactions: checkpoint, rssBytes: usage.rss, heapUsedBytes: usage.heapUsed });
  }
  return { snapshots, failed };
}

process.once('message', (message: unknown) => {
  const reply = (report: MemoryReport) => process.send?.(report, () => process.disconnect());
  const task = memoryTaskSchema.safeParse(message);
  if (!task.success) {
    reply({ error: `unreadable task: ${task.error.message}` });
    return;
  }
  run(task.data).then(reply, (error: unknown) =>
    reply({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
