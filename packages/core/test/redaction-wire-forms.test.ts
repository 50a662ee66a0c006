import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED } from '../src/redaction.js';

/**
 * Every form a secret takes on the wire is redacted (docs/http-layer.md#secret-redaction): the raw
 * secret, URL-encoded, base64, JSON-escaped (an error body is quoted through JSON.stringify), and
 * its base64 at each of the three byte alignments inside a longer base64 text.
 */

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('the wire forms of one secret', () => {
  it('raw, URL-encoded, base64 and JSON-escaped, each replaced in place', () => {
    const secret = 'p@ss/w"rd\\+token=1';
    const redactor = createRedactor([secret]);
    const jsonEscaped = JSON.stringify(secret).slice(1, -1);
    expect(jsonEscaped).not.toBe(secret);
    const text = `raw ${secret}; url ${encodeURIComponent(secret)}; b64 ${base64(secret)}; json ${jsonEscaped}.`;
    expect(redactor.redact(text)).toBe(
      `raw ${REDACTED}; url ${REDACTED}; b64 ${REDACTED}; json ${REDACTED}.`,
    );
  });

  it('a secret quoted in a JSON body is redacted in the body as serialised', () => {
    const secret = 'line1\nline2\t"quoted"';
    const redactor = createRedactor([secret]);
    expect(redactor.redact(JSON.stringify({ error: `bad secret ${secret}` }))).toBe(
      JSON.stringify({ error: `bad secret ${REDACTED}` }),
    );
  });

  it('a raw or URL-encoded match is not widened: the characters around it stay', () => {
    const secret = 'plain-secret-value-0042';
    const redactor = createRedactor([secret]);
    expect(redactor.redact(`AZaz09+/=${secret}AZaz09+/=`)).toBe(`AZaz09+/=${REDACTED}AZaz09+/=`);
  });

  it('a secret holding a lone surrogate (no URL-encoded form) is still redacted raw', () => {
    const secret = 'half-\uD800-surrogate';
    const redactor = createRedactor([secret]);
    expect(redactor.redact(`x ${secret} y`)).toBe(`x ${REDACTED} y`);
  });
});

describe('a secret inside a longer base64 text: each byte alignment, widened to the whole run', () => {
  const token = 'gV4sPz7QmW2xT9kLb3NcR8yH1fJ6dA0eU5oI';

  for (const prefix of ['', 'a', 'ab', 'abc', 'abcd', 'abcde']) {
    it(`after ${prefix.length} byte(s) of other text`, () => {
      const redactor = createRedactor([token]);
      for (const suffix of ['', '!', '!?', '!?#']) {
        const credential = base64(`${prefix}${token}${suffix}`);
        expect(redactor.redact(`Basic ${credential}.`)).toBe(`Basic ${REDACTED}.`);
      }
    });
  }

  it('widening takes every base64 character (A–Z, a–z, 0–9, +, /, =) and stops at the first other one', () => {
    const redactor = createRedactor([token]);
    const credential = base64(`agent@x.io/token:${token}`);
    for (const neighbour of ['A', 'Z', 'a', 'z', '0', '9', '+', '/', '=']) {
      expect(redactor.redact(`<${neighbour}${credential}${neighbour}>`)).toBe(`<${REDACTED}>`);
    }
    for (const neighbour of ['@', '[', '`', '{', ':', '*', ',', '-', '.', '<', '>', ' ']) {
      expect(redactor.redact(`${neighbour}${credential}${neighbour}`)).toBe(
        `${neighbour}${REDACTED}${neighbour}`,
      );
    }
  });

  it('a base64 core is matched from 12 characters (9 bytes): a 9-byte secret covers credentials built around it', () => {
    const nineBytes = 'k9Lm2Qx7Z';
    const redactor = createRedactor([nineBytes]);
    const credential = base64(`abc${nineBytes}`);
    expect(redactor.redact(`Basic ${credential}`)).toBe(`Basic ${REDACTED}`);
  });

  it('an 8-byte secret has no core of its own: only its whole forms are matched, ordinary base64 is left alone', () => {
    const eightBytes = 'k9Lm2Qx7';
    const redactor = createRedactor([eightBytes]);
    const credential = base64(`abc${eightBytes}xyz`);
    expect(redactor.redact(`Basic ${credential}`)).toBe(`Basic ${credential}`);
    expect(redactor.redact(`b64 ${base64(eightBytes)}`)).toBe(`b64 ${REDACTED}`);
  });

  it('a core that is also another secret’s raw form is still widened', () => {
    const secret = 'wQ8rT2yU6iO0pA4s';
    // The base64 of the secret's first 15 bytes: registered first as a secret of its own.
    const core = Buffer.from(secret).subarray(0, 15).toString('base64');
    const redactor = createRedactor([core, secret]);
    const credential = base64(`abc${secret}xyz`);
    expect(credential).toContain(core);
    expect(redactor.redact(`Basic ${credential}`)).toBe(`Basic ${REDACTED}`);
  });
});

