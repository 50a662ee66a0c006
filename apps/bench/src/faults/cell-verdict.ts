import type { CellResult } from './run-cell.js';

/**
 * What is wrong with a cell, if anything: a record lost or duplicated, a note written twice, a
 * record with the wrong owner, an error the platform got untyped, a typed error for something
 * that could have succeeded, a secret in captured output, a fault that never happened (a cell
 * that injected nothing proves nothing), or no figures at all.
 */
export function cellProblems(result: CellResult): string[] {
  if (result.crashed !== undefined) return [`the cell did not finish: ${result.crashed}`];
  const problems: string[] = [];
  if (result.lost > 0) problems.push(`${result.lost} lost`);
  if (result.duplicated > 0) problems.push(`${result.duplicated} duplicated`);
  if (result.duplicateNotes > 0) problems.push(`${result.duplicateNotes} notes written twice`);
  if (result.wrongOwner > 0) problems.push(`${result.wrongOwner} records with the wrong owner`);
  if (result.untypedErrors > 0) problems.push(`${result.untypedErrors} untyped errors`);
  if (result.unexplainedErrors > 0)
    problems.push(`${result.unexplainedErrors} typed errors for events that could have succeeded`);
  if (result.secretsFound > 0)
    problems.push(`secrets in ${result.secretsFound} captured lines (${result.leakedSecrets.join(', ')})`);
  if (result.faultsApplied === 0) problems.push('no fault was injected');
  return problems;
}
