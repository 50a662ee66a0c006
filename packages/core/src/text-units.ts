/**
 * How a CRM counts the length of a text field. The CRMs disagree: Zendesk's body limit is in
 * UTF-8 bytes, Dataverse and Salesforce count UTF-16 code units (an emoji counts 2), and a
 * limit in code points counts an emoji once.
 */
export type TextUnit = 'utf8-bytes' | 'utf16-units' | 'code-points';

/** The most units one code point can take, so a limit below it could not hold every character. */
export const maxCodePointSize: Readonly<Record<TextUnit, number>> = {
  'utf8-bytes': 4,
  'utf16-units': 2,
  'code-points': 1,
};

/**
 * The size of one code point. A lone surrogate counts as the replacement character an encoder
 * writes for it (3 UTF-8 bytes), as `Buffer.byteLength` does.
 */
export function codePointSize(codePoint: number, unit: TextUnit): number {
  if (unit === 'code-points') return 1;
  if (unit === 'utf16-units') return codePoint > 0xffff ? 2 : 1;
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  return codePoint > 0xffff ? 4 : 3;
}

/** The length of `text` in `unit`, in one pass. */
export function textLength(text: string, unit: TextUnit): number {
  if (unit === 'utf16-units') return text.length;
  let size = 0;
  for (const character of text) size += codePointSize(character.codePointAt(0) ?? 0, unit);
  return size;
}

/**
 * Where the longest run of whole code points of `text` from `start` that fits in `room` ends,
 * and its size. At least one code point, since `room` is at least `maxCodePointSize[unit]`.
 */
export function fillWithin(
  text: string,
  start: number,
  room: number,
  unit: TextUnit,
): { end: number; size: number } {
  let end = start;
  let size = 0;
  while (end < text.length) {
    const codePoint = text.codePointAt(end) ?? 0;
    const next = codePointSize(codePoint, unit);
    if (size + next > room) break;
    size += next;
    end += codePoint > 0xffff ? 2 : 1;
  }
  return { end, size };
}
