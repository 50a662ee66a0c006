/**
 * Grapheme boundaries near one position, without segmenting a whole text: Node 20's
 * `Intl.Segmenter` takes microseconds per grapheme, and longer still per grapheme on long strings,
 * so it only ever reads a short window that starts at a boundary known without it.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** How far back (UTF-16 units) a boundary that needs no segmenter is looked for. */
const anchorSearch = 64;

/**
 * Characters no grapheme rule (UAX #29) joins to a neighbour of the same kind: printable ASCII,
 * Latin-1 and Latin Extended letters, basic Greek, Cyrillic and Arabic letters, kana, CJK
 * ideographs and precomposed Hangul syllables. None is a mark, a joiner, a prepended character, a
 * regional indicator or a Hangul jamo, which are what the rules join.
 */
const plainRanges: readonly (readonly [number, number])[] = [
  [0x20, 0x7e],
  [0xc0, 0x24f],
  [0x391, 0x3c9],
  [0x400, 0x45f],
  [0x620, 0x64a],
  [0x3041, 0x3096],
  [0x30a1, 0x30fa],
  [0x4e00, 0x9fff],
  [0xac00, 0xd7a3],
];

function isPlain(code: number): boolean {
  return plainRanges.some(([first, last]) => code >= first && code <= last);
}

/**
 * True when index `at` is a grapheme boundary whatever the text around it: after an ASCII
 * control such as a line feed (GB4), except inside CR LF (GB3), or between two plain characters.
 */
function isSureBoundary(text: string, at: number): boolean {
  if (at <= 0 || at >= text.length) return true;
  const before = text.charCodeAt(at - 1);
  const after = text.charCodeAt(at);
  if (before === 0x0d && after === 0x0a) return false;
  return before < 0x20 || (isPlain(before) && isPlain(after));
}

/**
 * The last grapheme boundary in [`from`, `at`], where `from` is a boundary and `at` lies between
 * code points; `from` itself when the grapheme that starts there reaches past `at`.
 */
export function lastBoundaryAtOrBefore(text: string, from: number, at: number): number {
  if (at <= from || isSureBoundary(text, at)) return Math.max(from, at);
  let anchor = at - 1;
  const lowest = Math.max(from + 1, at - anchorSearch);
  while (anchor >= lowest && !isSureBoundary(text, anchor)) anchor -= 1;
  if (anchor < lowest) anchor = from;
  // The rules decide a boundary from what precedes it and the one code point after it.
  let last = anchor;
  for (const { index } of segmenter.segment(text.slice(anchor, at + 2))) {
    if (anchor + index > at) break;
    last = anchor + index;
  }
  return last;
}

/**
 * Where the grapheme that starts at boundary `at` ends; `undefined` when it is longer than
 * `within` UTF-16 units (it may go on further than the window read).
 */
export function graphemeEnd(text: string, at: number, within: number): number | undefined {
  if (isSureBoundary(text, at + 1) && !isHighSurrogate(text.charCodeAt(at))) return at + 1;
  // One code point past the window, so that a mark or joiner after it is seen whole.
  const window = text.slice(at, at + within + 2);
  const first = segmenter.segment(window).containing(0);
  if (first === undefined) return at;
  const end = at + first.segment.length;
  return end <= at + within ? end : undefined;
}

/** True when a grapheme boundary lies right after the white space character at `at - 1`. */
export function isBoundaryAfterSpace(text: string, at: number): boolean {
  // After a space only a mark or a joiner that follows can join it (GB9, GB9a): one code point decides.
  return isSureBoundary(text, at) || graphemeEnd(text, at - 1, 1) === at;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
