import { type CrmId, renderTable } from '@crm-connect/sandbox-crms';
import { cellProblems } from './cell-verdict.js';
import type { FaultColumn } from './fault-columns.js';
import type { CellResult } from './run-cell.js';

/** One cell of the matrix: measured, or not applicable to that CRM and why. */
export type MatrixCell =
  | { kind: 'measured'; column: FaultColumn; crm: { id: CrmId; displayName: string }; result: CellResult }
  | { kind: 'not-applicable'; column: FaultColumn; crm: { id: CrmId; displayName: string }; reason: string };

const headers = [
  'fault',
  'CRM',
  'injected',
  'expected',
  'created',
  'lost',
  'duplicated',
  'typed errors',
  'untyped',
  'secrets',
  'notes twice',
  'wrong owner',
  'time',
  'result',
] as const;
/** Columns whose figures are right-aligned. */
const numeric = new Set([2, 3, 4, 5, 6, 8, 9, 10, 11, 12]);

function typedErrors(result: CellResult): string {
  const entries = Object.entries(result.typedErrors).sort(([, a], [, b]) => b - a);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return '0';
  return `${total} (${entries.map(([code, count]) => `${code} ${count}`).join(', ')})`;
}

function row(cell: MatrixCell): string[] {
  const start = [cell.column.title, cell.crm.displayName];
  if (cell.kind === 'not-applicable')
    return [...start, ...Array<string>(headers.length - 3).fill('—'), cell.reason];
  const { result } = cell;
  const problems = cellProblems(result);
  return [
    ...start,
    String(result.faultsApplied),
    String(result.expected),
    String(result.created),
    String(result.lost),
    String(result.duplicated),
    typedErrors(result),
    String(result.untypedErrors),
    String(result.secretsFound),
    String(result.duplicateNotes),
    String(result.wrongOwner),
    `${(result.durationMs / 1000).toFixed(1)} s`,
    problems.length === 0 ? 'ok' : `FAIL: ${problems.join('; ')}`,
  ];
}

/** The matrix as a plain-text table that reads well in a terminal, in CI output and in a README. */
export function renderMatrix(cells: readonly MatrixCell[]): string {
  return renderTable(headers, cells.map(row), numeric);
}

/** True when every measured cell is free of problems. */
export function matrixPasses(cells: readonly MatrixCell[]): boolean {
  return cells.every((cell) => cell.kind === 'not-applicable' || cellProblems(cell.result).length === 0);
}
