import { renderTable } from '@crm-connect/sandbox-crms';
import type { ScaleCellResult } from './run-cell.js';

/** The share of the budget a run must use while work is queued. */
export const minimumShare = 0.95;
/** Whole windows of queued work a run needs for its share to mean anything. */
export const minimumWindows = 3;
/** Dataverse's concurrency limit per user. */
export const dynamicsConcurrencyLimit = 52;

/**
 * What is wrong with a cell run on the Redis budgets, if anything. A cell that proved nothing (too
 * few windows of queued work, a SIGKILL that hit no job) fails too.
 */
export function cellProblems(result: ScaleCellResult): string[] {
  if (result.crashed !== undefined) return [`the cell did not finish: ${result.crashed}`];
  const problems: string[] = [];
  const refusal = result.crm === 'salesforce' ? 'REQUEST_LIMIT_EXCEEDED' : '429';
  if (result.refused > 0) problems.push(`${result.refused} × ${refusal}`);
  if (result.windows < minimumWindows)
    problems.push(`work was queued for ${result.windows} whole windows only (at least ${minimumWindows})`);
  else if (result.share < minimumShare)
    problems.push(
      `${percent(result.share)} of the budget used (at least ${percent(minimumShare)}; accepted per window: ${result.perWindow.join(' ')})`,
    );
  if (result.lost > 0) problems.push(`${result.lost} lost`);
  if (result.duplicated > 0) problems.push(`${result.duplicated} duplicated`);
  if (result.notesTwice > 0) problems.push(`${result.notesTwice} notes written twice`);
  if (result.wrongOwner > 0) problems.push(`${result.wrongOwner} wrong owners`);
  if (result.outOfOrder > 0) problems.push(`${result.outOfOrder} interactions applied out of order`);
  if (result.unapplied > 0) problems.push(`${result.unapplied} events never applied`);
  if (result.deadLetters > 0) problems.push(`${result.deadLetters} dead letters`);
  if (result.leftActive > 0) problems.push(`${result.leftActive} jobs left in the queue`);
  if (result.recoveredJobs === 0) problems.push('the SIGKILL left no job to recover');
  if (result.crm === 'dynamics' && result.peakInFlight > dynamicsConcurrencyLimit)
    problems.push(
      `${result.peakInFlight} requests in flight for one user (at most ${dynamicsConcurrencyLimit})`,
    );
  return problems;
}

/** The control run (core's per-process budgets) must be refused by the sandbox: else the test cannot fail. */
export function controlProblems(result: ScaleCellResult): string[] {
  if (result.crashed !== undefined) return [`the control did not finish: ${result.crashed}`];
  return result.refused === 0 ? ['the control run got no 429: this test cannot fail'] : [];
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

const headers = [
  'CRM',
  'budgets',
  'interactions',
  'events',
  'requests',
  '429',
  'budget used',
  'lost',
  'duplicated',
  'notes twice',
  'wrong owner',
  'out of order',
  'ran twice',
  'dead letters',
  'left active',
  'recovery',
  'peak in flight',
  'time',
  'result',
] as const;
/** Columns whose figures are right-aligned. */
const numeric = new Set([2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 16, 17]);

function row(result: ScaleCellResult, control: boolean): string[] {
  const problems = control ? controlProblems(result) : cellProblems(result);
  const verdict =
    problems.length > 0
      ? `FAIL: ${problems.join('; ')}`
      : control
        ? 'ok: the control is refused, as it must be'
        : 'ok';
  if (result.crashed !== undefined)
    return [result.displayName, result.budgets, ...Array<string>(headers.length - 3).fill('—'), verdict];
  return [
    result.displayName,
    control ? 'per process (control)' : 'Redis, shared',
    String(result.interactions),
    `${result.events} (+${result.redelivered} again)`,
    String(result.requests),
    String(result.refused),
    `${percent(result.share)} of ${result.budget} × ${result.windows}`,
    String(result.lost),
    String(result.duplicated),
    String(result.notesTwice),
    String(result.wrongOwner),
    String(result.outOfOrder),
    `${result.recoveredJobs} jobs (${result.ranTwice} ${result.ranTwice === 1 ? 'event' : 'events'})`,
    String(result.deadLetters),
    String(result.leftActive),
    `back ${seconds(result.backMs)}, applied ${seconds(result.recoveryMs)}`,
    String(result.peakInFlight),
    seconds(result.durationMs),
    verdict,
  ];
}

/** The cells and the control as one plain-text table, as the fault matrix prints its own. */
export function renderScaleTable(
  cells: readonly ScaleCellResult[],
  control: ScaleCellResult | undefined,
): string {
  const rows = cells.map((cell) => row(cell, false));
  if (control !== undefined) rows.push(row(control, true));
  return renderTable(headers, rows, numeric);
}

/** True when every cell passed and the control (if run) was refused. */
export function scalePasses(
  cells: readonly ScaleCellResult[],
  control: ScaleCellResult | undefined,
): boolean {
  return (
    cells.every((cell) => cellProblems(cell).length === 0) &&
    (control === undefined || controlProblems(control).length === 0)
  );
}
