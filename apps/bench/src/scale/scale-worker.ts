import { type AuditEvent, createRateBudgetRegistry, type Logger } from '@crm-connect/core';
import { connectRedis, createRedisRateBudgetRegistry, createRedisRecordLinkStore } from '@crm-connect/redis';
import { restorePlugin } from '@crm-connect/sandbox-crms';
import { createWorker } from '@crm-connect/worker';
import { captureHandledEvents, handledEventType } from './handled-event.js';
import { windowedBudgets } from './windowed-budgets.js';
import {
  type AppliedEvent,
  appliedKey,
  stopMessage,
  type WorkerMessage,
  workerConfigSchema,
} from './worker-config.js';

/**
 * One of the platform's worker processes in `pnpm test:scale`, forked by `run-cell.ts`: the CRM's
 * plugin rebuilt from its portable form, `createWorker` with the Redis record-link store and the
 * Redis rate budgets (or core's in-memory ones, for the control run), every applied event pushed
 * to Redis by its audit sink. Stops gracefully when told; the parent SIGKILLs one mid-run.
 */

function send(message: WorkerMessage): void {
  process.send?.(message);
}

// The parent is gone (it crashed or was killed): a worker left behind would drain a dead run's queue.
process.once('disconnect', () => process.exit(1));

process.once('message', async (message: unknown) => {
  const config = workerConfigSchema.parse(message);
  captureHandledEvents();
  const plugin = await restorePlugin(config.crm);
  const redis = await connectRedis({ url: config.redisUrl });
  const registry =
    config.budgets === 'redis'
      ? createRedisRateBudgetRegistry({ redis, prefix: config.prefix, leaseMs: config.leaseMs })
      : createRateBudgetRegistry();
  const recordLinks = createRedisRecordLinkStore({
    redis,
    prefix: `${config.prefix}tenant:${config.tenantId}:`,
  });
  const applied = appliedKey(config.prefix);
  const record = async (event: AuditEvent) => {
    const entry: AppliedEvent = {
      interactionId: event.interactionId,
      eventType: handledEventType() ?? event.eventType,
      operation: event.operation,
      outcome: event.outcome,
      reason: event.reason,
      ownerId: event.owner?.id,
      worker: config.label,
      at: Date.now(),
    };
    await redis.rpush(applied, JSON.stringify(entry));
  };
  const logger: Logger = {
    enabled: (level) => level !== 'debug',
    log(level, line, fields) {
      if (line === 'drain job stalled; recovered' && typeof fields?.jobId === 'string') {
        send({ kind: 'stalled', jobId: fields.jobId, at: Date.now() });
      } else if (level === 'error') {
        process.stderr.write(`[${config.label}] ${line} ${JSON.stringify(fields ?? {})}\n`);
      }
    },
  };
  const worker = await createWorker({
    url: config.redisUrl,
    prefix: config.prefix,
    concurrency: config.concurrency,
    lockDurationMs: config.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs,
    // Time is sped up: an event's retry waits milliseconds, not seconds (a Retry-After still wins).
    retry: { initialDelayMs: 50, maxDelayMs: 1_000 },
    tenants: async (tenantId) =>
      tenantId === config.tenantId ? { plugin, settings: config.settings } : undefined,
    recordLinks: () => recordLinks,
    rateBudgets: windowedBudgets(registry, config.limit),
    audit: () => record,
    logger,
    http: { retry: { initialDelayMs: 5, maxDelayMs: 100 }, timeoutMs: config.timeoutMs },
  });
  process.on('message', (next: unknown) => {
    if (next !== stopMessage) return;
    worker
      .close()
      .then(() => redis.quit())
      .finally(() => process.exit(0));
  });
  send({ kind: 'ready' });
});
