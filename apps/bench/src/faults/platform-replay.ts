import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AuditEvent,
  type Connector,
  type InteractionEvent,
  isCrmConnectError,
  isOpeningEvent,
} from '@crm-connect/core';
import type { ScriptedInteraction } from './workload.js';

/**
 * The platform side of the run: interactions replayed concurrently, each one's events in order,
 * delivered at least once. Several platform workers (each with its own connector, hence its own
 * caches, sharing the tenant's record-link store) take deliveries at random, as consumers of one
 * queue do; an event whose delivery failed with a retryable error is delivered again, a bounded
 * number of times; some events are delivered a second time although they succeeded (the
 * acknowledgement was lost). A column's delivery pattern adds deliveries to fresh workers: new
 * connectors that share nothing with the others (empty caches, an empty record-link store of
 * their own), as a process started after a restart or in another region would be.
 */

/** Extra deliveries a column makes, each reproducing how a platform really redelivers. */
export interface DeliveryPattern {
  /**
   * Share of interactions with an `agent.assigned` whose opening event (chat.started,
   * voicemail.received) is delivered again after the assignment, to a fresh worker: a late
   * duplicate of the opening event, which must neither create a second record nor take the
   * record from the agent it was assigned to.
   */
  lateOpening: number;
  /** Share of acknowledged `interaction.ended` events delivered once more (their acknowledgement lost). */
  endAgain: number;
  /** Of those, the share delivered to a fresh worker; the rest go to the worker that acknowledged it. */
  endAgainFresh: number;
}

export const noPattern: DeliveryPattern = { lateOpening: 0, endAgain: 0, endAgainFresh: 0 };

export interface ReplayOptions {
  /** One connector per platform worker. */
  workers: readonly Connector[];
  /** A new connector sharing nothing with the others, for a delivery the pattern sends to a fresh worker. */
  freshWorker(): Promise<Connector>;
  interactions: readonly ScriptedInteraction[];
  /** Interactions in flight at once. */
  concurrency: number;
  /** Deliveries of one event before the platform gives up on it. */
  maxDeliveries: number;
  /** Share of successful deliveries that are delivered again. */
  redeliveryShare: number;
  /** The column's extra deliveries. Default: none. */
  pattern?: DeliveryPattern | undefined;
  random: () => number;
  /** Called as each interaction starts, with the share of the run started so far. */
  progress(share: number): void;
  /** Every error a delivery failed with, given up on or not. */
  onError(error: unknown): void;
}

/** An event the platform stopped delivering, and the error of its last delivery. */
export interface GivenUpEvent {
  interactionId: string;
  eventType: InteractionEvent['type'];
  error: unknown;
  /** How each delivery failed (the error code, or the error's name when untyped), in order. */
  deliveries: string[];
}

/** A delivery the connector acknowledged, with the audit event it resolved to (the decision it made). */
export interface Acknowledgement {
  interactionId: string;
  eventType: InteractionEvent['type'];
  /** The first email of the event's agent, when it names one. */
  agentEmail: string | undefined;
  audit: AuditEvent;
}

export interface ReplayResult {
  /** Interactions with at least one acknowledged event: the platform considers their record written. */
  acknowledged: Set<string>;
  /** Every acknowledged delivery, in the order acknowledged (each interaction's in its own order). */
  acknowledgements: Acknowledgement[];
  givenUp: GivenUpEvent[];
  deliveries: number;
  /** Deliveries the column's pattern added (late opening events, ended events delivered again). */
  patternDeliveries: number;
  /**
   * Per interaction, how each delivery went, in order: `{event}@{worker}: {outcome or error code}`,
   * the worker being `w1`, `w2`… or `fresh`. Read when a figure points at the interaction.
   */
  traces: Map<string, string[]>;
}

/** A pause before a redelivery, growing with each one (platforms back off too). */
const redeliveryPauseMs = 10;

