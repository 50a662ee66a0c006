import { createConnector } from '@crm-connect/core';
import { type SandboxCrm, seededRandom } from '@crm-connect/sandbox-crms';
import { unthrottledBudgets } from '../unthrottled-budgets.js';
import { createCapturedOutput } from './captured-output.js';
import { errorFigures, recordFigures } from './cell-figures.js';
import { cellHttp, type FaultColumn } from './fault-columns.js';
import { replayInteractions } from './platform-replay.js';
import { interactionMix } from './workload.js';

/** What one cell (a CRM under one column's faults) measured. */
export interface CellResult {
  crm: string;
  column: string;
  interactions: number;
  /** Interactions the platform considers written (at least one event acknowledged): each must have exactly one record. */
  expected: number;
  /** Records in the sandbox's store for the run's interactions. */
  created: number;
  /** Expected interactions without a record. */
  lost: number;
  /** Records beyond the first, over all interactions. */
  duplicated: number;
  /**
   * Notes and comments written twice on one record (a redelivered "interaction ended", say).
   * Shown, not asserted: the contract is about records; see the README.
   */
  duplicateNotes: number;
  /** Events the platform gave up on with a typed `CrmConnectError`, by code. */
  typedErrors: Record<string, number>;
  /**
   * Of those, the ones the column does not explain (a rate limit Salesforce does not retry and an
   * owner the CRM refuses are; see `errorFigures`). Must be 0: anything else could have succeeded.
   */
  unexplainedErrors: number;
  /** Events given up on with anything else (must be 0). */
  untypedErrors: number;
  /** A few of the unexplained and untyped errors (event type, code, message), to start from when a cell fails. */
  errorExamples: string[];
  /** Captured log lines, audit events and errors holding a secret (must be 0). */
  secretsFound: number;
  /** The kinds of secret that leaked, when any did. */
  leakedSecrets: string[];
  /** Faults (or changes) the sandbox applied. */
  faultsApplied: number;
  requests: number;
  deliveries: number;
  durationMs: number;
  /** Why the cell has no figures: its process crashed or hung. */
  crashed?: string | undefined;
}

export interface CellOptions {
  interactions: number;
  concurrency: number;
  seed: number;
}

/** Platform workers per cell, each with its own connector. */
const workerCount = 2;
/** Deliveries of one event before the platform gives up on it (queues commonly allow 5 to 10). */
const maxDeliveries = 8;
/** Share of successful deliveries delivered again, their acknowledgement lost. */
const redeliveryShare = 0.1;

export async function runCell(
  definition: SandboxCrm,
  column: FaultColumn,
  options: CellOptions,
): Promise<CellResult> {
  const started = performance.now();
  const crm = await definition.start(column.crmOptions);
  try {
    const captured = createCapturedOutput();
    const rateBudgets = unthrottledBudgets();
    const workers = Array.from({ length: workerCount }, () =>
      createConnector({
        plugin: crm.plugin,
        settings: { ...crm.settings, defaultUser: true, abandonedCallTickets: true },
        audit: captured.audit,
        logger: captured.logger,
        rateBudgets,
        http: cellHttp,
      }),
    );
    let requests = 0;
    const unsubscribe = crm.sandbox.log.subscribe(() => {
      requests += 1;
    });
    const interactions = interactionMix(
      options.interactions,
      seededRandom(options.seed),
      `${crm.id}-${column.id}`,
    );
    const faults = column.start(crm, seededRandom(options.seed + 1));
    const replay = await replayInteractions({
      workers,
      interactions,
      concurrency: options.concurrency,
      maxDeliveries,
      redeliveryShare,
      random: seededRandom(options.seed + 2),
      progress: faults.progress,
      onError: captured.error,
    });
    faults.stop();
    unsubscribe();

    const records = recordFigures(
      interactions.map((interaction) => interaction.id),
      crm.recordCounts(),
      replay.acknowledged,
    );
    const errors = errorFigures(replay.givenUp, column.cannotSucceed(crm.id));
    const leaks = captured.leaks(crm.secrets());
    return {
      crm: crm.id,
      column: column.id,
      interactions: interactions.length,
      ...records,
      duplicateNotes: crm.duplicateNotes(),
      typedErrors: errors.typed,
      unexplainedErrors: errors.unexplained,
      untypedErrors: errors.untyped,
      errorExamples: errors.examples,
      secretsFound: leaks.pieces,
      leakedSecrets: [...leaks.kinds],
      faultsApplied: faults.applied(),
      requests,
      deliveries: replay.deliveries,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await crm.stop();
  }
}
