import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import { unthrottledBudgets } from '../unthrottled-budgets.js';
import { benchConnector, entriesAfter, lastSequence } from './bench-connector.js';
import { eventsFor, type MeasuredEvent, measuredEvents } from './bench-events.js';

/** Figure 2: HTTP calls one event makes with warm caches, counted in the sandbox's request log. */
export type CallsResult = Record<MeasuredEvent, { calls: number; routes: string[] }>;

export async function countCalls(crm: SandboxCrm): Promise<CallsResult> {
  const running = await crm.start();
  try {
    const connector = benchConnector(running.plugin, running.settings, unthrottledBudgets());
    // One interaction of every kind first: the connection user, tokens, the agent, both customers are then known.
    for (const event of measuredEvents) {
      const { setup, measured } = eventsFor(event, `calls-warm-${measuredEvents.indexOf(event)}`);
      for (const step of [...setup, measured]) await connector.handle(step);
    }
    const result: Partial<CallsResult> = {};
    for (const [index, event] of measuredEvents.entries()) {
      const interactionId = `calls-${index}`;
      const { setup, measured } = eventsFor(event, interactionId);
      for (const step of setup) await connector.handle(step);
      const before = lastSequence(running.sandbox.log);
      await connector.handle(measured);
      const entries = entriesAfter(running.sandbox.log, before);
      const records = running.recordsFor(interactionId);
      if (records.length !== 1) {
        throw new Error(
          `${crm.displayName} holds ${records.length} records for ${interactionId} after "${event}"`,
        );
      }
      result[event] = { calls: entries.length, routes: entries.map((entry) => entry.route ?? entry.path) };
    }
    return result as CallsResult;
  } finally {
    await running.stop();
  }
}