const shortType: Record<InteractionEvent['type'], string> = {
  'chat.started': 'started',
  'voicemail.received': 'voicemail',
  'call.abandoned': 'abandoned',
  'agent.assigned': 'assigned',
  'interaction.ended': 'ended',
};

interface Worker {
  connector: Connector;
  name: string;
}

export async function replayInteractions(options: ReplayOptions): Promise<ReplayResult> {
  const acknowledged = new Set<string>();
  const acknowledgements: Acknowledgement[] = [];
  const givenUp: GivenUpEvent[] = [];
  const traces = new Map<string, string[]>();
  const pattern = options.pattern ?? noPattern;
  let deliveries = 0;
  let patternDeliveries = 0;
  let next = 0;

  const regular: Worker[] = options.workers.map((connector, index) => ({ connector, name: `w${index + 1}` }));
  const anyWorker = () => regular[Math.floor(options.random() * regular.length)] as Worker;
  const freshWorker = async (): Promise<() => Worker> => {
    const worker = { connector: await options.freshWorker(), name: 'fresh' };
    return () => worker;
  };
  const trace = (interactionId: string, line: string) => {
    const lines = traces.get(interactionId);
    if (lines === undefined) traces.set(interactionId, [line]);
    else lines.push(line);
  };

  /** Delivers until acknowledged, or gives up; the worker that acknowledged it, if any. */
  async function deliver(event: InteractionEvent, pick: () => Worker): Promise<Worker | undefined> {
    const failures: string[] = [];
    for (let delivery = 1; ; delivery += 1) {
      deliveries += 1;
      const worker = pick();
      try {
        const audit = await worker.connector.handle(event);
        acknowledgements.push({
          interactionId: event.interactionId,
          eventType: event.type,
          agentEmail: 'agent' in event ? event.agent?.emails[0]?.toLowerCase() : undefined,
          audit,
        });
        trace(event.interactionId, `${shortType[event.type]}@${worker.name}: ${audit.outcome}`);
        return worker;
      } catch (error) {
        options.onError(error);
        const failure = isCrmConnectError(error)
          ? error.code
          : error instanceof Error
            ? error.name
            : typeof error;
        failures.push(failure);
        trace(event.interactionId, `${shortType[event.type]}@${worker.name}: ${failure}`);
        if (!isCrmConnectError(error) || !error.retryable || delivery >= options.maxDeliveries) {
          givenUp.push({
            interactionId: event.interactionId,
            eventType: event.type,
            error,
            deliveries: failures,
          });
          return undefined;
        }
        await sleep(redeliveryPauseMs * delivery);
      }
    }
  }

  async function run(interaction: ScriptedInteraction): Promise<void> {
    const [opening] = interaction.events;
    for (const event of interaction.events) {
      const worker = await deliver(event, anyWorker);
      if (worker !== undefined) {
        acknowledged.add(interaction.id);
        if (options.random() < options.redeliveryShare && (await deliver(event, anyWorker)))
          acknowledged.add(interaction.id);
        // Draw only when the column has a pattern, so the other columns replay the same deliveries.
        if (
          event.type === 'interaction.ended' &&
          pattern.endAgain > 0 &&
          options.random() < pattern.endAgain
        ) {
          patternDeliveries += 1;
          const to = options.random() < pattern.endAgainFresh ? await freshWorker() : () => worker;
          if (await deliver(event, to)) acknowledged.add(interaction.id);
        }
      }
      if (
        event.type === 'agent.assigned' &&
        opening !== undefined &&
        isOpeningEvent(opening) &&
        pattern.lateOpening > 0 &&
        options.random() < pattern.lateOpening
      ) {
        patternDeliveries += 1;
        if (await deliver(opening, await freshWorker())) acknowledged.add(interaction.id);
      }
    }
  }

  async function lane(): Promise<void> {
    while (next < options.interactions.length) {
      const interaction = options.interactions[next] as ScriptedInteraction;
      next += 1;
      options.progress(next / options.interactions.length);
      await run(interaction);
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, lane));
  return { acknowledged, acknowledgements, givenUp, deliveries, patternDeliveries, traces };
}
