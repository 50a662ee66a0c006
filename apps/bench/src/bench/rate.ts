import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import { benchConnector } from './bench-connector.js';
import { chatBeforeAgent } from './bench-events.js';
import { scaledBudgets } from './scaled-budgets.js';

/** Figure 4: how much of a CRM's rate limit the connector uses when it has more work than the limit allows. */
export interface RateResult {
  requestsPerMinute: number;
  timeScale: number;
  /** How many (scaled) minutes were measured. */
  windows: number;
  /** Requests the sandbox accepted within those windows. */
  accepted: number;
  /** accepted / (requestsPerMinute × windows): the target is ≥ 0.95. */
  share: number;
  /** Rate-limit answers the sandbox gave (429; Salesforce 403 REQUEST_LIMIT_EXCEEDED): the target is 0. */
  refused: number;
  /** Interactions that failed (a refused Salesforce request is not retried). */
  failed: number;
  interactions: number;
}

export interface RateOptions {
  requestsPerMinute: number;
  /** How much faster than real time the minute passes, in the sandbox and in the budgets alike. */
  timeScale: number;
  windows: number;
  /** Interactions kept in flight: more work than the limit allows. */
  concurrency: number;
}

export async function measureRateBudget(crm: SandboxCrm, options: RateOptions): Promise<RateResult> {
  const { requestsPerMinute, timeScale } = options;
  const windowMs = 60_000 / timeScale;
  const running = await crm.start({ requestsPerMinute });
  try {
    const connector = benchConnector(
      running.plugin,
      running.settings,
      scaledBudgets({ requestsPerMinute, timeScale }),
    );
    // Tokens and identities first: Entra's and Salesforce's token requests do not count against
    // their APIs' limits, the sandbox's would. Then one window passes, so the sandbox and the
    // budgets both start from an empty window.
    await connector.handle(chatBeforeAgent('rate-warm'));
    await sleep(windowMs);
    running.sandbox.log.clear();
    running.sandbox.limitRate({ requestsPerMinute, timeScale });

    const deadline = performance.now() + options.windows * windowMs;
    let interactions = 0;
    let failed = 0;
    const lane = async () => {
      while (performance.now() < deadline) {
        interactions += 1;
        try {
          await connector.handle(chatBeforeAgent(`rate-${interactions}`));
        } catch {
          failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, lane));
    running.sandbox.limitRate(undefined);

    const entries = running.sandbox.log.entries();
    const startedAt = Date.parse(entries[0]?.at ?? new Date().toISOString());
    const endsAt = startedAt + options.windows * windowMs;
    const accepted = entries.filter(
      (entry) => entry.fault !== 'rate-window' && Date.parse(entry.at) < endsAt,
    ).length;
    return {
      requestsPerMinute,
      timeScale,
      windows: options.windows,
      accepted,
      share: accepted / (requestsPerMinute * options.windows),
      refused: entries.filter((entry) => entry.fault === 'rate-window').length,
      failed,
      interactions,
    };
  } finally {
    await running.stop();
  }
}
