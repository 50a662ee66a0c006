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

describe('an agent credential is redacted by its parts: the one API token inside it', () => {
  const apiToken = 'gV4sPz7QmW2xT9kLb3NcR8yH1fJ6dA0eU5oI';
  const basicOf = (email: string) => Buffer.from(`${email}/token:${apiToken}`).toString('base64');

  it('redacts the whole Basic credential of any agent, at each of the three byte alignments', () => {
    const redactor = createRedactor([apiToken]);
    // Emails of three lengths put the token at each alignment inside the base64.
    for (const email of ['a@x.io', 'ab@x.io', 'abc@x.io', 'maria.lopez+support@helpdesk.example']) {
      const credential = basicOf(email);
      expect(redactor.redact(`Couldn't authenticate Basic ${credential}.`)).toBe(
        `Couldn't authenticate Basic ${REDACTED}.`,
      );
    }
    expect(redactor.size()).toBe(1);
  });

  it('leaves ordinary base64 alone (no core of the token in it)', () => {
    const redactor = createRedactor([apiToken]);
    const other = Buffer.from('agent@x.io/token:a-different-token-entirely-0123').toString('base64');
    expect(redactor.redact(`Basic ${other}`)).toBe(`Basic ${other}`);
  });

  it('a credential in a JSON error body is redacted up to its quotes, not beyond', () => {
    const redactor = createRedactor([apiToken]);
    const body = JSON.stringify({ error: 'bad', authorization: `Basic ${basicOf('sam@x.io')}`, id: 42 });
    expect(redactor.redact(body)).toBe(
      JSON.stringify({ error: 'bad', authorization: `Basic ${REDACTED}`, id: 42 }),
    );
  });
});

describe('rotated access tokens', () => {
  it('the new token replaces nothing the old one needs: a late error quoting the old one is caught until it expires', () => {
    vi.useFakeTimers();
    try {
      const redactor = createRedactor(['client-secret-abcdef']);
      const hour = 3_600_000;
      // A year of hourly tokens, each fetched a minute before its predecessor expires.
      for (let rotation = 0; rotation < 8_760; rotation += 1) {
        if (rotation > 0) vi.advanceTimersByTime(hour - 60_000);
        redactor.add(`eyJ0eXAi.rotation-${rotation}.signature-part`, { expiresInMs: hour });
      }
      // Only the live ones are held: the configured secret, the last token, and the one before it (a minute left).
      expect(redactor.size()).toBe(3);
      expect(redactor.redact('late 401 body: eyJ0eXAi.rotation-8758.signature-part')).toBe(
        `late 401 body: ${REDACTED}`,
      );
      vi.advanceTimersByTime(60_000);
      // Once expired it is no longer held, nor matched.
      expect(redactor.size()).toBe(2);
      expect(redactor.redact('eyJ0eXAi.rotation-8758.signature-part')).toBe(
        'eyJ0eXAi.rotation-8758.signature-part',
      );
      expect(redactor.redact('eyJ0eXAi.rotation-8759.signature-part')).toBe(REDACTED);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('redaction holds only live secrets', () => {
  it('matches each new secret at once, however many were added before', () => {
    const redactor = createRedactor(['configured-secret-3']);
    for (let n = 0; n < 500; n += 1) {
      const credential = `uncovered-credential-${n}-0123456789`;
      redactor.add(credential, { expiresInMs: 3_600_000 });
      expect(redactor.redact(`x ${credential} y`)).toBe(`x ${REDACTED} y`);
    }
    expect(redactor.redact('configured-secret-3 uncovered-credential-7-0123456789')).toBe(
      `${REDACTED} ${REDACTED}`,
    );
  });

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
