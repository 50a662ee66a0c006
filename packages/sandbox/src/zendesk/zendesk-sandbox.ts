import { z } from 'zod';
import { json } from '../http-exchange.js';
import { createRouteTable } from '../routes.js';
import { createSandbox, type Sandbox, type SandboxDialect, type SandboxOptions } from '../sandbox.js';
import { createZendeskAnswerLog, type ZendeskAnswerLog } from './zendesk-answers.js';
import { tokenEndpoint } from './zendesk-auth.js';
import { createZendeskStore, type ZendeskSeed, type ZendeskStore } from './zendesk-store.js';
import { ticketRoutes } from './zendesk-tickets.js';
import { userRoutes } from './zendesk-users.js';

/**
 * The Zendesk Support sandbox: the subset of the Ticketing API v2 the Zendesk plugin uses, with
 * API-token and OAuth client-credentials auth, seeded with an admin, two agents and a suspended
 * agent. Point the plugin at it through its normal `subdomain` setting: the sandbox's URL.
 */

export type ZendeskSandbox = Sandbox<ZendeskStore, ZendeskSeed> & {
  /** What the routes answered, request beside answer (tests check them against Zendesk's OpenAPI file). */
  readonly answers: ZendeskAnswerLog;
};

export const zendeskSandboxOptionsSchema = z.object({
  /** Lifetime of OAuth access tokens in seconds; omitted, tokens have no `expires_in` and never expire. */
  oauthTokenLifetimeSeconds: z.number().positive().optional(),
  /** What `users/me` answers for bad credentials: `error` (401, default) or `anonymous-user` (200, also reported). */
  badCredentialsOnMe: z.enum(['error', 'anonymous-user']).default('error'),
  /**
   * The body of a 429 (always with `Retry-After`): `text/plain` (default: what Zendesk's account
   * and endpoint limits are reported to answer), `text/html` (the example in Zendesk's "Best
   * practices for avoiding rate limiting") or `json` (`{"error":"TooManyRequests",…}`, the shape
   * the sandbox used to answer; a client must cope with any of them).
   */
  rateLimitAnswer: z.enum(['text/plain', 'text/html', 'json']).default('text/plain'),
});
export type ZendeskSandboxOptions = SandboxOptions & z.input<typeof zendeskSandboxOptionsSchema>;
type ZendeskSandboxOptionsOutput = z.output<typeof zendeskSandboxOptionsSchema>;

/** The credentials `revokeCredential` accepts. */
export const zendeskCredentialNames = ['apiToken', 'oauthClient', 'oauthAccessTokens'] as const;

/**
 * Zendesk's rate-limit answer. The documented example (developer.zendesk.com, "Best practices for
 * avoiding rate limiting") is `429`, `Content-Type: text/html; charset=utf-8`, `Retry-After: 93`
 * and a one-line text body; integrators report `text/plain` bodies. The exact wording of the
 * account-wide limit's text is UNCONFIRMED.
 */
const rateLimitText = 'Rate limit exceeded, please wait before making more requests';

function rateLimitResponse(shape: ZendeskSandboxOptionsOutput['rateLimitAnswer'], retryAfter: string) {
  if (shape === 'json') {
    return json(
      429,
      { error: 'TooManyRequests', description: 'Rate limit exceeded' },
      { 'Retry-After': retryAfter },
    );
  }
  return {
    status: 429,
    headers: { 'Retry-After': retryAfter, 'Content-Type': `${shape}; charset=utf-8` },
    body: rateLimitText,
  };
}

const dialectFor = (options: ZendeskSandboxOptionsOutput): SandboxDialect => ({
  notFound: () => json(404, { error: 'InvalidEndpoint', description: 'Not found' }),
  methodNotAllowed: () => json(405, { error: 'MethodNotAllowed', description: 'Method not allowed' }),
  malformedBody: (error) =>
    error.status === 413
      ? json(413, { error: 'RequestEntityTooLarge', description: error.message })
      : json(400, { error: 'InvalidJSON', description: error.message }),
  rateLimited: ({ retryAfter }) => rateLimitResponse(options.rateLimitAnswer, retryAfter),
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
});

export function createZendeskSandbox(input: ZendeskSandboxOptions = {}): ZendeskSandbox {
  const { oauthTokenLifetimeSeconds, badCredentialsOnMe, rateLimitAnswer, ...sandboxOptions } = input;
  const options = zendeskSandboxOptionsSchema.parse({
    oauthTokenLifetimeSeconds,
    badCredentialsOnMe,
    rateLimitAnswer,
  });
  const clock = sandboxOptions.clock ?? Date.now;
  const { store, seed } = createZendeskStore();
  const answers = createZendeskAnswerLog();
  const routes = createRouteTable(
    answers.record([
      {
        method: 'POST',
        path: '/oauth/tokens',
        name: 'oauth.token',
        handler: tokenEndpoint(store, clock, { tokenLifetimeSeconds: options.oauthTokenLifetimeSeconds }),
      },
      ...userRoutes(store, clock, { badCredentialsOnMe: options.badCredentialsOnMe }),
      ...ticketRoutes(store, clock),
    ]),
  );

  const sandbox = createSandbox(
    {
      name: 'zendesk',
      routes,
      dialect: dialectFor(options),
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
  // Assigned onto the machinery's object (not spread) so its `url` getter keeps working.
  return Object.assign(sandbox, { answers: { entries: answers.entries, clear: answers.clear } });
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
