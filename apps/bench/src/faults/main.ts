import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { sandboxCrms } from '@crm-connect/sandbox-crms';
import { faultColumns } from './fault-columns.js';
import { type MatrixCell, matrixPasses, renderMatrix } from './matrix-report.js';
import { runMatrix } from './run-matrix.js';

/**
 * `pnpm test:faults`: the fault matrix. Replays interactions into each sandbox CRM while it
 * misbehaves or the platform redelivers, one column per fault or delivery pattern, and checks
 * every record, note and owner in the sandbox's own store. Prints the table; exits 1 when any
 * cell lost or duplicated a record, wrote a note twice, left a record with the wrong owner,
 * surfaced an untyped error or a typed one for what could have succeeded, or leaked a secret.
 */

/** Columns that replay a share of the interactions (the delivery patterns and the dripping answer: half). */
const partial = faultColumns.filter((column) => (column.interactionShare ?? 1) < 1);

const help = `Usage: node apps/bench/dist/faults/main.js [options]   (or: pnpm test:faults)

Options:
  --crm <ids>            comma-separated CRMs (default: ${sandboxCrms.map((crm) => crm.id).join(',')})
  --fault <ids>          comma-separated columns, faults or delivery patterns
                         (default: ${faultColumns.map((column) => column.id).join(',')})
  --interactions <n>     interactions replayed per cell (default 2000; ${partial.map((column) => column.id).join(', ')}
                         replay half)
  --seed <n>             seed of the traffic, the fault timing and the deliveries (default 9)
  -h, --help             show this help

Exit codes: 0 every cell passed, 1 a cell failed, 2 wrong options.
`;

function pick<T extends { id: string }>(all: readonly T[], ids: string | undefined, what: string): T[] {
  if (ids === undefined) return [...all];
  return ids.split(',').map((id) => {
    const found = all.find((candidate) => candidate.id === id.trim());
    if (found === undefined) {
      process.stderr.write(
        `Unknown ${what} "${id}": use ${all.map((candidate) => candidate.id).join(', ')}.\n`,
      );
      process.exit(2);
    }
    return found;
  });
}

const { values } = parseArgs({
  options: {
    crm: { type: 'string' },
    fault: { type: 'string' },
    interactions: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '9' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(help);
  process.exit(0);
}
const interactions = Number(values.interactions);
const seed = Number(values.seed);
if (!Number.isInteger(interactions) || interactions < 1 || !Number.isInteger(seed)) {
  process.stderr.write('--interactions and --seed take whole numbers (--interactions at least 1).\n');
  process.exit(2);
}
const crms = pick(sandboxCrms, values.crm, 'CRM');
const columns = pick(faultColumns, values.fault, 'fault');
const parallel = availableParallelism() + 1;

const halved = partial.filter((column) => columns.includes(column)).map((column) => column.title);

process.stdout.write(
  `Fault matrix: ${interactions} interactions per cell${halved.length === 0 ? '' : `, half for ${halved.join(', ')}`} (every event type, 10 % delivered twice, at most 8 deliveries of an event, 2 platform workers sharing record links, fresh workers for the delivery patterns), ${columns.length} columns × ${crms.length} CRMs, ${parallel} cells at a time.\n\n`,
);
const started = performance.now();
const cells = await runMatrix({
  crms,
  columns,
  interactions,
  seed,
  parallel,
  // A cell takes 5 to 40 s on 2 cores; one that hangs must not hold CI.
  cellTimeoutMs: 180_000,
  progress(cell: MatrixCell) {
    if (cell.kind === 'measured')
      process.stdout.write(
        `  ${cell.column.title} × ${cell.crm.displayName}: ${(cell.result.durationMs / 1000).toFixed(1)} s\n`,
      );
  },
});
const seconds = (performance.now() - started) / 1000;
const passed = matrixPasses(cells);

process.stdout.write(`\n${renderMatrix(cells)}\n\n`);
for (const cell of cells) {
  if (cell.kind !== 'measured') continue;
  const { errorExamples, ownerUnchecked } = cell.result;
  if (errorExamples.length === 0 && ownerUnchecked === 0) continue;
  process.stdout.write(`${cell.column.title} × ${cell.crm.displayName}:\n`);
  for (const example of errorExamples) process.stdout.write(`  ${example}\n`);
  if (ownerUnchecked > 0)
    process.stdout.write(
      `  ${ownerUnchecked} records not checked for their owner: no acknowledged event of their interaction decided one\n`,
    );
}
for (const column of columns) process.stdout.write(`${column.title}: ${column.description}\n`);
process.stdout.write(
  `\n${passed ? 'PASS' : 'FAIL'}: ${cells.filter((cell) => cell.kind === 'measured').length} cells in ${seconds.toFixed(0)} s.\n`,
);
process.exitCode = passed ? 0 : 1;
