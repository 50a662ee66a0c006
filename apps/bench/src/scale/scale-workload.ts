import { type InteractionEvent, isOpeningEvent, type PlatformAgent } from '@crm-connect/core';
import { type InteractionKind, interactionMix, platformAgents } from '../faults/workload.js';

/**
 * The traffic of `pnpm test:scale`: the fault matrix's interactions (chats assigned later, with an
 * agent from the start or never, voicemails called back or not, abandoned calls, a chat routed to
 * a deactivated agent), plus chats transferred to a second agent, delivered the way a platform
 * with many consumers delivers them: interleaved across interactions, some events of an
 * interaction out of order, some delivered twice. The same seed gives the same traffic.
 */

export type ScaleKind = InteractionKind | 'chat transferred';

export interface ScaleInteraction {
  id: string;
  kind: ScaleKind;
  /** Its events in the order they happened (occurredAt). */
  events: InteractionEvent[];
  /** The same events in the order the platform delivers them (each once). */
  delivered: InteractionEvent[];
}

/** One call to `producer.enqueue`. */
export interface Delivery {
  event: InteractionEvent;
  /** A redelivery of an event already delivered (its acknowledgement lost). */
  again: boolean;
}

export interface ScaleWorkload {
  interactions: ScaleInteraction[];
  /** Every delivery, in the order the producer enqueues them. */
  deliveries: Delivery[];
}

export interface WorkloadShares {
  /** Of the chats assigned later, the share transferred to the other agent two minutes later. */
  transferred: number;
  /** Of the interactions with two events or more, the share with two neighbouring events swapped. */
  reordered: number;
  /** Of all events, the share delivered a second time, later. */
  again: number;
}

export const defaultShares: WorkloadShares = { transferred: 0.35, reordered: 0.25, again: 0.1 };

const minuteMs = 60_000;

/** A chat assigned later, then transferred to the other agent: a second `agent.assigned`, two minutes after the first. */
function transfer(events: InteractionEvent[]): InteractionEvent[] {
  const [started, assigned, ended] = events;
  if (started === undefined || assigned?.type !== 'agent.assigned' || ended?.type !== 'interaction.ended')
    return events;
  const to: PlatformAgent =
    assigned.agent.id === platformAgents.alex.id ? platformAgents.olga : platformAgents.alex;
  const at = new Date(Date.parse(assigned.occurredAt) + 2 * minuteMs).toISOString();
  return [started, assigned, { ...assigned, occurredAt: at, agent: to }, { ...ended, agent: to }];
}

export function scaleWorkload(
  count: number,
  random: () => number,
  prefix: string,
  shares: WorkloadShares = defaultShares,
): ScaleWorkload {
  const interactions = interactionMix(count, random, prefix).map((scripted): ScaleInteraction => {
    const moved = scripted.kind === 'chat assigned later' && random() < shares.transferred;
    const events = moved ? transfer(scripted.events) : scripted.events;
    const delivered = [...events];
    if (delivered.length >= 2 && random() < shares.reordered) {
      const at = Math.floor(random() * (delivered.length - 1));
      const [first, second] = [delivered[at], delivered[at + 1]] as [InteractionEvent, InteractionEvent];
      delivered[at] = second;
      delivered[at + 1] = first;
    }
    return { id: scripted.id, kind: moved ? 'chat transferred' : scripted.kind, events, delivered };
  });
  // Interleaved: an interaction's events spread over the next few dozen deliveries, in their
  // delivery order (a step of 8 between them outweighs the jitter of 4); a redelivery comes later.
  const keyed: { key: number; delivery: Delivery }[] = [];
  interactions.forEach((interaction, index) => {
    interaction.delivered.forEach((event, position) => {
      const key = index + position * 8 + random() * 4;
      keyed.push({ key, delivery: { event, again: false } });
      if (random() < shares.again)
        keyed.push({ key: key + 1 + random() * 40, delivery: { event, again: true } });
    });
  });
  keyed.sort((a, b) => a.key - b.key);
  return { interactions, deliveries: keyed.map((entry) => entry.delivery) };
}

/**
 * The order in which the interaction's events must be applied: the order delivered, except that
 * an opening event delivered after its `interaction.ended` is applied first (there is no record to
 * end before it: the worker handles the opening event first, packages/worker/README.md).
 */
export function expectedOrder(interaction: ScaleInteraction): InteractionEvent[] {
  const order = [...interaction.delivered];
  const opening = order.findIndex(isOpeningEvent);
  const ended = order.findIndex((event) => event.type === 'interaction.ended');
  if (opening > ended && ended >= 0) {
    const [event] = order.splice(opening, 1) as [InteractionEvent];
    order.splice(ended, 0, event);
  }
  return order;
}

/**
 * The agent the record must end with: the one named by the latest event (by occurredAt) that
 * decides ownership (an opening event naming an agent, an assignment), or `undefined` when none
 * does (the default user's record). A late assignment never takes the record back.
 */
export function finalAgent(interaction: ScaleInteraction): PlatformAgent | undefined {
  let latest: { at: number; agent: PlatformAgent } | undefined;
  for (const event of interaction.events) {
    if (event.agent === undefined || event.type === 'interaction.ended') continue;
    const at = Date.parse(event.occurredAt);
    if (latest === undefined || at >= latest.at) latest = { at, agent: event.agent };
  }
  return latest?.agent;
}
