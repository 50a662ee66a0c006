import { describe, expect, it, vi } from 'vitest';
import { createRedactingLogger, type Logger } from '../src/logging.js';
import { createRedactor, REDACTED } from '../src/redaction.js';

describe('redaction by value', () => {
  it('replaces a secret and its URL-encoded and base64 forms', () => {
    const secret = 'p@ss/word+token=1';
    const redactor = createRedactor([secret]);
    const text = `raw ${secret} url ${encodeURIComponent(secret)} b64 ${Buffer.from(secret).toString('base64')}`;
    const redacted = redactor.redact(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).not.toContain(encodeURIComponent(secret));
    expect(redacted).not.toContain(Buffer.from(secret).toString('base64'));
    expect(redacted.split(REDACTED)).toHaveLength(4);
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    const redactor = createRedactor(['abcd1234', 'abcd1234-extended']);
    expect(redactor.redact('x abcd1234-extended y')).toBe(`x ${REDACTED} y`);
  });

  it('a secret that is the base64 form of another still gets forms of its own when added', () => {
    const first = 'abcd1234';
    const second = Buffer.from(first).toString('base64');
    const redactor = createRedactor([first]).add(second).add(second);
    expect(redactor.redact(`b64 ${encodeURIComponent(second)}`)).toBe(`b64 ${REDACTED}`);
    expect(redactor.redact(`b64 ${Buffer.from(second).toString('base64')}`)).toBe(`b64 ${REDACTED}`);
  });

  it('ignores empty and very short values instead of mangling every message', () => {
    const redactor = createRedactor(['', undefined, null, 'ab']);
    expect(redactor.redact('abc ab')).toBe('abc ab');
  });

  it('redacts nested log fields', () => {
    const lines: unknown[] = [];
    const sink: Logger = { log: (_level, message, fields) => lines.push({ message, fields }) };
    const logger = createRedactingLogger(sink, createRedactor(['s3cr3t-value']));
    logger.log('info', 'token s3cr3t-value', {
      nested: { list: ['s3cr3t-value'] },
      error: new Error('bad s3cr3t-value'),
    });
    expect(JSON.stringify(lines)).not.toContain('s3cr3t-value');
  });
});

describe('redactValue: keys and depth', () => {
  const secret = 'sk_live_deep_secret_42';

  it('redacts a secret used as an object key', () => {
    const redacted = createRedactor([secret]).redactValue({
      [secret]: 'value',
      nested: { [`k-${secret}`]: 1 },
    });
    expect(JSON.stringify(redacted)).not.toContain(secret);
    expect(Object.keys(redacted)).toContain(REDACTED);
  });

  it('never passes a value nested deeper than it reads through untouched', () => {
    let value: unknown = { token: secret };
    for (let depth = 0; depth < 50; depth += 1) value = { next: value };
    const redacted = createRedactor([secret]).redactValue(value);
    expect(JSON.stringify(redacted)).not.toContain(secret);
    expect(JSON.stringify(redacted)).toContain('nested too deep');
  });

  it('handles a value nested 200,000 levels deep without a stack overflow', () => {
    let value: unknown = secret;
    for (let depth = 0; depth < 200_000; depth += 1) value = [value];
    expect(() => createRedactor([secret]).redactValue(value)).not.toThrow();
  });
});

describe('redaction holds only live secrets', () => {
  it('a token added with its lifetime is redacted while it lives, then no longer held', () => {
    vi.useFakeTimers();
    const redactor = createRedactor(['configured-secret-1']);
    redactor.add('eyJ.first-access-token.sig', { expiresInMs: 60_000 });
    redactor.add('eyJ.second-access-token.sig', { expiresInMs: 60_000 });
    // A late error body still quoting the first token, within its lifetime.
    expect(redactor.redact('late eyJ.first-access-token.sig')).toBe(`late ${REDACTED}`);
    vi.advanceTimersByTime(61_000);
    expect(redactor.size()).toBe(1);
    expect(redactor.redact('configured-secret-1')).toBe(REDACTED);
    vi.useRealTimers();
  });

  it('holds at most a bounded number of short-lived secrets, the most recent', () => {
    const redactor = createRedactor();
    for (let n = 0; n < 20_000; n += 1)
      redactor.add(`agent-credential-${n}-0123456789`, { expiresInMs: 3_600_000 });
    expect(redactor.size()).toBeLessThanOrEqual(1_000);
    expect(redactor.redact('agent-credential-19999-0123456789')).toBe(REDACTED);
  });

  it('configured secrets (no lifetime) are never dropped', () => {
    const redactor = createRedactor(['configured-secret-2']);
    for (let n = 0; n < 5_000; n += 1) redactor.add(`rotated-${n}-0123456789`, { expiresInMs: 60_000 });
    expect(redactor.redact('configured-secret-2')).toBe(REDACTED);
  });
});

describe('no debug line nobody listens to', () => {
  it('a logger that says debug is off gets no debug call, and the redacting wrapper does not redact for it', () => {
    const calls: string[] = [];
    const redactor = createRedactor(['s3cr3t-value']);
    const redact = vi.spyOn(redactor, 'redactValue');
    const quiet: Logger = {
      log: (level, message) => calls.push(`${level} ${message}`),
      enabled: (level) => level !== 'debug',
    };
    const logger = createRedactingLogger(quiet, redactor);
    expect(logger.enabled?.('debug')).toBe(false);
    logger.log('debug', 'crm request', { path: '/x' });
    logger.log('warn', 'crm request retried', { path: '/x' });
    expect(calls).toEqual(['warn crm request retried']);
    expect(redact).toHaveBeenCalledOnce();
  });
});
