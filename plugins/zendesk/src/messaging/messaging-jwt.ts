import { AuthenticationError, ConfigurationError, parseInput } from '@crm-connect/core';
import { z } from 'zod';
import { externalIdSchema } from './chat-visitor-jwt.js';
import { checkTimes, epochSeconds, secondsClaim, secretSchema, signHs256, verifyHs256 } from './jwt-hs256.js';
import { parseOptions, pluginId } from './options.js';

/**
 * Messaging end-user authentication (Web Widget for messaging `loginUser`, mobile SDKs): a JWT
 * with header `{"alg":"HS256","typ":"JWT","kid":"<signing key id>"}` and claims `scope: "user"`,
 * `external_id` (at most 255 characters, never changed), optional `name`, `email`,
 * `email_verified` and `exp`. An account has up to 10 signing keys, so tokens name theirs in
 * `kid` and keys can be rotated without downtime.
 * https://support.zendesk.com/hc/en-us/articles/4411666638746-Setting-up-user-authentication-for-messaging
 *
 * Unconfirmed, so the safe choice is made: whether Zendesk reads `iat` (it is sent, as Zendesk's
 * own sample does, and checked against the clock skew when present) and whether it caps `exp`
 * (no cap is applied; one hour by default, as in that sample).
 */

/** Admin Center › Account › Security › End user authentication › Messaging holds at most 10 keys. */
export const maxMessagingSigningKeys = 10;
/** How far in the future `iat` may be when present, as for Chat tokens. */
export const messagingClockSkewSeconds = 120;

export interface MessagingSigningKey {
  /** The key id Admin Center shows in the key list; it goes into the token's `kid` header. */
  id: string;
  /** The key's shared secret, shown once when the key is created. */
  secret: string;
}

const keysSchema = z
  .array(
    z.object({
      id: z
        .string('must be the key id shown in Admin Center')
        .trim()
        .regex(/^[\x21-\x7E]{1,255}$/, 'must be the key id shown in Admin Center (no spaces)'),
      secret: secretSchema,
    }),
    'must be a list of signing keys ({ id, secret })',
  )
  .min(1, 'needs at least one signing key')
  .max(maxMessagingSigningKeys, `holds at most ${maxMessagingSigningKeys} keys, as Zendesk does`)
  .refine((keys) => new Set(keys.map((key) => key.id)).size === keys.length, 'lists a key id twice');

const signOptionsSchema = z.object({
  keys: keysSchema,
  keyId: z.string().trim().min(1).optional(),
  /** Seconds until `exp`; `null` leaves `exp` out (Zendesk accepts that; a leaked token then never expires). */
  ttlSeconds: z
    .number()
    .int('must be whole seconds')
    .positive('must be at least 1 second')
    .max(86_400, 'must be at most 86,400 s (one day): the widget asks for a new token when one expires')
    .nullable()
    .default(3600),
});

