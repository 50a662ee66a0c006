import { describe, expect, it } from 'vitest';
import { cellProblems } from '../../src/faults/cell-verdict.js';
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

  it('a cell that injected no fault, or did not finish', () => {
    expect(cellProblems({ ...clean, faultsApplied: 0 })).toEqual(['no fault was injected']);
    expect(cellProblems({ ...clean, crashed: 'still running after 180 s' })).toEqual([
      'the cell did not finish: still running after 180 s',
    ]);
  });
});
