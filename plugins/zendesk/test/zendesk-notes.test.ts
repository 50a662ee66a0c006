import { describe, expect, it } from 'vitest';
import { maxCommentBytes } from '../src/index.js';
import { commentParts } from '../src/zendesk-notes.js';

const withoutLabel = (body: string) => body.replace(/^\(part \d+ of \d+\)\n\n/, '');

describe('zendesk comment parts', () => {
  it('a comment that fits is one part with the operation key', () => {
    expect(commentParts('Short transcript', 'key-1')).toEqual([{ body: 'Short transcript', key: 'key-1' }]);
    const exactly = 'é'.repeat(maxCommentBytes / 2);
    expect(commentParts(exactly, 'key-1')).toEqual([{ body: exactly, key: 'key-1' }]);
  });

  it('a long text becomes labelled parts within the byte limit, each with its own key, nothing lost', () => {
    const text = Array.from(
      { length: 3_000 },
      (_, n) => `Line ${n}: ça coûte 42 € 🙂 ${'word '.repeat(8)}`,
    ).join('\n');
    const parts = commentParts(text, 'key-1');
    expect(parts.length).toBeGreaterThan(2);
    for (const [index, part] of parts.entries()) {
      expect(Buffer.byteLength(part.body)).toBeLessThanOrEqual(maxCommentBytes);
      expect(part.body.startsWith(`(part ${index + 1} of ${parts.length})\n\n`)).toBe(true);
      expect(part.key).toBe(`key-1:part-${index + 1}-of-${parts.length}`);
      if (index < parts.length - 1) expect(part.body.endsWith('\n')).toBe(true);
    }
    expect(parts.map((part) => withoutLabel(part.body)).join('')).toBe(text);
  });
});
