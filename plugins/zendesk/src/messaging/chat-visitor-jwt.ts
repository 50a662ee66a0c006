import { parseInput } from '@crm-connect/core';
import { z } from 'zod';
import { checkTimes, epochSeconds, secondsClaim, secretSchema, signHs256, verifyHs256 } from './jwt-hs256.js';
import { parseOptions, pluginId } from './options.js';

/**
 * Zendesk Chat authenticated visitors (Web Widget Classic, `zESettings.webWidget.authenticate.chat.jwtFn`):
 * a JWT signed with the Chat shared secret carrying `name`, `email`, `external_id`, `iat` and
 * `exp`. Zendesk's rules: `iat` in seconds with up to two minutes of clock skew, `exp` at most 7
 * minutes after `iat`, and an `external_id` that never changes once set for a customer.
 * https://support.zendesk.com/hc/en-us/articles/4408838925082-Enabling-authenticated-visitors-in-Web-Widget-Classic
 *
 * The article does not name the algorithm; its samples rely on library defaults, all HS256, and
 * the sibling help-center article requires HS256 explicitly. Its samples also omit `exp`, so
 * whether Zendesk requires it is unconfirmed: these tokens always carry one, and the verifier
 * requires it, because the 7-minute window cannot be enforced without it.
 */

/** `exp` may be at most this many seconds after `iat`. */
export const chatVisitorMaxLifetimeSeconds = 420;
/** How far in the future `iat` may be. Whether Zendesk also bounds a past `iat` is unconfirmed; `exp` bounds it here. */
export const chatVisitorClockSkewSeconds = 120;

/**
 * Your system's own user id: unique per customer and never changed once used (Zendesk cannot
 * change it afterwards). Zendesk says "alphanumeric" yet gives `user-123456` as its example, so
 * any printable ASCII without spaces is accepted.
 */
export const externalIdSchema = z
  .string('must be a string (your own user id, such as user-123456)')
  .trim()
  .min(1, 'is required: your own, never-changing user id, such as user-123456')
  .max(255, 'must be at most 255 characters')
  .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces, such as user-123456');

const chatEmailSchema = z
  .email('must be an email address such as jane@example.com')
  // Zendesk Chat refuses accented characters in email addresses.
  .regex(
    /^[\x21-\x7E]+$/,
    'must not contain accented or other non-ASCII characters (Zendesk Chat refuses them)',
  );

const nameSchema = z
  .string('must be the customer’s name')
  .trim()
  .min(1, 'is required: the customer’s name')
  .max(255, 'must be at most 255 characters');

/** The signed-in customer a token is minted for. */
export const chatVisitorSchema = z.object({
  name: nameSchema,
  email: chatEmailSchema,
  externalId: externalIdSchema,
});
export type ChatVisitor = z.input<typeof chatVisitorSchema>;

const signOptionsSchema = z.object({
  /** The Chat shared secret: Chat dashboard › Settings › Widget › Widget security › Visitor authentication. */
  secret: secretSchema,
  /** Seconds until `exp`. Default 300; at most 420 (Zendesk's 7 minutes). */
  ttlSeconds: z
    .number()
    .int('must be whole seconds')
    .positive('must be at least 1 second')
    .max(
      chatVisitorMaxLifetimeSeconds,
      `must be at most ${chatVisitorMaxLifetimeSeconds} s: Zendesk refuses an exp more than 7 minutes after iat`,
    )
    .default(300),
});

export interface ChatVisitorSignOptions {
  /** The Chat shared secret (Chat dashboard › Settings › Widget › Widget security › Visitor authentication). Required. */
  secret: string;
  /** Seconds from `iat` to `exp`. Default 300; at most 420. */
  ttlSeconds?: number | undefined;
  /** The clock, in milliseconds since 1970. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** The claims of a Chat visitor token, as Zendesk reads them. */
export const chatVisitorClaimsSchema = z
  .object({
    name: nameSchema,
    email: chatEmailSchema,
    external_id: externalIdSchema,
    iat: secondsClaim('iat'),
    exp: secondsClaim('exp'),
  })
  .superRefine((claims, context) => {
    if (claims.exp <= claims.iat) {
      context.addIssue({ code: 'custom', path: ['exp'], message: 'must be later than iat' });
    } else if (claims.exp - claims.iat > chatVisitorMaxLifetimeSeconds) {
      context.addIssue({
        code: 'custom',
        path: ['exp'],
        message: `is ${claims.exp - claims.iat} s after iat; Zendesk allows at most ${chatVisitorMaxLifetimeSeconds} s (7 minutes)`,
      });
    }
  });
export type ChatVisitorClaims = z.output<typeof chatVisitorClaimsSchema>;

/** The validated secret and lifetime; a `ConfigurationError` names what is wrong (token endpoints check it on creation). */
export function chatVisitorSignSettings(options: ChatVisitorSignOptions): {
  secret: string;
  ttlSeconds: number;
} {
  return parseOptions(
    signOptionsSchema,
    { secret: options.secret, ttlSeconds: options.ttlSeconds },
    'Chat visitor token options',
  );
}

/**
 * Signs a fresh Chat visitor token. Call it on every request of the widget's `jwtFn`: Zendesk
 * calls `jwtFn` again during a chat whenever it needs a new token. Throws `InvalidInputError` for
 * an incomplete visitor and `ConfigurationError` for a bad secret or lifetime.
 */
export async function signChatVisitorJwt(
  visitor: ChatVisitor,
  options: ChatVisitorSignOptions,
): Promise<string> {
  const { secret, ttlSeconds } = chatVisitorSignSettings(options);
  const { name, email, externalId } = parseInput(chatVisitorSchema, visitor, 'Chat visitor', pluginId);
  const iat = epochSeconds(options.now ?? Date.now);
  return signHs256({ name, email, external_id: externalId, iat, exp: iat + ttlSeconds }, secret);
}

export interface ChatVisitorVerifyOptions {
  /** The current Chat shared secret; a token signed with a regenerated (old) secret fails. Required. */
  secret: string;
  /** The clock, in milliseconds since 1970. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** How far in the future `iat` may be, in seconds. Default 120, Zendesk's documented skew. */
  clockSkewSeconds?: number | undefined;
}

/**
 * Verifies a Chat visitor token by Zendesk's documented rules and returns its claims.
 * `AuthenticationError`: wrong or old secret, another algorithm, expired, `iat` beyond the skew.
 * `InvalidInputError`: not a JWT, or claims that break the rules (missing `external_id`,
 * millisecond times, `exp` more than 7 minutes after `iat`).
 */
export async function verifyChatVisitorJwt(
  token: string,
  options: ChatVisitorVerifyOptions,
): Promise<ChatVisitorClaims> {
  const { secret } = parseOptions(
    signOptionsSchema.pick({ secret: true }),
    options,
    'Chat visitor token options',
  );
  const { payload } = await verifyHs256(token, () => secret, 'Chat visitor token');
  const claims = parseInput(chatVisitorClaimsSchema, payload, 'Chat visitor token claims', pluginId);
  checkTimes(
    claims,
    epochSeconds(options.now ?? Date.now),
    options.clockSkewSeconds ?? chatVisitorClockSkewSeconds,
    'Chat visitor token',
  );
  return claims;
}
