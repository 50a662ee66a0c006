import {
  type AuditEvent,
  type InteractionEventType,
  NotFoundError,
  OwnerRejectedError,
  TransportError,
} from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { errorFigures, noteFigures, ownerFigures, recordFigures } from '../../src/faults/cell-figures.js';
import type { Acknowledgement } from '../../src/faults/platform-replay.js';

describe('fault matrix: a cell’s figures', () => {
  it('counts records in the store against what the platform considers written', () => {
    const records = new Map([
      ['a', 1],
      ['b', 2],
      ['d', 1],
    ]);
    // c was acknowledged but has no record: lost. d was given up on, yet its record exists: fine.
    expect(recordFigures(['a', 'b', 'c', 'd', 'e'], records, new Set(['a', 'b', 'c']))).toEqual({
      expected: 3,
      created: 4,
      lost: 1,
      duplicated: 1,
    });
  });

  it('explains what cannot succeed under the fault and its follow-ons, nothing else', () => {
    const owner = new OwnerRejectedError('refused', { ownerId: 'olga' });
    const noRecord = new NotFoundError('no record', { retryable: true });
    const unavailable = new TransportError('503');
    const figures = errorFigures(
      [
        { interactionId: 'i-1', eventType: 'agent.assigned', error: owner, deliveries: ['owner_rejected'] },
        // A follow-on: the interaction's earlier event was given up on.
        { interactionId: 'i-1', eventType: 'interaction.ended', error: noRecord, deliveries: ['not_found'] },
        // Could have succeeded with more patience: unexplained.
        {
          interactionId: 'i-2',
          eventType: 'chat.started',
          error: unavailable,
          deliveries: ['transport_failed'],
        },
        {
          interactionId: 'i-3',
          eventType: 'chat.started',
          error: new Error('deleted'),
          deliveries: ['Error'],
        },
      ],
      ['owner_rejected'],
    );
    expect(figures.typed).toEqual({ owner_rejected: 1, not_found: 1, transport_failed: 1 });
    expect(figures.unexplained).toBe(1);
    expect(figures.untyped).toBe(1);
    expect(figures.examples).toEqual([
      'chat.started (deliveries: transport_failed): TransportError: 503',
      'chat.started (deliveries: Error): Error: deleted',
    ]);
  });
});

/** The CRM's users: the default user (the admin), Alex and Olga. */
const users = [
  { id: 'u-admin', email: 'ada.admin@acme.test' },
  { id: 'u-alex', email: 'alex.agent@acme.test' },
  { id: 'u-olga', email: 'olga.other@acme.test' },
  { id: 'u-app', email: undefined },
];

/** An acknowledged delivery and the audit event it resolved to. */
function ack(
  interactionId: string,
  eventType: InteractionEventType,
  audit: Pick<AuditEvent, 'operation' | 'outcome' | 'reason'> & { owner?: string },
  agentEmail?: string,
): Acknowledgement {
  const { owner, ...rest } = audit;
  return {
    interactionId,
    eventType,
    agentEmail,
    audit: {
      at: '2026-11-21T08:00:00.000Z',
      interactionId,
      eventType,
      crm: 'zendesk',
      attempts: 1,
      ...rest,
      ...(owner === undefined ? {} : { owner: { id: owner } }),
    },
  };
}

const createdByDefault = (id: string) =>
  ack(id, 'chat.started', {
    operation: 'create-ticket',
    outcome: 'created',
    reason: 'default-user',
    owner: 'u-admin',
  });
const assignedTo = (id: string, owner: string, email: string) =>
  ack(
    id,
    'agent.assigned',
    { operation: 'change-owner', outcome: 'updated', reason: 'identified-agent', owner },
    email,
  );
/** The opening event delivered again (late, to a fresh worker): the plugin found the record. */
const foundAgain = (id: string, owner?: string) =>
  ack(id, 'chat.started', {
    operation: 'create-ticket',
    outcome: 'existing',
    reason: 'default-user',
    ...(owner === undefined ? {} : { owner }),
  });
const ended = (id: string) =>
  ack(id, 'interaction.ended', { operation: 'add-note', outcome: 'updated', reason: 'owner-unchanged' });

const record = (interactionId: string, ownerId: string | undefined, id = `r-${interactionId}`) => ({
  id,
  interactionId,
  ownerId,
});

