import type { InteractionEvent, PlatformAgent } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { platformAgents } from '../../src/faults/workload.js';
import {
  budgetFigures,
  defaultUsersOf,
  finalOwnerFigures,
  type LoggedRequest,
  orderFigures,
  peakInFlight,
  recoveryFigures,
} from '../../src/scale/scale-figures.js';
import type { ScaleInteraction } from '../../src/scale/scale-workload.js';
import type { AppliedEvent } from '../../src/scale/worker-config.js';

const endUser = { name: 'Customer', email: 'customer@example.com' };
const at = (minute: number) => new Date(Date.parse('2026-11-21T08:00:00Z') + minute * 60_000).toISOString();
const base = { interactionId: 'i-1', channel: 'chat' as const, endUser };
const started: InteractionEvent = { type: 'chat.started', ...base, occurredAt: at(0) };
const toAlex: InteractionEvent = {
  type: 'agent.assigned',
  ...base,
  occurredAt: at(1),
  agent: platformAgents.alex,
};
const toOlga: InteractionEvent = {
  type: 'agent.assigned',
  ...base,
  occurredAt: at(3),
  agent: platformAgents.olga,
};
const ended: InteractionEvent = { type: 'interaction.ended', ...base, occurredAt: at(6), transcript: 'Bye.' };

const users: Record<string, string> = { 'agent-alex': 'user-alex', 'agent-olga': 'user-olga' };
const userOf = (agent: PlatformAgent) => users[agent.id];

function transferred(delivered: InteractionEvent[]): ScaleInteraction {
  return { id: 'i-1', kind: 'chat transferred', events: [started, toAlex, toOlga, ended], delivered };
}

function applied(
  eventType: string,
  worker: string,
  extra: Partial<AppliedEvent> = {},
  interactionId = 'i-1',
): AppliedEvent {
  return {
    interactionId,
    eventType,
    operation: 'create-ticket',
    outcome: 'updated',
    reason: 'identified-agent',
    worker,
    at: 0,
    ...extra,
  };
}

