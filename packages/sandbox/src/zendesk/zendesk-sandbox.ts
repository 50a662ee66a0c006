import { z } from 'zod';
import { json } from '../http-exchange.js';
import { createRouteTable } from '../routes.js';
import { createSandbox, type Sandbox, type SandboxDialect, type SandboxOptions } from '../sandbox.js';
import { tokenEndpoint } from './zendesk-auth.js';
import { createZendeskStore, type ZendeskSeed, type ZendeskStore } from './zendesk-store.js';
import { ticketRoutes } from './zendesk-tickets.js';
import { userRoutes } from './zendesk-users.js';

/**
 * The Zendesk Support sandbox: the subset of the Ticketing API v2 the Zendesk plugin uses, with
 * API-token and OAuth client-credentials auth, seeded with an admin, two agents and a suspended
 * agent. Point the plugin at it through its normal `subdomain` setting: the sandbox's URL.
 */

export type ZendeskSandbox = Sandbox<ZendeskStore, ZendeskSeed>;

export const zendeskSandboxOptionsSchema = z.object({
  /** Lifetime of OAuth access tokens in seconds; omitted, tokens have no `expires_in` and never expire. */
  oauthTokenLifetimeSeconds: z.number().positive().optional(),
  /** What `users/me` answers for bad credentials: `error` (401, default) or `anonymous-user` (200, also reported). */
  badCredentialsOnMe: z.enum(['error', 'anonymous-user']).default('error'),
});
export type ZendeskSandboxOptions = SandboxOptions & z.input<typeof zendeskSandboxOptionsSchema>;

/** The credentials `revokeCredential` accepts. */
export const zendeskCredentialNames = ['apiToken', 'oauthClient', 'oauthAccessTokens'] as const;

const dialect: SandboxDialect = {
  notFound: () => json(404, { error: 'InvalidEndpoint', description: 'Not found' }),
  methodNotAllowed: () => json(405, { error: 'MethodNotAllowed', description: 'Method not allowed' }),
  malformedBody: (error) =>
    error.status === 413
      ? json(413, { error: 'RequestEntityTooLarge', description: error.message })
      : json(400, { error: 'InvalidJSON', description: error.message }),
  rateLimited: ({ retryAfter }) =>
    json(
      429,
      { error: 'TooManyRequests', description: 'Rate limit exceeded' },
      { 'Retry-After': retryAfter },
    ),
  serverError: ({ status, retryAfter }) =>
    json(
      status,
      {
        error: status === 503 ? 'ServiceUnavailable' : 'InternalServerError',
        description: 'Zendesk had a problem; try again later',
      },
      retryAfter === undefined ? {} : { 'Retry-After': retryAfter },
    ),
  // https://developer.zendesk.com/api-reference/introduction/rate-limits/
  commonHeaders: (limit): Record<string, string> =>
    limit === undefined
      ? {}
      : { 'X-Rate-Limit': String(limit.limit), 'X-Rate-Limit-Remaining': String(limit.remaining) },
};

export function createZendeskSandbox(input: ZendeskSandboxOptions = {}): ZendeskSandbox {
  const { oauthTokenLifetimeSeconds, badCredentialsOnMe, ...sandboxOptions } = input;
  const options = zendeskSandboxOptionsSchema.parse({ oauthTokenLifetimeSeconds, badCredentialsOnMe });
  const clock = sandboxOptions.clock ?? Date.now;
  const { store, seed } = createZendeskStore();
  const routes = createRouteTable([
    {
      method: 'POST',
      path: '/oauth/tokens',
      name: 'oauth.token',
      handler: tokenEndpoint(store, clock, { tokenLifetimeSeconds: options.oauthTokenLifetimeSeconds }),
    },
    ...userRoutes(store, clock, { badCredentialsOnMe: options.badCredentialsOnMe }),
    ...ticketRoutes(store, clock),
  ]);

  return createSandbox(
    {
      name: 'zendesk',
      routes,
      dialect,
      store,
      seed,
      // Zendesk accepts every endpoint with or without the `.json` suffix.
      rewritePath: (path) => path.replace(/\.json$/, ''),
      revokeCredential(name) {
        if (name === 'apiToken') {
          for (const token of store.apiTokens.all()) store.apiTokens.update(token.id, { active: false });
        } else if (name === 'oauthClient') {
          for (const client of store.oauthClients.all())
            store.oauthClients.update(client.id, { active: false });
        } else if (name === 'oauthAccessTokens') {
          for (const token of store.accessTokens.all())
            store.accessTokens.update(token.id, { revoked: true });
        } else {
          throw new Error(
            `The Zendesk sandbox has no credential "${name}"; use one of ${zendeskCredentialNames.join(', ')}`,
          );
        }
      },
      deactivateUser(email) {
        const user = store.users.find((candidate) => candidate.email === email.toLowerCase());
        if (user === undefined) throw new Error(`The Zendesk sandbox has no user ${email}`);
        // What an admin does to an agent who left: suspend them (they can no longer sign in or own tickets).
        store.users.update(user.id, { suspended: true, updated_at: new Date(clock()).toISOString() });
      },
    },
    sandboxOptions,
  );
}

/** How the Zendesk plugin authenticates: an admin's API token, or a confidential OAuth client. */
export type ZendeskSandboxAuthMode = 'apiToken' | 'oauthClientCredentials';

/**
 * The Zendesk plugin's connection settings, written out here because the sandbox imports no
 * plugin; a test that hands them to the plugin checks they still fit its settings form.
 */
export interface ZendeskSandboxSettings {
  /** The sandbox's URL, where a real account's subdomain goes. */
  subdomain: string;
  authMode: ZendeskSandboxAuthMode;
  email?: string | undefined;
  apiToken?: string | undefined;
  oauthClientId?: string | undefined;
  oauthClientSecret?: string | undefined;
}

/**
 * Settings for the Zendesk plugin that point at this sandbox (the started sandbox's URL as the
 * subdomain), as the seeded admin: with the API token, or with the OAuth client.
 */
export function zendeskSandboxSettings(
  sandbox: ZendeskSandbox,
  authMode: ZendeskSandboxAuthMode = 'apiToken',
): ZendeskSandboxSettings {
  const admin = sandbox.seed.users.find((user) => user.key === 'admin');
  const { credentials } = sandbox.seed;
  if (authMode === 'oauthClientCredentials') {
    return {
      subdomain: sandbox.url,
      authMode,
      oauthClientId: credentials.oauthClientId,
      oauthClientSecret: credentials.oauthClientSecret,
    };
  }
  return { subdomain: sandbox.url, authMode, email: admin?.email, apiToken: credentials.apiToken };
}
