import { format, inspect } from 'node:util';

/** The console methods a plugin could print with (vitest routes `console` around process.stdout). */
const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'] as const;

export interface OutputCapture {
  /** Everything written since the capture started, one entry per write or console call. */
  readonly chunks: readonly string[];
  /** Puts the original writers back. */
  stop(): void;
}

/**
 * Records what is written to process.stdout, process.stderr and the console, passing it through.
 * A plugin never prints: what it has to say goes to `context.logger`, whose lines are redacted.
 */
export function captureOutput(): OutputCapture {
  const chunks: string[] = [];
  const restore: Array<() => void> = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = function write(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    restore.push(() => {
      stream.write = original;
    });
  }
  const target = globalThis.console;
  for (const method of consoleMethods) {
    const original = target[method];
    target[method] = (...args: unknown[]) => {
      chunks.push(method === 'dir' ? inspect(args[0], { depth: 10 }) : format(...args));
      (original as (...args: unknown[]) => void).apply(target, args);
    };
    restore.push(() => {
      target[method] = original;
    });
  }
  return {
    chunks,
    stop() {
      for (const undo of restore.reverse()) undo();
      restore.length = 0;
    },
  };
}
