import type { InteractionEvent, PlatformAgent } from '@crm-connect/core';
import { expectedOrder, finalAgent, type ScaleInteraction } from './scale-workload.js';
import type { AppliedEvent } from './worker-config.js';

/**
 * The figures of a `pnpm test:scale` cell, from what the workers applied (the audit list in
 * Redis), what the sandbox's store holds and what its request log saw. Pure functions, so the
 * rules are read and tested in one place.
 */

/** A request as the sandbox logged it: what the rate and concurrency figures read. */
export interface LoggedRequest {
  /** Arrival, ms since the epoch. */
  arrivedAt: number;
  durationMs: number;
  principal: string | undefined;
  /** Refused by the sandbox's steady rate limit (429; Salesforce: 403 REQUEST_LIMIT_EXCEEDED). */
  refused: boolean;
  /** The sandbox's name for the route, for the examples. */
  route: string | undefined;
}

export interface BudgetFigures {
  /** Requests the sandbox refused for its rate limit. Must be 0. */
  refused: number;
  /** Whole windows, from the first request, during which work was still queued. */
  windows: number;
  /** Requests the sandbox accepted within those windows. */
  accepted: number;
  /** The same, window by window, to see where a shortfall was. */
  perWindow: number[];
  /** accepted / (the budget's requests per window × windows). Must be ≥ 0.95. */
  share: number;
}

/** How much of the budget the run used while work was queued, and how often the sandbox refused. */
export function budgetFigures(
  requests: readonly LoggedRequest[],
  budget: { requestsPerWindow: number; windowMs: number },
  queuedUntil: number,
): BudgetFigures {
  const refused = requests.filter((request) => request.refused).length;
  const first = Math.min(...requests.map((request) => request.arrivedAt));
  if (!Number.isFinite(first)) return { refused, windows: 0, accepted: 0, perWindow: [], share: 0 };
  const windows = Math.max(0, Math.floor((queuedUntil - first) / budget.windowMs));
  const perWindow = Array<number>(windows).fill(0);
  for (const request of requests) {
    const window = Math.floor((request.arrivedAt - first) / budget.windowMs);
    if (!request.refused && window < windows) perWindow[window] = (perWindow[window] ?? 0) + 1;
  }
  const accepted = perWindow.reduce((sum, count) => sum + count, 0);
  return {
    refused,
    windows,
    accepted,
    perWindow,
    share: windows === 0 ? 0 : accepted / (budget.requestsPerWindow * windows),
  };
}

/** The most requests one principal (the CRM user a request was authenticated as) had in flight at the sandbox at once. */
export function peakInFlight(requests: readonly LoggedRequest[]): number {
  const edges = new Map<string, { at: number; change: number }[]>();
  for (const request of requests) {
    if (request.principal === undefined) continue;
    const list = edges.get(request.principal) ?? [];
    list.push(
      { at: request.arrivedAt, change: 1 },
      { at: request.arrivedAt + request.durationMs, change: -1 },
    );
    edges.set(request.principal, list);
  }
  let peak = 0;
  for (const list of edges.values()) {
    // At the same instant an answer leaves before a request arrives (durations are whole ms).
    list.sort((a, b) => a.at - b.at || a.change - b.change);
    let inFlight = 0;
    for (const { change } of list) {
      inFlight += change;
      peak = Math.max(peak, inFlight);
    }
  }
  return peak;
}

export interface OrderFigures {
  /** Interactions whose events were not applied in the order they must be (see `expectedOrder`). Must be 0. */
  outOfOrder: number;
  /** Distinct events never applied (dead-lettered, or left in a mailbox). Must be 0. */
  unapplied: number;
  /** Events applied more than once (a crashed worker's event handled again by another). */
  ranTwice: number;
  examples: string[];
}

/** What identifies an event among its interaction's: its type, and for an assignment, the CRM user it assigns. */
function expectedKey(event: InteractionEvent, userOf: (agent: PlatformAgent) => string | undefined): string {
  if (event.type !== 'agent.assigned') return event.type;
  return `agent.assigned → ${userOf(event.agent) ?? event.agent.id}`;
}

/**
 * The same for an applied event. An assignment applied without an owner is an assignment that
 * opened the record again after a crash (the create found the record the first attempt made, and
 * names no owner): a repeat, never a first application.
 */
function appliedKey(event: AppliedEvent): string | undefined {
  if (event.eventType !== 'agent.assigned') return event.eventType;
  return event.ownerId === undefined ? undefined : `agent.assigned → ${event.ownerId}`;
}

/**
 * Per interaction, the events in the order they were first applied (every successful handling is
 * one audit event; failed attempts are audited `failed` and left out) against the order they must
 * be applied in.
 */
