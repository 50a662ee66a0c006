import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, describe, inject, it } from 'vitest';
import {
  type RedisTestServer,
  type RunningRedisServer,
  startRedisServer,
} from '../../../../test/support/redis-server.js';
import { connectRedis } from '../../src/index.js';

// pnpm may install more than one copy of vitest (one per set of optional peers it resolved), and
// a module augmentation applies to the copy it resolves to: this one is for the copy this package sees.
declare module 'vitest' {
  export interface ProvidedContext {
    redisServer: RedisTestServer;
  }
}

/** What a Redis-backed test file gets: the server, fresh clients and a key prefix of its own per test. */
export interface RedisTestContext {
  /** `redis://127.0.0.1:<port>` of the server the global setup started. */
  url: string;
  /** A new connected client (one per simulated process), quit after the file's tests. */
  client(): Promise<Redis>;
  /** A key prefix no other test uses, so tests never see each other's keys. */
  prefix(): string;
  /** A redis-server of the test's own, to stop and start again (`port`: the one it had); stopped after the file's tests. */
  ownServer(port?: number): Promise<RunningRedisServer>;
}

/**
 * `describe`, with the redis-server of the global setup (test/support/redis-server.ts). Without
 * one the tests are skipped with a message, or fail when `CI=true`.
 */
export function describeWithRedis(name: string, body: (redis: RedisTestContext) => void): void {
  const server = inject('redisServer');
  if (server.url !== undefined) {
    const { url, binary } = server;
    describe(name, () => body(contextFor(url, binary)));
    return;
  }
  if (server.required) {
    describe(name, () => {
      it('has a redis-server to run against', () => {
        throw new Error(server.problem);
      });
    });
    return;
  }
  console.warn(`[redis] skipping "${name}": ${server.problem}`);
  // Skipped on purpose, and said so above: a developer without redis-server still runs every other
  // test; under CI=true (the branch before) a missing server fails instead.
  describe.skip(name, () => body(contextFor('redis://127.0.0.1:1', undefined)));
}

function contextFor(url: string, binary: string | undefined): RedisTestContext {
  const clients: Redis[] = [];
  const servers: RunningRedisServer[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    await Promise.all(servers.map((server) => server.stop()));
  });
  return {
    url,
    async client() {
      const client = await connectRedis({ url });
      clients.push(client);
      return client;
    },
    prefix: () => `test:${randomUUID()}:`,
    async ownServer(port) {
      if (binary === undefined) throw new Error('no redis-server binary');
      const server = await startRedisServer(binary, port);
      servers.push(server);
      return server;
    },
  };
}

/** The URL of a loopback port nothing listens on. */
export function closedPortUrl(): Promise<string> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(`redis://127.0.0.1:${address.port}`)
          : reject(new Error('no port')),
      );
    });
  });
}
