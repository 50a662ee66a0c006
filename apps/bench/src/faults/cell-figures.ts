import { isCrmConnectError } from '@crm-connect/core';
import type { GivenUpEvent } from './platform-replay.js';

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
