import { isCrmConnectError } from '@crm-connect/core';
import type { Acknowledgement, GivenUpEvent } from './platform-replay.js';

/**
 * The figures of a cell, from what the platform saw (acknowledged and given-up events) and what
 * the sandbox's store holds. Pure functions, so the rules are read and tested in one place.
 */

export interface RecordFigures {
  /** Interactions the platform considers written: each must have exactly one record. */
  expected: number;
  /** Records in the store for the run's interactions. */
  created: number;
  /** Expected interactions without a record. */
  lost: number;
  /** Records beyond the first of each interaction. */
  duplicated: number;
}

export function recordFigures(
  interactionIds: readonly string[],
  records: ReadonlyMap<string, number>,
  acknowledged: ReadonlySet<string>,
): RecordFigures {
  const figures = { expected: acknowledged.size, created: 0, lost: 0, duplicated: 0 };
  for (const id of interactionIds) {
    const count = records.get(id) ?? 0;
    figures.created += count;
    figures.duplicated += Math.max(0, count - 1);
    if (count === 0 && acknowledged.has(id)) figures.lost += 1;
  }
  return figures;
}

export interface ErrorFigures {
  /** Given-up events with a typed error, by code. */
  typed: Record<string, number>;
  /**
   * Typed ones the column does not explain: neither a code it makes fail (`cannotSucceed`) nor a
   * follow-on of an earlier event of the same interaction given up (no record to end).
   */
  unexplained: number;
  untyped: number;
  /** A few unexplained or untyped ones, with how each delivery failed, to start from when a cell fails. */
  examples: string[];
}

export function errorFigures(
  givenUp: readonly GivenUpEvent[],
  cannotSucceed: readonly string[],
): ErrorFigures {
  const figures: ErrorFigures = { typed: {}, unexplained: 0, untyped: 0, examples: [] };
  const explained = new Set(cannotSucceed);
  const givenUpBefore = new Set<string>();
  const example = ({ eventType, error, deliveries }: GivenUpEvent) => {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (figures.examples.length < 3)
      figures.examples.push(`${eventType} (deliveries: ${deliveries.join(', ')}): ${text}`);
  };
  for (const event of givenUp) {
    const { interactionId, error } = event;
    if (!isCrmConnectError(error)) {
      figures.untyped += 1;
      example(event);
    } else {
      figures.typed[error.code] = (figures.typed[error.code] ?? 0) + 1;
      if (!explained.has(error.code) && !givenUpBefore.has(interactionId)) {
        figures.unexplained += 1;
        example(event);
      }
    }
    givenUpBefore.add(interactionId);
  }
  return figures;
}

/** A record as the store holds it, and a CRM user: what the owner and note figures read. */
export interface OwnedRecord {
  id: string;
  interactionId: string | undefined;
  ownerId: string | undefined;
}

export interface OwnerFigures {
  /** Records whose owner in the store is not the one the connector decided for the last acknowledged event. */
  wrong: number;
  /** Records of acknowledged interactions for which no acknowledged event decided an owner (the opening and its assignment were given up on). Shown, not asserted. */
  unchecked: number;
  /** A few wrong ones: interaction, record, owner in the store, the owner expected and why. */
  examples: string[];
}

/** Who may own the record, and why. */
interface Expectation {
  owners: ReadonlySet<string>;
  why: string;
}

/**
 * The owner each interaction's record must have: the one the connector decided for the last
 * acknowledged event that decides ownership, read from the audit event each acknowledged
 * delivery resolved to.
 *  - A record created (`create-ticket`, `created`; an assignment that overtook its opening event
 *    creates it too): the owner the audit names, which is the default user after the CRM refused
 *    an agent and the connector fell back.
 *  - A record found existing by the first acknowledged opening (its creation's answer was lost):
 *    whom the rule decided (`reason`): the event's agent for `identified-agent`, a default user
 *    for `default-user`.
 *  - An ownership change (`change-owner`, `updated`): the agent the audit names.
 *  - Anything else (an existing record found by a late or repeated opening event, a skipped
 *    assignment to an agent who maps to no active user, a note) leaves the owner as it was.
 * Only interactions the platform considers written and with exactly one record are checked (a
 * lost or duplicated record is counted already).
 */
