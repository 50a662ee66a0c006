import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A local redis-server for tests, benchmarks and demos: found (`REDIS_SERVER_BIN`, else
 * `.redis/bin/redis-server` under `root` — what `bash scripts/install-redis.sh` installs in this
 * repository —, else `redis-server` on the PATH), started on a free loopback port with no
 * persistence and its files in a temporary folder, and stopped by PID. Not for production: a
 * platform runs its Redis as it runs its other servers.
 */

const install =
  'Install it with `bash scripts/install-redis.sh` (or set REDIS_SERVER_BIN to a redis-server binary).';

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

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RunningRedisServer {
  url: string;
  port: number;
  pid: number;
  /** Stops it by PID (SIGTERM, then SIGKILL after 5 s) and removes its folder. */
  stop: () => Promise<void>;
}

/** Starts redis-server on `port` (default: a free loopback port); resolves once it answers PING. */
export async function startRedisServer(binary: string, port?: number): Promise<RunningRedisServer> {
  let lastProblem = '';
  // A port found free can be taken before redis-server binds it: try another, twice.
  for (let attempt = 0; attempt < (port === undefined ? 3 : 1); attempt += 1) {
    const chosen = port ?? (await freePort());
    const folder = mkdtempSync(join(tmpdir(), 'crm-connect-redis-'));
    const logFile = join(folder, 'redis.log');
    const settings = {
      port: String(chosen),
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
    if (child.pid !== undefined && (await answersPing(chosen, child))) {
      return { url: `redis://127.0.0.1:${chosen}`, port: chosen, pid: child.pid, stop };
    }
    lastProblem = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : 'no log written';
    await stop();
  }
  throw new Error(`redis-server (${binary}) did not start: ${lastProblem}`);
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

/** Polls with PING for up to 10 s; false if the process exits or never answers. */
async function answersPing(port: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (await ping(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/** SIGTERM by PID, SIGKILL if it has not exited 5 s later. */
function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
