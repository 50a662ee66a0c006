import { interactionEventSchema, isOpeningEvent } from '@crm-connect/core';
import { seededRandom } from '@crm-connect/sandbox-crms';
import { describe, expect, it } from 'vitest';
import { platformAgents } from '../../src/faults/workload.js';
import { expectedOrder, finalAgent, scaleWorkload } from '../../src/scale/scale-workload.js';

describe('scale matrix: the traffic', () => {
  const workload = scaleWorkload(600, seededRandom(9), 'test');

  it('is the same for the same seed, and every event is valid', () => {
    expect(scaleWorkload(600, seededRandom(9), 'test')).toEqual(workload);
    for (const { event } of workload.deliveries)
      expect(interactionEventSchema.safeParse(event).success).toBe(true);
  });

  it('delivers every event, about 10 % of them twice, each interaction in its own delivery order', () => {
    const events = workload.interactions.reduce((sum, interaction) => sum + interaction.events.length, 0);
    const again = workload.deliveries.filter((delivery) => delivery.again);
    expect(workload.deliveries.length - again.length).toBe(events);
    expect(again.length / events).toBeGreaterThan(0.07);
    expect(again.length / events).toBeLessThan(0.13);
    for (const interaction of workload.interactions) {
      const firsts = workload.deliveries
        .filter((delivery) => !delivery.again && delivery.event.interactionId === interaction.id)
        .map((delivery) => delivery.event);
      expect(firsts).toEqual(interaction.delivered);
    }
    // A redelivery never comes before the delivery it repeats.
    const seen = new Set<unknown>();
    for (const { event, again } of workload.deliveries) {
      if (again) expect(seen.has(event)).toBe(true);
      seen.add(event);
    }
  });

  it('swaps two events in about a quarter of the interactions, and transfers some chats', () => {
    const reordered = workload.interactions.filter((interaction) =>
      interaction.delivered.some((event, index) => event !== interaction.events[index]),
    );
    const eligible = workload.interactions.filter((interaction) => interaction.events.length >= 2);
    expect(reordered.length / eligible.length).toBeGreaterThan(0.18);
    expect(reordered.length / eligible.length).toBeLessThan(0.32);
    const transferred = workload.interactions.filter(
      (interaction) => interaction.kind === 'chat transferred',
    );
    expect(transferred.length).toBeGreaterThan(20);
    for (const interaction of transferred) {
      const [, first, second] = interaction.events;
      expect(first?.type === 'agent.assigned' && second?.type === 'agent.assigned').toBe(true);
      expect(Date.parse(second?.occurredAt ?? '')).toBeGreaterThan(Date.parse(first?.occurredAt ?? ''));
    }
  });

  it('expects an opening event delivered after its end to be applied first, and nothing else moved', () => {
    let endedFirst = 0;
    for (const interaction of workload.interactions) {
      const { delivered } = interaction;
      const opening = delivered.findIndex(isOpeningEvent);
      const ended = delivered.findIndex((event) => event.type === 'interaction.ended');
      if (ended >= 0 && ended < opening) {
        endedFirst += 1;
        const moved = [...delivered];
        moved.splice(opening, 1);
        moved.splice(ended, 0, delivered[opening] as (typeof delivered)[number]);
        expect(expectedOrder(interaction)).toEqual(moved);
      } else {
        expect(expectedOrder(interaction)).toEqual(delivered);
      }
    }
    expect(endedFirst).toBeGreaterThan(5);
  });

  it('names the agent of the latest ownership-deciding event, or none', () => {
    for (const interaction of workload.interactions) {
      const agent = finalAgent(interaction);
      switch (interaction.kind) {
        case 'chat transferred':
          expect(agent).toEqual(interaction.events[2]?.agent);
          break;
        case 'chat to a deactivated agent':
          expect(agent).toEqual(platformAgents.gus);
          break;
        case 'chat without an agent':
        case 'voicemail':
        case 'abandoned call':
          expect(agent).toBeUndefined();
          break;
        default:
          expect(agent).toBeDefined();
      }
    }
  });
});
