import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Everything on standard input (for secrets piped in); '' when it is a terminal. */
  readStdin(): Promise<string>;
  /** Resolves when the user interrupts (Ctrl-C); commands that run until stopped await it. */
  interrupted(): Promise<void>;
  /**
   * Runs the same command line again in a new Node process whose environment adds `env`, on the
   * same standard streams, and resolves to its exit code: the only way to trust a certificate
   * after start-up, since Node reads NODE_EXTRA_CA_CERTS only then. Absent where the command
   * cannot restart its process (tests): the command then carries on in place.
   */
  restart?(env: Readonly<Record<string, string>>): Promise<number>;
  /**
   * Starts `crm-connect <args>` in a new Node process with this one's environment (the queue
   * workers of `demo --redis`): `input` is written to its standard input, which is then closed;
   * its standard output and error are piped back. Absent where the CLI cannot start itself.
   */
  startCommand?(args: readonly string[], input: string): ChildProcessWithoutNullStreams;
}

/** The CLI's own entry point, beside this module (dist/main.js once built). */
const mainScript = fileURLToPath(new URL('./main.js', import.meta.url));

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    async readStdin() {
      if (process.stdin.isTTY) return '';
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    interrupted: () =>
      new Promise((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      }),
    restart: (env) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
          stdio: 'inherit',
          env: { ...process.env, ...env },
        });
        // Ctrl-C reaches the child from the terminal itself (one process group): sent again, it
        // would cut the child's clean-up short. This process waits for the child either way.
        const wait = () => {};
        const forward = () => child.kill('SIGTERM');
        process.on('SIGINT', wait);
        process.on('SIGTERM', forward);
        child.once('error', reject);
        child.once('exit', (code, signal) => {
          process.off('SIGINT', wait);
          process.off('SIGTERM', forward);
          resolve(code ?? (signal === null ? 1 : 128));
        });
      }),
    startCommand(args, input) {
      const child = spawn(process.execPath, [...process.execArgv, mainScript, ...args], {
        stdio: 'pipe',
        env: process.env,
      });
      // A child that ends before reading its input says why by its exit, not by a broken pipe here.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
      return child;
    },
  };
}
