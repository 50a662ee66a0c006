import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { json, type SandboxRequest, type SandboxResponse } from '../http-exchange.js';
import type { RouteContext, RouteHandler } from '../routes.js';
import type { ZendeskStore, ZendeskUserRecord } from './zendesk-store.js';
import { couldNotAuthenticate, forbidden, invalidToken } from './zendesk-wire.js';

/**
 * Who a request is made as. HTTP Basic `{email}/token:{api_token}`: an active API token of the
 * account, with the email of the user it acts as; Bearer: an access token from the OAuth token
 * endpoint, acting as the admin who created the OAuth client. Password access (`{email}:{password}`)
 * is refused, as on accounts where Zendesk has turned it off.
 * https://developer.zendesk.com/api-reference/introduction/security-and-auth/
 */

export type Authentication =
  | { kind: 'user'; user: ZendeskUserRecord; scopes: readonly string[] | undefined }
  | { kind: 'anonymous' }
  | { kind: 'refused'; response: SandboxResponse };

export function authenticate(store: ZendeskStore, request: SandboxRequest, now: number): Authentication {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') return { kind: 'anonymous' };
  const [scheme = '', credential = ''] = header.trim().split(/\s+/, 2);
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const separator = decoded.indexOf('/token:');
    if (separator < 0) return { kind: 'refused', response: couldNotAuthenticate() };
    const email = decoded.slice(0, separator).toLowerCase();
    const token = decoded.slice(separator + '/token:'.length);
    const tokenOk = store.apiTokens.find((candidate) => candidate.active && candidate.token === token);
    const user = store.users.find((candidate) => candidate.email === email);
    // A suspended or deleted user cannot sign in, whatever the token.
    if (tokenOk === undefined || user === undefined || user.suspended || !user.active) {
      return { kind: 'refused', response: couldNotAuthenticate() };
    }
    return { kind: 'user', user, scopes: undefined };
  }
  if (scheme.toLowerCase() === 'bearer') {
    const token = store.accessTokens.get(credential);
    if (token === undefined || token.revoked || (token.expiresAt !== undefined && now >= token.expiresAt)) {
      return { kind: 'refused', response: invalidToken() };
    }
    const client = store.oauthClients.get(token.client_id);
    const user = store.users.get(token.user_id);
    // A deleted client, or an admin who was suspended since, takes its tokens down with it.
    if (client?.active !== true || user === undefined || !user.active || user.suspended) {
      return { kind: 'refused', response: invalidToken() };
    }
    return { kind: 'user', user, scopes: token.scopes };
  }
  return { kind: 'refused', response: couldNotAuthenticate() };
}

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** True when OAuth scopes allow the request (`read`/`write`, or `tickets:write`-style resource scopes). */
function scopeAllows(scopes: readonly string[] | undefined, method: string, resource: string): boolean {
  if (scopes === undefined) return true;
  const action = writeMethods.has(method) ? 'write' : 'read';
  return scopes.includes(action) || scopes.includes(`${resource}:${action}`);
}

export type StaffHandler = (
  request: SandboxRequest,
  context: RouteContext & { user: ZendeskUserRecord },
) => SandboxResponse | Promise<SandboxResponse>;

/**
 * A route for agents and admins: anonymous or refused credentials get Zendesk's 401, end users
 * and tokens without the scope its 403. `resource` names the OAuth resource scope (`tickets`, `users`).
 */
export function staffOnly(
  store: ZendeskStore,
  clock: () => number,
  resource: string,
  handler: StaffHandler,
): RouteHandler {
  return (request, context) => {
    const authentication = authenticate(store, request, clock());
    if (authentication.kind === 'anonymous') return couldNotAuthenticate();
    if (authentication.kind === 'refused') return authentication.response;
    const { user, scopes } = authentication;
    context.identify(String(user.id));
    if (user.role === 'end-user' || !scopeAllows(scopes, request.method, resource)) return forbidden();
    return handler(request, { ...context, user });
  };
}

/** Scopes a token may be granted. https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/#scopes */
const knownScopes =
  /^(read|write|impersonate|(tickets|users|organizations|hc|apps|triggers|automations|targets|macros|requests|satisfaction_ratings|dynamic_content|any_channel|webhooks|zis)(:(read|write))?)$/;

const tokenRequestSchema = z.object({
  grant_type: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  scope: z.string().optional(),
});

function oauthError(status: number, error: string, description: string): SandboxResponse {
  return json(status, { error, error_description: description });
}

export interface TokenEndpointOptions {
  /** Lifetime of the access tokens issued, in seconds; `undefined` issues tokens without `expires_in`. */
  tokenLifetimeSeconds: number | undefined;
}

/**
 * `POST /oauth/tokens`, client credentials grant only: a confidential client's identifier and
 * secret in the body (JSON or form) give an access token acting as the client's admin.
 * https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/#create-token-for-grant-type
 */
export function tokenEndpoint(
  store: ZendeskStore,
  clock: () => number,
  options: TokenEndpointOptions,
): RouteHandler {
  return (request, context) => {
    const parsed = tokenRequestSchema.safeParse(request.body ?? {});
    const body = parsed.success ? parsed.data : {};
    if (body.grant_type !== 'client_credentials') {
      return oauthError(
        400,
        'unsupported_grant_type',
        'The authorization grant type is not supported by the authorization server.',
      );
    }
    const client = store.oauthClients.find(
      (candidate) => candidate.active && candidate.identifier === body.client_id,
    );
    if (client === undefined || client.secret !== body.client_secret) {
      return oauthError(
        401,
        'invalid_client',
        'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
      );
    }
    if (client.kind !== 'confidential') {
      return oauthError(
        400,
        'unauthorized_client',
        'The client is not authorized to request an access token using this method.',
      );
    }
    const scopes = (body.scope ?? 'read').split(/\s+/).filter((scope) => scope !== '');
    if (scopes.length === 0 || !scopes.every((scope) => knownScopes.test(scope))) {
      return oauthError(400, 'invalid_scope', 'The requested scope is invalid, unknown, or malformed.');
    }
    const now = clock();
    const token = store.accessTokens.insert({
      id: randomBytes(32).toString('hex'),
      client_id: client.id,
      user_id: client.user_id,
      scopes,
      expiresAt:
        options.tokenLifetimeSeconds === undefined ? undefined : now + options.tokenLifetimeSeconds * 1000,
      revoked: false,
    });
    context.identify(String(client.user_id));
    return json(200, {
      access_token: token.id,
      token_type: 'bearer',
      scope: scopes.join(' '),
      ...(options.tokenLifetimeSeconds === undefined ? {} : { expires_in: options.tokenLifetimeSeconds }),
    });
  };
}
