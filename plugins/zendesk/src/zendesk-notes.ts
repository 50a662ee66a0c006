/**
 * Long text is never truncated: it is split into several comments marked "(part i/n)".
 *
 * Zendesk's reference does not state a comment size limit. Integrators report 64 KiB
 * (UNCONFIRMED), so a part stays under 60,000 UTF-8 bytes, header included, which leaves room
 * for whatever Zendesk adds when it renders the body.
 */
export const maxCommentBytes = 60_000;

/** Room for "(part 999/999)\n". */
const headerBytes = 32;

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The number of UTF-16 units of the longest prefix of `text` that fits in `maxBytes` (code points kept whole). */
function prefixWithin(text: string, maxBytes: number): number {
  let bytes = 0;
  let units = 0;
  for (const codePoint of text) {
    bytes += byteLength(codePoint);
    if (bytes > maxBytes) break;
    units += codePoint.length;
  }
  return units;
}

/** Where to cut: after the last line break, else the last whitespace, in the second half of the chunk. */
function cutPoint(chunk: string): number {
  const half = chunk.length / 2;
  const newline = chunk.lastIndexOf('\n');
  if (newline >= half) return newline + 1;
  const space = Math.max(chunk.lastIndexOf(' '), chunk.lastIndexOf('\t'));
  if (space >= half) return space + 1;
  return chunk.length;
}

/**
 * Splits `text` into comment bodies of at most `maxBytes` UTF-8 bytes each. One part comes back
 * unchanged; several carry a "(part i/n)" line, and their texts joined give back `text` exactly.
 */
export function splitComment(text: string, maxBytes = maxCommentBytes): string[] {
  if (byteLength(text) <= maxBytes) return [text];
  const budget = maxBytes - headerBytes;
  const chunks: string[] = [];
  let rest = text;
  while (byteLength(rest) > budget) {
    const fits = prefixWithin(rest, budget);
    const cut = cutPoint(rest.slice(0, fits));
    chunks.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest !== '') chunks.push(rest);
  return chunks.map((chunk, index) => `${partHeader(index, chunks.length)}${chunk}`);
}

function partHeader(index: number, count: number): string {
  return `(part ${index + 1}/${count})\n`;
}
