/**
 * Reads a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns ms, or
 * `undefined` when absent or unreadable (the caller then backs off exponentially).
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
