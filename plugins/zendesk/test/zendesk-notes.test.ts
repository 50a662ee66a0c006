import { describe, expect, it } from 'vitest';
import { maxCommentBytes, splitComment } from '../src/index.js';

const withoutHeader = (part: string) => part.replace(/^\(part \d+\/\d+\)\n/, '');

describe('zendesk comment splitting', () => {
  it('a comment that fits is left as it is', () => {
    expect(splitComment('Short transcript')).toEqual(['Short transcript']);
    const exactly = 'é'.repeat(maxCommentBytes / 2);
    expect(splitComment(exactly)).toEqual([exactly]);
  });

  it('a long text is cut after line breaks, every part within the limit, nothing lost', () => {
    const text = Array.from({ length: 50 }, (_, n) => `Line ${n}: ${'word '.repeat(8)}`).join('\n');
    const parts = splitComment(text, 200);
    expect(parts.length).toBeGreaterThan(2);
    for (const [index, part] of parts.entries()) {
      expect(Buffer.byteLength(part)).toBeLessThanOrEqual(200);
      expect(part.startsWith(`(part ${index + 1}/${parts.length})\n`)).toBe(true);
      if (index < parts.length - 1) expect(withoutHeader(part).endsWith('\n')).toBe(true);
    }
    expect(parts.map(withoutHeader).join('')).toBe(text);
  });

  it('text without spaces is cut hard, never inside a multi-byte character', () => {
    const text = '🙂é'.repeat(500);
    const parts = splitComment(text, 300);
    for (const part of parts) {
      expect(Buffer.byteLength(part)).toBeLessThanOrEqual(300);
      expect(part).not.toContain('\uFFFD');
      expect(/[\uD800-\uDBFF]$/.test(withoutHeader(part))).toBe(false);
    }
    expect(parts.map(withoutHeader).join('')).toBe(text);
  });
});
