import type { AuditEvent, Connector, InteractionEvent } from '@crm-connect/core';
import { TransportError } from '@crm-connect/core';
import { seededRandom } from '@crm-connect/sandbox-crms';
import { describe, expect, it } from 'vitest';
import { type DeliveryPattern, replayInteractions } from '../../src/faults/platform-replay.js';
import { interactionMix, type ScriptedInteraction } from '../../src/faults/workload.js';

/** Which worker got which event, in order. */
type Delivery = [worker: string, interactionId: string, type: InteractionEvent['type']];

/** A connector that acknowledges everything (after `failFirst` failures of each ended event), logging deliveries. */
function stubWorker(name: string, log: Delivery[], failFirst = 0): Connector {
  const failures = new Map<string, number>();
  return {
    pluginId: 'stub',
    capabilities: { performsAsAgent: false, alwaysUseAdmin: false },
    redactor: undefined as unknown as Connector['redactor'],
    validateCredentials: () => Promise.reject(new Error('not used')),
    clearCaches() {},
    close: async () => {},
    async handle(input) {
      const event = input as InteractionEvent;
      log.push([name, event.interactionId, event.type]);
      const failed = failures.get(event.interactionId) ?? 0;
      if (event.type === 'interaction.ended' && failed < failFirst) {
        failures.set(event.interactionId, failed + 1);
        throw new TransportError('dropped');
      }
      const audit: AuditEvent = {
        at: '2026-11-21T08:00:00.000Z',
        interactionId: event.interactionId,
        eventType: event.type,
        crm: 'stub',
        operation:
          event.type === 'agent.assigned'
            ? 'change-owner'
            : event.type === 'interaction.ended'
              ? 'add-note'
              : 'create-ticket',
        reason: 'default-user',
        attempts: 1,
        outcome: 'updated',
      };
      return audit;
    },
  };
}

/** One interaction of each kind the patterns care about. */
function pick(kinds: readonly ScriptedInteraction['kind'][]): ScriptedInteraction[] {
  const all = interactionMix(200, seededRandom(9), 'replay');
  return kinds.map((kind) => {
    const found = all.find((interaction) => interaction.kind === kind);
    if (found === undefined) throw new Error(`no ${kind}`);
    return found;
  });
}

async function replay(interactions: ScriptedInteraction[], pattern?: DeliveryPattern, failFirst = 0) {
  const log: Delivery[] = [];
  let fresh = 0;
  const result = await replayInteractions({
    workers: [stubWorker('w1', log, failFirst), stubWorker('w2', log, failFirst)],
    freshWorker: async () => {
      fresh += 1;
      return stubWorker(`fresh${fresh}`, log, failFirst);
    },
    interactions,
    concurrency: 1,
    maxDeliveries: 8,
    redeliveryShare: 0,
    pattern,
    random: seededRandom(3),
    progress() {},
    onError() {},
  });
  return { log, fresh, result };
}

describe('fault matrix: the platform’s deliveries', () => {
  const [later, withAgent, voicemail] = pick([
    'chat assigned later',
    'chat with an agent',
    'voicemail called back',
  ]);
  if (later === undefined || withAgent === undefined || voicemail === undefined)
    throw new Error('no interactions');

  it('sends nothing to a fresh worker without a pattern', async () => {
    const { log, fresh, result } = await replay([later, withAgent]);
    expect(fresh).toBe(0);
    expect(result.patternDeliveries).toBe(0);
    expect(log.map(([worker]) => worker.startsWith('w'))).not.toContain(false);
    expect(log).toHaveLength(later.events.length + withAgent.events.length);
  });

  it('delivers the opening event again after the assignment, to a fresh worker each time', async () => {
    const pattern = { lateOpening: 1, endAgain: 0, endAgainFresh: 0 };
    const { log, fresh, result } = await replay([later, withAgent, voicemail], pattern);
    expect(fresh).toBe(2);
    expect(result.patternDeliveries).toBe(2);
    const of = (id: string) =>
      log
        .filter(([, interactionId]) => interactionId === id)
        .map(([worker, , type]) => `${type}@${worker.replace(/^w\d$/, 'w')}`);
    expect(of(later.id)).toEqual([
      'chat.started@w',
      'agent.assigned@w',
      'chat.started@fresh1',
      'interaction.ended@w',
    ]);
    expect(of(voicemail.id)).toEqual([
      'voicemail.received@w',
      'agent.assigned@w',
      'voicemail.received@fresh2',
      'interaction.ended@w',
    ]);
    // No assignment: no late opening.
    expect(of(withAgent.id)).toEqual(['chat.started@w', 'interaction.ended@w']);
    // Each acknowledgement keeps the audit event and the event's agent.
    const assigned = result.acknowledgements.find(
      (ack) => ack.interactionId === later.id && ack.eventType === 'agent.assigned',
    );
    expect(assigned?.audit.operation).toBe('change-owner');
    expect(assigned?.agentEmail).toMatch(/@acme\.test$/);
    expect(result.traces.get(later.id)?.[2]).toBe('started@fresh: updated');
  });

  it('delivers an acknowledged end again, to the worker that acknowledged it or to a fresh one', async () => {
    const same = await replay([withAgent], { lateOpening: 0, endAgain: 1, endAgainFresh: 0 });
    const ends = same.log.filter(([, , type]) => type === 'interaction.ended');
    expect(ends).toHaveLength(2);
    expect(ends[1]?.[0]).toBe(ends[0]?.[0]);
    expect(same.fresh).toBe(0);

    const fresh = await replay([withAgent], { lateOpening: 0, endAgain: 1, endAgainFresh: 1 });
    expect(
      fresh.log.filter(([, , type]) => type === 'interaction.ended').map(([worker]) => worker.slice(0, 5)),
    ).toEqual([expect.stringMatching(/^w\d$/), 'fresh']);
    expect(fresh.result.patternDeliveries).toBe(1);
  });

  it('redelivers a failed end (its answer lost) and retries on the same fresh worker', async () => {
    const { log, result } = await replay([withAgent], { lateOpening: 0, endAgain: 1, endAgainFresh: 1 }, 1);
    const ends = log.filter(([, , type]) => type === 'interaction.ended').map(([worker]) => worker);
    // First delivery failed, the retry was acknowledged, then the fresh worker failed once and retried.
    expect(ends).toHaveLength(4);
    expect(ends.slice(2)).toEqual(['fresh1', 'fresh1']);
    expect(result.givenUp).toEqual([]);
    expect(result.traces.get(withAgent.id)?.filter((line) => line.endsWith('transport_failed'))).toHaveLength(
      2,
    );
  });
});
