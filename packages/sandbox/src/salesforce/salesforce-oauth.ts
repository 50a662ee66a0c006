import { createHash, createHmac, randomBytes } from 'node:crypto';
import { loopbackOrigin } from '@crm-connect/core';
import { z } from 'zod';
import { json, type SandboxRequest, type SandboxResponse } from '../http-exchange.js';
import type { Route } from '../routes.js';
import type {
  AccessTokenRecord,
  ConnectedAppRecord,
  SalesforceStore,
  UserRecord,
} from './salesforce-store.js';
import { sameId } from './salesforce-wire.js';

/**
 * Salesforce's OAuth 2.0 endpoints on the org's My Domain: the web server flow with PKCE (the
 * authorize endpoint with a sign-in page, then the code exchange), refresh, revocation, and the
 * identity URL. The connected app requires PKCE and its secret, and accepts any callback URL on a
 * loopback host plus those configured.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
 * https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_pkce.htm
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_openid.htm (identity URLs)
 */

export interface OAuthOptions {
  /** Signs the user named by `login_hint` in without the sign-in page (a seeded, active user). */
  autoApprove: boolean;
  /** Callback URLs the connected app lists besides loopback ones. */
  callbackUrls: readonly string[];
}

/** Scopes the connected app may grant. */
const knownScopes = new Set([
  'api',
  'id',
  'refresh_token',
  'offline_access',
  'openid',
  'profile',
  'email',
  'address',
  'phone',
  'web',
  'full',
]);
/** Authorization codes are valid for 15 minutes, once. */
const codeLifetimeMs = 15 * 60 * 1000;

/** The session a REST or identity request carries: an unrevoked access token of an active user. */
export function sessionOf(
  store: SalesforceStore,
  request: SandboxRequest,
): { token: AccessTokenRecord; user: UserRecord } | undefined {
  const match = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '');
  const token = match?.[1] === undefined ? undefined : store.accessTokens.get(match[1]);
  const user = token === undefined ? undefined : store.users.get(token.userId);
  // A deactivated user's sessions end with them.
  if (token === undefined || token.revoked || user === undefined || !user.IsActive) return undefined;
  return { token, user };
}

function oauthError(status: number, error: string, description: string): SandboxResponse {
  return json(status, { error, error_description: description });
}

/** A 302 to the callback with `parameters` added to its query. */
function redirect(redirectUri: string, parameters: Record<string, string | undefined>): SandboxResponse {
  const target = new URL(redirectUri);
  for (const [name, value] of Object.entries(parameters))
    if (value !== undefined) target.searchParams.set(name, value);
  return { status: 302, headers: { Location: target.toString(), 'Cache-Control': 'no-store' } };
}

