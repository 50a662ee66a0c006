export {
  type ClaimResult,
  createRedisClaimStore,
  type RedisClaimStore,
  type RedisClaimStoreOptions,
} from './claim-store.js';
export { type ConnectRedisOptions, connectRedis, failFastRedisOptions } from './connection.js';
export {
  canonicalJson,
  createRedisJsonStore,
  type RedisJsonStore,
  type RedisJsonStoreOptions,
} from './json-store.js';
export { defaultPrefix } from './keys.js';
export {
  createRedisLocks,
  type LockOptions,
  type RedisLock,
  type RedisLocks,
  type RedisLocksOptions,
} from './lock.js';
export { createRedisRateBudgetRegistry, type RedisRateBudgetOptions } from './rate-budget.js';
export { createRedisRecordLinkStore, type RedisRecordLinkStoreOptions } from './record-links.js';
export { redisErrorCodes } from './redis-errors.js';
export { createRedisTokenCache, type RedisTokenCache, type RedisTokenCacheOptions } from './token-cache.js';