describe('fault matrix: the owner of each record', () => {
  it('is the last assigned agent, whatever a late opening event decided', () => {
    const acks = [
      createdByDefault('a'),
      assignedTo('a', 'u-alex', 'alex.agent@acme.test'),
      foundAgain('a', 'u-alex'),
      ended('a'),
    ];
    expect(ownerFigures([record('a', 'u-alex')], acks, users).wrong).toBe(0);
    // The late opening event took the record back to the default user: wrong.
    const figures = ownerFigures(
      [record('a', 'u-admin')],
      acks,
      users,
      new Map([['a', ['started@w1: created']]]),
    );
    expect(figures.wrong).toBe(1);
    expect(figures.examples).toEqual([
      'a (record r-a): owner u-admin, expected u-alex (assigned by agent.assigned); deliveries: started@w1: created',
    ]);
  });

  it('is the owner decided at creation when no assignment was acknowledged', () => {
    const acks = [createdByDefault('b'), ended('b')];
    expect(ownerFigures([record('b', 'u-admin')], acks, users).wrong).toBe(0);
    expect(ownerFigures([record('b', 'u-alex')], acks, users).wrong).toBe(1);
    // A record with no owner at all is wrong too.
    expect(ownerFigures([record('b', undefined)], acks, users).wrong).toBe(1);
  });

  it('is the default user the connector fell back to when the CRM refused the agent', () => {
    // The audit of the write names the owner it ended with: the default user, reason default-user.
    const acks = [createdByDefault('c')];
    expect(ownerFigures([record('c', 'u-admin')], acks, users).wrong).toBe(0);
    expect(ownerFigures([record('c', 'u-olga')], acks, users).wrong).toBe(1);
  });

  it('keeps the owner when an assignment was skipped or refused (not acknowledged)', () => {
    const skipped = ack(
      'd',
      'agent.assigned',
      { operation: 'change-owner', outcome: 'skipped', reason: 'agent-deactivated' },
      'olga.other@acme.test',
    );
    const acks = [createdByDefault('d'), skipped, ended('d')];
    expect(ownerFigures([record('d', 'u-admin')], acks, users).wrong).toBe(0);
    expect(ownerFigures([record('d', 'u-olga')], acks, users).wrong).toBe(1);
  });

  it('follows the decision of the first acknowledged opening when its creation answer was lost', () => {
    // The create landed, its answer was lost; the redelivery found the record ('existing').
    const byAgent = ack(
      'e',
      'chat.started',
      { operation: 'create-ticket', outcome: 'existing', reason: 'identified-agent', owner: 'u-olga' },
      'alex.agent@acme.test',
    );
    // Expected from the store's users by the event's agent, not from what the plugin reported.
    expect(ownerFigures([record('e', 'u-alex')], [byAgent], users).wrong).toBe(0);
    expect(ownerFigures([record('e', 'u-olga')], [byAgent], users).wrong).toBe(1);
    // Decided as the default user: any identity the connector created records as the default user.
    const byDefault = foundAgain('f');
    expect(ownerFigures([record('f', 'u-admin')], [createdByDefault('x'), byDefault], users).wrong).toBe(0);
    expect(ownerFigures([record('f', 'u-alex')], [createdByDefault('x'), byDefault], users).wrong).toBe(1);
  });

  it('opens the record owned by the agent when the assignment overtook the opening event', () => {
    const overtaking = ack(
      'g',
      'agent.assigned',
      { operation: 'create-ticket', outcome: 'created', reason: 'identified-agent', owner: 'u-olga' },
      'olga.other@acme.test',
    );
    expect(ownerFigures([record('g', 'u-olga')], [overtaking, foundAgain('g')], users).wrong).toBe(0);
    expect(ownerFigures([record('g', 'u-admin')], [overtaking, foundAgain('g')], users).wrong).toBe(1);
  });

  it('leaves out what other figures count or nothing decided, and counts the undecided', () => {
    const figures = ownerFigures(
      [record('h', 'u-alex', 'r-1'), record('h', 'u-admin', 'r-2'), record('i', 'u-alex')],
      [createdByDefault('h'), ended('i'), createdByDefault('j')],
      users,
    );
    // h is duplicated (counted there), i was only ended (no decision), j has no record (lost).
    expect(figures).toEqual({ wrong: 0, unchecked: 1, examples: [] });
  });
});

describe('fault matrix: notes written twice', () => {
  it('counts the same text on the same record beyond the first, naming the interaction', () => {
    const records = [record('a', 'u-admin', 'r-a'), record('b', 'u-admin', 'r-b')];
    const notes = [
      { recordId: 'r-a', text: 'resolved' },
      { recordId: 'r-b', text: 'resolved' },
      { recordId: 'r-a', text: 'resolved' },
      { recordId: 'r-a', text: 'resolved' },
      { recordId: 'r-b', text: 'another note' },
    ];
    const figures = noteFigures(
      notes,
      records,
      new Map([['a', ['ended@w1: transport_failed', 'ended@w2: updated']]]),
    );
    expect(figures.twice).toBe(2);
    expect(figures.examples[0]).toBe(
      'a (record r-a): a note written twice; deliveries: ended@w1: transport_failed, ended@w2: updated',
    );
    expect(noteFigures(notes.slice(0, 2), records).twice).toBe(0);
  });
});
