import {
  ConfigurationError,
  createRedactingLogger,
  createRedactor,
  isCrmConnectError,
  type Logger,
  type Redactor,
  silentLogger,
} from '@crm-connect/core';
import {
  type ChatVisitor,
  type ChatVisitorSignOptions,
  chatVisitorSignSettings,
  signChatVisitorJwt,
} from './chat-visitor-jwt.js';
import {
  type MessagingSignOptions,
  type MessagingUser,
  messagingSignSettings,
  signMessagingJwt,
} from './messaging-jwt.js';
import { pluginId } from './options.js';

/**
 * The server side of the widget's token callback, framework-agnostic: headers in, a response out.
 * Chat's `jwtFn` and messaging's `jwtCallback` fetch it each time the widget needs a token and
 * pass the response text on as the token, so it answers the bare token as text/plain, never
 * cached, and an EMPTY body on every refusal (a body such as "Not signed in" would be handed to
 * the widget as if it were a token). Serve it on your own origin, behind your session cookie,
 * without CORS headers: only your pages may read a signed-in user's token.
 */

export interface TokenEndpointRequest {
  /** GET or POST; anything else gets 405. */
  method: string;
  /** The request headers (any case), for your session lookup. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

export interface TokenEndpointResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  /** The token on 200; empty otherwise. */
  body: string;
}

export type TokenEndpoint = (request: TokenEndpointRequest) => Promise<TokenEndpointResponse>;

export interface TokenEndpointOptions<TUser> {
  /**
   * Who is signed in on your site for this request (read your session); `undefined` when nobody
   * is, which answers 401 without a token. Required.
   */
  identify: (request: TokenEndpointRequest) => TUser | undefined | Promise<TUser | undefined>;
  /** Default: silent. Lines are redacted; no token or secret is ever logged. */
  logger?: Logger | undefined;
  /** Holds the secrets to redact; the endpoint registers its own. Default: a private one. */
  redactor?: Redactor | undefined;
  /**
   * Deadline in ms for `identify` and signing together; past it the widget gets 503 with an empty
   * body (and `Retry-After: 1`) instead of waiting on a stuck session store. Default 10,000.
   */
  timeoutMs?: number | undefined;
}

const noStore = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
const defaultTimeoutMs = 10_000;
const timedOut = Symbol('timed out');

function refusal(status: number, extra: Record<string, string> = {}): TokenEndpointResponse {
  return { status, headers: { ...noStore, ...extra }, body: '' };
}

/** The endpoint for any token: `sign` mints one for the identified user. */
export function createTokenEndpoint<TUser>(
  options: TokenEndpointOptions<TUser> & { sign: (user: TUser) => Promise<string>; what: string },
): TokenEndpoint {
  const redactor = options.redactor ?? createRedactor();
  const logger = createRedactingLogger(options.logger ?? silentLogger, redactor);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2_147_483_647) {
    throw new ConfigurationError(
      `${options.what} endpoint: timeoutMs must be a positive number of milliseconds.`,
      {
        pluginId,
        issues: [{ path: 'timeoutMs', message: 'timeoutMs: must be a positive number of milliseconds' }],
      },
    );
  }
  return async (request) => {
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST') return refusal(405, { Allow: 'GET, POST' });
    let token: string;
    let timer: NodeJS.Timeout | undefined;
    try {
      const minted = await Promise.race([
        (async () => {
          const user = await options.identify(request);
          return user === undefined ? undefined : options.sign(user);
        })(),
        new Promise<typeof timedOut>((resolve) => {
          timer = setTimeout(() => resolve(timedOut), timeoutMs);
        }),
      ]);
      if (minted === timedOut) {
        logger.log(
          'error',
          `${options.what} endpoint: the session lookup did not answer within ${timeoutMs} ms`,
          {},
        );
        return refusal(503, { 'Retry-After': '1' });
      }
      if (minted === undefined) return refusal(401);
      token = minted;
    } catch (error) {
      // The user's data or the configuration is wrong: a server-side problem the widget cannot fix.
      logger.log('error', `${options.what} endpoint could not mint a token`, {
        code: isCrmConnectError(error) ? error.code : 'internal_error',
        message: redactor.redact(error instanceof Error ? error.message : String(error)),
      });
      return refusal(500);
    } finally {
      clearTimeout(timer);
    }
    return { status: 200, headers: { ...noStore, 'Content-Type': 'text/plain; charset=utf-8' }, body: token };
  };
}

/** The endpoint behind Web Widget Classic's `authenticate.chat.jwtFn`. A bad secret or lifetime throws `ConfigurationError` here, not on each request. */
export function createChatVisitorTokenEndpoint(
  options: TokenEndpointOptions<ChatVisitor> & ChatVisitorSignOptions,
): TokenEndpoint {
  chatVisitorSignSettings(options);
  const redactor = (options.redactor ?? createRedactor()).add(options.secret).add(options.secret.trim());
  return createTokenEndpoint({
    ...options,
    redactor,
    what: 'Chat visitor token',
    sign: (visitor) => signChatVisitorJwt(visitor, options),
  });
}

/** The endpoint behind the messaging widget's `zE('messenger', 'loginUser', jwtCallback)`. Bad keys throw `ConfigurationError` here, not on each request. */
export function createMessagingTokenEndpoint(
  options: TokenEndpointOptions<MessagingUser> & MessagingSignOptions,
): TokenEndpoint {
  messagingSignSettings(options);
  const redactor = options.redactor ?? createRedactor();
  for (const key of options.keys) redactor.add(key.secret).add(key.secret.trim());
  return createTokenEndpoint({
    ...options,
    redactor,
    what: 'messaging token',
    sign: (user) => signMessagingJwt(user, options),
  });
}
