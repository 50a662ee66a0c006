import { z } from 'zod';
import { json, type SandboxResponse } from '../http-exchange.js';
import { createRouteTable, type RouteTable } from '../routes.js';
import { createSandbox, type Sandbox, type SandboxDialect, type SandboxOptions } from '../sandbox.js';
import { compositeRoutes } from './salesforce-composite.js';
import { oauthRoutes } from './salesforce-oauth.js';
import { restRoutes } from './salesforce-rest.js';
import { createSalesforceStore, type SalesforceSeed, type SalesforceStore } from './salesforce-store.js';
import { notFound, requestLimitExceeded, salesforceError } from './salesforce-wire.js';

/**
 * The Salesforce sandbox: one org's My Domain with the OAuth endpoints (web server flow with
 * PKCE, refresh, revoke, identity URLs) and the REST API subset the plugin uses (query,
 * composite, sObject Collections, sObject rows). Point the plugin at it through its normal
 * `loginUrl` setting (the sandbox's URL), then link an admin: the authorize endpoint shows a
 * sign-in page for the seeded users, or signs the `login_hint` user in at once with `autoApprove`.
 */

export type SalesforceSandbox = Sandbox<SalesforceStore, SalesforceSeed>;

export const salesforceSandboxOptionsSchema = z.object({
  /** Sign in the user named by `login_hint` without the sign-in page (what the demo and tests use). Default false. */
  autoApprove: z.boolean().default(false),
  /** Callback URLs the connected app accepts besides any URL on a loopback host. Default none. */
  callbackUrls: z.array(z.url()).default([]),
  /** The org's 24-hour REST API allocation; beyond it, 403 REQUEST_LIMIT_EXCEEDED. Default 15,000. */
  apiRequestsPerDay: z.number().int().positive().default(15_000),
});
export type SalesforceSandboxOptions = SandboxOptions & z.input<typeof salesforceSandboxOptionsSchema>;

/** The OAuth endpoints a client posts grants and tokens to (the sign-in pages and the identity URL are not among them). */
const tokenRoutes = new Set(['oauth.token', 'oauth.revoke']);

/**
 * The token endpoint over its rate: 429 with Retry-After and an OAuth error body. UNCONFIRMED:
 * Salesforce documents no rate for its token endpoint (logins are capped per user and hour) nor
 * this answer; it is what the sandbox sends so a client's handling of a 429 there can be seen.
 */
function tokenEndpointRateLimited(retryAfter: string): SandboxResponse {
  return json(
    429,
    { error: 'rate_limit_exceeded', error_description: 'too many requests, retry later' },
    { 'Retry-After': retryAfter },
  );
}

/**
 * The token endpoint during an outage or maintenance: the status with an HTML page, as reported of
 * Salesforce's login servers (a 503 "without any more information"), not a JSON error a client
 * could mistake for a refusal of its grant.
 */
function tokenEndpointUnavailable(status: number, retryAfter: string | undefined): SandboxResponse {
  const title = status === 503 ? 'Service Unavailable' : 'Server Error';
  return {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      ...(retryAfter === undefined ? {} : { 'Retry-After': retryAfter }),
    },
    body: `<!doctype html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1><p>The service is temporarily unavailable. Please try again later.</p></body></html>\n`,
  };
}

/** The credentials `revokeCredential` accepts; `tokens:{email}` revokes one user's grants. */
export const salesforceCredentialNames = ['clientSecret', 'tokens', 'tokens:{email}'] as const;

