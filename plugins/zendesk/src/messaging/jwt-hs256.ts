import { AuthenticationError, InvalidInputError, isCrmConnectError } from '@crm-connect/core';
import { compactVerify, decodeProtectedHeader, errors, type JWTHeaderParameters, SignJWT } from 'jose';
import { z } from 'zod';
import { pluginId } from './options.js';

/**
 * What the two end-user tokens share: HS256 over a shared secret taken as raw UTF-8 bytes (Zendesk
 * shows the secret as text; it is not base64), whole-second times, and one mapping of jose's
 * failures to the core's typed errors. jose does the cryptography; the claim rules are ours.
 */

/** The only algorithm Zendesk accepts for end-user tokens; `alg: none` is never produced or accepted. */
export const algorithm = 'HS256';

/**
 * From 10^11 on, a "seconds" value is past the year 5138 — but as milliseconds it is 1973: a
 * 13-digit `iat` or `exp` is `Date.now()` not divided by 1000, and is reported as such rather than
 * read as a token issued 1000 times too late.
 */
const firstMillisecondValue = 100_000_000_000;

/** A JWT NumericDate claim: whole seconds since the epoch. */
export function secondsClaim(claim: string) {
  return z
    .number(`must be a number of seconds since 1970 (${claim})`)
    .int(`must be whole seconds (${claim})`)
    .positive(`must be a number of seconds since 1970 (${claim})`)
    .refine(
      (value) => value < firstMillisecondValue,
      `looks like milliseconds (13 digits): divide Date.now() by 1000 for ${claim}`,
    );
}

/** Seconds since the epoch, from a millisecond clock such as `Date.now`. */
export function epochSeconds(now: () => number): number {
  return Math.floor(now() / 1000);
}

/** A shared secret as Zendesk shows it once: long random text. Anything shorter than this is a paste error. */
export const secretSchema = z
  .string('must be the shared secret text Zendesk showed when it was created')
  .trim()
  .min(16, 'is too short to be a Zendesk shared secret: copy the whole value');

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function signHs256(
  claims: Record<string, unknown>,
  secret: string,
  keyId?: string,
): Promise<string> {
  const header: JWTHeaderParameters = { alg: algorithm, typ: 'JWT' };
  if (keyId !== undefined) header.kid = keyId;
  return new SignJWT(claims).setProtectedHeader(header).sign(secretKey(secret));
}

export interface VerifiedToken {
  header: JWTHeaderParameters;
  payload: unknown;
}

/**
 * Checks the header and the signature, then returns the decoded header and payload; the caller
 * validates the claims. `keyFor` picks the secret from the header (a `kid` lookup) and may throw
 * its own typed error.
 */
export async function verifyHs256(
  token: unknown,
  keyFor: (header: JWTHeaderParameters) => string,
  what: string,
): Promise<VerifiedToken> {
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw new InvalidInputError(
      `The ${what} is not a JWT: expected three base64url parts separated by dots. Send the token string itself, not a JSON object.`,
      { pluginId, issues: [{ path: 'token', message: 'token: is not a compact JWT' }] },
    );
  }
  let header: JWTHeaderParameters;
  try {
    header = decodeProtectedHeader(token) as JWTHeaderParameters;
  } catch (error) {
    throw malformed(what, error);
  }
  if (header.alg !== algorithm) {
    throw new AuthenticationError(
      `The ${what} is signed with alg ${JSON.stringify(header.alg ?? null)}; Zendesk accepts only HS256 with the shared secret. Sign it with HS256.`,
      { pluginId },
    );
  }
  try {
    const { payload } = await compactVerify(token, secretKey(keyFor(header)), { algorithms: [algorithm] });
    return { header, payload: JSON.parse(new TextDecoder().decode(payload)) as unknown };
  } catch (error) {
    if (isCrmConnectError(error)) throw error;
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw new AuthenticationError(
        `The ${what} signature does not match the shared secret: it was signed with another secret, or the secret was regenerated since. Sign tokens with the current secret.`,
        { pluginId },
      );
    }
    throw malformed(what, error);
  }
}

function malformed(what: string, error: unknown): InvalidInputError {
  // jose's messages describe the structure ("Invalid Token or Protected Header formatting"), never the key.
  const detail = error instanceof Error ? error.message : String(error);
  return new InvalidInputError(`The ${what} is not a well-formed JWT (${detail}).`, {
    pluginId,
    issues: [{ path: 'token', message: `token: ${detail}` }],
  });
}

/** Rejects a token whose `exp` has passed or whose `iat` is further in the future than the clock skew allows. */
export function checkTimes(
  claims: { iat?: number | undefined; exp?: number | undefined },
  nowSeconds: number,
  clockSkewSeconds: number,
  what: string,
): void {
  if (claims.exp !== undefined && claims.exp <= nowSeconds) {
    throw new AuthenticationError(
      `The ${what} expired ${nowSeconds - claims.exp} s ago (exp ${claims.exp}). Mint a fresh token on every request of the widget; never cache one.`,
      { pluginId },
    );
  }
  if (claims.iat !== undefined && claims.iat > nowSeconds + clockSkewSeconds) {
    throw new AuthenticationError(
      `The ${what} was issued ${claims.iat - nowSeconds} s in the future (iat ${claims.iat}), beyond the ${clockSkewSeconds} s of clock skew allowed. Synchronise the clock of the server that signs it (NTP).`,
      { pluginId },
    );
  }
}
