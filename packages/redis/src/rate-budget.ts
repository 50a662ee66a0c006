import { randomUUID } from 'node:crypto';
import {
  createRateBudgetRegistry,
  type Logger,
  type RateBudget,
  type RateBudgetOptions,
  type RateBudgetRegistry,
  silentLogger,
} from '@crm-connect/core';
import type { Redis } from 'ioredis';
import { positiveMs, withJitter } from './durations.js';
import { defaultPrefix, keySegment } from './keys.js';
import { redisFailure } from './redis-errors.js';
import { defineScript } from './scripts.js';

export interface RedisRateBudgetOptions {
  /** The client. Every process that shares budgets uses the same Redis database and prefix. Required. */
  redis: Redis;
  /** Prepended to every key. Default `crm-connect:`. */
  prefix?: string | undefined;
  /**
   * How long a request holds its in-flight place without renewal, in ms. It is renewed every
   * third of this while the request runs, so only a dead (or frozen) process lets one lapse: its
   * places come free at most this long after it died. Default 15,000.
   */
  leaseMs?: number | undefined;
  /**
   * The longest wait between two looks at a full concurrency cap, in ms: a place there frees when
   * some process's request is answered, which no clock predicts. A request answered in this
   * process wakes its waiters at once. Default 50.
   */
  pollMs?: number | undefined;
  /** Where failures to record a hold or a release are logged (they do not fail the request). Default: silent. */
  logger?: Logger | undefined;
}

/**
 * Takes places for `ARGV[6]` requests, all or part, if the budget allows; otherwise says how long
 * to wait and why. The in-flight set maps each request to when its lease lapses; the window set
 * maps each answered request to when it stops counting (one interval after its answer). A lapsed
 * lease belongs to a process that died: its request went out before the lease lapsed, so it is
 * counted as answered then. Time is Redis's, so every process agrees on it.
 * Reply: { granted, wait ms, why: 0 granted / 1 hold / 2 window / 3 concurrency }.
 */
const acquireScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local cap, interval, concurrency = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lease, wanted, poll = tonumber(ARGV[4]), tonumber(ARGV[6]), tonumber(ARGV[7])
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES')
for i = 1, #lapsed, 2 do
  redis.call('ZADD', KEYS[2], tonumber(lapsed[i + 1]) + interval, lapsed[i])
end
if #lapsed > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('PEXPIRE', KEYS[2], interval + 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local hold = redis.call('PTTL', KEYS[3])
if hold > 0 then return {0, hold, 1} end
local inFlight = redis.call('ZCARD', KEYS[1])
local recent = redis.call('ZCARD', KEYS[2])
local free = math.min(cap - inFlight - recent, concurrency - inFlight, wanted)
if free <= 0 then
  if inFlight + recent >= cap then
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    if first[2] then return {0, math.max(1, tonumber(first[2]) - now), 2} end
    return {0, interval, 2}
  end
  local soonest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, math.max(1, math.min(poll, tonumber(soonest[2]) - now)), 3}
end
for i = 1, free do
  redis.call('ZADD', KEYS[1], now + lease, ARGV[5] .. i)
end
redis.call('PEXPIRE', KEYS[1], lease + interval + 1000)
return {free, 0, 0}
`;

/** Requests `ARGV[2..]` were answered (or failed): out of flight, in the window until one interval from now. */
const releaseScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
  redis.call('ZADD', KEYS[2], now + interval, ARGV[i])
end
redis.call('PEXPIRE', KEYS[2], interval + 1000)
return #ARGV - 1
`;

/**
 * Requests `ARGV[3..]` still run: their leases start again. One whose lease lapsed meanwhile (a
 * frozen process) was moved to the window; it is in flight after all, so it moves back.
 */
const renewScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 3, #ARGV do
  redis.call('ZREM', KEYS[2], ARGV[i])
  redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease + interval + 1000)