export interface MessagingSignOptions {
  /** The signing keys (Admin Center › Account › Security › End user authentication › Messaging). Required; at most 10. */
  keys: readonly MessagingSigningKey[];
  /** The id of the key that signs. Default: the first key (put the newest first when rotating). */
  keyId?: string | undefined;
  /** Seconds from `iat` to `exp`. Default 3600; `null` sends no `exp`. */
  ttlSeconds?: number | null | undefined;
  /** The clock, in milliseconds since 1970. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** The signed-in user a token is minted for. */
export const messagingUserSchema = z
  .object({
    /** Your own user id: unique across the account and all its brands, never changed, never an email or a phone number. */
    externalId: externalIdSchema,
    /** Shown to agents in the Agent Workspace. */
    name: z.string().trim().min(1).max(255).optional(),
    /** The user's primary email; needed for email identities. */
    email: z.email('must be an email address such as jane@example.com').optional(),
    /** `true` makes the email a verified identity; it needs `email`. */
    emailVerified: z.boolean('must be true or false').optional(),
  })
  .refine((user) => user.emailVerified === undefined || user.email !== undefined, {
    path: ['emailVerified'],
    message: 'needs email: email_verified says whether that email was verified',
  });
export type MessagingUser = z.input<typeof messagingUserSchema>;

/** The claims of a messaging token, as Zendesk reads them. */
export const messagingClaimsSchema = z
  .object({
    scope: z.literal('user', 'must be "user", the only scope Zendesk accepts for end users'),
    external_id: externalIdSchema,
    name: z.string().optional(),
    email: z.email('must be an email address such as jane@example.com').optional(),
    email_verified: z.boolean('must be a JSON boolean (true or false), not a string').optional(),
    iat: secondsClaim('iat').optional(),
    exp: secondsClaim('exp').optional(),
  })
  .superRefine((claims, context) => {
    if (claims.email_verified !== undefined && claims.email === undefined) {
      context.addIssue({ code: 'custom', path: ['email_verified'], message: 'needs the email claim' });
    }
    if (claims.exp !== undefined && claims.iat !== undefined && claims.exp <= claims.iat) {
      context.addIssue({ code: 'custom', path: ['exp'], message: 'must be later than iat' });
    }
  });
export type MessagingClaims = z.output<typeof messagingClaimsSchema>;

/** The signing key and lifetime; a `ConfigurationError` names what is wrong (token endpoints check it on creation). */
export function messagingSignSettings(options: MessagingSignOptions): {
  key: MessagingSigningKey;
  ttlSeconds: number | null;
} {
  const { keys, keyId, ttlSeconds } = parseOptions(
    signOptionsSchema,
    { keys: options.keys, keyId: options.keyId, ttlSeconds: options.ttlSeconds },
    'messaging token options',
  );
  const key = keyId === undefined ? keys[0] : keys.find((candidate) => candidate.id === keyId);
  if (key === undefined) {
    const known = keys.map((candidate) => candidate.id).join(', ');
    throw new ConfigurationError(
      `The messaging keyId ${JSON.stringify(keyId)} names no configured signing key (known: ${known}). Add that key to keys, or sign with one of those.`,
      { pluginId, issues: [{ path: 'keyId', message: 'keyId: names no configured signing key' }] },
    );
  }
  return { key, ttlSeconds };
}

/**
 * Signs a messaging token for `zE('messenger', 'loginUser', jwtCallback)`. The widget calls
 * `jwtCallback` again when the token expires, so mint a fresh one on every request. Throws
 * `InvalidInputError` for a bad user and `ConfigurationError` for bad keys or an unknown `keyId`.
 */
export async function signMessagingJwt(user: MessagingUser, options: MessagingSignOptions): Promise<string> {
  const { key, ttlSeconds } = messagingSignSettings(options);
  const { externalId, name, email, emailVerified } = parseInput(
    messagingUserSchema,
    user,
    'messaging user',
    pluginId,
  );
  const iat = epochSeconds(options.now ?? Date.now);
  const claims: Record<string, unknown> = { scope: 'user', external_id: externalId, iat };
  if (name !== undefined) claims.name = name;
  if (email !== undefined) claims.email = email;
  if (emailVerified !== undefined) claims.email_verified = emailVerified;
  if (ttlSeconds !== null) claims.exp = iat + ttlSeconds;
  return signHs256(claims, key.secret, key.id);
}

export interface MessagingVerifyOptions {
  /** Every key a valid token may name in `kid` (during a rotation, the old and the new). Required. */
  keys: readonly MessagingSigningKey[];
  /** The clock, in milliseconds since 1970. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** How far in the future `iat` may be, in seconds. Default 120. */
  clockSkewSeconds?: number | undefined;
}

/**
 * Verifies a messaging token and returns its claims, the key chosen by the `kid` header.
 * `AuthenticationError`: no `kid`, an unknown (deleted) `kid`, a wrong secret, another
 * algorithm, expired, `iat` beyond the skew. `InvalidInputError`: not a JWT, or claims Zendesk
 * refuses (scope other than `user`, missing or numeric `external_id`, `email_verified` as a string…).
 */
export async function verifyMessagingJwt(
  token: string,
  options: MessagingVerifyOptions,
): Promise<MessagingClaims> {
  const { keys } = parseOptions(signOptionsSchema.pick({ keys: true }), options, 'messaging token options');
  const { payload } = await verifyHs256(
    token,
    (header) => {
      if (typeof header.kid !== 'string' || header.kid === '') {
        throw new AuthenticationError(
          'The messaging token has no kid header: Zendesk needs the id of the signing key that signed it. Sign with signMessagingJwt, which sets it.',
          { pluginId },
        );
      }
      const key = keys.find((candidate) => candidate.id === header.kid);
      if (key === undefined) {
        throw new AuthenticationError(
          `The messaging token names signing key ${JSON.stringify(header.kid)}, which is not configured (known: ${keys.map((known) => known.id).join(', ')}). The key was deleted, or belongs to another Zendesk account.`,
          { pluginId },
        );
      }
      return key.secret;
    },
    'messaging token',
  );
  const claims = parseInput(messagingClaimsSchema, payload, 'messaging token claims', pluginId);
  checkTimes(
    claims,
    epochSeconds(options.now ?? Date.now),
    options.clockSkewSeconds ?? messagingClockSkewSeconds,
    'messaging token',
  );
  return claims;
}
