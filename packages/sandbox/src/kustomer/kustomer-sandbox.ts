import { z } from 'zod';
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

/**
 * How the sandbox words a rate-limit answer (a 429). Kustomer documents the `x-ratelimit-limit`,
 * `x-ratelimit-remaining` and `x-ratelimit-reset` headers, and does not promise a Retry-After, so
 * by default none is sent and the wait is in `x-ratelimit-reset` only. The reset header's form is
 * not documented (UNCONFIRMED): seconds until a request is admitted again (default), or the epoch
 * second it happens at, by the sandbox's clock. Fractions are kept when time is scaled down.
 * https://developer.kustomer.com/kustomer-api-docs/reference/rate-limiting
 */
export const kustomerRateLimitAnswerSchema = z.object({
  /** Also send `Retry-After` (seconds) on a 429. Default false. */
  retryAfter: z.boolean().default(false),
  /** `x-ratelimit-reset` as seconds to wait (`delta-seconds`, default) or as an epoch second (`epoch-seconds`). */
  reset: z.enum(['delta-seconds', 'epoch-seconds']).default('delta-seconds'),
});

export type KustomerSandboxOptions = SandboxOptions & {
  rateLimitAnswer?: z.input<typeof kustomerRateLimitAnswerSchema> | undefined;
};

/** The credentials `revokeCredential` accepts (the seed's key names). */
export const kustomerCredentialNames = ['apiKey', 'limitedApiKey'] as const;

function kustomerDialect(
  answer: z.output<typeof kustomerRateLimitAnswerSchema>,
  clock: () => number,
): SandboxDialect {
  return {
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
      const reset =
        answer.reset === 'delta-seconds'
          ? retryAfter
          : String(Math.round(clock() + Number(retryAfter) * 1000) / 1000);
      return {
        ...response,
        headers: {
          ...(limit === undefined ? {} : { 'x-ratelimit-limit': String(limit) }),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': reset,
          ...(answer.retryAfter ? { 'Retry-After': retryAfter } : {}),
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
}

export function createKustomerSandbox(input: KustomerSandboxOptions = {}): KustomerSandbox {
  const { rateLimitAnswer, ...options } = input;
  const clock = options.clock ?? Date.now;
  const dialect = kustomerDialect(kustomerRateLimitAnswerSchema.parse(rateLimitAnswer ?? {}), clock);
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
