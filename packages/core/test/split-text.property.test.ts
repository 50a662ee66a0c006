import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partLabel, partLabelSeparator, splitText } from '../src/split-text.js';
import { type TextUnit, textLength } from '../src/text-units.js';

/**
 * splitText over random Unicode: astral characters, emoji ZWJ sequences with skin tones, letters
 * with runs of combining marks (some longer than a whole part), line breaks and spaces.
 */

const runs = { numRuns: Number(process.env.SPLIT_RUNS ?? 300) } as const;
const units: readonly TextUnit[] = ['utf8-bytes', 'utf16-units', 'code-points'];

const pieceOfText = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom(' ', '\n', '\r\n', '\t', '\u00a0', '\u3000', '\u2028'),
  fc.constantFrom(
    '😀',
    '👍🏽',
    '👩‍👩‍👧‍👦',
    '🏳️‍🌈',
    '🇫🇷',
    'é',
    'e\u0301',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    '한국어',
    '\u0915\u094d\u0937',
  ),
  // Regional indicators pair up into flags, so a boundary in a run depends on all that precede it.
  fc
    .array(fc.integer({ min: 0x1f1e6, max: 0x1f1ff }), { minLength: 1, maxLength: 9 })
    .map((codePoints) => String.fromCodePoint(...codePoints)),
  // Hangul jamo (L V T), a prepended Arabic number sign, a skin tone after a space.
  fc.constantFrom('\u1100\u1161\u11a8', '\u0600123', ' 🏽', 'x\u200d'),
  // A letter with a run of combining marks: a single grapheme, sometimes larger than a part.
  fc.integer({ min: 1, max: 60 }).map((marks) => `a${'\u0301'.repeat(marks)}`),
);
const text = fc.array(pieceOfText, { maxLength: 80, size: 'medium' }).map((pieces) => pieces.join(''));
const longText = fc.array(pieceOfText, { minLength: 100, maxLength: 300 }).map((pieces) => pieces.join(''));

const labelPattern = /^\(part (\d+) of (\d+)\)\n\n/;
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const labelWidth = (count: number) => partLabel(count, count).length + partLabelSeparator.length;

/** The parts without their labels, after checking each label names its position and the count. */
function unlabelled(parts: readonly string[]): string[] {
  if (parts.length === 1) return [...parts];
  return parts.map((part, index) => {
    const label = labelPattern.exec(part);
    expect(label?.[1]).toBe(String(index + 1));
    expect(label?.[2]).toBe(String(parts.length));
    return part.slice(label?.[0].length);
  });
}

/** The UTF-16 indexes between graphemes of `value`. */
function graphemeBoundaries(value: string): Set<number> {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return new Set([...segmenter.segment(value)].map((segment) => segment.index).concat(value.length));
}

describe('splitText (property)', () => {
  it('joined without their labels, the parts are the text; every part fits; no lone surrogate at an edge', () => {
    fc.assert(
      fc.property(
        text,
        fc.constantFrom(...units),
        fc.integer({ min: 0, max: 120 }),
        fc.boolean(),
        (value, unit, extra, labelled) => {
          const limit = (labelled ? 24 : 4) + extra;
          const parts = splitText(value, { limit, unit, label: labelled ? 'in-text' : 'none' });
          const pieces = labelled ? unlabelled(parts) : parts;
          expect(pieces.join('')).toBe(value);
          for (const part of parts) {
            expect(textLength(part, unit)).toBeLessThanOrEqual(limit);
            expect(part).not.toMatch(loneSurrogate);
          }
          if (textLength(value, unit) <= limit) expect(parts).toEqual([value]);
          else for (const piece of pieces) expect(piece).not.toBe('');
        },
      ),
      runs,
    );
  });

  it('uses few parts: no two neighbours would have fitted in one part', () => {
    fc.assert(
      fc.property(
        text,
        fc.constantFrom(...units),
        fc.integer({ min: 24, max: 150 }),
        fc.boolean(),
        (value, unit, limit, labelled) => {
          const parts = splitText(value, { limit, unit, label: labelled ? 'in-text' : 'none' });
          if (parts.length === 1) return;
          const pieces = labelled ? unlabelled(parts) : parts;
          const room = labelled ? limit - labelWidth(parts.length) : limit;
          for (let index = 1; index < pieces.length; index += 1) {
            const together = `${pieces[index - 1]}${pieces[index]}`;
            expect(textLength(together, unit)).toBeGreaterThan(room);
          }
        },
      ),
      runs,
    );
  });

  it('cuts between graphemes whenever every grapheme fits in a part', () => {
    // The largest grapheme drawn, a letter with 60 marks, takes 121 UTF-8 bytes.
    fc.assert(
      fc.property(
        longText,
        fc.constantFrom(...units),
        fc.integer({ min: 121, max: 300 }),
        (value, unit, limit) => {
          const parts = splitText(value, { limit, unit, label: 'none' });
          const boundaries = graphemeBoundaries(value);
          let at = 0;
          for (const part of parts) {
            at += part.length;
            expect(boundaries.has(at)).toBe(true);
          }
        },
      ),
      runs,
    );
  });

  it('splits text without spaces into exactly as many parts as its length needs', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(fc.constantFrom('a', 'é', '中', '😀'), fc.integer({ min: 1, max: 3_000 }))
          .map(([character, count]) => character.repeat(count)),
        fc.constantFrom(...units),
        fc.integer({ min: 30, max: 500 }),
        (value, unit, limit) => {
          const parts = splitText(value, { limit, unit });
          if (parts.length === 1) return;
          const total = textLength(value, unit);
          const room = limit - labelWidth(parts.length);
          // Every grapheme here is one code point of the same size, so only the rounding to it is lost.
          const size = textLength([...value][0] ?? '', unit);
          expect(parts.length).toBe(Math.ceil(total / (room - (room % size))));
        },
      ),
      runs,
    );
  });
});