return #ARGV - 2
`;

/** No process starts a request for `ARGV[1]` ms; a shorter hold never cuts a longer one short. */
const holdScript = `
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', ms)
end
return 1
`;

const reasons = ['granted', 'hold', 'window', 'concurrency'] as const;
type WaitReason = (typeof reasons)[number];

/**
 * Rate budgets shared by every process using the same Redis: the same counting rule as core's
 * `createRateBudgetRegistry` (a request counts from when it is let in until one interval after
 * its answer, in any rolling window, never a fixed one), a concurrency cap across all processes,
 * and holds (a 429's Retry-After) that stop every process. Each decision is one Lua script, so
 * no two processes take the last place; in-flight places are leases, so a dead process's come
 * free. When Redis is unreachable `schedule` fails with a retryable `redis_unavailable` error and
 * the request is not sent: an unmetered request could cost the whole account a 429.
 *
 * All processes must give an account the same options (they come from the plugin and its
 * settings, so they do). `load()` is this process's share: its waiting and running requests.
 */
export function createRedisRateBudgetRegistry(options: RedisRateBudgetOptions): RateBudgetRegistry {
  const leaseMs = options.leaseMs ?? 15_000;
  const pollMs = options.pollMs ?? 50;
  positiveMs('leaseMs', leaseMs);
  positiveMs('pollMs', pollMs);
  const scripts = {
    acquire: defineScript(options.redis, acquireScript, 3),
    release: defineScript(options.redis, releaseScript, 2),
    renew: defineScript(options.redis, renewScript, 2),
    hold: defineScript(options.redis, holdScript, 1),
  };
  const shared: SharedSettings = {
    scripts,
    prefix: options.prefix ?? defaultPrefix,
    leaseMs,
    pollMs,
    logger: options.logger ?? silentLogger,
    // Names this process's places, so two processes never take the same member.
    process: randomUUID(),
  };

  // Core's holding rules (pinned by forAccount, counted by acquire/release), Redis-backed budgets.
  return createRateBudgetRegistry((key, budgetOptions) => createRedisRateBudget(key, budgetOptions, shared));
}

interface SharedSettings {
  scripts: Record<'acquire' | 'release' | 'renew' | 'hold', ReturnType<typeof defineScript>>;
  prefix: string;
  leaseMs: number;
  pollMs: number;
  logger: Logger;
  process: string;
}

interface Waiter {
  resolve: (slot: string) => void;
  reject: (error: unknown) => void;
}

function createRedisRateBudget(
  key: string,
  budgetOptions: RateBudgetOptions,
  shared: SharedSettings,
): RateBudget {
  const resolved = {
    requestsPerInterval: budgetOptions.requestsPerInterval,
    intervalMs: budgetOptions.intervalMs ?? 60_000,
    maxConcurrency: budgetOptions.maxConcurrency ?? 16,
  };
  if (!Number.isInteger(resolved.requestsPerInterval) || resolved.requestsPerInterval < 1) {
    throw new RangeError(`Rate budget ${key}: requestsPerInterval must be a positive integer`);
  }
  if (!Number.isInteger(resolved.intervalMs) || resolved.intervalMs < 1) {
    throw new RangeError(`Rate budget ${key}: intervalMs must be a positive integer`);
  }
  if (!Number.isInteger(resolved.maxConcurrency) || resolved.maxConcurrency < 1) {
    throw new RangeError(`Rate budget ${key}: maxConcurrency must be a positive integer`);
  }
  const { scripts, leaseMs, logger } = shared;
  // One hash tag: the three keys of a budget live on one Redis Cluster node, as a script needs.
  const base = `${shared.prefix}budget:{${keySegment(key)}}`;
  const keys = { inFlight: `${base}:in-flight`, window: `${base}:window`, hold: `${base}:hold` };

  /** Requests waiting for a place, first come first served; one loop asks Redis for all of them. */
  const waiters: Waiter[] = [];
  /** This process's requests in flight, by place. */
  const running = new Set<string>();
  let batches = 0;
  let pumping = false;
  let holdUntil = 0;
  let lastWait: WaitReason = 'granted';
  let wake: (() => void) | undefined;
  let renewal: NodeJS.Timeout | undefined;

  /** Sleeps `ms`, or less if `wake()` is called. */
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (waiters.length > 0) {
        const held = holdUntil - Date.now();
        if (held > 0) {
          lastWait = 'hold';
          await sleep(held);
          continue;
        }
        batches += 1;
        const prefix = `${shared.process}:${batches}:`;
        let granted: number;
        let waitMs: number;
        let why: number;
        try {
          const reply = await scripts.acquire(
            [keys.inFlight, keys.window, keys.hold],
            [
              resolved.requestsPerInterval,
              resolved.intervalMs,
              resolved.maxConcurrency,
              leaseMs,
              prefix,
              waiters.length,
              shared.pollMs,
            ],
          );
          [granted, waitMs, why] = parseAcquireReply(reply);
        } catch (error) {
          // Fail closed: without the shared count no request may go out. Everyone waiting now
          // learns at once; a later request asks Redis again.
          const failure = redisFailure(`rate budget ${key}`, error);
          for (const waiter of waiters.splice(0)) waiter.reject(failure);
          break;
        }
        lastWait = reasons[why] ?? 'window';
        for (let index = 1; index <= granted; index += 1) {
          const slot = `${prefix}${index}`;
          const waiter = waiters.shift();
          // More places than waiters cannot happen (the script grants at most `waiters.length`),
          // but a place nobody takes must still be given back.
          if (waiter === undefined) leave(slot);
          else {
            running.add(slot);
            waiter.resolve(slot);
          }
        }
        if (granted > 0) {
          renewWhileRunning();
          continue;
        }
        await sleep(withJitter(waitMs));
      }
    } finally {
      pumping = false;
    }
  }

  function enter(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      waiters.push({ resolve, reject });
      void pump();
    });
  }

  function leave(slot: string): void {
    running.delete(slot);
    if (running.size === 0 && renewal !== undefined) {
      clearInterval(renewal);
      renewal = undefined;
    }
    // Sent in the same tick as `running.delete`, so a renewal never reaches Redis after it (one
    // connection keeps the order): a released place is never renewed back into flight.
    scripts.release([keys.inFlight, keys.window], [resolved.intervalMs, slot]).catch((error: unknown) => {
      // Its lease lapses instead, and the place counts until one interval after that: never too few.
      logger.log('warn', 'rate budget release not recorded in redis; its lease will lapse', {
        budget: key,
        error: redisFailure('release', error).message,
      });
    });
    if (lastWait === 'concurrency') wake?.();
  }

  function renewWhileRunning(): void {
    if (renewal !== undefined) return;
    renewal = setInterval(
      () => {
        if (running.size === 0) return;
        scripts
          .renew([keys.inFlight, keys.window], [leaseMs, resolved.intervalMs, ...running])
          .catch((error: unknown) => {
            logger.log('warn', 'rate budget lease not renewed in redis', {
              budget: key,
              error: redisFailure('renew', error).message,
            });
          });
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    );
    renewal.unref();
  }

  return {
    key,
    options: resolved,
    async schedule(task) {
      const slot = await enter();
      try {
        return await task();
      } finally {
        leave(slot);
      }
    },
    holdFor(ms) {
      if (!(ms > 0)) return;
      const duration = Math.ceil(ms);
      // This process stops at once; the others once Redis has the hold.
      holdUntil = Math.max(holdUntil, Date.now() + duration);
      scripts.hold([keys.hold], [duration]).catch((error: unknown) => {
        logger.log('warn', 'rate budget hold not shared through redis; only this process holds', {
          budget: key,
          holdMs: duration,
          error: redisFailure('hold', error).message,
        });
      });
    },
    load: () => ({ waiting: waiters.length, inFlight: running.size }),
  };
}

function parseAcquireReply(reply: unknown): [granted: number, waitMs: number, why: number] {
  if (Array.isArray(reply) && reply.length === 3 && reply.every((value) => typeof value === 'number')) {
    return [reply[0], reply[1], reply[2]] as [number, number, number];
  }
  throw new Error(`unexpected rate budget script reply ${JSON.stringify(reply)}`);
}
