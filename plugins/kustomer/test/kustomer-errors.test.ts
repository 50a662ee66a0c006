import { createRedactor, type ErrorResponse } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { createErrorMapper, rateLimitResetMs } from '../src/kustomer-errors.js';

const now = Date.parse('2026-11-21T10:00:00Z');

function answer(status: number, data: unknown, headers: Record<string, string> = {}): ErrorResponse {
  return {
    pluginId: 'kustomer',
    status,
    headers,
    data,
    method: 'POST',
    operation: 'create conversation',
    requestId: 'req-1',
    retryAfterMs: undefined,
    redact: createRedactor().redact,
  };
}

describe('kustomer: error answers', () => {
  it.each([
    ['seconds to wait', '7', 7_000],
    ['epoch seconds', String(now / 1000 + 12), 12_000],
    ['epoch milliseconds', String(now + 4_500), 4_500],
    ['an HTTP date', 'Sat, 21 Nov 2026 10:00:30 GMT', 30_000],
  ])('x-ratelimit-reset as %s says how long to wait', (_form, value, ms) => {
    expect(rateLimitResetMs({ 'x-ratelimit-reset': value }, now)).toBe(ms);
  });

  it('no reset header: no wait is invented (the core backs off exponentially)', () => {
    expect(rateLimitResetMs({}, now)).toBeUndefined();
    const error = createErrorMapper('https://acme.api.kustomerapp.com')(answer(429, ''));
    expect(error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: undefined });
  });

  it('a 429 prefers Retry-After, names the plan limit and the setting to check', () => {
    const response = {
      ...answer(
        429,
        { errors: [{ status: 429 }] },
        { 'x-ratelimit-limit': '500', 'x-ratelimit-reset': '50' },
      ),
      retryAfterMs: 2_000,
    };
    const error = createErrorMapper('https://acme.api.kustomerapp.com')(response);
    expect(error).toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 2_000,
      pluginId: 'kustomer',
      status: 429,
    });
    expect(error?.message).toContain('500 requests per minute');
    expect(error?.message).toContain('rate limit per minute');
  });

  it('a duplicate is a conflict; an assignee refusal is an owner rejection; anything else is left to the core', () => {
    const map = createErrorMapper('https://acme.api.kustomerapp.com');
    expect(map(answer(409, { errors: [{ title: 'Conflict' }] }))?.code).toBe('conflict');
    expect(map(answer(400, { code: 'duplicate_key', message: 'externalId must be unique' }))?.code).toBe(
      'conflict',
    );
    expect(
      map(answer(400, { errors: [{ source: { pointer: '/data/attributes/assignedUsers' } }] }))?.code,
    ).toBe('owner_rejected');
    expect(
      map(answer(400, { errors: [{ title: 'Bad Request', detail: 'name is too long' }] })),
    ).toBeUndefined();
    expect(map(answer(500, 'oops'))).toBeUndefined();
  });
});
