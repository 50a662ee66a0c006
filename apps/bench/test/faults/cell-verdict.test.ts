import { describe, expect, it } from 'vitest';
import { cellProblems } from '../../src/faults/cell-verdict.js';
import { faultColumns } from '../../src/faults/fault-columns.js';
import { type MatrixCell, matrixPasses, renderMatrix } from '../../src/faults/matrix-report.js';
import type { CellResult } from '../../src/faults/run-cell.js';

const clean: CellResult = {
  crm: 'zendesk',
  column: 'unavailable',
  interactions: 2_000,
  expected: 2_000,
  created: 2_000,
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
  faultsApplied: 550,
  requests: 6_700,
  deliveries: 5_000,
  durationMs: 7_000,
};

describe('fault matrix: what fails a cell', () => {
  it('nothing, for a clean cell, typed errors for what cannot succeed included', () => {
    expect(cellProblems({ ...clean, typedErrors: { owner_rejected: 12 } })).toEqual([]);
  });

  it('a lost or duplicated record, an untyped error, an unexplained typed error, a secret', () => {
    expect(
      cellProblems({
        ...clean,
        lost: 1,
        duplicated: 2,
        untypedErrors: 3,
        unexplainedErrors: 4,
        secretsFound: 5,
        leakedSecrets: ['access token'],
      }),
    ).toEqual([
      '1 lost',
      '2 duplicated',
      '3 untyped errors',
      '4 typed errors for events that could have succeeded',
      'secrets in 5 captured lines (access token)',
    ]);
  });

  it('a single note written twice', () => {
    expect(cellProblems({ ...clean, duplicateNotes: 1 })).toEqual(['1 notes written twice']);
  });

  it('a single record with the wrong owner', () => {
    expect(cellProblems({ ...clean, wrongOwner: 1 })).toEqual(['1 records with the wrong owner']);
  });

  it('both, with the others, in the order of the table', () => {
    expect(cellProblems({ ...clean, duplicated: 1, duplicateNotes: 216, wrongOwner: 106 })).toEqual([
      '1 duplicated',
      '216 notes written twice',
      '106 records with the wrong owner',
    ]);
  });

  it('not for records whose owner no acknowledged event decided (shown, not asserted)', () => {
    expect(cellProblems({ ...clean, ownerUnchecked: 3 })).toEqual([]);
  });

  it('a cell that injected no fault, or did not finish', () => {
    expect(cellProblems({ ...clean, faultsApplied: 0 })).toEqual(['no fault was injected']);
    expect(cellProblems({ ...clean, crashed: 'still running after 180 s' })).toEqual([
      'the cell did not finish: still running after 180 s',
    ]);
  });
});

describe('fault matrix: the table and the overall verdict', () => {
  const column = faultColumns.find((candidate) => candidate.id === 'redelivered-end');
  if (column === undefined) throw new Error('no redelivered-end column');
  const crm = { id: 'zendesk' as const, displayName: 'Zendesk' };
  const measured = (result: CellResult): MatrixCell => ({ kind: 'measured', column, crm, result });

  it('fails the matrix on notes written twice or a wrong owner in any cell', () => {
    expect(matrixPasses([measured(clean)])).toBe(true);
    expect(matrixPasses([measured(clean), measured({ ...clean, duplicateNotes: 1 })])).toBe(false);
    expect(matrixPasses([measured({ ...clean, wrongOwner: 1 }), measured(clean)])).toBe(false);
  });

  it('shows both figures, and a not-applicable row as wide as a measured one', () => {
    const table = renderMatrix([
      measured({ ...clean, duplicateNotes: 7, wrongOwner: 5 }),
      { kind: 'not-applicable', column, crm, reason: 'n/a: because' },
    ]);
    const [header, , row, notApplicable] = table.split('\n');
    const cells = (line = '') => line.split('|').map((cell) => cell.trim());
    const names = cells(header);
    const values = cells(row);
    expect(values[names.indexOf('notes twice')]).toBe('7');
    expect(values[names.indexOf('wrong owner')]).toBe('5');
    expect(values[names.indexOf('result')]).toBe(
      'FAIL: 7 notes written twice; 5 records with the wrong owner',
    );
    expect(cells(notApplicable)).toHaveLength(names.length);
    expect(cells(notApplicable)[names.indexOf('wrong owner')]).toBe('—');
  });
});
