import { connectRedis } from '@crm-connect/redis';
import { findRedisServer, type RunningRedisServer, startRedisServer } from '@crm-connect/redis/server';

/**
 * The redis-server `pnpm test:scale` runs on, found and started as the Redis tests' is
 * (`@crm-connect/redis/server`): `REDIS_SERVER_BIN`, else `.redis/bin/redis-server` in the
 * repository (`bash scripts/install-redis.sh`), else the `PATH`; a free loopback port, no
 * persistence, stopped by PID. Plus its version, for the report.
 */

export { findRedisServer };

export interface ScaleRedisServer extends RunningRedisServer {
  /** The server's `redis_version`, for the report. */
  version: string;
}

export async function startScaleRedisServer(binary: string): Promise<ScaleRedisServer> {
  const server = await startRedisServer(binary);
  try {
    const client = await connectRedis({ url: server.url, connectTimeoutMs: 2_000 });
    const info = await client.info('server');
    await client.quit();
    return { ...server, version: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown' };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
