import { type Logger, silentLogger } from '@crm-connect/core';
import { Redis, type RedisOptions } from 'ioredis';
import { redisFailure } from './redis-errors.js';

/**
 * ioredis options under which a call fails within seconds when Redis is down, instead of
 * queueing until it is back: every store here fails closed, and a worker should learn at once
 * that it cannot take a budget or a claim. The client still reconnects in the background.
 */
export const failFastRedisOptions = {
  /** A call made while disconnected fails at once, rather than waiting in a queue. */
  enableOfflineQueue: false,
  /** A call under way when the connection drops is retried once on the next connection, then fails. */
  maxRetriesPerRequest: 1,
  /** Giving up on a connection attempt after 2 s. */
  connectTimeout: 2_000,
  /** A call whose reply takes over 2 s fails (a hung or overloaded server). */
  commandTimeout: 2_000,
} as const satisfies RedisOptions;

export interface ConnectRedisOptions {
  /** `redis://[[user]:password@]host:port[/db]`, or `rediss://…` for TLS. Required. */
  url: string;
  /** How long to wait for a connection, in ms. Default 2,000. */
  connectTimeoutMs?: number | undefined;
  /** How long a call waits for its reply before failing, in ms. Default 2,000. */
  commandTimeoutMs?: number | undefined;
  /** Where connection losses and recoveries are logged (once each, not per reconnection attempt). Default: silent. */
  logger?: Logger | undefined;
  /** Further ioredis options, applied over `failFastRedisOptions` (TLS, ACL user, `keyPrefix`, …). */
  redisOptions?: RedisOptions | undefined;
}

/**
 * A connected ioredis client with `failFastRedisOptions`, resolved once the server answers.
 * Throws a retryable `redis_unavailable` error when it cannot connect. The caller owns the
 * client: `quit()` it on shutdown.
 */
export async function connectRedis(options: ConnectRedisOptions): Promise<Redis> {
  const logger = options.logger ?? silentLogger;
  const redis = new Redis(options.url, {
    ...failFastRedisOptions,
    connectTimeout: options.connectTimeoutMs ?? failFastRedisOptions.connectTimeout,
    commandTimeout: options.commandTimeoutMs ?? failFastRedisOptions.commandTimeout,
    ...options.redisOptions,
    lazyConnect: true,
  });
  let healthy = true;
  // ioredis reports every failed reconnection as an `error` event; log the first of a series only.
  redis.on('error', (error: Error) => {
    if (!healthy) return;
    healthy = false;
    logger.log('warn', 'redis connection lost; calls fail until it is back', { error: error.message });
  });
  redis.on('ready', () => {
    if (healthy) return;
    healthy = true;
    logger.log('info', 'redis connection restored');
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw redisFailure(`connect to ${hostOf(options.url)}`, error);
  }
  return redis;
}

/** The host and port of a Redis URL, without its credentials. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the configured Redis';
  }
}
