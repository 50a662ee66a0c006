import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { positiveMs } from './durations.js';
import { defaultPrefix, keySegment } from './keys.js';
import { callRedis, unexpectedValue } from './redis-errors.js';
import { defineScript } from './scripts.js';

export interface RedisClaimStoreOptions {
  /** The client, shared by every process that receives the deliveries. Required. */
  redis: Redis;
  /** What is deduplicated, part of every key (`sunshine-event`). Required. */
  name: string;
  /** Prepended to every key. Default `crm-connect:`. */
  prefix?: string | undefined;
  /**
   * How long a claim keeps other deliveries away, in ms: longer than handling one delivery takes.
   * A process that dies while handling lets the id be claimed again after this. Default 120,000.
   */
  claimTtlMs?: number | undefined;
  /**
   * How long a handled id is remembered, in ms: at least the sender's retry window (Sunshine
   * Conversations retries for 15 minutes). Default 3,600,000 (one hour).
   */
  processedTtlMs?: number | undefined;
}

/** `claimed`: handle it now. `processed`: handled before. `processing`: another delivery is handling it. */
export type ClaimResult = 'claimed' | 'processed' | 'processing';

/**
 * Claim, then done: each id is handled once by whichever process claims it first. The shape of
 * the Zendesk messaging plugin's `WebhookEventStore`, so it plugs in as `store`.
 */
export interface RedisClaimStore {
  /** Reserves an id (atomically: of concurrent claims, exactly one is `claimed`). */
  claim(id: string): Promise<ClaimResult>;
  /** The claimed id was handled: later deliveries are `processed` for `processedTtlMs`. */
  complete(id: string): Promise<void>;
  /** Handling failed: the claim goes, so the next delivery is handled. Only this process's own claim is removed. */
  release(id: string): Promise<void>;
}

const processed = 'processed';

/** Claims `KEYS[1]` with the token `ARGV[1]` for `ARGV[2]` ms unless it is claimed or handled. */
const claimScript = `
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if current == '${processed}' then return 'processed' end
return 'processing'
`;

/** Deletes `KEYS[1]` if it still holds this process's claim `ARGV[1]` (not another's, not `processed`). */
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Webhook (or any delivery) dedupe in Redis. A claim is `<prefix><name>:<id>` holding
 * `processing:<token>` for `claimTtlMs`; `complete` overwrites it with `processed` for
 * `processedTtlMs`. Failures throw a retryable `redis_unavailable` error: a receiver that cannot
 * claim answers with an error, and the sender delivers again later.
 */
export function createRedisClaimStore(options: RedisClaimStoreOptions): RedisClaimStore {
  const { redis } = options;
  const base = `${options.prefix ?? defaultPrefix}${keySegment(options.name)}:`;
  const claimTtlMs = positiveMs('claimTtlMs', options.claimTtlMs ?? 120_000);
  const processedTtlMs = positiveMs('processedTtlMs', options.processedTtlMs ?? 3_600_000);
  const scripts = {
    claim: defineScript(redis, claimScript, 1),
    release: defineScript(redis, releaseScript, 1),
  };
  /** This process's claims not yet completed or released, by id: the token proves a claim is ours. */
  const claims = new Map<string, string>();

  return {
    async claim(id) {
      const token = `processing:${randomUUID()}`;
      const key = `${base}${id}`;
      const result = await callRedis('claim a delivery', () => scripts.claim([key], [token, claimTtlMs]));
      if (result !== 'claimed' && result !== 'processed' && result !== 'processing') {
        throw unexpectedValue(key, 'a claim');
      }
      if (result === 'claimed') claims.set(id, token);
      return result;
    },
    async complete(id) {
      claims.delete(id);
      await callRedis('record a delivery as handled', () =>
        redis.set(`${base}${id}`, processed, 'PX', processedTtlMs),
      );
    },
    async release(id) {
      const token = claims.get(id);
      claims.delete(id);
      // Not claimed here (or already let go): there is nothing of ours to remove.
      if (token === undefined) return;
      await callRedis('release a claim', () => scripts.release([`${base}${id}`], [token]));
    },
  };
}
