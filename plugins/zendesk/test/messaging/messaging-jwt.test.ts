import { AuthenticationError, ConfigurationError, InvalidInputError } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { signMessagingJwt, verifyMessagingJwt } from '../../src/messaging/index.js';
import { clock, decodePart, handMade, messagingKeys, nowMs, nowSeconds, withAlg } from './jwt-helpers.js';

const [newKey, oldKey] = messagingKeys;
const keys = [...messagingKeys];
const user = { externalId: 'usr_12345', name: 'Jane Soap', email: 'janes@soap.com', emailVerified: true };
const verify = (token: string, options: { keys?: typeof keys; now?: () => number } = {}) =>
  verifyMessagingJwt(token, { keys: options.keys ?? keys, now: options.now ?? clock() });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );
/** The example payload of Zendesk's article, with a kid-signed header. */
const claims = (overrides: Record<string, unknown> = {}) => ({
  external_id: '12345678',
  email: 'janes@soap.com',
  email_verified: true,
  name: 'Jane Soap',
  scope: 'user',
  ...overrides,
});

describe('messaging JWT: signing', () => {
  it('signs HS256 with the signing key id in kid, scope "user" and the identity claims', async () => {
    const token = await signMessagingJwt(user, { keys, now: clock() });
    expect(decodePart(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT', kid: newKey.id });
    expect(decodePart(token, 1)).toEqual({
      scope: 'user',
      external_id: 'usr_12345',
      name: 'Jane Soap',
      email: 'janes@soap.com',
      email_verified: true,
      iat: nowSeconds,
      exp: nowSeconds + 3600,
    });
    await expect(verify(token)).resolves.toMatchObject({ scope: 'user', external_id: 'usr_12345' });
  });

  it('only external_id is required; ttlSeconds null leaves exp out', async () => {
    const token = await signMessagingJwt(
      { externalId: 'brand1_a8dedg' },
      { keys, ttlSeconds: null, now: clock() },
    );
    expect(decodePart(token, 1)).toEqual({ scope: 'user', external_id: 'brand1_a8dedg', iat: nowSeconds });
  });

  it('keyId picks the signing key; an unknown keyId is a configuration error listing the known ones', async () => {
    const token = await signMessagingJwt(user, { keys, keyId: oldKey.id });
    expect(decodePart(token, 0).kid).toBe(oldKey.id);
    const error = await failure(signMessagingJwt(user, { keys, keyId: 'app_deleted' }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`known: ${newKey.id}, ${oldKey.id}`);
    expect(error.message).not.toContain(newKey.secret);
  });

  it.each([
    ['no external id', { externalId: undefined }, 'externalId'],
    ['a numeric external id', { externalId: 12345678 }, 'externalId'],
    ['an external id over 255 characters', { externalId: 'x'.repeat(256) }, 'externalId'],
    ['emailVerified without an email', { email: undefined }, 'emailVerified'],
    ['emailVerified as the string "true"', { emailVerified: 'true' }, 'emailVerified'],
  ])('refuses a user with %s (InvalidInputError naming the field)', async (_case, override, field) => {
    const error = await failure(signMessagingJwt({ ...user, ...override } as typeof user, { keys }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path)).toContain(field);
  });

  it('an external id of exactly 255 characters is accepted', async () => {
    const token = await signMessagingJwt({ externalId: 'x'.repeat(255) }, { keys });
    expect(decodePart(token, 1).external_id).toHaveLength(255);
  });

  it.each([
    ['no key', []],
    [
      'eleven keys (Zendesk holds at most 10)',
      Array.from({ length: 11 }, (_, index) => ({ id: `app_${index}`, secret: newKey.secret })),
    ],
    ['one key id twice', [newKey, { ...oldKey, id: newKey.id }]],
    ['a truncated secret', [{ id: newKey.id, secret: 'msg-key' }]],
  ])('refuses signing keys with %s (ConfigurationError without the secrets)', async (_case, badKeys) => {
    const error = await failure(signMessagingJwt(user, { keys: badKeys }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).not.toContain(newKey.secret);
    expect(error.message).not.toContain('msg-key');
  });
});

describe('messaging JWT: key rotation', () => {
  it('a token of the old key verifies while that key is configured, and fails once it is removed', async () => {
    const token = await signMessagingJwt(user, { keys, keyId: oldKey.id, now: clock() });
    await expect(verify(token)).resolves.toMatchObject({ external_id: 'usr_12345' });
    const error = await failure(verify(token, { keys: [newKey] }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(
      new RegExp(`names signing key "${oldKey.id}", which is not configured \\(known: ${newKey.id}\\)`),
    );
  });
});

describe('messaging JWT: verification of bad tokens', () => {
  it('refuses a token without kid', async () => {
    const error = await failure(verify(await handMade(claims(), newKey.secret)));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/has no kid header/);
  });

  it('refuses an unknown kid (a deleted key)', async () => {
    const error = await failure(verify(await handMade(claims(), newKey.secret, { kid: 'app_deleted' })));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/names signing key "app_deleted", which is not configured/);
  });

  it('refuses a known kid with the wrong secret', async () => {
    const error = await failure(verify(await handMade(claims(), oldKey.secret, { kid: newKey.id })));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/signature does not match/);
    expect(error.message).not.toContain(newKey.secret);
    expect(error.message).not.toContain(oldKey.secret);
  });

  it.each([
    ['scope missing', { scope: undefined }, 'scope'],
    ['scope "app" (API keys only)', { scope: 'app' }, 'scope'],
    ['external_id missing', { external_id: undefined }, 'external_id'],
    ['external_id a number', { external_id: 12345678 }, 'external_id'],
    ['external_id over 255 characters', { external_id: 'x'.repeat(256) }, 'external_id'],
    ['email_verified the string "true"', { email_verified: 'true' }, 'email_verified'],
    ['email_verified without email', { email: undefined }, 'email_verified'],
    ['exp in milliseconds', { exp: nowMs + 3_600_000 }, 'exp'],
    ['iat in milliseconds', { iat: nowMs }, 'iat'],
  ])('refuses a token with %s (InvalidInputError naming the claim)', async (_case, override, claim) => {
    const error = await failure(verify(await handMade(claims(override), newKey.secret, { kid: newKey.id })));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path)).toContain(claim);
  });

  it('refuses an expired token; a token without exp never expires (Zendesk makes exp optional)', async () => {
    const expired = await handMade(claims({ iat: nowSeconds - 3600, exp: nowSeconds - 1 }), newKey.secret, {
      kid: newKey.id,
    });
    const error = await failure(verify(expired));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/expired 1 s ago/);
    await expect(verify(await handMade(claims(), newKey.secret, { kid: newKey.id }))).resolves.toBeDefined();
  });

  it('refuses iat more than 2 minutes in the future', async () => {
    const token = await handMade(claims({ iat: nowSeconds + 121 }), newKey.secret, { kid: newKey.id });
    await expect(verify(token)).rejects.toThrow(AuthenticationError);
    await expect(verify(token, { now: clock(nowMs + 1000) })).resolves.toBeDefined();
  });

  it('refuses other algorithms and a token sent as a JSON object', async () => {
    await expect(verify(withAlg('RS256', claims()))).rejects.toThrow(/Zendesk accepts only HS256/);
    await expect(verify(withAlg('none', claims()))).rejects.toThrow(AuthenticationError);
    const token = await signMessagingJwt(user, { keys });
    await expect(verify(JSON.stringify({ jwt: token }))).rejects.toThrow(InvalidInputError);
  });
});
