/**
 * True when JSON text nests arrays and objects deeper than `limit`. A linear scan of the raw text
 * that keeps no stack, run before `JSON.parse`: V8 parses any depth, but everything that walks the
 * parsed value afterwards (zod, `JSON.stringify`, a logger, a handler) recurses, and 200,000 levels
 * overflow the call stack. Brackets inside strings (escaped quotes included) do not count. It does
 * not validate: unbalanced or malformed text is left to `JSON.parse`, which refuses it.
 */
export function exceedsJsonDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      // A backslash escapes the next character; an unescaped quote ends the string.
      if (code === 0x5c) index += 1;
      else if (code === 0x22) inString = false;
      continue;
    }
    if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) depth -= 1;
  }
  return false;
}
