import { randomUUID } from 'node:crypto';
import { CrmConnectError, type Logger, silentLogger } from '@crm-connect/core';
import type { Redis } from 'ioredis';
import { positiveMs, withJitter } from './durations.js';
import { defaultPrefix } from './keys.js';
import { callRedis, redisErrorCodes, redisFailure } from './redis-errors.js';
import { defineScript } from './scripts.js';

export interface RedisLocksOptions {
  /** The client, shared by every process that competes for the locks. Required. */
  redis: Redis;
  /** Prepended to every key. Default `crm-connect:`. */
  prefix?: string | undefined;
  /** The longest wait between two tries while another process holds a lock, in ms. Default 50. */
  pollMs?: number | undefined;
  /** Where a failed release or extension is logged. Default: silent. */
  logger?: Logger | undefined;
}

export interface LockOptions {
  /** How long the lock is held unless extended or released, in ms: a dead holder's lock frees after this. Required. */
  ttlMs: number;
  /** How long to wait while another process holds it, in ms. Default 0: one try. */
  waitMs?: number | undefined;
}

/** A lock this process holds. */
export interface RedisLock {
  readonly name: string;
  /** Proves the holder: only it can extend or release the lock. */
  readonly token: string;
  /** Holds the lock `ttlMs` more from now. False when it was lost (expired, then taken or not). */
  extend(ttlMs: number): Promise<boolean>;
  /** Lets the lock go. False when this holder no longer had it. */
  release(): Promise<boolean>;
}

export interface RedisLocks {
  /** Takes the lock, waiting up to `waitMs` while another holds it; `undefined` if it is still held then. */
  acquire(name: string, options: LockOptions): Promise<RedisLock | undefined>;
  /**
   * Runs `task` holding the lock: extended every third of `ttlMs` while it runs, released after.
   * `signal` aborts if the lock is lost (Redis unreachable for most of `ttlMs`, or a holder frozen
   * past it): stop before writing anything that only the holder may write. Throws a retryable
   * `lock_timeout` error when the lock stays held by another for `waitMs`.
   */
  withLock<T>(name: string, task: (signal: AbortSignal) => Promise<T>, options: LockOptions): Promise<T>;
}

/** SET NX PX with the holder's token; otherwise how long the current holder still has (ms, -1: no expiry). */
const acquireScript = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, 0}
end
return {0, redis.call('PTTL', KEYS[1])}
`;

/** Compare-and-extend: only the token's holder extends. */
const extendScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** Compare-and-delete: only the token's holder releases, never a lock another process took since. */
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Locks with an owner token (`<prefix>lock:<name>` holding a random token, with a TTL), for one
 * holder at a time across processes: Salesforce's single-flight token refresh, say. Taking,
 * extending and releasing fail with a retryable `redis_unavailable` error when Redis is
 * unreachable: no lock, no refresh.
 */
export function createRedisLocks(options: RedisLocksOptions): RedisLocks {
  const { redis } = options;
  const prefix = `${options.prefix ?? defaultPrefix}lock:`;
  const pollMs = positiveMs('pollMs', options.pollMs ?? 50);
  const logger = options.logger ?? silentLogger;
  const scripts = {
    acquire: defineScript(redis, acquireScript, 1),
    extend: defineScript(redis, extendScript, 1),
    release: defineScript(redis, releaseScript, 1),
  };

  function handle(name: string, token: string): RedisLock {
    const key = `${prefix}${name}`;
    return {
      name,
      token,
      async extend(ttlMs) {
        positiveMs('ttlMs', ttlMs);
        const extended = await callRedis(`extend lock ${name}`, () => scripts.extend([key], [token, ttlMs]));
        return extended === 1;
      },
      async release() {
        const released = await callRedis(`release lock ${name}`, () => scripts.release([key], [token]));
        return released === 1;
      },
    };
  }

  async function acquire(name: string, lockOptions: LockOptions): Promise<RedisLock | undefined> {
    const ttlMs = positiveMs('ttlMs', lockOptions.ttlMs);
    const deadline = Date.now() + (lockOptions.waitMs ?? 0);
    const token = randomUUID();
    for (;;) {
      const reply = await callRedis(`take lock ${name}`, () =>
        scripts.acquire([`${prefix}${name}`], [token, ttlMs]),
      );
      if (!Array.isArray(reply))
        throw redisFailure(`take lock ${name}`, new Error('unexpected script reply'));
      if (reply[0] === 1) return handle(name, token);
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      const holderLeft = typeof reply[1] === 'number' && reply[1] > 0 ? reply[1] : pollMs;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(left, withJitter(Math.min(pollMs, holderLeft)))),
      );
    }
  }

  return {
    acquire,
    async withLock(name, task, lockOptions) {
      const lock = await acquire(name, lockOptions);
      if (lock === undefined) {
        throw new CrmConnectError(
          redisErrorCodes.lockTimeout,
          `Lock ${name} stayed held by another process for ${lockOptions.waitMs ?? 0} ms; try again later.`,
          { retryable: true },
        );
      }
      const { ttlMs } = lockOptions;
      const controller = new AbortController();
      // Until when the lock is known to be ours (local clock, measured from before each extension was sent).
      let heldUntil = Date.now() + ttlMs;
      const lost = (why: string) =>
        controller.abort(
          new CrmConnectError(redisErrorCodes.lockLost, `Lock ${name} was lost: ${why}.`, {
            retryable: true,
          }),
        );
      const timer = setInterval(
        () => {
          const sentAt = Date.now();
          lock.extend(ttlMs).then(
            (extended) => {
              if (extended) heldUntil = sentAt + ttlMs;
              else lost('it expired and is no longer held by this process');
            },
            (error: unknown) => {
              logger.log('warn', 'lock not extended', {
                lock: name,
                error: redisFailure('extend', error).message,
              });
              // The next extension comes a third of the TTL later: give up before the lock could lapse.
              if (Date.now() + ttlMs / 3 >= heldUntil) lost('Redis did not answer the extensions in time');
            },
          );
        },
        Math.max(1, Math.floor(ttlMs / 3)),
      );
      timer.unref();
      try {
        return await task(controller.signal);
      } finally {
        clearInterval(timer);
        await lock.release().catch((error: unknown) => {
          // It expires after its TTL instead.
          logger.log('warn', 'lock not released', {
            lock: name,
            error: redisFailure('release', error).message,
          });
        });
      }
    },
  };
}