describe('scale matrix: a cell’s figures', () => {
  it('counts the budget used in the whole windows while work was queued, and the refusals', () => {
    const request = (second: number, refused = false): LoggedRequest => ({
      arrivedAt: 1_000_000 + second * 1000,
      durationMs: 5,
      principal: 'u',
      refused,
      route: 'tickets.create',
    });
    // Windows of 2 s, 3 requests each: [0, 2) has 3, [2, 4) has 2 and a refusal, [4, 6) is past the queue.
    const requests = [0, 0.5, 1.5, 2.5, 3, 5].map((second) => request(second));
    requests.push(request(3.5, true));
    expect(budgetFigures(requests, { requestsPerWindow: 3, windowMs: 2_000 }, 1_000_000 + 4_500)).toEqual({
      refused: 1,
      windows: 2,
      accepted: 5,
      perWindow: [3, 2],
      share: 5 / 6,
    });
    expect(budgetFigures([], { requestsPerWindow: 3, windowMs: 2_000 }, 0).windows).toBe(0);
  });

  it('finds the most requests one user had in flight at once', () => {
    const request = (
      arrivedAt: number,
      durationMs: number,
      principal: string | undefined,
    ): LoggedRequest => ({
      arrivedAt,
      durationMs,
      principal,
      refused: false,
      route: undefined,
    });
    const requests = [
      request(0, 10, 'a'),
      request(5, 10, 'a'),
      request(8, 10, 'a'),
      // Ends as the next one arrives: not both in flight.
      request(20, 5, 'a'),
      request(25, 5, 'a'),
      request(0, 100, 'b'),
      request(1, 100, undefined),
      request(2, 100, undefined),
      request(3, 100, undefined),
      request(4, 100, undefined),
    ];
    expect(peakInFlight(requests)).toBe(3);
  });

  it('passes events applied in the order they must be, a crash’s repeat included', () => {
    const interaction = transferred([started, toOlga, toAlex, ended]);
    const figures = orderFigures(
      [interaction],
      [
        applied('chat.started', 'w1', { reason: 'default-user', outcome: 'created' }),
        applied('agent.assigned', 'w2', { ownerId: 'user-olga' }),
        // The late assignment, skipped: it names its agent.
        applied('agent.assigned', 'w3', { ownerId: 'user-alex', reason: 'superseded-assignment' }),
        applied('interaction.ended', 'w2', { outcome: 'failed' }),
        applied('interaction.ended', 'w2'),
        // Handled again after its worker died: a repeat.
        applied('interaction.ended', 'w4', { outcome: 'existing' }),
      ],
      userOf,
    );
    expect(figures).toEqual({ outOfOrder: 0, unapplied: 0, ranTwice: 1, examples: [] });
  });

  it('fails events applied out of order, or never', () => {
    const interaction = transferred([started, toOlga, toAlex, ended]);
    const swapped = orderFigures(
      [interaction],
      [
        applied('chat.started', 'w1'),
        applied('agent.assigned', 'w1', { ownerId: 'user-alex' }),
        applied('agent.assigned', 'w2', { ownerId: 'user-olga' }),
        applied('interaction.ended', 'w2'),
      ],
      userOf,
    );
    expect(swapped).toMatchObject({ outOfOrder: 1, unapplied: 0 });
    expect(swapped.examples[0]).toContain('i-1 (chat transferred)');
    const missing = orderFigures([interaction], [applied('chat.started', 'w1')], userOf);
    expect(missing).toMatchObject({ outOfOrder: 0, unapplied: 3 });
  });

  it('counts an assignment that opened the record again without an owner as a repeat', () => {
    const interaction: ScaleInteraction = {
      id: 'i-1',
      kind: 'chat assigned later',
      events: [started, toAlex, ended],
      delivered: [toAlex, started, ended],
    };
    const figures = orderFigures(
      [interaction],
      [
        applied('agent.assigned', 'w2', { ownerId: 'user-alex', outcome: 'created' }),
        applied('agent.assigned', 'w3', { outcome: 'existing' }),
        applied('chat.started', 'w3', { outcome: 'existing', reason: 'already-linked' }),
        applied('interaction.ended', 'w1'),
      ],
      userOf,
    );
    expect(figures).toEqual({ outOfOrder: 0, unapplied: 0, ranTwice: 1, examples: [] });
  });

  it('expects the latest agent by occurredAt as the owner, or the default user', () => {
    const interactions: ScaleInteraction[] = [
      transferred([started, toOlga, toAlex, ended]),
      { id: 'i-2', kind: 'chat without an agent', events: [started], delivered: [started] },
      {
        id: 'i-3',
        kind: 'chat to a deactivated agent',
        events: [{ ...started, agent: platformAgents.gus }],
        delivered: [{ ...started, agent: platformAgents.gus }],
      },
      { id: 'i-4', kind: 'chat assigned later', events: [started, toAlex], delivered: [toAlex, started] },
    ];
    const defaults = defaultUsersOf([
      applied('chat.started', 'w1', { reason: 'default-user', outcome: 'created', ownerId: 'admin' }),
      applied('chat.started', 'w1', { reason: 'default-user', outcome: 'skipped' }),
    ]);
    expect(defaults).toEqual(new Set(['admin']));
    const figures = finalOwnerFigures(
      interactions,
      [
        { id: 'r-1', interactionId: 'i-1', ownerId: 'user-olga' },
        { id: 'r-2', interactionId: 'i-2', ownerId: 'admin' },
        { id: 'r-3', interactionId: 'i-3', ownerId: 'admin' },
        // The assignment opened it; the late opening event must not take it back.
        { id: 'r-4', interactionId: 'i-4', ownerId: 'admin' },
      ],
      (agent) => (agent.id === 'agent-gus' ? undefined : userOf(agent)),
      defaults,
    );
    expect(figures.wrong).toBe(1);
    expect(figures.examples[0]).toContain('record r-4 owned by admin, expected agent-alex (user-alex)');
  });

  it('times the recovery of the killed worker’s jobs: back in the queue, then applied elsewhere', () => {
    const killedAt = 10_000;
    const events = [
      applied('chat.started', 'w2', { at: 9_000 }, 'a'),
      applied('agent.assigned', 'w3', { at: 14_500, ownerId: 'user-alex' }, 'a'),
      applied('interaction.ended', 'w1', { at: 15_000 }, 'b'),
    ];
    expect(
      recoveryFigures(
        killedAt,
        'w2',
        [
          { interactionId: 'a', at: 13_500 },
          { interactionId: 'b', at: 13_600 },
          // Its mailbox was empty: recovered when it was back.
          { interactionId: 'c', at: 13_700 },
        ],
        events,
      ),
    ).toEqual({ jobs: 3, backMs: 3_700, appliedMs: 5_000 });
    expect(recoveryFigures(killedAt, 'w2', [], events)).toEqual({
      jobs: 0,
      backMs: undefined,
      appliedMs: undefined,
    });
  });
});