describe('short secrets', () => {
  it('4 characters are redacted, 3 are not', () => {
    const redactor = createRedactor(['abc', 'wxyz']);
    expect(redactor.redact('abc wxyz')).toBe(`abc ${REDACTED}`);
    expect(redactor.redact('wxyz')).toBe(REDACTED);
  });

  it('a text exactly as long as the shortest secret is checked', () => {
    const redactor = createRedactor(['abcd', 'abcdefgh']);
    expect(redactor.redact('abcd')).toBe(REDACTED);
    expect(redactor.redact('abc')).toBe('abc');
  });

  it('a secret of 3 characters is not held at all: not even its 4-character base64 is redacted', () => {
    const redactor = createRedactor(['abc']);
    expect(redactor.size()).toBe(0);
    expect(redactor.redact('YWJj abc')).toBe('YWJj abc');
  });

  it('non-string values are ignored', () => {
    const redactor = createRedactor([undefined, null]).add(42 as unknown as string);
    expect(redactor.size()).toBe(0);
    expect(redactor.redact('42')).toBe('42');
  });
});

describe('several secrets in one text', () => {
  it('of two short secrets starting at one place, the longer is replaced whole', () => {
    const redactor = createRedactor(['abcd', 'abcdef']);
    expect(redactor.redact('<abcdef>')).toBe(`<${REDACTED}>`);
  });

  it('overlapping secrets are replaced as one span', () => {
    const redactor = createRedactor(['abcdef', 'defghi']);
    expect(redactor.redact('<abcdefghi>')).toBe(`<${REDACTED}>`);
    expect(redactor.redact('abcdefghi')).toBe(REDACTED);
    const long = createRedactor(['first-secret-overlap-AAAA', 'overlap-AAAA-then-second']);
    expect(long.redact('<first-secret-overlap-AAAA-then-second>')).toBe(`<${REDACTED}>`);
  });

  it('a secret inside a longer one is replaced with it, leaving nothing of the longer', () => {
    const redactor = createRedactor(['outer-secret-with-inner-part', 'inner']);
    expect(redactor.redact('<outer-secret-with-inner-part>')).toBe(`<${REDACTED}>`);
  });

  it('two secrets side by side are each replaced', () => {
    const redactor = createRedactor(['left-secret-0001', 'right-secret-0002']);
    expect(redactor.redact('left-secret-0001right-secret-0002')).toBe(`${REDACTED}${REDACTED}`);
  });

  it('a short secret before a long one, and several of each, in text order', () => {
    const redactor = createRedactor(['tiny', 'a-much-longer-secret-9']);
    expect(redactor.redact('1 tiny 2 a-much-longer-secret-9 3 tiny 4 a-much-longer-secret-9 5')).toBe(
      `1 ${REDACTED} 2 ${REDACTED} 3 ${REDACTED} 4 ${REDACTED} 5`,
    );
  });

  it('a secret at the very start or end of the text, or the whole text', () => {
    const redactor = createRedactor(['twelve-chars', 'another-longer-secret']);
    expect(redactor.redact('twelve-chars')).toBe(REDACTED);
    expect(redactor.redact('twelve-chars and another-longer-secret')).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('a secret of one repeated character is replaced exactly', () => {
    const redactor = createRedactor(['a'.repeat(16)]);
    expect(redactor.redact('a'.repeat(16))).toBe(REDACTED);
    expect(redactor.redact(`b${'a'.repeat(17)}b`)).toBe(`b${REDACTED}b`);
  });
});
