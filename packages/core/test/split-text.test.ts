import { describe, expect, it } from 'vitest';
import { partLabel, splitText } from '../src/split-text.js';
import { textLength } from '../src/text-units.js';

describe('splitText', () => {
  it('gives back a text within the limit as one part without a label', () => {
    expect(splitText('Short transcript', { limit: 16, unit: 'utf8-bytes' })).toEqual(['Short transcript']);
    expect(splitText('', { limit: 10, unit: 'code-points' })).toEqual(['']);
    const exactly = 'é'.repeat(30);
    expect(splitText(exactly, { limit: 60, unit: 'utf8-bytes' })).toEqual([exactly]);
  });

  it('labels every part "(part i of n)" followed by a blank line, the label counted in the limit', () => {
    const parts = splitText('x'.repeat(50), { limit: 30, unit: 'utf16-units' });
    expect(parts).toEqual([
      `(part 1 of 4)\n\n${'x'.repeat(15)}`,
      `(part 2 of 4)\n\n${'x'.repeat(15)}`,
      `(part 3 of 4)\n\n${'x'.repeat(15)}`,
      '(part 4 of 4)\n\nxxxxx',
    ]);
    expect(partLabel(2, 5)).toBe('(part 2 of 5)');
  });

  it('without labels, parts fill the whole limit', () => {
    expect(splitText('abcdefgh', { limit: 3, unit: 'code-points', label: 'none' })).toEqual([
      'abc',
      'def',
      'gh',
    ]);
  });

  it('ends a part after a line break, else a space, near its end', () => {
    const lines = 'first line\nsecond one\nthird';
    expect(splitText(lines, { limit: 12, unit: 'code-points', label: 'none' })).toEqual([
      'first line\n',
      'second one\n',
      'third',
    ]);
    expect(splitText('alpha beta gamma', { limit: 12, unit: 'code-points', label: 'none' })).toEqual([
      'alpha beta ',
      'gamma',
    ]);
    // A break far from the end is not worth a short part.
    expect(splitText('a\nbcdefghijkl', { limit: 10, unit: 'code-points', label: 'none' })).toEqual([
      'a\nbcdefghi',
      'jkl',
    ]);
  });

  it('counts the limit in the unit asked for', () => {
    const emoji = '😀'.repeat(10);
    expect(splitText(emoji, { limit: 8, unit: 'utf8-bytes', label: 'none' })).toHaveLength(5);
    expect(splitText(emoji, { limit: 8, unit: 'utf16-units', label: 'none' })).toHaveLength(3);
    expect(splitText(emoji, { limit: 8, unit: 'code-points', label: 'none' })).toHaveLength(2);
  });

  it('never cuts an emoji or a ZWJ sequence in half', () => {
    const family = '👩‍👩‍👧‍👦';
    const parts = splitText(`ab${family}cd${family}`, { limit: 14, unit: 'utf16-units', label: 'none' });
    expect(parts).toEqual([`ab${family}c`, `d${family}`]);
    expect(splitText(`ab${family}`, { limit: 12, unit: 'utf16-units', label: 'none' })).toEqual([
      'ab',
      family,
    ]);
    for (const part of splitText('ab😀cd', { limit: 3, unit: 'utf16-units', label: 'none' })) {
      expect(part).not.toMatch(/[\ud800-\udbff]$|^[\udc00-\udfff]/);
    }
  });

  it('cuts a grapheme between its code points only when it is larger than a whole part', () => {
    const accented = `e${'\u0301'.repeat(9)}`;
    const parts = splitText(`ab${accented}`, { limit: 4, unit: 'code-points', label: 'none' });
    expect(parts.join('')).toBe(`ab${accented}`);
    expect(parts.map((part) => textLength(part, 'code-points'))).toEqual([4, 4, 4]);
  });

  it('makes room for a wider label when the parts number 10 or more', () => {
    const parts = splitText('y'.repeat(200), { limit: 25, unit: 'code-points' });
    expect(parts.length).toBeGreaterThanOrEqual(10);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(25);
    expect(parts.at(-1)).toMatch(new RegExp(`^\\(part ${parts.length} of ${parts.length}\\)\\n\\n`));
  });

  it('refuses a limit that cannot hold a label and a character', () => {
    expect(() => splitText('x'.repeat(100), { limit: 16, unit: 'utf8-bytes' })).toThrow(RangeError);
    expect(() => splitText('x', { limit: 3, unit: 'utf8-bytes' })).toThrow(RangeError);
    expect(() => splitText('x', { limit: 1.5, unit: 'code-points' })).toThrow(RangeError);
  });

  it('splits a few megabytes in one pass', () => {
    const transcript = 'Agent: how can I help? 😀 Customer: my order is late.\n'.repeat(60_000);
    const started = performance.now();
    const parts = splitText(transcript, { limit: 60_000, unit: 'utf8-bytes' });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(parts.map((part) => part.replace(/^\(part \d+ of \d+\)\n\n/, '')).join('')).toBe(transcript);
  });
});
