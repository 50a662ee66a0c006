import { type Logger, parseInteractionEvent, parseSettings, silentLogger } from '@crm-connect/core';
import { connectRedis } from '@crm-connect/redis';
import { Queue } from 'bullmq';
import { z } from 'zod';
import { createMailboxes, encodeEntry, mailboxKeys, seenKey } from './mailbox.js';
import {
  bullPrefix,
  type DrainJob,
  drainJobName,
  drainJobOptions,
  drainQueueName,
  queueConnectionSchema,
} from './queues.js';
import { parseTenantId } from './tenants.js';
import { queueUnavailable } from './worker-errors.js';
import { currentTraceCarrier } from './worker-telemetry.js';

export const producerOptionsSchema = z.object({
  ...queueConnectionSchema.shape,
  /** How long an event's content is remembered for deduplication, in ms: at least the platform's redelivery window. Default 24 h. */
  dedupeWindowMs: z
    .int()
    .positive()
    .default(24 * 60 * 60 * 1000),
});
export type ProducerOptions = z.input<typeof producerOptionsSchema> & {
  /** Where Redis connection trouble is logged (the calls that fail also throw). Default: silent. */
  logger?: Logger | undefined;
};

/** `queued`: appended to its interaction's mailbox. `duplicate`: the same content was enqueued for the tenant within the window. */
export interface EnqueueResult {
  status: 'queued' | 'duplicate';
  interactionId: string;
}

/** What the platform calls with each interaction event it receives. */
export interface Producer {
  /**
   * Validates the event (`InvalidInputError` naming each bad field, nothing enqueued), drops a
   * redelivery of one already enqueued for the tenant, appends it to its interaction's mailbox and
   * makes sure a drain job will handle it. A retryable `redis_unavailable` error means: deliver
   * the event again (the redelivery completes whatever the failed call left undone).
   */
  enqueue(tenantId: string, event: unknown): Promise<EnqueueResult>;
  /** Closes the producer's Redis connections. */
  close(): Promise<void>;
}

/**
 * Connects to Redis and returns the producer. One per process is enough; it may be shared by
 * every request the platform handles.
 */
export async function createProducer(options: ProducerOptions): Promise<Producer> {
  const { url, prefix, dedupeWindowMs } = parseSettings(producerOptionsSchema, options);
  const logger = options.logger ?? silentLogger;
  const redis = await connectRedis({ url, logger });
  const mailboxes = createMailboxes(redis);
  // Fail fast rather than queue commands while Redis is away: the platform should learn at once.
  const queue = new Queue<DrainJob>(drainQueueName, {
    connection: { url, enableOfflineQueue: false },
    prefix: bullPrefix(prefix),
    defaultJobOptions: drainJobOptions,
  });
  // BullMQ reports connection trouble as `error` events (unhandled, they would end the process).
  queue.on('error', (error) => logger.log('warn', 'producer queue error', { error: error.message }));

  return {
    async enqueue(tenantId, input) {
      const tenant = parseTenantId(tenantId);
      const event = parseInteractionEvent(input);
      const keys = mailboxKeys(prefix, tenant, event.interactionId);
      let pushed: Awaited<ReturnType<typeof mailboxes.push>>;
      try {
        pushed = await mailboxes.push(
          keys,
          seenKey(prefix, tenant, event),
          encodeEntry(event, Date.now(), currentTraceCarrier()),
          dedupeWindowMs,
        );
      } catch (error) {
        throw queueUnavailable('append the event to its mailbox', error);
      }
      // Also after a duplicate: the first delivery may have died before adding the job.
      if (pushed.token !== undefined) {
        const job: DrainJob = { tenantId: tenant, interactionId: event.interactionId, token: pushed.token };
        try {
          await queue.add(drainJobName, job, { jobId: pushed.token });
        } catch (error) {
          throw queueUnavailable('add the drain job', error);
        }
      }
      return { status: pushed.appended ? 'queued' : 'duplicate', interactionId: event.interactionId };
    },
    async close() {
      await Promise.allSettled([queue.close(), redis.quit()]);
    },
  };
}
