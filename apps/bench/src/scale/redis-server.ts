import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedis } from '@crm-connect/redis';

/**
 * The redis-server `pnpm test:scale` runs on, found as the Redis tests find theirs
 * (test/support/redis-server.ts, which lives outside this package's build): `REDIS_SERVER_BIN`,
 * else `.redis/bin/redis-server` in the repository (`bash scripts/install-redis.sh`), else the
 * `PATH`. Started on a free loopback port with no persistence, its files in a temporary folder,
 * stopped by PID.
 */

const install =
  'Install it with `bash scripts/install-redis.sh` (or set REDIS_SERVER_BIN to a redis-server binary).';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The redis-server to run, or why there is none. */
export function findRedisServer(root: string): string | { problem: string } {
  const fromEnvironment = process.env.REDIS_SERVER_BIN;
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    return isExecutable(fromEnvironment)
      ? fromEnvironment
      : { problem: `REDIS_SERVER_BIN=${fromEnvironment} is not an executable file. ${install}` };
  }
  const installed = join(root, '.redis', 'bin', 'redis-server');
  if (isExecutable(installed)) return installed;
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder !== '' && isExecutable(join(folder, 'redis-server'))) return join(folder, 'redis-server');
  }
  return { problem: `No redis-server found (REDIS_SERVER_BIN, ${installed}, PATH). ${install}` };
}

export interface RunningRedisServer {
  url: string;
  pid: number;
  /** The server's `INFO server` version line, for the report. */
  version: string;
  /** Stops it by PID (SIGTERM, then SIGKILL after 5 s) and removes its folder. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  child.kill('SIGTERM');
  await exited;
  clearTimeout(killer);
}

/** Starts redis-server on a free loopback port; resolves once a client connects. */
export async function startRedisServer(binary: string): Promise<RunningRedisServer> {
  let problem = '';
  // A port found free can be taken before redis-server binds it: try another, twice.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const folder = mkdtempSync(join(tmpdir(), 'crm-connect-scale-redis-'));
    const logFile = join(folder, 'redis.log');
    const settings = {
      port: String(port),
      bind: '127.0.0.1',
      // No persistence: nothing is written but the log.
      save: '',
      appendonly: 'no',
      dir: folder,
      logfile: logFile,
      daemonize: 'no',
    };
    const child = spawn(
      binary,
      Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value]),
      { stdio: 'ignore' },
    );
    const stop = () => stopProcess(child).finally(() => rmSync(folder, { recursive: true, force: true }));
    const url = `redis://127.0.0.1:${port}`;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) break;
      try {
        const client = await connectRedis({ url, connectTimeoutMs: 500 });
        const info = await client.info('server');
        await client.quit();
        const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
        return { url, pid: child.pid, version, stop };
      } catch {
        // Not listening yet.
      }
    }
    problem = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : 'no log written';
    await stop();
  }
  throw new Error(`redis-server (${binary}) did not start: ${problem}`);
}
