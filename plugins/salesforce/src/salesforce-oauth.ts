import {
  AuthenticationError,
  AuthorizationError,
  ConfigurationError,
  type CrmConnectError,
  isLoopbackHost,
  RateLimitedError,
  type Redactor,
  TransportError,
  withTimeout,
} from '@crm-connect/core';
import { OAuth2 } from 'jsforce/lib/oauth2.js';
import { z } from 'zod';
import { pluginId } from './salesforce-plugin-id.js';

/**
 * OAuth 2.0 with Salesforce through jsforce's OAuth2 client: the authorize URL with PKCE, the
 * code exchange, refresh and revocation. Endpoints are relative to the org's My Domain URL.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
 */

/** The scopes an admin connection needs: REST API, the identity URL, and refresh while offline. */
export const adminScopes = 'api id refresh_token';

export interface OAuthClientConfig {
  /** The org's My Domain URL. */
  loginUrl: string;
  clientId: string;
  clientSecret?: string | undefined;
  /** The platform's callback URL, exactly as registered in the connected app. */
  redirectUri?: string | undefined;
  /** Gives up on a Salesforce answer after this many ms. */
  timeoutMs: number;
  redactor: Redactor;
}

/** Salesforce's own hosts: tokens are only ever sent to an instance or identity URL on one of them. */
const salesforceHost = /(^|\.)(salesforce\.com|force\.com|salesforce\.mil|sfcrmproducts\.cn)$/;
const salesforceUrl = z.url({ protocol: /^https$/, hostname: salesforceHost });
/** A local sandbox's instance and identity URLs: loopback, over http or https. */
const loopbackUrl = z
  .url({ protocol: /^https?$/ })
  .refine((value) => isLoopbackHost(new URL(value).hostname));

/**
 * The token response. Its instance and identity URLs must be on Salesforce's hosts; only a
 * login URL on a loopback address (a local sandbox) may name loopback ones, so a real org's
 * tokens never go anywhere else.
 */
function tokenResponseSchema(loginUrl: string) {
  const allowed = isLoopbackHost(new URL(loginUrl).hostname)
    ? z.union([salesforceUrl, loopbackUrl])
    : salesforceUrl;
  return z.object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1).optional(),
    instance_url: allowed,
    /** The identity URL: https://login.salesforce.com/id/{orgId}/{userId}. */
    id: allowed,
    issued_at: z.string().optional(),
    scope: z.string().optional(),
  });
}
export type SalesforceToken = z.infer<ReturnType<typeof tokenResponseSchema>>;

/** The org and user a token was issued for, read from its identity URL. */
export interface TokenOwner {
  /** 18 characters, as Salesforce returns it. */
  orgId: string;
  userId: string;
}

export function ownerOfToken(token: SalesforceToken): TokenOwner {
  const match = /\/id\/(00D[A-Za-z0-9]{12,15})\/(005[A-Za-z0-9]{12,15})\/?$/.exec(new URL(token.id).pathname);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new AuthenticationError(
      'salesforce: the token response named no org and user (its identity URL is unexpected); link the admin again.',
      { pluginId },
    );
  }
  return { orgId: match[1], userId: match[2] };
}

export interface AuthorizeRequest {
  url: string;
  /** PKCE: base64url of 128 random bytes; the caller keeps it until the callback. */
  codeVerifier: string;
}

/**
 * Builds the authorize URL with a PKCE challenge (S256).
 * https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_pkce.htm
 */
export function authorizeUrl(
  config: Omit<OAuthClientConfig, 'timeoutMs' | 'redactor'>,
  parameters: { state: string; loginHint?: string | undefined },
): AuthorizeRequest {
  const oauth2 = new OAuth2({ ...jsforceConfig(config), clientSecret: undefined, useVerifier: true });
  const codeVerifier = oauth2.codeVerifier;
  if (!codeVerifier) throw new Error('jsforce did not create a PKCE code verifier');
  const url = oauth2.getAuthorizationUrl({
    scope: adminScopes,
    state: parameters.state,
    // Always show the login page, so a second admin can be linked from a browser signed in as the first.
    prompt: 'login',
    // jsforce sends the SHA-256 challenge without naming its method; RFC 7636 would read that as
    // "plain". Salesforce documents the challenge as SHA-256, and naming S256 is right either way.
    code_challenge_method: 'S256',
    ...(parameters.loginHint === undefined ? {} : { login_hint: parameters.loginHint }),
  });
  return { url, codeVerifier };
}

/**
 * Exchanges the callback's code for tokens, proving the PKCE verifier.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
 */
export async function exchangeCode(
  config: OAuthClientConfig,
  code: string,
  codeVerifier: string,
): Promise<SalesforceToken> {
  const oauth2 = new OAuth2(jsforceConfig(config));
  // jsforce adds `code_verifier` to every token request of an instance that holds one.
  oauth2.codeVerifier = codeVerifier;
  config.redactor.add(code).add(codeVerifier);
  const token = await call(config, 'link the admin (code exchange)', () => oauth2.requestToken(code));
  return parseToken(config, token);
}

/**
 * A new access token for a stored refresh token. Throws `RevokedTokenError` when Salesforce refuses it.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
 */
