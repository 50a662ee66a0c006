import type { AuditEvent } from '@crm-connect/core';
import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import { unthrottledBudgets } from '../unthrottled-budgets.js';
import { benchConnector } from './bench-connector.js';
import { chatBeforeAgent } from './bench-events.js';
import { cpuMicros } from './cpu-time.js';
import { captureRemoteReplay } from './remote-replay.js';
import { startRemoteSandbox } from './remote-sandbox.js';
import { prepare, replay } from './replay.js';
import { inRotation } from './rotation.js';
import { compareRounds, summarise } from './statistics.js';

/**
 * Figure 6: the CPU time the client's process spends per "chat before agent", through the
 * connector and from a bare keep-alive axios client sending the same requests, the sandbox in a
 * process of its own: what a platform's process pays for the connector, whatever the CRM's
 * answer time.
 */
export interface ClientCpuResult {
  /** µs of CPU per write through `connector.handle`: the median of the rounds. */
  connectorMicros: number;
  /** The same requests through the connector's HTTP layer alone (`createHttpClient`). */
  httpLayerMicros: number;
  /** The same requests from a bare keep-alive axios client. */
  bareMicros: number;
  /** connector ÷ bare, medians of the rounds: the target is ≤ 1.15. */
  ratio: number;
  /** connector ÷ bare, means of the rounds. */
  ratioOfMeans: number;
  /** Measured writes per client. */
  writes: number;
}

export interface ClientCpuOptions {
  /** Rounds per client before the measured ones (JIT, sockets, caches). */
  warmupRounds: number;
  rounds: number;
  /** Writes in a round: CPU time is read around the round, not around each write. */
  writesPerRound: number;
}

/** What the redaction figure redacts: the audit event of the connector's last write here, and the secrets of its settings. */
export interface RedactionSample {
  auditEvent: AuditEvent;
  configuredSecrets: string[];
  /** The credential the HTTP layer sends (scheme removed): generated credentials take its length and characters. */
  credential: string;
}

type Client = 'connector' | 'httpLayer' | 'bare';
const clients: readonly Client[] = ['connector', 'httpLayer', 'bare'];

export async function measureClientCpu(
  crm: SandboxCrm,
  options: ClientCpuOptions,
): Promise<{ result: ClientCpuResult; sample: RedactionSample }> {
  const remote = await startRemoteSandbox(crm);
  try {
    const connector = benchConnector(remote.plugin, remote.settings, unthrottledBudgets());
    const { template, bare, httpLayer } = await captureRemoteReplay(connector, remote, 'cpu');
    /** µs of CPU per write, one sample per round. */
    const micros: Record<Client, number[]> = { connector: [], httpLayer: [], bare: [] };
    let auditEvent: AuditEvent | undefined;
    const write: Record<Client, (interactionId: string) => Promise<unknown>> = {
      connector: async (interactionId) => {
        auditEvent = await connector.handle(chatBeforeAgent(interactionId));
      },
      httpLayer: (interactionId) => replay(template, prepare(template, interactionId), httpLayer),
      bare: (interactionId) => replay(template, prepare(template, interactionId), bare),
    };
    await inRotation(clients, options.warmupRounds + options.rounds, async (client, round) => {
      const started = cpuMicros();
      for (let index = 0; index < options.writesPerRound; index += 1)
        await write[client](`cpu-${client}-${round}-${index}`);
      if (round >= options.warmupRounds)
        micros[client].push((cpuMicros() - started) / options.writesPerRound);
    });
    const writes = options.rounds * options.writesPerRound;
    if (auditEvent === undefined) throw new Error('The connector made no write');
    return {
      result: {
        connectorMicros: summarise(micros.connector).median,
        httpLayerMicros: summarise(micros.httpLayer).median,
        bareMicros: summarise(micros.bare).median,
        ...compareRounds(micros.connector, micros.bare),
        writes,
      },
      sample: {
        auditEvent,
        configuredSecrets: remote.plugin.settings.secretFields.flatMap((field) => {
          const value = remote.settings[field];
          return typeof value === 'string' ? [value] : [];
        }),
        credential: remote.authorization.replace(/^(Basic|Bearer)\s+/i, ''),
      },
    };
  } finally {
    await remote.stop();
  }
}
