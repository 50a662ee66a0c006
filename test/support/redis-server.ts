import type { TestProject } from 'vitest/node';
import { findRedisServer, startRedisServer } from '../../packages/redis/src/server/index.js';

export {
  findRedisServer,
  type RunningRedisServer,
  startRedisServer,
} from '../../packages/redis/src/server/index.js';

/**
 * The vitest global setup that gives Redis-backed tests a server: redis-server on a free loopback
 * port, no persistence, its files in a temporary folder, stopped by PID at teardown. Tests read
 * what it provides with `inject('redisServer')` (packages/redis/test/support/redis-test.ts).
 *
 * The binary: `REDIS_SERVER_BIN`, else `.redis/bin/redis-server` in the repository (installed by
 * `bash scripts/install-redis.sh`), else `redis-server` on the PATH. Without one the Redis tests
 * skip with a message, and fail when `CI=true`.
 */
export interface RedisTestServer {
  /** `redis://127.0.0.1:<port>` when a server runs. */
  url?: string | undefined;
  /** The redis-server binary, for tests that start (and stop) a server of their own. */
  binary?: string | undefined;
  /** Why no server runs, and how to get one. */
  problem?: string | undefined;
  /** True under CI: a missing server fails the Redis tests instead of skipping them. */
  required: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisServer: RedisTestServer;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const required = process.env.CI === 'true';
  const binary = findRedisServer(project.config.root);
  if (typeof binary !== 'string') {
    console.warn(
      `[redis] ${binary.problem} Redis-backed tests will ${required ? 'FAIL (CI=true)' : 'be skipped'}.`,
    );
    project.provide('redisServer', { problem: binary.problem, required });
    return undefined;
  }
  const server = await startRedisServer(binary);
  project.provide('redisServer', { url: server.url, binary, required });
  return server.stop;
}
