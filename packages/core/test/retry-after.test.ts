import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../src/http/retry-after.js';

const now = Date.parse('2026-11-21T10:00:00Z');

describe('Retry-After: delta-seconds or an HTTP-date, in ms', () => {
  it('reads whole and fractional seconds, around blanks', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('1.5', now)).toBe(1_500);
    expect(parseRetryAfter('0.0004', now)).toBe(0);
  });

  it('reads an HTTP-date as the time left until it, and a past date as no wait', () => {
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:03 GMT', now)).toBe(3_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:59:00 GMT', now)).toBe(0);
  });

  it('gives no delay for an absent or unreadable header (the caller backs off instead)', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('12abc', now)).toBeUndefined();
    expect(parseRetryAfter('abc12', now)).toBeUndefined();
  });
});
