import {
  AuthenticationError,
  AuthorizationError,
  ConfigurationError,
  type CrmConnectError,
  isCrmConnectError,
  isLoopbackHost,
  measureTokenRequest,
  type PluginContext,
  RateLimitedError,
  TransportError,
} from '@crm-connect/core';
import { OAuth2 } from 'jsforce/lib/oauth2.js';
import { z } from 'zod';
import { pluginId } from './salesforce-plugin-id.js';
import { createTokenEndpointTransport, type TokenEndpointTransport } from './salesforce-token-endpoint.js';

/**
 * OAuth 2.0 with Salesforce through jsforce's OAuth2 client: the authorize URL with PKCE, the
 * code exchange, refresh and revocation. Endpoints are relative to the org's My Domain URL.
 * jsforce's requests go through the core HTTP layer (`salesforce-token-endpoint.ts`): a deadline
 * for each whole exchange, no redirects, and the status and Retry-After of every answer.
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
  /** The redactor (every secret is registered with it), logger, rate budgets and HTTP overrides (the per-attempt deadline). */
  context: PluginContext;
}

/** The OAuth client of a configured org: its login URL and connected app. */
export function oauthClient(
  settings: { loginUrl: string; clientId: string; clientSecret?: string | undefined },
  context: PluginContext,
  redirectUri?: string | undefined,
): OAuthClientConfig {
  return {
    loginUrl: settings.loginUrl,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    redirectUri,
    context,
  };
}

/** The registrable domains of Salesforce's clouds: a My Domain host ends with one, and so do their login hosts. */
const salesforceDomains = ['salesforce.com', 'salesforce.mil', 'sfcrmproducts.cn'];

/**
 * Whether `value` may receive this org's access tokens: a URL on the org's own domain. That is
 * the host of the login URL (the org's My Domain, which the settings checked), over https with no
 * port or credentials; an identity URL may also be on Salesforce's login hosts of the same cloud
 * (`login.salesforce.com`, `test.salesforce.com` for sandboxes), where Salesforce puts it. Any
 * other Salesforce host is not the org's (another org's My Domain, a Salesforce Site). A loopback
 * login URL (a local sandbox) allows loopback URLs only, http or https.
 */
export function onOrgDomain(value: string, loginUrl: string, kind: 'instance' | 'identity'): boolean {
  let url: URL;
  let login: URL;
  try {
    url = new URL(value);
    login = new URL(loginUrl);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  if (isLoopbackHost(login.hostname)) {
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  }
  if (url.protocol !== 'https:' || url.port !== '') return false;
  const host = url.hostname.toLowerCase();
  const orgHost = login.hostname.toLowerCase();
  if (host === orgHost) return true;
  if (kind === 'instance') return false;
  const domain = salesforceDomains.find((candidate) => orgHost.endsWith(`.${candidate}`));
  return domain !== undefined && (host === `login.${domain}` || host === `test.${domain}`);
}

/** An instance URL to send requests to: on the org's domain, and nothing after its host but a `/`. */
function instanceUrlOf(loginUrl: string) {
  return z
    .string()
    .refine((value) => onOrgDomain(value, loginUrl, 'instance'), "not on the org's domain")
    .refine((value) => {
      const url = new URL(value);
      return (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '';
    }, 'has a path, a query or a fragment');
}

/**
 * The token response. Its instance URL must be the org's own My Domain and its identity URL there
 * or on Salesforce's login host (`onOrgDomain`), so an access token never leaves the org's domain;
 * only a login URL on a loopback address (a local sandbox) may name loopback ones.
 */
function tokenResponseSchema(loginUrl: string) {
  return z.object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1).optional(),
    instance_url: instanceUrlOf(loginUrl),
    /** The identity URL: https://login.salesforce.com/id/{orgId}/{userId}. */
    id: z.string().refine((value) => onOrgDomain(value, loginUrl, 'identity'), "not on the org's domain"),
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
  return ownerOfIdentityUrl(token.id);
}

/** The org and user of an identity URL (https://login.salesforce.com/id/{orgId}/{userId}). */
export function ownerOfIdentityUrl(identityUrl: string): TokenOwner {
  const match = /\/id\/(00D[A-Za-z0-9]{12,15})\/(005[A-Za-z0-9]{12,15})\/?$/.exec(
    new URL(identityUrl).pathname,
  );
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
  config: Omit<OAuthClientConfig, 'context'>,
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
  config.context.redactor.add(code).add(codeVerifier);
  const token = await call(config, oauth2, 'link the admin (code exchange)', () => oauth2.requestToken(code));
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
  config.context.redactor.add(refreshToken);
  const token = await measureTokenRequest(pluginId, () =>
    call(config, oauth2, 'refresh the admin session', () => oauth2.refreshToken(refreshToken)),
  );
  return parseToken(config, token);
}

/**
 * Revokes a refresh token (and its access tokens) at Salesforce.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm
 */
export async function revokeToken(config: OAuthClientConfig, token: string): Promise<void> {
  const oauth2 = new OAuth2(jsforceConfig(config));
  config.context.redactor.add(token);
  await call(config, oauth2, 'revoke the admin token', () => oauth2.revokeToken(token));
}

/** Salesforce refused a refresh token: revoked, expired, or its user was deactivated or frozen. */
export class RevokedTokenError extends AuthenticationError {
  readonly oauthError: string;
  constructor(message: string, oauthError: string) {
    super(message, { pluginId });
    this.oauthError = oauthError;
  }
}

function jsforceConfig(config: Omit<OAuthClientConfig, 'context'>) {
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
    const fields = parsed.error.issues.map((issue) => issue.path.join('.'));
    throw new AuthenticationError(
      `salesforce: the token endpoint answered without an access token, or with an instance or identity URL outside the org's domain (${new URL(config.loginUrl).host}), where no token is sent (${[...new Set(fields)].join(', ')}); check that the login URL is your org's My Domain URL.`,
      { pluginId, cause: { issues: fields } },
    );
  }
  // Salesforce gives no expiry with an access token; a session lasts at most 24 hours.
  config.context.redactor
    .add(parsed.data.access_token, { expiresInMs: 24 * 60 * 60_000 })
    .add(parsed.data.refresh_token);
  return parsed.data;
}

