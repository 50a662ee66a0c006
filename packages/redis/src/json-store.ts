import type { Redis } from 'ioredis';
import { day, positiveMs } from './durations.js';
import { defaultPrefix, keySegment } from './keys.js';
import { callRedis, unexpectedValue } from './redis-errors.js';
import { defineScript } from './scripts.js';

export interface RedisJsonStoreOptions<T> {
  /** The client, shared by every process using the store. Required. */
  redis: Redis;
  /** What is stored, part of every key (`sunshine-conversation`). Required. */
  name: string;
  /** Prepended to every key. Default `crm-connect:`. */
  prefix?: string | undefined;
  /** How long a value is kept after it was last written, in ms. Default 30 days. */
  ttlMs?: number | undefined;
  /** Checks a value read back (a zod schema fits); throwing makes the read fail with `redis_failed`. Default: trusted as written. */
  schema?: { parse(value: unknown): T } | undefined;
}

/**
 * Plain JSON values by key, with the two atomic steps that make "open once" hold across
 * processes: `setIfAbsent` (the first writer wins, the others read the winner) and `deleteIf`
 * (close only what you opened). The shape of the Zendesk messaging plugin's `ConversationStore`.
 */
export interface RedisJsonStore<T> {
  get(key: string): Promise<T | undefined>;
  /** Stores `value`, replacing any, for `ttlMs`. */
  set(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
  /** Stores `value` unless the key holds one. `stored`: this value won; `value`: what the key holds now. */
  setIfAbsent(key: string, value: T): Promise<{ stored: boolean; value: T }>;
  /** Deletes the key only while it holds `expected` (compared as JSON with sorted keys). True when deleted. */
  deleteIf(key: string, expected: T): Promise<boolean>;
}

/** SET NX, answering the value that is there either way. */
const setIfAbsentScript = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, ARGV[1]}
end
return {0, redis.call('GET', KEYS[1])}
`;

const deleteIfScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * JSON values in Redis under `<prefix><name>:<key>`, each expiring `ttlMs` after its last write.
 * Values are written as JSON with sorted keys, so `deleteIf` compares content, not key order.
 * Failures throw a retryable `redis_unavailable` error.
 */
export function createRedisJsonStore<T>(options: RedisJsonStoreOptions<T>): RedisJsonStore<T> {
  const { redis } = options;
  const base = `${options.prefix ?? defaultPrefix}${keySegment(options.name)}:`;
  const ttlMs = positiveMs('ttlMs', options.ttlMs ?? 30 * day);
  const scripts = {
    setIfAbsent: defineScript(redis, setIfAbsentScript, 1),
    deleteIf: defineScript(redis, deleteIfScript, 1),
  };

  function read(key: string, stored: string): T {
    try {
      const value: unknown = JSON.parse(stored);
      return options.schema === undefined ? (value as T) : options.schema.parse(value);
    } catch (error) {
      throw unexpectedValue(key, `a ${options.name} value`, error);
    }
  }

  return {
    async get(key) {
      const stored = await callRedis(`read ${options.name}`, () => redis.get(`${base}${key}`));
      return stored === null ? undefined : read(`${base}${key}`, stored);
    },
    async set(key, value) {
      const json = canonicalJson(value);
      await callRedis(`save ${options.name}`, () => redis.set(`${base}${key}`, json, 'PX', ttlMs));
    },
    async delete(key) {
      await callRedis(`delete ${options.name}`, () => redis.del(`${base}${key}`));
    },
    async setIfAbsent(key, value) {
      const reply = await callRedis(`save ${options.name} unless present`, () =>
        scripts.setIfAbsent([`${base}${key}`], [canonicalJson(value), ttlMs]),
      );
      if (!Array.isArray(reply) || typeof reply[1] !== 'string') {
        // One script cannot see the key vanish between SET NX and GET; anything else is not ours.
        throw unexpectedValue(`${base}${key}`, `a ${options.name} value`);
      }
      return { stored: reply[0] === 1, value: read(`${base}${key}`, reply[1]) };
    },
    async deleteIf(key, expected) {
      const deleted = await callRedis(`delete ${options.name} if unchanged`, () =>
        scripts.deleteIf([`${base}${key}`], [canonicalJson(expected)]),
      );
      return deleted === 1;
    },
  };
}

/** JSON with every object's keys sorted, so equal content always gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
