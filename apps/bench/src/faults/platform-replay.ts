import { setTimeout as sleep } from 'node:timers/promises';
import { type Connector, type InteractionEvent, isCrmConnectError } from '@crm-connect/core';
import type { ScriptedInteraction } from './workload.js';

/**
 * The platform side of the run: interactions replayed concurrently, each one's events in order,
 * delivered at least once. Several platform workers (each with its own connector, hence its own
 * record links and caches) take deliveries at random, as consumers of one queue do; an event whose
 * delivery failed with a retryable error is delivered again, a bounded number of times; some
 * events are delivered a second time although they succeeded (the acknowledgement was lost).
 */

export interface ReplayOptions {
  /** One connector per platform worker. */
  workers: readonly Connector[];
  interactions: readonly ScriptedInteraction[];
  /** Interactions in flight at once. */
  concurrency: number;
  /** Deliveries of one event before the platform gives up on it. */
  maxDeliveries: number;
  /** Share of successful deliveries that are delivered again. */
  redeliveryShare: number;
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

export interface ReplayResult {
  /** Interactions with at least one acknowledged event: the platform considers their record written. */
  acknowledged: Set<string>;
  givenUp: GivenUpEvent[];
  deliveries: number;
}

/** A pause before a redelivery, growing with each one (platforms back off too). */
const redeliveryPauseMs = 10;

export async function replayInteractions(options: ReplayOptions): Promise<ReplayResult> {
  const acknowledged = new Set<string>();
  const givenUp: GivenUpEvent[] = [];
  let deliveries = 0;
  let next = 0;

  const worker = () => options.workers[Math.floor(options.random() * options.workers.length)] as Connector;

  /** Delivers until acknowledged, or gives up; true when acknowledged. */
  async function deliver(event: InteractionEvent): Promise<boolean> {
    const failures: string[] = [];
    for (let delivery = 1; ; delivery += 1) {
      deliveries += 1;
      try {
        await worker().handle(event);
        return true;
      } catch (error) {
        options.onError(error);
        failures.push(
          isCrmConnectError(error) ? error.code : error instanceof Error ? error.name : typeof error,
        );
        if (!isCrmConnectError(error) || !error.retryable || delivery >= options.maxDeliveries) {
          givenUp.push({
            interactionId: event.interactionId,
            eventType: event.type,
            error,
            deliveries: failures,
          });
          return false;
        }
        await sleep(redeliveryPauseMs * delivery);
      }
    }
  }

  async function run(interaction: ScriptedInteraction): Promise<void> {
    for (const event of interaction.events) {
      if (await deliver(event)) {
        acknowledged.add(interaction.id);
        if (options.random() < options.redeliveryShare && (await deliver(event)))
          acknowledged.add(interaction.id);
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
  return { acknowledged, givenUp, deliveries };
}
