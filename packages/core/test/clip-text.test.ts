import { describe, expect, it } from 'vitest';
import { clipText } from '../src/clip-text.js';
import { textLength } from '../src/text-units.js';

describe('clipText', () => {
  it('keeps a text that fits as it is', () => {
    expect(clipText('Jane Doe', { limit: 8, unit: 'utf16-units' })).toBe('Jane Doe');
  });

  it('cuts a longer text and marks the cut with "…", within the limit', () => {
    expect(clipText('Interaction chat-1: notes', { limit: 12, unit: 'utf16-units' })).toBe('Interaction…');
    const clipped = clipText('é'.repeat(10), { limit: 10, unit: 'utf8-bytes' });
    expect(clipped).toBe('ééé…');
    expect(textLength(clipped, 'utf8-bytes')).toBeLessThanOrEqual(10);
  });

  it('never leaves half an emoji or a letter without its accent', () => {
    expect(clipText('ab😀cd', { limit: 4, unit: 'utf16-units' })).toBe('ab…');
    expect(clipText('abe\u0301cd', { limit: 4, unit: 'code-points' })).toBe('ab…');
    expect(clipText('ab👍🏽cd', { limit: 6, unit: 'utf16-units' })).toBe('ab…');
  });

  it('cuts inside a first grapheme only when it alone is longer than the limit', () => {
    expect(clipText(`e${'\u0301'.repeat(10)}`, { limit: 4, unit: 'code-points' })).toBe('e\u0301\u0301…');
  });

  it('refuses a limit that cannot hold the ellipsis', () => {
    expect(() => clipText('abcdef', { limit: 2, unit: 'utf8-bytes' })).toThrow(RangeError);
  });
});
