import {
  type AuditSink,
  CrmConnectError,
  isCrmConnectError,
  type Logger,
  parseSettings,
  type RateBudgetRegistry,
  type RecordLinkStore,
  silentLogger,
} from '@crm-connect/core';
import { connectRedis } from '@crm-connect/redis';
import { DelayedError, type Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { z } from 'zod';
import { createMailboxes, type MailboxEntry, mailboxKeys } from './mailbox.js';
import {
  bullPrefix,
  type DeadLetter,
  type DrainJob,
  deadLetterQueueName,
  drainJobSchema,
  drainQueueName,
  queueConnectionSchema,
} from './queues.js';
import { createConnectorPool, type TenantConnectorOptions, type TenantSource } from './tenants.js';
import { attemptsExhausted } from './worker-errors.js';
import { inEnqueuedContext, observeQueueDepth, workerInstruments } from './worker-telemetry.js';

export const workerOptionsSchema = z.object({
  ...queueConnectionSchema.shape,
  /** How many interactions this worker drains at once (one event of each at a time). Default 8. */
  concurrency: z.int().positive().default(8),
  /**
   * How long a job's lock lasts unless renewed, in ms; a running worker renews it well before it
   * lapses. A worker that dies (SIGKILL, lost machine) has its jobs taken over by another after
   * about this plus up to two `stalledIntervalMs`. Default 30,000.
   */
  lockDurationMs: z.int().min(200).default(30_000),
  /** How often each worker looks for jobs whose lock expired, in ms. Default 30,000. */
  stalledIntervalMs: z.int().min(100).default(30_000),
  retry: z
    .object({
      /** How many times one event is started before it is dead-lettered: retryable failures and crashes both count. Default 10. */
      attempts: z.int().positive().default(10),
      /** The wait after an event's first retryable failure, in ms, doubled after each (with jitter). Default 1,000. */
      initialDelayMs: z.int().nonnegative().default(1_000),
      /** The longest computed wait, in ms. A CRM's Retry-After (`retryAfterMs`) is honoured even when longer. Default 300,000. */
      maxDelayMs: z.int().nonnegative().default(300_000),
    })
    .prefault({}),
  connectors: z
    .object({
      /** At most this many tenants' connectors are open; the least recently used is closed first. Default 1,000. */
      max: z.int().positive().default(1_000),
      /** A tenant's connector no event used for this long is closed, in ms. Default 600,000 (10 minutes). */
      idleMs: z.int().positive().default(600_000),
    })
    .prefault({}),
});

export type WorkerOptions = z.input<typeof workerOptionsSchema> & {
  /** Each tenant's plugin and saved settings. Required. */
  tenants: TenantSource;
  /**
   * The record-link store of a tenant's connector. Give every worker the same shared store (a
   * Redis one, with a prefix per tenant): an event re-handled after a crash, on another worker,
   * then finds the record the first one opened. Default: in memory per connector (one process only).
   */
  recordLinks?: ((tenantId: string) => RecordLinkStore) | undefined;
  /** Rate budgets per CRM account, shared by every tenant on one account. Default: core's process-wide registry. */
  rateBudgets?: RateBudgetRegistry | undefined;
  /** The audit sink of a tenant's connector. Default: none. */
  audit?: ((tenantId: string) => AuditSink) | undefined;
  /** The worker's own log (retries, dead letters, recoveries) and its connectors'. Default: silent. */
  logger?: Logger | undefined;
  /** The connectors' HTTP overrides (retry backoff, per-attempt timeout). Default: core's. */
  http?: TenantConnectorOptions['http'];
};

/** A running worker. */
export interface CrmWorker {
  /**
   * Stops taking jobs; each job under way finishes the event it is handling and hands the rest of
   * its mailbox back to the queue; then every connector this worker created is closed (waiting
   * for its events under way) and the Redis connections are closed.
   */
  close(): Promise<void>;
  /** How many tenants' connectors are open. */
  readonly connectors: number;
}

/**
 * Connects to Redis and starts draining interaction mailboxes: each event is handled by its
 * tenant's connector, one at a time and in order per interaction across every worker; retryable
 * failures wait and are tried again, the rest go to the dead-letter queue.
 */
export async function createWorker(options: WorkerOptions): Promise<CrmWorker> {
  const settings = parseSettings(workerOptionsSchema, options);
  const { prefix, retry } = settings;
  const logger = options.logger ?? silentLogger;
  const redis = await connectRedis({ url: settings.url, logger });
  const mailboxes = createMailboxes(redis);
  const pool = createConnectorPool({
    tenants: options.tenants,
    connectorOptions: (tenantId) => ({
      recordLinks: options.recordLinks?.(tenantId),
      rateBudgets: options.rateBudgets,
      audit: options.audit?.(tenantId),
      logger: options.logger,
      http: options.http,
    }),
    max: settings.connectors.max,
    idleMs: settings.connectors.idleMs,
    logger,
  });
  const connection = { url: settings.url };
  const deadLetters = new Queue<DeadLetter>(deadLetterQueueName, {
    connection,
    prefix: bullPrefix(prefix),
    // Kept until someone looks at them; nothing consumes this queue.
    defaultJobOptions: { removeOnComplete: false, removeOnFail: false },
  });
  deadLetters.on('error', (error) => logger.log('warn', 'dead-letter queue error', { error: error.message }));
  let closing = false;
  let closed: Promise<void> | undefined;

  /** The wait before an event's next attempt: the CRM's Retry-After, else exponential with jitter. */
  function retryDelay(attempt: number, error: CrmConnectError): number {
    if (error.retryAfterMs !== undefined) return Math.max(0, error.retryAfterMs);
    const computed = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (attempt - 1));
    return Math.round(computed / 2 + (Math.random() * computed) / 2);
  }

  async function handleEntry(tenantId: string, entry: MailboxEntry): Promise<CrmConnectError | undefined> {
    if (entry.enqueuedAt > 0)
      workerInstruments().jobAge.record(Math.max(0, Date.now() - entry.enqueuedAt) / 1000);
    try {
      // The connector's span continues the trace the platform enqueued the event in.
      await inEnqueuedContext(entry.trace, () => pool.handle(tenantId, entry.event));
      return undefined;
    } catch (error) {
      if (isCrmConnectError(error)) return error;
      const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return new CrmConnectError('internal_error', `Unexpected failure: ${summary}`, {
        cause: new Error(summary),
      });
    }
  }

  async function deadLetter(
    job: DrainJob,
    entry: MailboxEntry,
    error: CrmConnectError,
    attempts: number,
  ): Promise<void> {
    const letter: DeadLetter = {
      tenantId: job.tenantId,
      interactionId: job.interactionId,
      event: entry.event,
      error: {
        code: error.code,
        message: error.message,
        retryable: error.retryable,
        pluginId: error.pluginId,
        status: error.status,
        requestId: error.requestId,
      },
      attempts,
      enqueuedAt: new Date(entry.enqueuedAt).toISOString(),
      deadLetteredAt: new Date().toISOString(),
    };
    // The entry id as job id: a worker that dies before the pop dead-letters it again, as one letter.
    await deadLetters.add(error.code, letter, { jobId: entry.id });
    workerInstruments().deadLetters.add(1, { 'error.type': error.code });
    logger.log('error', 'event dead-lettered', {
      tenantId: job.tenantId,
      interactionId: job.interactionId,
      code: error.code,
      message: error.message,
      attempts,
    });
  }

  async function drain(job: Job<DrainJob>, lockToken: string | undefined): Promise<{ handled: number }> {
    const parsed = drainJobSchema.safeParse(job.data);
    if (!parsed.success || lockToken === undefined || job.id === undefined) {
      throw new UnrecoverableError('not a drain job');
    }
    const data = parsed.data;
    const keys = mailboxKeys(prefix, data.tenantId, data.interactionId);
    const lockKey = `${worker.toKey(job.id)}:lock`;
    let handled = 0;
    for (;;) {
      if (closing) {
        // Shutting down: the event under way is done; another worker takes the rest now.
        await job.moveToWait(lockToken);
        throw new WaitingError();
      }
      const peek = await mailboxes.peek(keys, lockKey, data.token, lockToken);
      if (peek.kind === 'lock-lost') {
        logger.log('warn', 'drain job lost its lock; another worker has it', { jobId: job.id });
      }
      if (peek.kind !== 'head') return { handled };
      const { entry, attempt } = peek;
      const failure =
        attempt > retry.attempts ? attemptsExhausted(attempt - 1) : await handleEntry(data.tenantId, entry);
      if (failure !== undefined) {
        // The end (or another event) overtook its opening event, which is further back in the
        // mailbox: "deliver the opening event first, then this one again", without waiting.
        if (failure.code === 'not_found' && failure.retryable) {
          const opening = await mailboxes.findOpening(keys);
          if (
            opening !== undefined &&
            (await mailboxes.promote(keys, lockKey, data.token, lockToken, opening))
          ) {
            logger.log('info', 'opening event handled first', {
              tenantId: data.tenantId,
              interactionId: data.interactionId,
            });
            continue;
          }
        }
        if (failure.retryable && attempt < retry.attempts) {
          const delayMs = retryDelay(attempt, failure);
          logger.log('warn', 'event failed, retrying', {
            tenantId: data.tenantId,
            interactionId: data.interactionId,
            code: failure.code,
            attempt,
            delayMs,
          });
          // The head stays: the interaction's later events wait behind it, in order.
          await job.moveToDelayed(Date.now() + delayMs, lockToken);
          throw new DelayedError();
        }
        await deadLetter(data, entry, failure, Math.min(attempt, retry.attempts));
      }
      if (!(await mailboxes.pop(keys, lockKey, data.token, lockToken, entry.id))) {
        logger.log('warn', 'drain job no longer owns its mailbox; another worker has it', { jobId: job.id });
        return { handled };
      }
      handled += 1;
    }
  }

  const worker = new Worker<DrainJob, { handled: number }>(drainQueueName, drain, {
    connection,
    prefix: bullPrefix(prefix),
    concurrency: settings.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    // A crash loop is ended per event by `retry.attempts`, so BullMQ's per-job cap never strands a mailbox.
    maxStalledCount: Number.MAX_SAFE_INTEGER,
    settings: {
      // Only the worker's own failures (Redis did not answer) reach BullMQ's retries.
      backoffStrategy: (attemptsMade) => Math.min(60_000, 1_000 * 2 ** Math.min(attemptsMade - 1, 6)),
    },
  });
  worker.on('error', (error) => logger.log('warn', 'worker error', { error: error.message }));
  worker.on('failed', (job, error) =>
    logger.log('warn', 'drain job failed; BullMQ retries it', { jobId: job?.id, error: error.message }),
  );
  worker.on('stalled', (jobId) => logger.log('warn', 'drain job stalled; recovered', { jobId }));
  await worker.waitUntilReady();
  const drainQueue = new Queue<DrainJob>(drainQueueName, { connection, prefix: bullPrefix(prefix) });
  drainQueue.on('error', (error) => logger.log('warn', 'drain queue error', { error: error.message }));
  const stopObserving = observeQueueDepth(async () => ({
    [drainQueueName]: await drainQueue.getJobCounts('waiting', 'delayed', 'active'),
    [deadLetterQueueName]: await deadLetters.getJobCounts('waiting'),
  }));

  return {
    get connectors() {
      return pool.size;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        stopObserving();
        // Waits for the jobs under way: each ends after its current event (see `drain`).
        await worker.close();
        await pool.close();
        await Promise.allSettled([deadLetters.close(), drainQueue.close(), redis.quit()]);
      })();
      return closed;
    },
  };
}
