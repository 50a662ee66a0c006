import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import { unthrottledBudgets } from '../unthrottled-budgets.js';
import { benchConnector, entriesAfter, lastSequence } from './bench-connector.js';
import { chatBeforeAgent } from './bench-events.js';
import {
  bareSender,
  type Capture,
  calibrate,
  httpLayerSender,
  prepare,
  replay,
  templateOf,
} from './replay.js';
import { type Summary, summarise } from './statistics.js';

/** Figure 1: "chat started before an agent" through the connector, and the same requests sent bare. */
export interface CostResult {
  /** Milliseconds per interaction through `connector.handle` (event validation, actor rule, plugin, HTTP layer, audit). */
  connector: Summary;
  /** The same requests through the connector's HTTP layer alone (`createHttpClient`). */
  httpLayer: Summary;
  /** The same requests from a bare keep-alive axios client. */
  bare: Summary;
  /** connector median / bare median: the target is ≤ 1.10. */
  ratioMedian: number;
  ratioP95: number;
  /** HTTP requests one interaction makes (every client sends exactly these). */
  requests: number;
}

export interface CostOptions {
  /** Interactions per client before the measured ones (JIT, sockets, caches). */
  warmup: number;
  /** Measured interactions per client. */
  iterations: number;
}

type Client = 'connector' | 'httpLayer' | 'bare';
const clients: readonly Client[] = ['connector', 'httpLayer', 'bare'];

export async function measureCost(crm: SandboxCrm, options: CostOptions): Promise<CostResult> {
  const running = await crm.start();
  try {
    const connector = benchConnector(running.plugin, running.settings, unthrottledBudgets());
    // Caches warm: the connection user, tokens and sessions, the customer, the sockets.
    await connector.handle(chatBeforeAgent('cost-warm'));
    const captures: Capture[] = [];
    for (const interactionId of ['cost-capture-a', 'cost-capture-b']) {
      const before = lastSequence(running.sandbox.log);
      const audit = await connector.handle(chatBeforeAgent(interactionId));
      captures.push({
        entries: entriesAfter(running.sandbox.log, before),
        interactionId,
        recordId: audit.recordId,
      });
    }
    const [first, second] = captures as [Capture, Capture];
    const authorization = await running.bareAuthorization();
    const senders = {
      httpLayer: httpLayerSender(running.sandbox.url, authorization),
      bare: bareSender(running.sandbox.url, authorization),
    };
    const template = await calibrate(
      templateOf(first, second),
      'cost-calibrate',
      senders.bare,
      (interactionId) => running.recordsFor(interactionId)[0]?.id,
    );

    const times: Record<Client, number[]> = { connector: [], httpLayer: [], bare: [] };
    for (let round = 0; round < options.warmup + options.iterations; round += 1) {
      const runs: Record<Client, () => Promise<unknown>> = {
        connector: () => connector.handle(chatBeforeAgent(`cost-connector-${round}`)),
        httpLayer: () => replay(template, prepare(template, `cost-http-${round}`), senders.httpLayer),
        bare: () => replay(template, prepare(template, `cost-bare-${round}`), senders.bare),
      };
      // Each client goes first, second and third in turn, so none always runs after another's
      // garbage, and all see the sandbox's store at the same size.
      for (let turn = 0; turn < clients.length; turn += 1) {
        const client = clients[(round + turn) % clients.length] as Client;
        const run = runs[client];
        const started = performance.now();
        await run();
        const elapsed = performance.now() - started;
        if (round >= options.warmup) times[client].push(elapsed);
      }
    }
    const connectorSummary = summarise(times.connector);
    const bareSummary = summarise(times.bare);
    return {
      connector: connectorSummary,
      httpLayer: summarise(times.httpLayer),
      bare: bareSummary,
      ratioMedian: connectorSummary.median / bareSummary.median,
      ratioP95: connectorSummary.p95 / bareSummary.p95,
      requests: template.requests.length,
    };
  } finally {
    await running.stop();
  }
}
