import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graphemeEnd, lastBoundaryAtOrBefore } from '../src/grapheme-boundaries.js';

/**
 * The windowed boundary search agrees with segmenting the whole text, for text that mixes the
 * characters it treats as plain with those the grapheme rules join: marks, joiners, prepended
 * characters, regional indicators, Hangul jamo, CR LF.
 */

const character = fc.oneof(
  fc.constantFrom(
    'a',
    ' ',
    '\n',
    '\r',
    '\t',
    'é',
    'Ж',
    'λ',
    'ب',
    'か',
    'カ',
    '中',
    '한',
    '\u0301',
    '\u0651',
    '\u3099',
    '\u200d',
    '\u0600',
    '\u1100',
    '\u1161',
    '\u11a8',
    '😀',
    '🏽',
    '👩',
    '🇫',
    '🇷',
    '\u0915',
    '\u094d',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const text = fc
  .array(character, { minLength: 1, maxLength: 300, size: 'large' })
  .map((characters) => characters.join(''));

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const boundariesOf = (value: string) =>
  [...segmenter.segment(value)].map((segment) => segment.index).concat(value.length);
const codePointStarts = (value: string) => {
  const starts: number[] = [];
  for (let index = 0; index <= value.length; ) {
    starts.push(index);
    index += (value.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
  }
  return starts;
};

describe('grapheme boundaries (property)', () => {
  it('finds the same last boundary as segmenting the whole text', () => {
    fc.assert(
      fc.property(text, fc.nat(), (value, pick) => {
        const starts = codePointStarts(value);
        const at = starts[pick % starts.length] ?? 0;
        const expected = Math.max(...boundariesOf(value).filter((boundary) => boundary <= at));
        expect(lastBoundaryAtOrBefore(value, 0, at)).toBe(expected);
      }),
      { numRuns: Number(process.env.SPLIT_RUNS ?? 500) },
    );
  });

  it('finds where the grapheme at a boundary ends', () => {
    fc.assert(
      fc.property(text, fc.nat(), (value, pick) => {
        const boundaries = boundariesOf(value);
        const index = pick % (boundaries.length - 1 || 1);
        const at = boundaries[index] ?? 0;
        if (at === value.length) return;
        expect(graphemeEnd(value, at, value.length)).toBe(boundaries[index + 1]);
      }),
      { numRuns: Number(process.env.SPLIT_RUNS ?? 500) },
    );
  });
});