export async function refreshAccessToken(
  config: OAuthClientConfig,
  refreshToken: string,
): Promise<SalesforceToken> {
  // No verifier on this instance: PKCE belongs to the code exchange, not to refreshes.
  const oauth2 = new OAuth2(jsforceConfig(config));
  config.redactor.add(refreshToken);
  const token = await call(config, 'refresh the admin session', () => oauth2.refreshToken(refreshToken));
  return parseToken(config, token);
}

/**
 * Revokes a refresh token (and its access tokens) at Salesforce.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm
 */
export async function revokeToken(config: OAuthClientConfig, token: string): Promise<void> {
  const oauth2 = new OAuth2(jsforceConfig(config));
  config.redactor.add(token);
  await call(config, 'revoke the admin token', () => oauth2.revokeToken(token));
}

/** Salesforce refused a refresh token: revoked, expired, or its user was deactivated or frozen. */
export class RevokedTokenError extends AuthenticationError {
  readonly oauthError: string;
  constructor(message: string, oauthError: string) {
    super(message, { pluginId });
    this.oauthError = oauthError;
  }
}

function jsforceConfig(config: Omit<OAuthClientConfig, 'timeoutMs' | 'redactor'>) {
  return {
    loginUrl: config.loginUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    redirectUri: config.redirectUri,
  };
}

function parseToken(config: OAuthClientConfig, raw: unknown): SalesforceToken {
  const parsed = tokenResponseSchema(config.loginUrl).safeParse(raw);
  if (!parsed.success) {
    throw new AuthenticationError(
      'salesforce: the token endpoint answered without an access token, or with an instance or identity URL outside Salesforce; check that the login URL is your My Domain URL.',
      { pluginId, cause: { issues: parsed.error.issues.map((issue) => issue.path.join('.')) } },
    );
  }
  config.redactor.add(parsed.data.access_token).add(parsed.data.refresh_token);
  return parsed.data;
}

async function call<T>(config: OAuthClientConfig, operation: string, run: () => Promise<T>): Promise<T> {
  const timedOut = () =>
    Object.assign(new Error(`timed out after ${config.timeoutMs} ms`), { name: 'TimeoutError' });
  try {
    return await withTimeout(run(), config.timeoutMs, timedOut);
  } catch (error) {
    throw oauthErrorOf(error, operation, config);
  }
}

/** Salesforce's OAuth errors (jsforce puts `error` in `name`, `error_description` in `message`) as typed errors. */
function oauthErrorOf(error: unknown, operation: string, config: OAuthClientConfig): CrmConnectError {
  const name = error instanceof Error ? error.name : 'Error';
  const description = config.redactor.redact(error instanceof Error ? error.message : String(error));
  const said = `salesforce: ${operation} failed: Salesforce answered ${name} (${description})`;
  const options = { pluginId, cause: { error: name, description } };
  if (name === 'invalid_grant' || name === 'inactive_user' || name === 'inactive_org') {
    if (operation.startsWith('refresh')) {
      return new RevokedTokenError(
        `${said}. The admin's authorization was revoked, expired, or the admin user was deactivated or frozen; link this admin again or unlink it.`,
        name,
      );
    }
    return new AuthenticationError(
      `${said}. The authorization code is invalid, already used or expired, or the PKCE verifier does not match the challenge; start linking again (the two steps must use the same state and verifier).`,
      options,
    );
  }
  if (name === 'invalid_client' || name === 'invalid_client_id' || name === 'invalid_client_credentials') {
    return new AuthenticationError(
      `${said}. The connected app's Consumer Key or Secret is wrong: copy both from Setup › App Manager › (your app) › View › Manage Consumer Details and save again.`,
      options,
    );
  }
  if (name === 'redirect_uri_mismatch') {
    return new ConfigurationError(
      `${said}. Add the platform's callback URL (${config.redirectUri ?? 'the redirect URI'}) to the connected app's Callback URL list, exactly.`,
      options,
    );
  }
  if (name === 'unsupported_grant_type' || name === 'invalid_scope') {
    return new ConfigurationError(
      `${said}. In the connected app, enable OAuth settings with the scopes "api", "id" and "refresh_token, offline_access", and allow refresh tokens.`,
      options,
    );
  }
  if (name === 'invalid_request') {
    return new AuthenticationError(
      `${said}. If it mentions the code verifier or challenge, start linking again from the Link button.`,
      options,
    );
  }
  if (name === 'rate_limit_exceeded') {
    return new RateLimitedError(
      `${said}. Too many logins for this user; try again in a few minutes.`,
      options,
    );
  }
  if (name === 'access_denied') {
    return new AuthorizationError(
      `${said}. The admin may not use this connected app (check its profiles and permission sets).`,
      options,
    );
  }
  if (name === 'TimeoutError' || name === 'FetchError' || /^ERROR_HTTP_5\d\d$/.test(name)) {
    return new TransportError(
      `${said}. Salesforce could not be reached or had a server error; it is worth trying again. Check that ${config.loginUrl} is reachable.`,
      { ...options, retryable: true },
    );
  }
  return new AuthenticationError(
    `${said}. Check the login URL and the connected app, then try again.`,
    options,
  );
}
