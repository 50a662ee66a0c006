import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRedactor, REDACTED } from '../src/redaction.js';

/**
 * What the redactor holds and for how long: configured secrets for good, a short-lived one (an
 * access token, a credential seen as sent) for its lifetime, at most 1,000 of them, the most
 * recently added kept.
 */

afterEach(() => {
  vi.useRealTimers();
});

describe('a short-lived secret', () => {
  it('is redacted until the last millisecond of its lifetime, and not from the moment it ends', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redactor = createRedactor().add('access-token-0001', { expiresInMs: 1_000 });
    vi.advanceTimersByTime(999);
    expect(redactor.redact('access-token-0001')).toBe(REDACTED);
    vi.advanceTimersByTime(1);
    expect(redactor.redact('access-token-0001')).toBe('access-token-0001');
  });

  it('each expires at its own time, the earliest first', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redactor = createRedactor()
      .add('token-expiring-third', { expiresInMs: 3_000 })
      .add('token-expiring-first', { expiresInMs: 1_000 })
      .add('token-expiring-second', { expiresInMs: 2_000 });
    const text = 'token-expiring-first token-expiring-second token-expiring-third';
    vi.advanceTimersByTime(1_000);
    expect(redactor.redact(text)).toBe(`token-expiring-first ${REDACTED} ${REDACTED}`);
    expect(redactor.size()).toBe(2);
    vi.advanceTimersByTime(1_000);
    expect(redactor.redact(text)).toBe(`token-expiring-first token-expiring-second ${REDACTED}`);
    vi.advanceTimersByTime(1_000);
    expect(redactor.size()).toBe(0);
    expect(redactor.redact(text)).toBe(text);
  });

  it('a short secret (under 12 characters) is forgotten too', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redactor = createRedactor(['kept-secret-of-some-length']).add('tok-1234', { expiresInMs: 1_000 });
    expect(redactor.redact('tok-1234')).toBe(REDACTED);
    vi.advanceTimersByTime(1_000);
    expect(redactor.redact('tok-1234 kept-secret-of-some-length')).toBe(`tok-1234 ${REDACTED}`);
  });

  it('a lifetime of zero or less expires at once', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redactor = createRedactor().add('token-born-dead', { expiresInMs: -5_000 });
    expect(redactor.redact('token-born-dead')).toBe('token-born-dead');
    expect(redactor.size()).toBe(0);
  });

  it('added again, it lives for its new lifetime', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redactor = createRedactor().add('renewed-token-01', { expiresInMs: 1_000 });
    vi.advanceTimersByTime(900);
    redactor.add('renewed-token-01', { expiresInMs: 1_000 });
    vi.advanceTimersByTime(900);
    expect(redactor.redact('renewed-token-01')).toBe(REDACTED);
    expect(redactor.size()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(redactor.redact('renewed-token-01')).toBe('renewed-token-01');
  });

  it('a token that shares a form with a configured secret leaves that secret redacted when it expires', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const token = 'shared-form-token-77';
    const configured = Buffer.from(token).toString('base64');
    const redactor = createRedactor([configured]).add(token, { expiresInMs: 1_000 });
    vi.advanceTimersByTime(1_000);
    expect(redactor.redact(`${token} ${configured}`)).toBe(`${token} ${REDACTED}`);
  });

  it('of two tokens ending alike, the one that expired is no longer matched and the other still is', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redactor = createRedactor()
      .add('AAAA.same-signature-end-0123456789', { expiresInMs: 1_000 })
      .add('BBBB.same-signature-end-0123456789', { expiresInMs: 2_000 });
    vi.advanceTimersByTime(1_000);
    expect(redactor.redact('AAAA.same-signature-end-0123456789')).toBe('AAAA.same-signature-end-0123456789');
    expect(redactor.redact('BBBB.same-signature-end-0123456789')).toBe(REDACTED);
    vi.advanceTimersByTime(1_000);
    expect(redactor.redact('BBBB.same-signature-end-0123456789')).toBe('BBBB.same-signature-end-0123456789');
  });
});

describe('configured and short-lived, the same secret', () => {
  it('configured first: a later lifetime does not make it expire', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redactor = createRedactor(['api-key-configured-1']).add('api-key-configured-1', {
      expiresInMs: 1_000,
    });
    expect(redactor.size()).toBe(1);
    vi.advanceTimersByTime(2_000);
    expect(redactor.size()).toBe(1);
    expect(redactor.redact('api-key-configured-1')).toBe(REDACTED);
  });

  it('short-lived first, then configured: held for good, counted once', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redactor = createRedactor()
      .add('api-key-promoted-02', { expiresInMs: 1_000 })
      .add('api-key-promoted-02');
    expect(redactor.size()).toBe(1);
    vi.advanceTimersByTime(2_000);
    expect(redactor.size()).toBe(1);
    expect(redactor.redact('api-key-promoted-02')).toBe(REDACTED);
  });
});

describe('at most 1,000 short-lived secrets, the most recently added kept', () => {
  const credential = (n: number) => `seen-credential-${n}-0123456789`;

  it('1,000 are all held; the 1,001st drops the oldest', () => {
    const redactor = createRedactor(['configured-secret-9']);
    for (let n = 0; n < 1_000; n += 1) redactor.add(credential(n), { expiresInMs: 3_600_000 });
    expect(redactor.size()).toBe(1_001);
    expect(redactor.redact(credential(0))).toBe(REDACTED);
    redactor.add(credential(1_000), { expiresInMs: 3_600_000 });
    expect(redactor.size()).toBe(1_001);
    expect(redactor.redact(`${credential(0)} ${credential(1)} ${credential(1_000)}`)).toBe(
      `${credential(0)} ${REDACTED} ${REDACTED}`,
    );
    expect(redactor.redact('configured-secret-9')).toBe(REDACTED);
  });

  it('adding one again makes it the most recent', () => {
    const redactor = createRedactor();
    for (let n = 0; n < 1_000; n += 1) redactor.add(credential(n), { expiresInMs: 3_600_000 });
    redactor.add(credential(0), { expiresInMs: 3_600_000 });
    redactor.add(credential(1_000), { expiresInMs: 3_600_000 });
    expect(redactor.redact(`${credential(0)} ${credential(1)}`)).toBe(`${REDACTED} ${credential(1)}`);
  });
});

describe('redactValue', () => {
  const secret = 'sk_live_value_secret_7';

  it('redacts strings in objects, arrays and keys, an error by its message, and passes other values through', () => {
    const redactor = createRedactor([secret]);
    expect(
      redactor.redactValue({
        text: `key ${secret}`,
        list: [secret, 3, true, null],
        [secret]: undefined,
        error: new Error(`failed with ${secret}`),
        count: 7,
        none: null,
      }),
    ).toEqual({
      text: `key ${REDACTED}`,
      list: [REDACTED, 3, true, null],
      [REDACTED]: undefined,
      error: `failed with ${REDACTED}`,
      count: 7,
      none: null,
    });
  });

  it('reads objects down to 8 levels below the top; a deeper one is replaced unread', () => {
    const redactor = createRedactor([secret]);
    const nest = (levels: number): unknown => (levels === 0 ? { token: secret } : { next: nest(levels - 1) });
    const leaf = (value: unknown, levels: number): unknown => {
      let current = value;
      for (let level = 0; level < levels; level += 1) current = (current as { next: unknown }).next;
      return current;
    };
    expect(leaf(redactor.redactValue(nest(8)), 8)).toEqual({ token: REDACTED });
    expect(leaf(redactor.redactValue(nest(9)), 9)).toBe('[REDACTED: nested too deep to check]');
  });
});