export function ownerFigures(
  records: readonly OwnedRecord[],
  acknowledgements: readonly Acknowledgement[],
  users: readonly { id: string; email: string | undefined }[],
  traces?: ReadonlyMap<string, readonly string[]>,
): OwnerFigures {
  const figures: OwnerFigures = { wrong: 0, unchecked: 0, examples: [] };
  const userByEmail = new Map(
    users.flatMap((user) => (user.email === undefined ? [] : [[user.email, user.id] as const])),
  );
  // Whoever the connector made the owner of a record it created as the default user.
  const defaultUsers = new Set(
    acknowledgements.flatMap(({ audit }) =>
      audit.reason === 'default-user' && audit.outcome === 'created' && audit.owner !== undefined
        ? [audit.owner.id]
        : [],
    ),
  );
  const byInteraction = new Map<string, Acknowledgement[]>();
  for (const ack of acknowledgements) {
    const list = byInteraction.get(ack.interactionId);
    if (list === undefined) byInteraction.set(ack.interactionId, [ack]);
    else list.push(ack);
  }
  const recordsOf = new Map<string, OwnedRecord[]>();
  for (const record of records) {
    if (record.interactionId === undefined) continue;
    const list = recordsOf.get(record.interactionId);
    if (list === undefined) recordsOf.set(record.interactionId, [record]);
    else list.push(record);
  }

  const decided = (ack: Acknowledgement): Expectation | undefined => {
    const { audit } = ack;
    if (audit.reason === 'default-user') return { owners: defaultUsers, why: 'the default user' };
    if (audit.reason === 'identified-agent' && ack.agentEmail !== undefined) {
      const id = userByEmail.get(ack.agentEmail);
      return { owners: new Set(id === undefined ? [] : [id]), why: `the agent ${ack.agentEmail}` };
    }
    return undefined;
  };

  for (const [interactionId, acks] of byInteraction) {
    const [record, ...others] = recordsOf.get(interactionId) ?? [];
    if (record === undefined || others.length > 0) continue;
    let expectation: Expectation | undefined;
    for (const ack of acks) {
      const { audit } = ack;
      const named = audit.owner === undefined ? undefined : new Set([audit.owner.id]);
      if (audit.operation === 'create-ticket' && audit.outcome === 'created') {
        expectation =
          named === undefined
            ? decided(ack)
            : { owners: named, why: `created by ${ack.eventType} (${audit.reason})` };
      } else if (
        audit.operation === 'create-ticket' &&
        audit.outcome === 'existing' &&
        expectation === undefined
      ) {
        const found = decided(ack);
        if (found !== undefined)
          expectation = { ...found, why: `${found.why}, decided by ${ack.eventType} (found existing)` };
      } else if (audit.operation === 'change-owner' && audit.outcome === 'updated') {
        expectation =
          named === undefined ? decided(ack) : { owners: named, why: `assigned by ${ack.eventType}` };
      }
    }
    if (expectation === undefined) {
      figures.unchecked += 1;
      continue;
    }
    if (record.ownerId !== undefined && expectation.owners.has(record.ownerId)) continue;
    figures.wrong += 1;
    if (figures.examples.length < 3) {
      const path = traces?.get(interactionId);
      figures.examples.push(
        `${interactionId} (record ${record.id}): owner ${record.ownerId ?? 'none'}, expected ${[...expectation.owners].join(' or ') || 'unknown'} (${expectation.why})${path === undefined ? '' : `; deliveries: ${path.join(', ')}`}`,
      );
    }
  }
  return figures;
}

export interface NoteFigures {
  /** Notes beyond the first of each (record, text) pair. */
  twice: number;
  /** A few records with a note written twice, with their interaction's deliveries. */
  examples: string[];
}

/** Notes written twice: the same text on the same record more than once. */
export function noteFigures(
  notes: readonly { recordId: string; text: string }[],
  records: readonly OwnedRecord[],
  traces?: ReadonlyMap<string, readonly string[]>,
): NoteFigures {
  const interactionOf = new Map(records.map((record) => [record.id, record.interactionId]));
  const seen = new Set<string>();
  const figures: NoteFigures = { twice: 0, examples: [] };
  for (const { recordId, text } of notes) {
    const key = `${recordId}\u0000${text}`;
    if (!seen.has(key)) {
      seen.add(key);
      continue;
    }
    figures.twice += 1;
    if (figures.examples.length < 3) {
      const interactionId = interactionOf.get(recordId);
      const path = interactionId === undefined ? undefined : traces?.get(interactionId);
      figures.examples.push(
        `${interactionId ?? 'an unknown interaction'} (record ${recordId}): a note written twice${path === undefined ? '' : `; deliveries: ${path.join(', ')}`}`,
      );
    }
  }
  return figures;
}
