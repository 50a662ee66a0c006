import { sandboxCrms } from '@crm-connect/sandbox-crms';
import { faultColumns } from './fault-columns.js';
import { runCell } from './run-cell.js';
import { telemetryCapture } from './telemetry-capture.js';

/**
 * A process that runs the cells main.ts sends it, one at a time, and sends each result back.
 * Several run at once to use every core; each cell has its own sandbox, connectors and rate
 * budgets, so nothing but warmed-up code carries over from one cell to the next.
 */

/** What main.ts asks a worker to run. */
export interface CellRequest {
  crm: string;
  column: string;
  interactions: number;
  seed: number;
}

// An OpenTelemetry SDK with in-memory exporters, registered before any connector runs: each
// cell's exported spans and metric points are searched for secrets with its logs.
telemetryCapture();

/** Interactions in flight in one cell. */
const concurrency = 16;

process.on('message', async (request: CellRequest) => {
  const definition = sandboxCrms.find((crm) => crm.id === request.crm);
  const column = faultColumns.find((candidate) => candidate.id === request.column);
  if (definition === undefined || column === undefined) {
    throw new Error(`cell-worker: unknown cell ${request.crm} × ${request.column}`);
  }
  const result = await runCell(definition, column, {
    interactions: request.interactions,
    concurrency,
    seed: request.seed,
  });
  process.send?.(result);
});
