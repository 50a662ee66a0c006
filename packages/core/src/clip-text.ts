import { lastBoundaryAtOrBefore } from './grapheme-boundaries.js';
import { fillWithin, type TextUnit, textLength } from './text-units.js';

/** Ends a clipped text, so a reader sees that something is missing. */
const ellipsis = '…';

/**
 * `text` when it fits in `options.limit`, else its longest start that fits with "…" after it,
 * cut between graphemes (between code points only when the first grapheme alone is too long).
 * For names and subjects only: text someone must read in full is split (`splitText`), never clipped.
 */
export function clipText(text: string, options: { limit: number; unit: TextUnit }): string {
  const { limit, unit } = options;
  if (textLength(text, unit) <= limit) return text;
  const room = limit - textLength(ellipsis, unit);
  if (room < 0) {
    throw new RangeError(`clipText: a limit of ${limit} ${unit} cannot hold even "${ellipsis}".`);
  }
  const filled = fillWithin(text, 0, room, unit);
  const boundary = lastBoundaryAtOrBefore(text, 0, filled.end);
  return `${text.slice(0, boundary === 0 ? filled.end : boundary)}${ellipsis}`;
}
