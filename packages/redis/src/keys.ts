/** The prefix of every key unless a store is given another. */
export const defaultPrefix = 'crm-connect:';

/**
 * A key segment that other segments follow: `%`, `:` and the hash-tag braces are escaped, so
 * (`a:b`, `c`) and (`a`, `b:c`) never make the same key, and a value cannot open a hash tag.
 */
export function keySegment(value: string): string {
  return value.replace(/[%:{}]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}