export function orderFigures(
  interactions: readonly ScaleInteraction[],
  applied: readonly AppliedEvent[],
  userOf: (agent: PlatformAgent) => string | undefined,
): OrderFigures {
  const figures: OrderFigures = { outOfOrder: 0, unapplied: 0, ranTwice: 0, examples: [] };
  const byInteraction = new Map<string, AppliedEvent[]>();
  for (const event of applied) {
    if (event.outcome === 'failed') continue;
    const list = byInteraction.get(event.interactionId) ?? [];
    list.push(event);
    byInteraction.set(event.interactionId, list);
  }
  for (const interaction of interactions) {
    const expected = expectedOrder(interaction).map((event) => expectedKey(event, userOf));
    const handled = byInteraction.get(interaction.id) ?? [];
    const first: string[] = [];
    for (const event of handled) {
      const key = appliedKey(event);
      if (key !== undefined && !first.includes(key)) first.push(key);
    }
    figures.ranTwice += handled.length - first.length;
    const missing = expected.filter((key) => !first.includes(key));
    figures.unapplied += missing.length;
    const inOrder =
      first.length === expected.length - missing.length &&
      first.every((key, index) => key === expected.filter((wanted) => !missing.includes(wanted))[index]);
    if (!inOrder) figures.outOfOrder += 1;
    if ((missing.length > 0 || !inOrder) && figures.examples.length < 3) {
      figures.examples.push(
        `${interaction.id} (${interaction.kind}): expected ${expected.join(', ')}; applied ${
          handled.map((event) => `${appliedKey(event) ?? event.eventType}@${event.worker}`).join(', ') ||
          'nothing'
        }`,
      );
    }
  }
  return figures;
}

/** A record as the sandbox's store holds it, and a CRM user. */
export interface StoredRecord {
  id: string;
  interactionId: string | undefined;
  ownerId: string | undefined;
}

export interface FinalOwnerFigures {
  /** Records (of interactions with exactly one) whose owner is not the latest agent, or the default user. Must be 0. */
  wrong: number;
  examples: string[];
}

/**
 * Each interaction's record must end with the agent named by its latest ownership-deciding event
 * (`finalAgent`) when that agent is an active CRM user, else with the default user (an identity
 * the connectors created records as, read from the audit: `defaultUsers`). Interactions without
 * exactly one record are left to the lost and duplicated figures.
 */
export function finalOwnerFigures(
  interactions: readonly ScaleInteraction[],
  records: readonly StoredRecord[],
  userOf: (agent: PlatformAgent) => string | undefined,
  defaultUsers: ReadonlySet<string>,
): FinalOwnerFigures {
  const figures: FinalOwnerFigures = { wrong: 0, examples: [] };
  const recordsOf = new Map<string, StoredRecord[]>();
  for (const record of records) {
    if (record.interactionId === undefined) continue;
    const list = recordsOf.get(record.interactionId) ?? [];
    list.push(record);
    recordsOf.set(record.interactionId, list);
  }
  for (const interaction of interactions) {
    const [record, ...others] = recordsOf.get(interaction.id) ?? [];
    if (record === undefined || others.length > 0) continue;
    const agent = finalAgent(interaction);
    const user = agent === undefined ? undefined : userOf(agent);
    const expected = user === undefined ? defaultUsers : new Set([user]);
    if (record.ownerId !== undefined && expected.has(record.ownerId)) continue;
    figures.wrong += 1;
    if (figures.examples.length < 3)
      figures.examples.push(
        `${interaction.id} (${interaction.kind}, delivered ${interaction.delivered
          .map((event) => `${event.type}${event.type === 'agent.assigned' ? ` ${event.agent.id}` : ''}`)
          .join(', ')}): record ${record.id} owned by ${record.ownerId ?? 'nobody'}, expected ${
          user === undefined
            ? `the default user (${[...defaultUsers].join(' or ')})`
            : `${agent?.id} (${user})`
        }`,
      );
  }
  return figures;
}

/** The default user: whoever the connectors created records as when the rule picked the default user. */
export function defaultUsersOf(applied: readonly AppliedEvent[]): Set<string> {
  return new Set(
    applied.flatMap((event) =>
      event.reason === 'default-user' && event.outcome === 'created' && event.ownerId !== undefined
        ? [event.ownerId]
        : [],
    ),
  );
}

export interface RecoveryFigures {
  /** Drain jobs the killed worker held, taken over by another worker. */
  jobs: number;
  /** From the SIGKILL until the last of them was back in the queue (its lock lapsed, a stalled-job check moved it), ms. */
  backMs: number | undefined;
  /** From the SIGKILL until every one of them had an event applied by another worker, ms. */
  appliedMs: number | undefined;
}

/**
 * How long the platform waited for the killed worker's jobs: each is back when a worker's
 * stalled-job check returned it to the queue, and recovered when another worker applied an event
 * of its interaction after the kill (or, for a job whose mailbox was already empty, when it was back).
 */
export function recoveryFigures(
  killedAt: number,
  killedWorker: string,
  stalled: readonly { interactionId: string | undefined; at: number }[],
  applied: readonly AppliedEvent[],
): RecoveryFigures {
  if (stalled.length === 0) return { jobs: 0, backMs: undefined, appliedMs: undefined };
  let back = killedAt;
  let recovered = killedAt;
  for (const job of stalled) {
    back = Math.max(back, job.at);
    const next = applied.find(
      (event) =>
        event.interactionId === job.interactionId &&
        event.worker !== killedWorker &&
        event.at >= job.at &&
        event.outcome !== 'failed',
    );
    recovered = Math.max(recovered, next?.at ?? job.at);
  }
  return { jobs: stalled.length, backMs: back - killedAt, appliedMs: recovered - killedAt };
}
