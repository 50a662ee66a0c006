import { graphemeEnd, isBoundaryAfterSpace, lastBoundaryAtOrBefore } from './grapheme-boundaries.js';
import { codePointSize, fillWithin, maxCodePointSize, type TextUnit, textLength } from './text-units.js';

/**
 * Text a CRM field cannot hold in one piece (a long transcript) is split into parts, never cut
 * short. Every plugin labels parts the same way, `(part 2 of 5)`: at the start of the part's
 * text, or beside it (a subject) where the CRM has a place for it.
 */

export interface SplitTextOptions {
  /** The most one part may hold, its label included, counted in `unit`. A positive whole number. */
  limit: number;
  /** How the CRM counts `limit`. */
  unit: TextUnit;
  /**
   * Where each part's `(part 2 of 5)` goes. `'in-text'` (the default): first in the part's text,
   * then a blank line, all counted in `limit`. `'none'`: not in the text, for a CRM that shows
   * `partLabel` beside the part instead (a note's or a task's subject).
   */
  label?: 'in-text' | 'none' | undefined;
}

/** `(part 2 of 5)`: the one way a part of a split text is named, in its text or in a subject. */
export function partLabel(position: number, count: number): string {
  return `(part ${position} of ${count})`;
}

/** Between a label and its part: a blank line, so the label stands on its own in plain text and in Markdown. */
export const partLabelSeparator = '\n\n';

/**
 * A part ends at a line break (else a space) only when that leaves it at least this full;
 * otherwise it ends where the next grapheme would not fit.
 */
const nearEnd = 0.8;

/**
 * Splits `text` into the fewest parts of at most `options.limit` units that a greedy cut gives:
 * between graphemes (an emoji with its modifiers, a letter with its accents stay whole), at a line
 * break or a space near a part's end when there is one. A single grapheme larger than a whole part
 * is the only thing cut inside, between its code points: a part never ends or starts inside a
 * code point. A text within the limit comes back as it is, one part without a label. Removing the
 * labels and joining the parts gives `text` back. Linear in the length of `text`.
 */
export function splitText(text: string, options: SplitTextOptions): string[] {
  const { limit, unit } = options;
  if (!Number.isSafeInteger(limit) || limit < maxCodePointSize[unit]) {
    throw new RangeError(
      `splitText: the limit must be a whole number of at least ${maxCodePointSize[unit]} ${unit} (one character); got ${limit}.`,
    );
  }
  const total = textLength(text, unit);
  if (total <= limit) return [text];
  if (options.label === 'none') return piecesWithin(text, limit, unit);

  // A label's width depends on the number of parts, known only after the split: room is kept for
  // the widest label of an estimated count, and the split is done again with a wider label in
  // the rare case that the count has more digits than the estimate.
  let count = Math.max(2, Math.ceil(total / Math.max(1, limit - labelWidth(1))));
  for (;;) {
    const room = limit - labelWidth(count);
    if (room < maxCodePointSize[unit]) {
      throw new RangeError(
        `splitText: a limit of ${limit} ${unit} leaves no room for text after a label like "${partLabel(count, count)}".`,
      );
    }
    const pieces = piecesWithin(text, room, unit);
    if (labelWidth(pieces.length) <= labelWidth(count)) {
      return pieces.map(
        (piece, index) => `${partLabel(index + 1, pieces.length)}${partLabelSeparator}${piece}`,
      );
    }
    count = pieces.length;
  }
}

/** The units a label and its separator take when there are `count` parts: ASCII, so the same in every unit. */
function labelWidth(count: number): number {
  return partLabel(count, count).length + partLabelSeparator.length;
}

/**
 * The greedy split: each part takes as many code points as fit, then ends at the last grapheme
 * boundary, or earlier at a line break (else a space) in its final stretch, when what follows
 * that break still fits in the next part with the grapheme that did not fit. Every code point is
 * measured a bounded number of times, and the segmenter reads short windows only.
 */
function piecesWithin(text: string, room: number, unit: TextUnit): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (;;) {
    const filled = fillWithin(text, start, room, unit);
    if (filled.end === text.length) {
      pieces.push(text.slice(start));
      return pieces;
    }
    const cut = partEnd(text, start, filled, room, unit);
    pieces.push(text.slice(start, cut));
    start = cut;
  }
}

/** Where the part that starts at `start` ends, given how far whole code points would fill it. */
function partEnd(
  text: string,
  start: number,
  filled: { end: number; size: number },
  room: number,
  unit: TextUnit,
): number {
  const boundary = lastBoundaryAtOrBefore(text, start, filled.end);
  // Read up to twice `room` UTF-16 units: a longer grapheme is larger than `room` in any unit.
  const nextEnd = graphemeEnd(text, boundary, 2 * room);
  const nextSize =
    nextEnd === undefined ? Number.POSITIVE_INFINITY : textLength(text.slice(boundary, nextEnd), unit);
  // A grapheme larger than a whole part is the one thing cut inside, between its code points:
  // it fills this part, then as many more as it needs.
  if (nextSize > room) return filled.end;
  // What a break may leave over for the next part, which must also hold the grapheme that did not fit.
  const spare = room - nextSize;
  const floor = room * nearEnd;
  let size = filled.size - textLength(text.slice(boundary, filled.end), unit);
  let leftOver = 0;
  let afterSpace: number | undefined;
  // Backwards from the boundary, through the final stretch of the part only.
  for (let at = boundary; at > start && size >= floor && leftOver <= spare; ) {
    const code = text.charCodeAt(at - 1);
    if (isLineBreak(code) && !(code === 0x0d && text.charCodeAt(at) === 0x0a)) return at;
    if (afterSpace === undefined && isSpace(code) && isBoundaryAfterSpace(text, at)) afterSpace = at;
    const previous = codePointBefore(text, at);
    const measured = codePointSize(previous.codePoint, unit);
    size -= measured;
    leftOver += measured;
    at = previous.index;
  }
  return afterSpace ?? boundary;
}

/** The code point that ends at `at` and where it starts (a surrogate pair is one code point). */
function codePointBefore(text: string, at: number): { codePoint: number; index: number } {
  const pairStart = at - 2;
  const codePoint = pairStart >= 0 ? (text.codePointAt(pairStart) ?? 0) : 0;
  if (codePoint > 0xffff) return { codePoint, index: pairStart };
  return { codePoint: text.charCodeAt(at - 1), index: at - 1 };
}

/** Line feed, carriage return, and the Unicode line and paragraph separators. */
function isLineBreak(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029;
}

const noBreakSpaces = new Set([0xa0, 0x2007, 0x202f]);

/** A space a line may wrap at: tab and the Unicode space separators, except the no-break ones. */
function isSpace(code: number): boolean {
  if (code === 0x09 || code === 0x20) return true;
  return code > 0x7f && !noBreakSpaces.has(code) && /\p{Zs}/u.test(String.fromCharCode(code));
}
