import { fork, type Serializable } from 'node:child_process';
import type { z } from 'zod';

/**
 * Runs a task in a worker process forked with --expose-gc (so the root script needs no flag), and
 * resolves to its one report, checked against `reportSchema`. The worker holds only what its
 * figure measures, so its memory is that alone. It inherits NODE_EXTRA_CA_CERTS, which Dynamics
 * needs. `script` is the worker's compiled file, next to the caller's.
 */
export function runInWorker<TReport>(
  script: URL,
  task: Serializable,
  reportSchema: z.ZodType<TReport>,
): Promise<TReport> {
  const worker = fork(script, {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const name = script.pathname.split('/').at(-1);
  return new Promise((resolve, reject) => {
    worker.once('message', (message: unknown) => {
      const report = reportSchema.safeParse(message);
      if (report.success) resolve(report.data);
      else reject(new Error(`The worker ${name} sent an unreadable report: ${report.error.message}`));
      // A worker left with a timer or a socket would otherwise outlive its figure.
      worker.kill();
    });
    worker.once('exit', (code) =>
      reject(new Error(`The worker ${name} exited (code ${code}) without a report`)),
    );
    worker.once('error', reject);
    worker.send(task);
  });
}