export function createSalesforceSandbox(input: SalesforceSandboxOptions = {}): SalesforceSandbox {
  const { autoApprove, callbackUrls, apiRequestsPerDay, ...sandboxOptions } = input;
  const options = salesforceSandboxOptionsSchema.parse({ autoApprove, callbackUrls, apiRequestsPerDay });
  const clock = sandboxOptions.clock ?? Date.now;
  const { store, seed } = createSalesforceStore({ apiRequestsPerDay: options.apiRequestsPerDay });

  const dialect: SandboxDialect = {
    notFound: () => notFound(),
    methodNotAllowed: (request, allowed) =>
      salesforceError(
        405,
        'METHOD_NOT_ALLOWED',
        `HTTP Method '${request.method}' not allowed. Allowed are ${allowed.join(',')}`,
      ),
    malformedBody: (error) =>
      error.status === 413
        ? salesforceError(413, 'REQUEST_ENTITY_TOO_LARGE', error.message)
        : salesforceError(400, 'JSON_PARSER_ERROR', error.message),
    // Salesforce's answer to a used-up allocation: 403, with no Retry-After to honour. The OAuth
    // endpoints are not the REST API and do not count against it: they answer as a token endpoint.
    rateLimited: ({ retryAfter, route }) =>
      tokenRoutes.has(route ?? '') ? tokenEndpointRateLimited(retryAfter) : requestLimitExceeded(),
    serverError: ({ status, retryAfter, route }) =>
      tokenRoutes.has(route ?? '')
        ? tokenEndpointUnavailable(status, retryAfter)
        : {
            ...salesforceError(
              status,
              status === 503 ? 'SERVER_UNAVAILABLE' : 'UNKNOWN_EXCEPTION',
              status === 503
                ? 'Server temporarily unavailable; retry later.'
                : 'An unexpected error occurred. Please include this ErrorId if you contact support: 1987654321-12345 (-1234567890)',
            ),
            headers: retryAfter === undefined ? undefined : { 'Retry-After': retryAfter },
          },
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
    commonHeaders: () => ({
      'Sforce-Limit-Info': `api-usage=${store.apiUsage.used}/${store.apiUsage.allocation}`,
    }),
  };

  // Composite subrequests go through the same table the composite route belongs to.
  let routes: RouteTable | undefined;
  const table = () => routes as RouteTable;
  routes = createRouteTable([
    ...oauthRoutes(store, clock, { autoApprove: options.autoApprove, callbackUrls: options.callbackUrls }),
    ...compositeRoutes(store, clock, table, dialect.notFound),
    ...restRoutes(store, clock),
  ]);

  function revokeGrants(userId: string | undefined) {
    for (const token of store.refreshTokens.filter(
      (candidate) => userId === undefined || candidate.userId === userId,
    )) {
      store.refreshTokens.update(token.id, { revoked: true });
    }
    for (const token of store.accessTokens.filter(
      (candidate) => userId === undefined || candidate.userId === userId,
    )) {
      store.accessTokens.update(token.id, { revoked: true });
    }
  }

  return createSandbox(
    {
      name: 'salesforce',
      routes,
      dialect,
      store,
      seed,
      revokeCredential(name) {
        if (name === 'clientSecret') {
          for (const app of store.connectedApps.all())
            store.connectedApps.update(app.id, { secretActive: false });
        } else if (name === 'tokens') {
          // Setup › Connected Apps OAuth Usage › Revoke: every grant of the app ends.
          revokeGrants(undefined);
        } else if (name.startsWith('tokens:')) {
          const email = name.slice('tokens:'.length).toLowerCase();
          const user = store.users.find((candidate) => candidate.Username.toLowerCase() === email);
          if (user === undefined) throw new Error(`The Salesforce sandbox has no user ${email}`);
          revokeGrants(user.Id);
        } else {
          throw new Error(
            `The Salesforce sandbox has no credential "${name}"; use one of clientSecret, tokens, tokens:{email}`,
          );
        }
      },
      deactivateUser(email) {
        const user = store.users.find((candidate) => candidate.Email.toLowerCase() === email.toLowerCase());
        if (user === undefined) throw new Error(`The Salesforce sandbox has no user ${email}`);
        // Deactivating a user ends their sessions and OAuth grants; they can no longer own records.
        store.users.update(user.id, { IsActive: false });
      },
    },
    sandboxOptions,
  );
}

/**
 * The Salesforce plugin's connection settings before any admin is linked, written out here because
 * the sandbox imports no plugin; a test that hands them to the plugin checks they still fit its
 * settings form.
 */
export interface SalesforceSandboxSettings {
  /** The org ID, 15 characters. */
  orgId: string;
  /** The sandbox's URL, where the org's My Domain login URL goes. */
  loginUrl: string;
  /** The connected app's Consumer Key. */
  clientId: string;
  /** The connected app's Consumer Secret. */
  clientSecret: string;
}

/**
 * Settings for the Salesforce plugin that point at this sandbox: its URL as the My Domain login
 * URL, the org ID and the connected app. Admin connections come from linking (`admin.start` and
 * `admin.complete`), as in a real org.
 */
export function salesforceSandboxSettings(sandbox: SalesforceSandbox): SalesforceSandboxSettings {
  const { credentials } = sandbox.seed;
  return {
    orgId: credentials.orgId,
    loginUrl: sandbox.url,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
  };
}
