import { interactionEventSchema, isOpeningEvent } from '@crm-connect/core';
import { seededRandom } from '@crm-connect/sandbox-crms';
import { describe, expect, it } from 'vitest';
import { interactionMix } from '../../src/faults/workload.js';

describe('fault matrix: the replayed traffic', () => {
  const interactions = interactionMix(2_000, seededRandom(9), 'test');

  it('is the same for the same seed', () => {
    expect(interactionMix(50, seededRandom(9), 'test')).toEqual(interactions.slice(0, 50));
  });

  it('sends every event type, each one valid, and opens every interaction first', () => {
    const events = interactions.flatMap((interaction) => interaction.events);
    for (const event of events) expect(interactionEventSchema.safeParse(event).success).toBe(true);
    expect(new Set(events.map((event) => event.type))).toEqual(
      new Set([
        'chat.started',
        'voicemail.received',
        'call.abandoned',
        'agent.assigned',
        'interaction.ended',
      ]),
    );
    for (const interaction of interactions) {
      const [first] = interaction.events;
      expect(first !== undefined && isOpeningEvent(first)).toBe(true);
      for (const event of interaction.events) expect(event.interactionId).toBe(interaction.id);
    }
    expect(new Set(interactions.map((interaction) => interaction.id)).size).toBe(2_000);
  });

  it('mixes the kinds of interaction, with returning customers', () => {
    const kinds = new Set(interactions.map((interaction) => interaction.kind));
    expect(kinds.size).toBe(7);
    const customers = new Set(interactions.map((interaction) => interaction.events[0]?.endUser.name));
    expect(customers.size).toBeLessThan(interactions.length / 2);
  });
});
