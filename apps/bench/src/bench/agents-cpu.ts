import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import { unthrottledBudgets } from '../unthrottled-budgets.js';
import { benchAgent } from './bench-agents.js';
import { benchConnector } from './bench-connector.js';
import { alexAgent, chatWithAgent } from './bench-events.js';
import { cpuMicros } from './cpu-time.js';
import { startRemoteSandbox } from './remote-sandbox.js';
import { inRotation, withCallers } from './rotation.js';
import { compareRounds, summarise } from './statistics.js';

/**
 * Figure 8: the client's CPU per write by a connector that has met thousands of agents, next to a
 * fresh one making the same writes. Meeting an agent leaves state behind: the directory's cached
 * lookup, and in Zendesk's API-token mode the agent's own credential, which the HTTP layer
 * registers with the connector's redactor as it sends it. A process serving a large contact
 * center should not get slower per write for having met its agents.
 */
export interface AgentsCpuResult {
  /** Distinct agents the "met" connector identified, each writing once (as themselves where the plugin does). */
  agents: number;
  /** Of those writes, how many failed (none expected). */
  failed: number;
  /** µs of CPU per write by a connector that met only Alex (median of the rounds). */
  freshMicros: number;
  /** µs of CPU per write by the connector that met the agents too. */
  metMicros: number;
  /** met ÷ fresh, medians of the rounds: the target is ≤ 1.05. */
  ratio: number;
  /** met ÷ fresh, means of the rounds. */
  ratioOfMeans: number;
  /** Secrets each connector's redactor held when measured. */
  redactorSecrets: { fresh: number; met: number };
  writes: number;
}

export interface AgentsCpuOptions {
  agents: number;
  /** Callers meeting the agents at once (only to make the setup quicker; not measured). */
  meetingCallers: number;
  warmupRounds: number;
  rounds: number;
  writesPerRound: number;
}

type Contender = 'fresh' | 'met';
const contenders: readonly Contender[] = ['fresh', 'met'];

export async function measureAgentsCpu(crm: SandboxCrm, options: AgentsCpuOptions): Promise<AgentsCpuResult> {
  const remote = await startRemoteSandbox(crm);
  try {
    await remote.seedAgents(options.agents);
    // One account, so one budget registry: two connectors of one platform.
    const budgets = unthrottledBudgets();
    const connectors = {
      fresh: benchConnector(remote.plugin, remote.settings, budgets),
      met: benchConnector(remote.plugin, remote.settings, budgets),
    };
    let failed = 0;
    await withCallers(options.meetingCallers, options.agents, async (index) => {
      try {
        await connectors.met.handle(chatWithAgent(`agents-meet-${index}`, benchAgent(index)));
      } catch {
        failed += 1;
      }
    });
    // Both then write as Alex, whom both know after the first round (the warm-up).
    /** µs of CPU per write, one sample per round. */
    const micros: Record<Contender, number[]> = { fresh: [], met: [] };
    await inRotation(contenders, options.warmupRounds + options.rounds, async (contender, round) => {
      const started = cpuMicros();
      for (let index = 0; index < options.writesPerRound; index += 1)
        await connectors[contender].handle(chatWithAgent(`agents-${contender}-${round}-${index}`, alexAgent));
      if (round >= options.warmupRounds)
        micros[contender].push((cpuMicros() - started) / options.writesPerRound);
    });
    const writes = options.rounds * options.writesPerRound;
    return {
      agents: options.agents,
      failed,
      freshMicros: summarise(micros.fresh).median,
      metMicros: summarise(micros.met).median,
      ...compareRounds(micros.met, micros.fresh),
      redactorSecrets: { fresh: connectors.fresh.redactor.size(), met: connectors.met.redactor.size() },
      writes,
    };
  } finally {
    await remote.stop();
  }
}
