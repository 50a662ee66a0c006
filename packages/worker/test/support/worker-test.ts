import { Queue } from 'bullmq';
import { afterEach } from 'vitest';
import type { RedisTestContext } from '../../../redis/test/support/redis-test.js';
import {
  bullPrefix,
  type CrmWorker,
  createProducer,
  createWorker,
  type DeadLetter,
  deadLetterQueueName,
  drainQueueName,
  type Producer,
  type WorkerOptions,
} from '../../src/index.js';

/** Producers, workers and queue views on a key prefix of the test's own; all closed after the test. */
export interface WorkerTestContext {
  url: string;
  prefix: string;
  producer(options?: { dedupeWindowMs?: number }): Promise<Producer>;
  worker(options: Omit<WorkerOptions, 'url' | 'prefix'>): Promise<CrmWorker>;
  /** The dead-letter queue's letters, oldest first. */
  deadLetters(): Promise<DeadLetter[]>;
  /** The drain queue's job counts by state. */
  drainJobCounts(): Promise<Record<string, number>>;
}

/** Retries short enough for tests. */
export const fastRetry = { attempts: 3, initialDelayMs: 20, maxDelayMs: 100 };

/** Call in a `describeWithRedis` body: each call of the returned function is one test's context. */
export function workerTests(redis: RedisTestContext): () => WorkerTestContext {
  const open: Array<{ close(): Promise<unknown> }> = [];
  afterEach(async () => {
    // Workers first (they finish their jobs), then what they write to.
    for (const closable of open.splice(0).reverse()) await closable.close();
  });
  return () => {
    const prefix = redis.prefix();
    const queues = new Map<string, Queue>();
    const queue = (name: string) => {
      let created = queues.get(name);
      if (created === undefined) {
        created = new Queue(name, { connection: { url: redis.url }, prefix: bullPrefix(prefix) });
        queues.set(name, created);
        open.unshift(created);
      }
      return created;
    };
    return {
      url: redis.url,
      prefix,
      async producer(options = {}) {
        const producer = await createProducer({ url: redis.url, prefix, ...options });
        open.unshift(producer);
        return producer;
      },
      async worker(options) {
        const worker = await createWorker({ url: redis.url, prefix, ...options });
        open.push(worker);
        return worker;
      },
      async deadLetters() {
        const jobs = await queue(deadLetterQueueName).getJobs(['wait'], 0, -1, true);
        return jobs.map((job) => job.data as DeadLetter);
      },
      async drainJobCounts() {
        return queue(drainQueueName).getJobCounts('active', 'wait', 'delayed', 'failed', 'completed');
      },
    };
  };
}
