import { AuthenticationError, ConfigurationError, InvalidInputError } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import {
  chatVisitorMaxLifetimeSeconds,
  signChatVisitorJwt,
  verifyChatVisitorJwt,
} from '../../src/messaging/index.js';
import {
  chatSecret,
  clock,
  decodePart,
  handMade,
  nowMs,
  nowSeconds,
  otherChatSecret,
  withAlg,
} from './jwt-helpers.js';

const visitor = { name: 'Jane Doe', email: 'jane.doe@example.com', externalId: 'user-123456' };
const verify = (token: string, now = clock()) => verifyChatVisitorJwt(token, { secret: chatSecret, now });
/** Valid claims issued now, to break one rule at a time. */
const claims = (overrides: Record<string, unknown> = {}) => ({
  name: 'Jane Doe',
  email: 'jane.doe@example.com',
  external_id: 'user-123456',
  iat: nowSeconds,
  exp: nowSeconds + 300,
  ...overrides,
});

describe('Chat visitor JWT: signing', () => {
  it('signs HS256 with the documented claims, in whole seconds from the injected clock', async () => {
    const token = await signChatVisitorJwt(visitor, { secret: chatSecret, now: clock(nowMs + 999) });
    expect(decodePart(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodePart(token, 1)).toEqual({
      name: 'Jane Doe',
      email: 'jane.doe@example.com',
      external_id: 'user-123456',
      iat: nowSeconds,
      exp: nowSeconds + 300,
    });
    await expect(verify(token)).resolves.toMatchObject({ external_id: 'user-123456', iat: nowSeconds });
  });

  it('a lifetime of up to 7 minutes is accepted, one second more is a configuration error', async () => {
    const token = await signChatVisitorJwt(visitor, { secret: chatSecret, ttlSeconds: 420, now: clock() });
    expect(decodePart(token, 1).exp).toBe(nowSeconds + chatVisitorMaxLifetimeSeconds);
    await expect(signChatVisitorJwt(visitor, { secret: chatSecret, ttlSeconds: 421 })).rejects.toThrow(
      ConfigurationError,
    );
    await expect(signChatVisitorJwt(visitor, { secret: chatSecret, ttlSeconds: 0 })).rejects.toThrow(
      /ttlSeconds: must be at least 1 second/,
    );
  });

  it('the external id is the same on every token of one visitor, whenever it is minted', async () => {
    const first = await signChatVisitorJwt(visitor, { secret: chatSecret, now: clock() });
    const later = await signChatVisitorJwt(visitor, { secret: chatSecret, now: clock(nowMs + 3_600_000) });
    expect(first).not.toBe(later);
    expect(decodePart(later, 1).external_id).toBe(decodePart(first, 1).external_id);
  });

  it.each([
    ['no external id', { externalId: undefined }, 'externalId'],
    ['an empty external id', { externalId: '  ' }, 'externalId'],
    ['a numeric external id', { externalId: 123456 }, 'externalId'],
    ['no name', { name: '' }, 'name'],
    ['no email', { email: undefined }, 'email'],
    ['an accented email', { email: 'josé@example.com' }, 'email'],
  ])('refuses a visitor with %s (InvalidInputError naming the field)', async (_case, override, field) => {
    const error = await signChatVisitorJwt({ ...visitor, ...override } as typeof visitor, {
      secret: chatSecret,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path)).toContain(field);
  });

  it('a secret that is not one is a configuration error that does not quote it', async () => {
    const error = await signChatVisitorJwt(visitor, { secret: 'short-secret' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/secret: is too short/);
    expect((error as Error).message).not.toContain('short-secret');
  });
});

describe('Chat visitor JWT: verification of bad tokens', () => {
  it('accepts a token issued up to 2 minutes in the future (clock skew), refuses one beyond', async () => {
    await expect(
      verify(await handMade(claims({ iat: nowSeconds + 120, exp: nowSeconds + 400 }), chatSecret)),
    ).resolves.toBeDefined();
    const error = await verify(
      await handMade(claims({ iat: nowSeconds + 121, exp: nowSeconds + 400 }), chatSecret),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/121 s in the future.*120 s of clock skew/);
  });

  it('refuses an expired token, and one that expires right now', async () => {
    const token = await signChatVisitorJwt(visitor, { secret: chatSecret, now: clock() });
    await expect(verify(token, clock(nowMs + 299_000))).resolves.toBeDefined();
    await expect(verify(token, clock(nowMs + 300_000))).rejects.toThrow(AuthenticationError);
    await expect(verify(token, clock(nowMs + 301_000))).rejects.toThrow(/expired 1 s ago/);
  });

  it('refuses exp more than 7 minutes after iat, and exp not after iat', async () => {
    const tooLong = await verify(await handMade(claims({ exp: nowSeconds + 421 }), chatSecret)).catch(
      (caught: unknown) => caught,
    );
    expect(tooLong).toBeInstanceOf(InvalidInputError);
    expect((tooLong as Error).message).toMatch(/exp: is 421 s after iat; Zendesk allows at most 420 s/);
    await expect(verify(await handMade(claims({ exp: nowSeconds }), chatSecret))).rejects.toThrow(
      /exp: must be later than iat/,
    );
  });

  it('a millisecond iat is a clear error, not a token issued 1000 times too late', async () => {
    const error = await verify(
      await handMade(claims({ iat: nowMs, exp: nowSeconds + 300 }), chatSecret),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(
      /iat: looks like milliseconds \(13 digits\): divide Date.now\(\) by 1000/,
    );
    await expect(verify(await handMade(claims({ exp: nowMs + 300_000 }), chatSecret))).rejects.toThrow(
      /exp: looks like milliseconds/,
    );
  });

  it.each([
    ['external_id missing', { external_id: undefined }, 'external_id'],
    ['external_id empty', { external_id: '' }, 'external_id'],
    ['external_id a number', { external_id: 123456 }, 'external_id'],
    ['name missing', { name: undefined }, 'name'],
    ['email missing', { email: undefined }, 'email'],
    ['exp missing (the 7-minute window cannot be checked without it)', { exp: undefined }, 'exp'],
    ['iat missing', { iat: undefined }, 'iat'],
    ['iat a string', { iat: String(nowSeconds) }, 'iat'],
  ])('refuses a token with %s (InvalidInputError naming the claim)', async (_case, override, claim) => {
    const error = await verify(await handMade(claims(override), chatSecret)).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path)).toContain(claim);
  });

  it('refuses a token signed with another secret, or with the secret before it was regenerated', async () => {
    const oldToken = await signChatVisitorJwt(visitor, { secret: otherChatSecret, now: clock() });
    const error = await verify(oldToken).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/signed with another secret, or the secret was regenerated/);
    expect((error as Error).message).not.toContain(chatSecret);
    await expect(
      verifyChatVisitorJwt(oldToken, { secret: otherChatSecret, now: clock() }),
    ).resolves.toBeDefined();
  });

  it.each(['none', 'RS256', 'ES256', 'HS512'])('refuses alg %s', async (alg) => {
    await expect(verify(withAlg(alg, claims()))).rejects.toThrow(
      new RegExp(`signed with alg "${alg}"; Zendesk accepts only HS256`),
    );
  });

  it.each([
    ['not three parts', 'abc.def'],
    ['bad base64url', '!!!.@@@.###'],
    ['a JSON object instead of the token', '{"jwt":"eyJ..."}'],
  ])('refuses a malformed token: %s', async (_case, token) => {
    await expect(verify(token)).rejects.toThrow(InvalidInputError);
  });
});
