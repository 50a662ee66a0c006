import { fork } from 'node:child_process';
import { sandboxCertificatePath } from '@crm-connect/sandbox';
import type { FaultColumn } from './fault-columns.js';
import type { FaultCrmDefinition } from './fault-crms.js';
import type { MatrixCell } from './matrix-report.js';
import type { CellResult } from './run-cell.js';

export interface MatrixOptions {
  crms: readonly FaultCrmDefinition[];
  columns: readonly FaultColumn[];
  interactions: number;
  seed: number;
  /** Cells run at once, one process each. */
  parallel: number;
  /** A cell still running after this long is stopped and reported as failed. */
  cellTimeoutMs: number;
  /** Called as each cell finishes. */
  progress(cell: MatrixCell): void;
}

/** Rough cost of a cell, so the slowest start first and the processes finish together. */
function weight(crm: FaultCrmDefinition, column: FaultColumn): number {
  const perCrm: Record<string, number> = { dynamics: 3, kustomer: 2, salesforce: 2, zendesk: 1 };
  return (perCrm[crm.id] ?? 1) * (column.id === 'timeout' || column.id === 'rate-limit' ? 2 : 1);
}

/** A cell that crashed or hung: every count unknown, reported as a failure. */
function brokenCell(
  crm: FaultCrmDefinition,
  column: FaultColumn,
  why: string,
  durationMs: number,
): CellResult {
  return {
    crm: crm.id,
    column: column.id,
    interactions: 0,
    expected: 0,
    created: 0,
    lost: 0,
    duplicated: 0,
    duplicateNotes: 0,
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

function runCellProcess(
  crm: FaultCrmDefinition,
  column: FaultColumn,
  options: MatrixOptions,
): Promise<CellResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = fork(
      new URL('./cell-worker.js', import.meta.url),
      [crm.id, column.id, String(options.interactions), String(options.seed)],
      // The Dynamics sandbox serves https with the loopback certificate; Node reads this at start-up.
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: sandboxCertificatePath },
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      },
    );
    let result: CellResult | undefined;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = `${stderr}${chunk.toString('utf8')}`.slice(-2_000);
    });
    child.on('message', (message) => {
      result = message as CellResult;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.cellTimeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const durationMs = Math.round(performance.now() - started);
      if (result !== undefined) return resolve(result);
      const why =
        signal === 'SIGKILL'
          ? `still running after ${options.cellTimeoutMs / 1000} s`
          : `exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' ')}`;
      resolve(brokenCell(crm, column, why, durationMs));
    });
  });
}

/** Runs every cell of the matrix, `parallel` at a time, each in its own process; cells come back in table order. */
export async function runMatrix(options: MatrixOptions): Promise<MatrixCell[]> {
  // Cells not applicable are known at once; the others are filled in as their processes finish.
  const cells: (MatrixCell | undefined)[] = [];
  const queue: { index: number; crm: FaultCrmDefinition; column: FaultColumn }[] = [];
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
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const result = await runCellProcess(next.crm, next.column, options);
      const cell: MatrixCell = {
        kind: 'measured',
        column: next.column,
        crm: { id: next.crm.id, displayName: next.crm.displayName },
        result,
      };
      cells[next.index] = cell;
      options.progress(cell);
    }
  };
  await Promise.all(Array.from({ length: options.parallel }, lane));
  return cells.filter((cell): cell is MatrixCell => cell !== undefined);
}