/**
 * Runs one jsforce OAuth call with its requests sent through the core HTTP layer. A transient
 * answer (429, 5xx, a network failure, the deadline) arrives as the layer's typed error; an OAuth
 * error jsforce read from a 4xx is sorted below, by its `error`, its description and its status.
 */
async function call<T>(
  config: OAuthClientConfig,
  oauth2: OAuth2,
  operation: string,
  run: () => Promise<T>,
): Promise<T> {
  const transport = createTokenEndpointTransport(config.loginUrl, config.context, operation);
  (oauth2 as unknown as { _transport: TokenEndpointTransport })._transport = transport;
  try {
    return await run();
  } catch (error) {
    if (isCrmConnectError(error)) throw error;
    throw oauthErrorOf(error, operation, config, transport.lastStatus);
  }
}

/**
 * Refusals that say nothing about the grant: Salesforce refuses a refresh while another refresh
 * of the same token is under way (several workers refreshing at once), with `invalid_grant` and
 * "token request is already being processed" (earlier "expired authorization code", which a
 * refresh has none of). The grant works once that request is done.
 * https://help.salesforce.com/s/articleView?id=release-notes.rn_security_refresh_token_error.htm&release=252&type=5
 */
const concurrentRefresh = /token request is already being processed|expired authorization code/i;

/** Salesforce's OAuth errors (jsforce puts `error` in `name`, `error_description` in `message`) as typed errors. */
function oauthErrorOf(
  error: unknown,
  operation: string,
  config: OAuthClientConfig,
  status: number | undefined,
): CrmConnectError {
  // jsforce names an answer without an `error` field after nothing at all: fall back on the status.
  const named =
    error instanceof Error && typeof error.name === 'string' && error.name !== '' ? error.name : undefined;
  const name = named ?? (status === undefined ? 'Error' : `HTTP ${status}`);
  const description = config.context.redactor.redact(
    error instanceof Error ? (error.message ?? '') : String(error),
  );
  const said = `salesforce: ${operation} failed: Salesforce answered ${name} (${description})`;
  const options = { pluginId, status, cause: { error: name, description, status } };
  const refreshing = operation.startsWith('refresh');
  if (
    name === 'temporarily_unavailable' ||
    name === 'server_error' ||
    (refreshing && name === 'invalid_grant' && concurrentRefresh.test(description))
  ) {
    return new TransportError(
      `${said}. Salesforce could not issue a token right now; nothing is wrong with the authorization, and it is worth trying again.`,
      { ...options, retryable: true },
    );
  }
  if (name === 'invalid_grant' || name === 'inactive_user' || name === 'inactive_org') {
    if (refreshing) {
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
  return new AuthenticationError(
    `${said}. Check the login URL and the connected app, then try again.`,
    options,
  );
}
