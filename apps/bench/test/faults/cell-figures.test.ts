import { NotFoundError, OwnerRejectedError, TransportError } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { errorFigures, recordFigures } from '../../src/faults/cell-figures.js';

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
