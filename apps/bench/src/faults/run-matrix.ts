import { fork } from 'node:child_process';
import { sandboxCertificate } from '@crm-connect/sandbox';
import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import type { CellRequest } from './cell-worker.js';
import type { FaultColumn } from './fault-columns.js';
import type { MatrixCell } from './matrix-report.js';
import type { CellResult } from './run-cell.js';

export interface MatrixOptions {
  crms: readonly SandboxCrm[];
  columns: readonly FaultColumn[];
  interactions: number;
  seed: number;
  /** Cells run at once, each in its own worker process. */
  parallel: number;
  /** A cell still running after this long is stopped and reported as failed. */
  cellTimeoutMs: number;
  /** Called as each cell finishes. */
  progress(cell: MatrixCell): void;
}

/** Rough cost of a cell, so the slowest start first and the processes finish together. */
function weight(crm: SandboxCrm, column: FaultColumn): number {
  const perCrm: Record<string, number> = { dynamics: 3, kustomer: 2, salesforce: 2, zendesk: 1 };
  const perColumn: Partial<Record<string, number>> = {
    timeout: 2,
    'dripping-answer': 2,
    'rate-limit': 2,
    'redelivered-end': 1.5,
  };
  return (perCrm[crm.id] ?? 1) * (perColumn[column.id] ?? 1);
}

/** A cell that crashed or hung: every count unknown, reported as a failure. */
function brokenCell(crm: SandboxCrm, column: FaultColumn, why: string, durationMs: number): CellResult {
  return {
    crm: crm.id,
    column: column.id,
    interactions: 0,
    expected: 0,
    created: 0,
    lost: 0,
    duplicated: 0,
    duplicateNotes: 0,
    wrongOwner: 0,
    ownerUnchecked: 0,
    typedErrors: {},
    unexplainedErrors: 0,
    untypedErrors: 0,
    errorExamples: [],
    secretsFound: 0,
    leakedSecrets: [],
    faultsApplied: 0,
    requests: 0,
    deliveries: 0,
    durationMs,
    crashed: why,
  };
}

/** A worker process that runs one cell at a time; stopped and replaced when a cell crashes or hangs. */
interface CellProcess {
  run(crm: SandboxCrm, column: FaultColumn): Promise<CellResult>;
  stop(): void;
}

function startCellProcess(options: MatrixOptions): CellProcess {
  const child = fork(new URL('./cell-worker.js', import.meta.url), {
    // The Dynamics sandbox serves https with the loopback certificate; Node reads this at start-up.
    env: { ...process.env, NODE_EXTRA_CA_CERTS: sandboxCertificate().certificatePath },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = `${stderr}${chunk.toString('utf8')}`.slice(-2_000);
  });
  return {
    run(crm, column) {
      const started = performance.now();
      return new Promise((resolve) => {
        const finish = (result: CellResult) => {
          clearTimeout(timer);
          child.off('message', answered);
          child.off('exit', exited);
          resolve(result);
        };
        const broken = (why: string) =>
          finish(brokenCell(crm, column, why, Math.round(performance.now() - started)));
        const answered = (message: unknown) => finish(message as CellResult);
        const exited = (code: number | null, signal: NodeJS.Signals | null) =>
          broken(
            `its process exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
          );
        const timer = setTimeout(() => {
          broken(`still running after ${options.cellTimeoutMs / 1000} s`);
          child.kill('SIGKILL');
        }, options.cellTimeoutMs);
        child.on('message', answered);
        child.on('exit', exited);
        const request: CellRequest = {
          crm: crm.id,
          column: column.id,
          interactions: options.interactions,
          seed: options.seed,
        };
        child.send(request);
      });
    },
    stop() {
      child.kill();
    },
  };
}

/** Runs every cell of the matrix, `parallel` at a time in as many worker processes; cells come back in table order. */
export async function runMatrix(options: MatrixOptions): Promise<MatrixCell[]> {
  // Cells not applicable are known at once; the others are filled in as their processes finish.
  const cells: (MatrixCell | undefined)[] = [];
  const queue: { index: number; crm: SandboxCrm; column: FaultColumn }[] = [];
  for (const column of options.columns) {
    for (const crm of options.crms) {
      const reason = column.notApplicable(crm.id);
      if (reason === undefined) queue.push({ index: cells.length, crm, column });
      cells.push(
        reason === undefined
          ? undefined
          : { kind: 'not-applicable', column, crm: { id: crm.id, displayName: crm.displayName }, reason },
      );
    }
  }
  queue.sort((a, b) => weight(b.crm, b.column) - weight(a.crm, a.column));
  const lane = async () => {
    let worker = startCellProcess(options);
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const result = await worker.run(next.crm, next.column);
      if (result.crashed !== undefined) {
        // Whatever state it was left in, the next cell gets a fresh process.
        worker.stop();
        worker = startCellProcess(options);
      }
      const cell: MatrixCell = {
        kind: 'measured',
        column: next.column,
        crm: { id: next.crm.id, displayName: next.crm.displayName },
        result,
      };
      cells[next.index] = cell;
      options.progress(cell);
    }
    worker.stop();
  };
  await Promise.all(Array.from({ length: options.parallel }, lane));
  return cells.filter((cell): cell is MatrixCell => cell !== undefined);
}
