import type { Redis } from 'ioredis';
import { positiveMs } from './durations.js';
import { defaultPrefix, keySegment } from './keys.js';
import { callRedis } from './redis-errors.js';
import { defineScript } from './scripts.js';

export interface RedisTokenCacheOptions {
  /** The client, shared by every process using the tokens. Required. */
  redis: Redis;
  /** What is cached, part of every key (`salesforce-access-token`). Required. */
  name: string;
  /** Prepended to every key. Default `crm-connect:`. */
  prefix?: string | undefined;
}

/**
 * Short-lived secrets (access tokens) shared by every process, so one refresh serves them all.
 * Values are plain text in Redis: give Redis a password (ACL), TLS and no persistence to disks
 * others read, as for any secret store.
 */
export interface RedisTokenCache {
  get(key: string): Promise<string | undefined>;
  /** Caches `value` for `ttlMs`: shorter than the token's own lifetime. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Forgets the entry only while it still holds `value`: after a 401 with token T, drop T without
   * evicting the fresh token another process just stored. True when deleted.
   */
  deleteIf(key: string, value: string): Promise<boolean>;
}

const deleteIfScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** A token cache in Redis under `<prefix><name>:<key>`; failures throw a retryable `redis_unavailable` error. */
export function createRedisTokenCache(options: RedisTokenCacheOptions): RedisTokenCache {
  const { redis } = options;
  const base = `${options.prefix ?? defaultPrefix}${keySegment(options.name)}:`;
  const deleteIf = defineScript(redis, deleteIfScript, 1);
  return {
    async get(key) {
      return (await callRedis('read a cached token', () => redis.get(`${base}${key}`))) ?? undefined;
    },
    async set(key, value, ttlMs) {
      positiveMs('ttlMs', ttlMs);
      await callRedis('cache a token', () => redis.set(`${base}${key}`, value, 'PX', ttlMs));
    },
    async delete(key) {
      await callRedis('forget a cached token', () => redis.del(`${base}${key}`));
    },
    async deleteIf(key, value) {
      return (await callRedis('forget a stale token', () => deleteIf([`${base}${key}`], [value]))) === 1;
    },
  };
}
