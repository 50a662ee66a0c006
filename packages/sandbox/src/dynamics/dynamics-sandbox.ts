import { z } from 'zod';
import { createRouteTable } from '../routes.js';
import { createSandbox, type Sandbox, type SandboxDialect, type SandboxOptions } from '../sandbox.js';
import { sandboxTls } from '../sandbox-certificate.js';
import { tokenEndpoint } from './dynamics-auth.js';
import { recordRoutes } from './dynamics-records.js';
import { createDynamicsStore, type DynamicsSeed, type DynamicsStore } from './dynamics-store.js';
import { userRoutes } from './dynamics-users.js';
import { aadUnavailable, dataverseCodes, odataError } from './dynamics-wire.js';

/**
 * The Dynamics 365 sandbox: a Microsoft Entra tenant's token endpoint and a Dataverse
 * environment's Web API v9.2 (the subset the Dynamics plugin uses) on one https server, since
 * msal-node accepts only https authorities. Its URL is both the plugin's organization URL and its
 * authority host; the client process must trust the sandbox certificate (`NODE_EXTRA_CA_CERTS`,
 * `sandboxCertificate()`).
 */

export type DynamicsSandbox = Sandbox<DynamicsStore, DynamicsSeed>;

export const dynamicsSandboxOptionsSchema = z.object({
  /** Lifetime of the access tokens the token endpoint issues, in seconds. Default 3599, like Entra. */
  tokenLifetimeSeconds: z.number().int().positive().default(3599),
});
export type DynamicsSandboxOptions = SandboxOptions & z.input<typeof dynamicsSandboxOptionsSchema>;

/** The credentials `revokeCredential` accepts. */
export const dynamicsCredentialNames = ['clientSecret', 'unlinkedClientSecret', 'accessTokens'] as const;

/** The Microsoft Entra token endpoint's route. */
const tokenRoute = 'oauth.token';

// https://learn.microsoft.com/power-apps/developer/data-platform/api-limits
const dialect: SandboxDialect = {
  notFound: (request) =>
    odataError(
      404,
      dataverseCodes.noResource,
      `Resource not found for the segment '${request.path.split('/').at(-1) ?? ''}'.`,
    ),
  methodNotAllowed: (request) =>
    odataError(
      405,
      dataverseCodes.badQuery,
      `The requested resource does not support http method '${request.method}'.`,
    ),
  malformedBody: (error) =>
    error.status === 413
      ? odataError(413, dataverseCodes.badPayload, error.message)
      : odataError(
          400,
          dataverseCodes.badPayload,
          `Error identified in Payload provided by the user: ${error.message}`,
        ),
  // The tenant's token endpoint is Microsoft Entra, not Dataverse: it answers in Entra's shape.
  rateLimited: ({ retryAfter, route }) =>
    route === tokenRoute
      ? aadUnavailable(429, retryAfter)
      : odataError(
          429,
          dataverseCodes.throttled,
          'Number of requests exceeded the limit of 6000 over time window of 300 seconds.',
          { 'Retry-After': retryAfter },
        ),
  serverError: ({ status, retryAfter, route }) =>
    route === tokenRoute
      ? aadUnavailable(status, retryAfter)
      : odataError(
          status,
          dataverseCodes.unexpected,
          'An unexpected error occurred.',
          retryAfter === undefined ? {} : { 'Retry-After': retryAfter },
        ),
  commonHeaders: (limit): Record<string, string> => ({
    'OData-Version': '4.0',
    ...(limit === undefined
      ? {}
      : { 'x-ms-ratelimit-burst-remaining-xrm-requests': String(limit.remaining) }),
  }),
};

export function createDynamicsSandbox(input: DynamicsSandboxOptions = {}): DynamicsSandbox {
  const { tokenLifetimeSeconds, ...sandboxOptions } = input;
  const options = dynamicsSandboxOptionsSchema.parse({ tokenLifetimeSeconds });
  const clock = sandboxOptions.clock ?? Date.now;
  const { store, seed } = createDynamicsStore();
  const routes = createRouteTable([
    {
      method: 'POST',
      path: '/:tenant/oauth2/v2.0/token',
      name: tokenRoute,
      handler: tokenEndpoint(store, clock, { tokenLifetimeSeconds: options.tokenLifetimeSeconds }),
    },
    ...userRoutes(store, clock),
    ...recordRoutes(store, clock),
  ]);

  return createSandbox(
    {
      name: 'dynamics',
      routes,
      dialect,
      store,
      seed,
      revokeCredential(name) {
        if (name === 'clientSecret' || name === 'unlinkedClientSecret') {
          const clientId =
            name === 'clientSecret' ? seed.credentials.clientId : seed.credentials.unlinkedClientId;
          // Deleting a secret in Entra refuses new token requests; tokens already issued live on until they expire.
          store.appRegistrations.update(clientId, { secretActive: false });
        } else if (name === 'accessTokens') {
          for (const token of store.accessTokens.all())
            store.accessTokens.update(token.id, { revoked: true });
        } else {
          throw new Error(
            `The Dynamics sandbox has no credential "${name}"; use one of ${dynamicsCredentialNames.join(', ')}`,
          );
        }
      },
      deactivateUser(email) {
        const user = store.systemUsers.find(
          (candidate) => candidate.internalemailaddress === email.toLowerCase(),
        );
        if (user === undefined) throw new Error(`The Dynamics sandbox has no user ${email}`);
        // Dynamics disables a user who left (isdisabled): they can no longer own records or be impersonated.
        store.systemUsers.update(user.id, {
          isdisabled: true,
          modifiedon: new Date(clock()).toISOString().replace(/\.\d+Z$/, 'Z'),
          versionnumber: store.nextVersion(),
        });
      },
    },
    // https only: msal-node refuses an http authority. The generated loopback certificate unless told otherwise.
    { ...sandboxOptions, tls: sandboxOptions.tls ?? sandboxTls() },
  );
}

/**
 * The Dynamics plugin's connection settings, written out here because the sandbox imports no
 * plugin; a test that hands them to the plugin checks they still fit its settings form.
 */
export interface DynamicsSandboxSettings {
  /** The sandbox's URL, where the environment's URL goes. */
  organizationUrl: string;
  /** The sandbox's URL again: it also serves the tenant's token endpoint. */
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/**
 * Settings for the Dynamics plugin that point at this sandbox: its URL as both the organization
 * URL and the authority host, with the `crm-connect` app registration (or the one that has no
 * application user).
 */
export function dynamicsSandboxSettings(
  sandbox: DynamicsSandbox,
  app: 'application' | 'unlinked' = 'application',
): DynamicsSandboxSettings {
  const { credentials } = sandbox.seed;
  return {
    organizationUrl: sandbox.url,
    authorityHost: sandbox.url,
    tenantId: credentials.tenantId,
    clientId: app === 'application' ? credentials.clientId : credentials.unlinkedClientId,
    clientSecret: app === 'application' ? credentials.clientSecret : credentials.unlinkedClientSecret,
  };
}
