import { faultColumns } from './fault-columns.js';
import { faultCrms } from './fault-crms.js';
import { runCell } from './run-cell.js';

/**
 * Runs one cell in its own process, forked by main.ts, and sends its result back. A process per
 * cell uses both cores and keeps cells apart: nothing process-wide (keep-alive sockets, msal
 * clients, rate budgets) carries over from one cell to the next.
 * Arguments: crm id, column id, interactions, seed.
 */
const [crmId, columnId, interactions, seed] = process.argv.slice(2);
const definition = faultCrms.find((crm) => crm.id === crmId);
const column = faultColumns.find((candidate) => candidate.id === columnId);
if (definition === undefined || column === undefined || process.send === undefined) {
  throw new Error(`cell-worker: unknown cell ${crmId} × ${columnId}, or not started by main.ts`);
}
const result = await runCell(definition, column, {
  interactions: Number(interactions),
  concurrency: 16,
  seed: Number(seed),
});
process.send(result, () => process.disconnect());