/** What the authorize endpoint was asked, checked: the app, where to go back, the PKCE challenge. */
interface AuthorizeRequest {
  app: ConnectedAppRecord;
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string;
  scope: string;
  loginHint: string | undefined;
  /** Every parameter, for the sign-in form to post back. */
  parameters: Record<string, string>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The sandbox's sign-in page: username, password, Log In or Deny; the authorize parameters ride along. */
function signInPage(request: AuthorizeRequest, problem: string | undefined): SandboxResponse {
  const hidden = Object.entries(request.parameters)
    .filter(([name]) => !['username', 'password', 'action'].includes(name))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n      ');
  const body = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Login | Salesforce sandbox</title></head>
  <body>
    <h1>Salesforce sandbox (crm-connect)</h1>
    <p>Sign in as a seeded user to allow <strong>${escapeHtml(request.app.name)}</strong> to access the org.</p>
    ${problem === undefined ? '' : `<p role="alert">${escapeHtml(problem)}</p>`}
    <form method="post" action="/services/oauth2/authorize">
      ${hidden}
      <label>Username <input name="username" autocomplete="username" value="${escapeHtml(request.loginHint ?? '')}"></label>
      <label>Password <input name="password" type="password" autocomplete="current-password"></label>
      <button name="action" value="login">Log In</button>
      <button name="action" value="deny">Deny</button>
    </form>
  </body>
</html>
`;
  return {
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    body,
  };
}

export function oauthRoutes(store: SalesforceStore, clock: () => number, options: OAuthOptions): Route[] {
  const allowedCallback = (uri: string) =>
    URL.canParse(uri) &&
    new URL(uri).hash === '' &&
    (options.callbackUrls.includes(uri) || loopbackOrigin(uri) !== undefined);

  /** Checks the authorize parameters: an error page when the app or callback is wrong, else a redirect with the error. */
  function readAuthorize(parameters: Record<string, string>): AuthorizeRequest | SandboxResponse {
    const app = store.connectedApps.get(parameters.client_id ?? '');
    if (app === undefined) {
      // Without a known app, the callback cannot be trusted: Salesforce shows the error itself.
      return { status: 400, body: 'error=invalid_client_id&error_description=client%20identifier%20invalid' };
    }
    const redirectUri = parameters.redirect_uri ?? '';
    if (!allowedCallback(redirectUri)) {
      return {
        status: 400,
        body: 'error=redirect_uri_mismatch&error_description=redirect_uri%20must%20match%20configuration',
      };
    }
    const state = parameters.state;
    const fail = (error: string, description: string) =>
      redirect(redirectUri, { error, error_description: description, state });
    if (parameters.response_type !== 'code')
      return fail('unsupported_response_type', 'response type not supported');
    const codeChallenge = parameters.code_challenge;
    // The connected app requires PKCE; Salesforce takes the challenge as SHA-256 whether or not the method is named.
    if (codeChallenge === undefined || codeChallenge === '')
      return fail('invalid_request', 'missing required code challenge');
    if (parameters.code_challenge_method !== undefined && parameters.code_challenge_method !== 'S256') {
      return fail('invalid_request', 'invalid code challenge method');
    }
    const scope = (parameters.scope ?? 'api id refresh_token').trim();
    if (!scope.split(/\s+/).every((name) => knownScopes.has(name)))
      return fail('invalid_scope', 'the requested scope is not allowed');
    return { app, redirectUri, state, codeChallenge, scope, loginHint: parameters.login_hint, parameters };
  }

  function issueCode(request: AuthorizeRequest, user: UserRecord): SandboxResponse {
    const code = store.authorizationCodes.insert({
      id: `aPrx${randomBytes(48).toString('base64')}`,
      clientId: request.app.id,
      userId: user.Id,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      scope: request.scope,
      expiresAt: clock() + codeLifetimeMs,
      used: false,
    });
    return redirect(request.redirectUri, { code: code.id, state: request.state });
  }

  const userNamed = (username: string | undefined) =>
    store.users.find((user) => user.Username.toLowerCase() === (username ?? '').trim().toLowerCase());

  /** Token response fields shared by the code exchange and refresh; `signature` proves `id` + `issued_at`. */
  function tokenAnswer(
    request: SandboxRequest,
    app: ConnectedAppRecord,
    user: UserRecord,
    scope: string,
    refreshTokenId: string | null,
  ) {
    const access = store.accessTokens.insert({
      id: `${store.orgId.slice(0, 15)}!AQ${randomBytes(60).toString('base64url')}`,
      clientId: app.id,
      userId: user.Id,
      refreshTokenId,
      revoked: false,
    });
    const id = `${request.origin}/id/${store.orgId}/${user.Id}`;
    const issuedAt = String(clock());
    return {
      access_token: access.id,
      signature: createHmac('sha256', app.secret).update(`${id}${issuedAt}`).digest('base64'),
      scope,
      instance_url: request.origin,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
  }

  const tokenSchema = z.object({
    grant_type: z.string().optional(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
    code: z.string().optional(),
    redirect_uri: z.string().optional(),
    code_verifier: z.string().optional(),
    refresh_token: z.string().optional(),
  });
  const formOf = (body: unknown): Record<string, string> => {
    const parsed = z.record(z.string(), z.string()).safeParse(body ?? {});
    return parsed.success ? parsed.data : {};
  };

  return [
    {
      method: 'GET',
      path: '/services/oauth2/authorize',
      name: 'oauth.authorize',
      handler: (request, { identify }) => {
        const read = readAuthorize(Object.fromEntries(request.query));
        if ('status' in read) return read;
        const hinted = userNamed(read.loginHint);
        if (options.autoApprove && hinted?.IsActive === true) {
          identify(hinted.Id);
          return issueCode(read, hinted);
        }
        return signInPage(read, undefined);
      },
    },
    {
      method: 'POST',
      path: '/services/oauth2/authorize',
      name: 'oauth.login',
      handler: (request, { identify }) => {
        const form = formOf(request.body);
        const read = readAuthorize(form);
        if ('status' in read) return read;
        if (form.action === 'deny') {
          return redirect(read.redirectUri, {
            error: 'access_denied',
            error_description: 'end-user denied authorization',
            state: read.state,
          });
        }
        const user = userNamed(form.username);
        // The same words for a wrong password and a deactivated user, as Salesforce's login page.
        if (user === undefined || !user.IsActive || user.password !== form.password) {
          return signInPage(
            { ...read, loginHint: form.username },
            "Please check your username and password. If you still can't log in, contact your Salesforce administrator.",
          );
        }
        identify(user.Id);
        return issueCode(read, user);
      },
    },
    {
      method: 'POST',
      path: '/services/oauth2/token',
      name: 'oauth.token',
      handler: (request, { identify }) => {
        const body = tokenSchema.parse(formOf(request.body));
        const app = store.connectedApps.get(body.client_id ?? '');
        if (app === undefined) return oauthError(400, 'invalid_client_id', 'client identifier invalid');
        const secretOk = app.secretActive && body.client_secret === app.secret;
        if (body.grant_type === 'authorization_code') {
          // The connected app requires its secret for the web server flow.
          if (!secretOk) return oauthError(400, 'invalid_client', 'invalid client credentials');
          const code = store.authorizationCodes.get(body.code ?? '');
          if (code === undefined || code.used || code.clientId !== app.id || clock() >= code.expiresAt) {
            return oauthError(400, 'invalid_grant', 'invalid authorization code');
          }
          if (body.redirect_uri !== code.redirectUri) {
            return oauthError(400, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
          }
          const challenge = createHash('sha256')
            .update(body.code_verifier ?? '')
            .digest('base64url');
          if (body.code_verifier === undefined || challenge !== code.codeChallenge) {
            return oauthError(400, 'invalid_grant', 'invalid code verifier');
          }
          store.authorizationCodes.update(code.id, { used: true });
          const user = store.users.get(code.userId);
          if (user === undefined || !user.IsActive) return oauthError(400, 'invalid_grant', 'inactive user');
          identify(user.Id);
          const offline = code.scope
            .split(/\s+/)
            .some((scope) => scope === 'refresh_token' || scope === 'offline_access' || scope === 'full');
          const refresh = offline
            ? store.refreshTokens.insert({
                id: `5Aep861${randomBytes(60).toString('base64url')}`,
                clientId: app.id,
                userId: user.Id,
                scope: code.scope,
                revoked: false,
              })
            : undefined;
          return json(200, {
            ...tokenAnswer(request, app, user, code.scope, refresh?.id ?? null),
            ...(refresh === undefined ? {} : { refresh_token: refresh.id }),
          });
        }
        if (body.grant_type === 'refresh_token') {
          // The secret is optional on a refresh, but a wrong one is refused.
          if (body.client_secret !== undefined && !secretOk)
            return oauthError(400, 'invalid_client', 'invalid client credentials');
          const refresh = store.refreshTokens.get(body.refresh_token ?? '');
          if (refresh === undefined || refresh.revoked || refresh.clientId !== app.id) {
            return oauthError(400, 'invalid_grant', 'expired access/refresh token');
          }
          const user = store.users.get(refresh.userId);
          if (user === undefined || !user.IsActive) return oauthError(400, 'invalid_grant', 'inactive user');
          identify(user.Id);
          return json(200, tokenAnswer(request, app, user, refresh.scope, refresh.id));
        }
        return oauthError(400, 'unsupported_grant_type', 'grant type not supported');
      },
    },
    {
      method: 'POST',
      path: '/services/oauth2/revoke',
      name: 'oauth.revoke',
      // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm
      handler: (request) => {
        const token = formOf(request.body).token ?? request.query.get('token') ?? '';
        const refresh = store.refreshTokens.get(token);
        if (refresh !== undefined) {
          store.refreshTokens.update(refresh.id, { revoked: true });
          for (const access of store.accessTokens.filter(
            (candidate) => candidate.refreshTokenId === refresh.id,
          )) {
            store.accessTokens.update(access.id, { revoked: true });
          }
          return { status: 200 };
        }
        if (store.accessTokens.get(token) !== undefined) {
          store.accessTokens.update(token, { revoked: true });
          return { status: 200 };
        }
        return oauthError(400, 'unsupported_token_type', 'this token type is not supported');
      },
    },
    {
      method: 'GET',
      path: '/id/:orgId/:userId',
      name: 'identity',
      handler: (request, { params, identify }) => {
        const session = sessionOf(store, request);
        // The identity service answers in plain text, not in the REST API's JSON errors.
        if (session === undefined) return { status: 403, body: 'Bad_OAuth_Token' };
        const user = store.users.find((candidate) => sameId(candidate.Id, params.userId ?? ''));
        if (!sameId(store.orgId, params.orgId ?? '') || user === undefined)
          return { status: 404, body: 'Bad_Id' };
        identify(session.user.Id);
        const version = request.query.get('version') ?? '{version}';
        const data = `${request.origin}/services/data/v${version}`;
        return json(200, {
          id: `${request.origin}/id/${store.orgId}/${user.Id}`,
          asserted_user: sameId(user.Id, session.user.Id),
          user_id: user.Id,
          organization_id: store.orgId,
          username: user.Username,
          nick_name: user.Username.split('@')[0],
          display_name: user.Name,
          email: user.Email,
          email_verified: true,
          first_name: user.FirstName,
          last_name: user.LastName,
          timezone: 'Etc/UTC',
          active: user.IsActive,
          user_type: 'STANDARD',
          language: 'en_US',
          locale: 'en_US',
          utcOffset: 0,
          last_modified_date: user.LastModifiedDate,
          is_app_installed: true,
          urls: {
            rest: `${data}/`,
            sobjects: `${data}/sobjects/`,
            query: `${data}/query/`,
            recent: `${data}/recent/`,
            profile: `${request.origin}/${user.Id}`,
            custom_domain: request.origin,
          },
        });
      },
    },
  ];
}
