import { describe, expect, it } from 'vitest';
import { countByInteraction, repeatedNotes } from '../src/store-figures.js';

describe('store figures', () => {
  it('counts records per interaction, leaving out records that name none', () => {
    const record = (id: string, interactionId: string | undefined) => ({
      id,
      interactionId,
      ownerId: undefined,
    });
    const counts = countByInteraction([
      record('1', 'a'),
      record('2', 'a'),
      record('3', 'b'),
      record('4', undefined),
    ]);
    expect([...counts]).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });

  it('counts notes beyond the first of each (record, text) pair', () => {
    expect(
      repeatedNotes([
        { recordId: '1', text: 'hello' },
        { recordId: '1', text: 'hello' },
        { recordId: '1', text: 'hello' },
        { recordId: '2', text: 'hello' },
        { recordId: '1', text: 'bye' },
      ]),
    ).toBe(2);
  });
});
