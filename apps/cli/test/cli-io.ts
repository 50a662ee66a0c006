import type { CliIo } from '@crm-connect/cli';

/** An in-memory terminal: what the CLI printed, and what it reads. */
export function memoryIo(
  options: {
    env?: Record<string, string>;
    stdin?: string;
    /** Resolves when the test plays Ctrl-C; never by default. */
    interrupt?: Promise<void>;
  } = {},
) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
    readStdin: async () => options.stdin ?? '',
    interrupted: () => options.interrupt ?? new Promise(() => {}),
  };
  return { io, out: () => stdout, err: () => stderr };
}
