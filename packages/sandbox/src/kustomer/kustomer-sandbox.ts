import { createRouteTable } from '../routes.js';
import { createSandbox, type Sandbox, type SandboxDialect, type SandboxOptions } from '../sandbox.js';
import { conversationRoutes } from './kustomer-conversations.js';
import { customerRoutes } from './kustomer-customers.js';
import { createKustomerStore, type KustomerSeed, type KustomerStore } from './kustomer-store.js';
import { userRoutes } from './kustomer-users.js';
import { kustomerError } from './kustomer-wire.js';

/**
 * The Kustomer sandbox: the subset of the v1 API the Kustomer plugin uses (Bearer API keys with
 * roles, users, customers, conversations, notes), seeded with an admin, two agents, a deleted
 * agent and two API keys. Point the plugin at it through its normal `apiBaseUrl` setting.
 */

export type KustomerSandbox = Sandbox<KustomerStore, KustomerSeed>;
export type KustomerSandboxOptions = SandboxOptions;

/** The credentials `revokeCredential` accepts (the seed's key names). */
export const kustomerCredentialNames = ['apiKey', 'limitedApiKey'] as const;

const dialect: SandboxDialect = {
  notFound: () => kustomerError(404, 'not_found', 'Not Found'),
  methodNotAllowed: () => kustomerError(405, 'method_not_allowed', 'Method Not Allowed'),
  malformedBody: (error) =>
    kustomerError(
      error.status,
      error.status === 413 ? 'payload_too_large' : 'bad_request',
      'Bad Request',
      error.message,
    ),
  rateLimited: ({ retryAfter, limit }) => {
    const response = kustomerError(429, 'rate_limited', 'Too Many Requests');
    return {
      ...response,
      headers: {
        'Retry-After': retryAfter,
        'x-ratelimit-remaining': '0',
        ...(limit === undefined ? {} : { 'x-ratelimit-limit': String(limit) }),
      },
    };
  },
  serverError: ({ status, retryAfter }) => {
    const response = kustomerError(
      status,
      'server_error',
      status === 503 ? 'Service Unavailable' : 'Internal Server Error',
    );
    const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': retryAfter };
    return { ...response, headers };
  },
  // https://developer.kustomer.com/kustomer-api-docs/reference/rate-limiting
  commonHeaders: (limit): Record<string, string> =>
    limit === undefined
      ? {}
      : { 'x-ratelimit-limit': String(limit.limit), 'x-ratelimit-remaining': String(limit.remaining) },
};

export function createKustomerSandbox(options: KustomerSandboxOptions = {}): KustomerSandbox {
  const clock = options.clock ?? Date.now;
  const { store, seed } = createKustomerStore();
  const routes = createRouteTable([
    ...userRoutes(store),
    ...customerRoutes(store, clock),
    ...conversationRoutes(store, clock),
  ]);
  return createSandbox(
    {
      name: 'kustomer',
      routes,
      dialect,
      store,
      seed,
      revokeCredential(name) {
        if (!(kustomerCredentialNames as readonly string[]).includes(name)) {
          throw new Error(
            `The Kustomer sandbox has no credential "${name}"; use one of ${kustomerCredentialNames.join(', ')}`,
          );
        }
        const token = seed.credentials[name as (typeof kustomerCredentialNames)[number]];
        const key = store.apiKeys.find((candidate) => candidate.token === token);
        if (key !== undefined) store.apiKeys.update(key.id, { revoked: true });
      },
      deactivateUser(email) {
        const user = store.users.find((candidate) => candidate.email === email.toLowerCase());
        if (user === undefined) throw new Error(`The Kustomer sandbox has no user ${email}`);
        const time = new Date(clock()).toISOString();
        store.users.update(user.id, { deleted: true, deletedAt: time, updatedAt: time });
      },
    },
    options,
  );
}

/**
 * The Kustomer plugin's connection settings, written out here because the sandbox imports no
 * plugin; a test that hands them to the plugin checks they still fit its settings form.
 */
export interface KustomerSandboxSettings {
  /** The sandbox's URL, where the organization's API host goes. */
  apiBaseUrl: string;
  apiKey: string;
}

/** Settings for the Kustomer plugin that point at this sandbox (its URL as the API base URL) with the full API key. */
export function kustomerSandboxSettings(
  sandbox: KustomerSandbox,
  apiKey: keyof KustomerSeed['credentials'] = 'apiKey',
): KustomerSandboxSettings {
  return { apiBaseUrl: sandbox.url, apiKey: sandbox.seed.credentials[apiKey] };
}
