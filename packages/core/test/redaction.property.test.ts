import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED } from '../src/redaction.js';

/**
 * Whatever secrets are held (short ones matched by a regular expression, long ones by the rolling
 * hash index, sharing prefixes like tokens of one issuer) and wherever they sit in a text, none
 * survives redaction, and a text that holds none comes back unchanged.
 */
const alphabet = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/='.split(''),
);
const secretArbitrary = fc.string({ unit: alphabet, minLength: 4, maxLength: 48 });
const sharedPrefix = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.';

describe('redaction: no held secret survives, anywhere in a text', () => {
  it('plain, shared-prefix and base64 forms, overlapping and adjacent', () => {
    fc.assert(
      fc.property(
        fc.array(secretArbitrary, { minLength: 1, maxLength: 30 }),
        fc.array(
          fc.tuple(fc.string({ maxLength: 12 }), fc.nat(), fc.constantFrom('plain', 'jwt', 'base64')),
          {
            maxLength: 12,
          },
        ),
        (secrets, pieces) => {
          const held = secrets.flatMap((secret) => [secret, `${sharedPrefix}${secret}`]);
          const redactor = createRedactor();
          for (const secret of held) redactor.add(secret, { expiresInMs: 60_000 });
          const placed: string[] = [];
          const text = pieces
            .map(([filler, pick, form]) => {
              const secret = held[pick % held.length] ?? '';
              const shown = form === 'base64' ? Buffer.from(secret).toString('base64') : secret;
              placed.push(shown);
              return `${filler}${shown}`;
            })
            .join('');
          const redacted = redactor.redact(text);
          for (const shown of placed) if (shown.length >= 4) expect(redacted).not.toContain(shown);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a text holding no secret comes back unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(secretArbitrary, { maxLength: 50 }),
        fc.string({ maxLength: 200 }),
        (secrets, text) => {
          const redactor = createRedactor(secrets.map((secret) => `zz${secret}QQ`));
          fc.pre(!text.includes('zz') && !text.includes(REDACTED));
          expect(redactor.redact(text)).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });
});
