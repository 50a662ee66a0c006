import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import { unthrottledBudgets } from '../unthrottled-budgets.js';
import { benchConnector } from './bench-connector.js';
import { chatBeforeAgent } from './bench-events.js';
import { captureRemoteReplay } from './remote-replay.js';
import { startRemoteSandbox } from './remote-sandbox.js';
import { prepare, replay } from './replay.js';
import { inRotation, withCallers } from './rotation.js';
import { summarise } from './statistics.js';

/**
 * Figure 7: "chat before agent" writes per second through one connector with 1, 8 and 64
 * callers at once, next to a bare keep-alive axios client sending the same requests with as
 * many callers, the sandbox in a process of its own and the rate budget lifted: what the
 * connector's own work and queueing (the budget's concurrency, the HTTP layer's sockets) cost a
 * platform that hands it many events at once.
 */
export interface ThroughputLevel {
  callers: number;
  /** Writes per second in the median round. */
  connectorPerSecond: number;
  barePerSecond: number;
  /** connector ÷ bare: the target is ≥ 0.85 at 64 callers. */
  ratio: number;
}

export interface ThroughputResult {
  levels: ThroughputLevel[];
  /** Measured writes per client and level. */
  writes: number;
}

export interface ThroughputOptions {
  callers: number[];
  /** Writes in one round, whatever the callers. */
  writesPerRound: number;
  warmupRounds: number;
  rounds: number;
}

type Client = 'connector' | 'bare';
const clients: readonly Client[] = ['connector', 'bare'];

export async function measureThroughput(
  crm: SandboxCrm,
  options: ThroughputOptions,
): Promise<ThroughputResult> {
  const remote = await startRemoteSandbox(crm);
  try {
    const connector = benchConnector(remote.plugin, remote.settings, unthrottledBudgets());
    const { template, bare } = await captureRemoteReplay(connector, remote, 'rate');
    const write: Record<Client, (interactionId: string) => Promise<unknown>> = {
      connector: (interactionId) => connector.handle(chatBeforeAgent(interactionId)),
      bare: (interactionId) => replay(template, prepare(template, interactionId), bare),
    };
    const levels: ThroughputLevel[] = [];
    for (const callers of options.callers) {
      /** Seconds per round. */
      const seconds: Record<Client, number[]> = { connector: [], bare: [] };
      await inRotation(clients, options.warmupRounds + options.rounds, async (client, round) => {
        const started = performance.now();
        await withCallers(callers, options.writesPerRound, (index) =>
          write[client](`rate-${callers}-${client}-${round}-${index}`),
        );
        if (round >= options.warmupRounds) seconds[client].push((performance.now() - started) / 1000);
      });
      // The median round: a round that other work on the machine slowed down does not decide.
      const connectorSeconds = summarise(seconds.connector).median;
      const bareSeconds = summarise(seconds.bare).median;
      levels.push({
        callers,
        connectorPerSecond: options.writesPerRound / connectorSeconds,
        barePerSecond: options.writesPerRound / bareSeconds,
        ratio: bareSeconds / connectorSeconds,
      });
    }
    return { levels, writes: options.rounds * options.writesPerRound };
  } finally {
    await remote.stop();
  }
}
