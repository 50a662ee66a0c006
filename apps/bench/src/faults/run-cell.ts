import { createConnector, createMemoryRecordLinkStore } from '@crm-connect/core';
import { restorePlugin, type SandboxCrm, seededRandom } from '@crm-connect/sandbox-crms';
import { unthrottledBudgets } from '../unthrottled-budgets.js';
import { createCapturedOutput } from './captured-output.js';
import { errorFigures, noteFigures, ownerFigures, recordFigures } from './cell-figures.js';
import { cellHttp, type FaultColumn } from './fault-columns.js';
import { replayInteractions } from './platform-replay.js';
import { telemetryCapture } from './telemetry-capture.js';
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
   * Notes and comments written twice on one record (a redelivered "interaction ended", a note
   * whose answer was lost). Must be 0.
   */
  duplicateNotes: number;
  /**
   * Records whose owner in the store is not the one the connector decided for the interaction's
   * last acknowledged event that decides ownership (see `ownerFigures`). Must be 0.
   */
  wrongOwner: number;
  /** Records of written interactions no acknowledged event decided an owner for: not checked, shown in the examples. */
  ownerUnchecked: number;
  /** Events the platform gave up on with a typed `CrmConnectError`, by code. */
  typedErrors: Record<string, number>;
  /**
   * Of those, the ones the column does not explain (a rate limit Salesforce does not retry and an
   * owner the CRM refuses are; see `errorFigures`). Must be 0: anything else could have succeeded.
   */
  unexplainedErrors: number;
  /** Events given up on with anything else (must be 0). */
  untypedErrors: number;
  /**
   * A few of the unexplained and untyped errors (event type, code, message), of the notes written
   * twice and of the wrong owners (with the interaction's deliveries), to start from when a cell fails.
   */
  errorExamples: string[];
  /** Captured log lines, audit events, errors and exported telemetry holding a secret (must be 0). */
  secretsFound: number;
  /** The kinds of secret that leaked, when any did. */
  leakedSecrets: string[];
  /** Faults (or changes) the sandbox applied, plus the deliveries the column's pattern added. */
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
    const telemetry = telemetryCapture();
    await telemetry.start(captured.telemetry);
    const settings = { ...crm.settings, defaultUser: true, abandonedCallTickets: true };
    const rateBudgets = unthrottledBudgets();
    // The platform's workers are two consumers of one queue in one deployment: each its own
    // connector (own caches, own connections), sharing the tenant's record-link store, as the
    // core requires of workers of one tenant (its notes' states are what make a redelivered
    // "interaction ended" safe on the other worker).
    const recordLinks = createMemoryRecordLinkStore();
    const workers = Array.from({ length: workerCount }, () =>
      createConnector({
        plugin: crm.plugin,
        settings,
        audit: captured.audit,
        logger: captured.logger,
        rateBudgets,
        recordLinks,
        http: cellHttp,
      }),
    );
    // A fresh worker shares nothing in memory with them: its own plugin instance (built from the
    // portable form, as another process would), caches, rate budgets and an empty record-link store.
    const freshWorker = async () =>
      createConnector({
        plugin: await restorePlugin(await crm.portable()),
        settings,
        audit: captured.audit,
        logger: captured.logger,
        rateBudgets: unthrottledBudgets(),
        http: cellHttp,
      });
    let requests = 0;
    const unsubscribe = crm.sandbox.log.subscribe(() => {
      requests += 1;
    });
    const interactions = interactionMix(
      Math.max(1, Math.round(options.interactions * (column.interactionShare ?? 1))),
      seededRandom(options.seed),
      `${crm.id}-${column.id}`,
    );
    const faults = column.start(crm, seededRandom(options.seed + 1));
    const replay = await replayInteractions({
      workers,
      freshWorker,
      interactions,
      concurrency: options.concurrency,
      maxDeliveries,
      redeliveryShare,
      pattern: column.delivery,
      random: seededRandom(options.seed + 2),
      progress: faults.progress,
      onError: captured.error,
    });
    faults.stop();
    unsubscribe();
    await telemetry.finish();

    const storeRecords = crm.records();
    const records = recordFigures(
      interactions.map((interaction) => interaction.id),
      crm.recordCounts(),
      replay.acknowledged,
    );
    const errors = errorFigures(replay.givenUp, column.cannotSucceed(crm.id));
    const notes = noteFigures(crm.notes(), storeRecords, replay.traces);
    const owners = ownerFigures(storeRecords, replay.acknowledgements, crm.users(), replay.traces);
    const leaks = captured.leaks(crm.secrets());
    return {
      crm: crm.id,
      column: column.id,
      interactions: interactions.length,
      ...records,
      duplicateNotes: notes.twice,
      wrongOwner: owners.wrong,
      ownerUnchecked: owners.unchecked,
      typedErrors: errors.typed,
      unexplainedErrors: errors.unexplained,
      untypedErrors: errors.untyped,
      errorExamples: [...errors.examples, ...notes.examples, ...owners.examples],
      secretsFound: leaks.pieces,
      leakedSecrets: [...leaks.kinds],
      faultsApplied: faults.applied() + replay.patternDeliveries,
      requests,
      deliveries: replay.deliveries,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await crm.stop();
  }
}
