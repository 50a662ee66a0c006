import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import { unthrottledBudgets } from '../unthrottled-budgets.js';
import { benchConnector } from './bench-connector.js';
import { chatBeforeAgent } from './bench-events.js';

/** Figure 3: token endpoint calls for concurrent writes on a cold cache. */
export type TokensResult =
  | { applicable: false; reason: string }
  | {
      applicable: true;
      writes: number;
      /** Calls to the token endpoint the sandbox received. */
      tokenRequests: number;
      /** Writes that failed (none expected). */
      failed: number;
      /** Records the sandbox holds for the writes: one each. */
      records: number;
      seconds: number;
    };

export async function countTokenRequests(crm: SandboxCrm, writes: number): Promise<TokensResult> {
  // Zendesk in OAuth client-credentials mode: its API token mode has no token endpoint.
  const running = await crm.start({ oauth: true });
  try {
    if (running.tokenRoutes.length === 0) {
      return { applicable: false, reason: 'an API key: no token endpoint' };
    }
    // Salesforce's admin linking made token requests of its own: count from here on.
    running.sandbox.log.clear();
    // A new connector (and, for Dynamics, a sandbox on a new port) starts with no token cached.
    const connector = benchConnector(running.plugin, running.settings, unthrottledBudgets());
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: writes }, (_, index) => connector.handle(chatBeforeAgent(`tokens-${index}`))),
    );
    const seconds = (performance.now() - started) / 1000;
    const tokenRequests = running.sandbox.log
      .entries()
      .filter((entry) => entry.route !== undefined && running.tokenRoutes.includes(entry.route)).length;
    let records = 0;
    for (let index = 0; index < writes; index += 1) records += running.recordsFor(`tokens-${index}`).length;
    return {
      applicable: true,
      writes,
      tokenRequests,
      failed: outcomes.filter((outcome) => outcome.status === 'rejected').length,
      records,
      seconds,
    };
  } finally {
    await running.stop();
  }
}
