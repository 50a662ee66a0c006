import {
  type AuthProvider,
  ConfigurationError,
  ConnectionClosedError,
  type CrmUser,
  cacheOnSuccess,
  createHttpClient,
  type HttpClient,
  type HttpResponse,
  type PluginContext,
  type RateBudget,
  type RequestOptions,
} from '@crm-connect/core';
import { z } from 'zod';
import { createErrorMapper, operations } from './kustomer-errors.js';
import { pluginId } from './kustomer-plugin-id.js';
import type { KustomerCredentials, KustomerSettings } from './kustomer-settings.js';
import { toCrmUser, userResourceSchema } from './kustomer-users.js';

/** Who the API key acts as. */
export interface KustomerIdentity {
  /** The key's machine user: the default user, and the performer of every write. */
  user: CrmUser;
  /** The organization's id; `undefined` if Kustomer did not name it. */
  orgId: string | undefined;
  /** The roles on the user record, when listed there. */
  roles: readonly string[] | undefined;
}

/** Kustomer's API, budgeted per organization. */
export interface KustomerClient {
  readonly apiBaseUrl: string;
  /** The key's user and organization; asked once, then cached (a failure is not cached). */
  identity(): Promise<KustomerIdentity>;
  /** A request on the organization's shared rate budget. */
  request<TData = unknown>(options: RequestOptions): Promise<HttpResponse<TData>>;
  /**
   * Refuses later calls unsent, and keeps a key's user read under way from joining the
   * organization's budget once the connector has released its budgets. Idempotent.
   */
  close(): void;
}

/** Settings with the credentials filled in, or a `ConfigurationError` naming what is missing. */
export function requireCredentials(settings: KustomerSettings): KustomerCredentials {
  const { apiBaseUrl, apiKey } = settings;
  if (apiBaseUrl !== undefined && apiKey !== undefined) return { ...settings, apiBaseUrl, apiKey };
  const missing = [
    apiKey === undefined ? 'apiKey' : undefined,
    apiBaseUrl === undefined ? 'apiBaseUrl' : undefined,
  ]
    .filter((field) => field !== undefined)
    .map((path) => ({ path, message: `${path}: required` }));
  throw new ConfigurationError(
    `Kustomer: fill in ${missing.map((issue) => issue.path).join(' and ')} in the settings (the API key from Settings › Security › API Keys, and your organization's API host https://{org}.api.kustomerapp.com).`,
    { pluginId, issues: missing },
  );
}

// https://developer.kustomer.com/docs/get-started/authentication (its example request is GET /v1/users/current)
const currentUserSchema = z.object({
  data: userResourceSchema.extend({
    relationships: z
      .object({ org: z.object({ data: z.object({ id: z.string().min(1) }).nullish() }).nullish() })
      .nullish(),
  }),
});

/**
 * Every call to one organization counts against one budget: Kustomer's limit is per
 * organization, across all its API keys. The organization is known only once the key's user has
 * been read (a regional host serves many organizations), so that first call is budgeted per host
 * and then charged to the organization's budget; every later call goes straight to it. If
 * Kustomer does not name the organization, the host's budget is used for everything: on a
 * regional host that is shared with other organizations, which is slower but never over a limit.
 */
export function createKustomerClient(settings: KustomerCredentials, context: PluginContext): KustomerClient {
  context.redactor.add(settings.apiKey);
  const budgetOptions = { requestsPerInterval: settings.rateLimitPerMinute, intervalMs: 60_000 };
  const hostBudget = context.rateBudgets.forAccount(`${pluginId}:host:${settings.apiBaseUrl}`, budgetOptions);
  const auth: AuthProvider = { headers: async () => ({ Authorization: `Bearer ${settings.apiKey}` }) };
  const clientOn = (budget: RateBudget): HttpClient =>
    createHttpClient({
      pluginId,
      baseUrl: settings.apiBaseUrl,
      auth,
      budget,
      redactor: context.redactor,
      logger: context.logger,
      mapError: createErrorMapper(settings.apiBaseUrl),
      retry: context.http.retry,
      timeoutMs: context.http.timeoutMs,
      defaultHeaders: { Accept: 'application/json' },
    });
  const bootstrap = clientOn(hostBudget);
  /** The organization's client, once the key's user named it. */
  let orgClient: HttpClient | undefined;
  let closed = false;
  const refuseWhenClosed = () => {
    if (!closed) return;
    throw new ConnectionClosedError(`Kustomer: this connection to ${settings.apiBaseUrl}`, { pluginId });
  };

  async function resolve(): Promise<{ identity: KustomerIdentity; http: HttpClient }> {
    const response = await bootstrap.request({
      method: 'GET',
      path: '/v1/users/current',
      operation: operations.currentUser.name,
    });
    const parsed = currentUserSchema.safeParse(response.data);
    if (!parsed.success) {
      throw new ConfigurationError(
        `Kustomer: ${settings.apiBaseUrl} did not answer like Kustomer's API (no user in GET /v1/users/current). Check the API base URL.`,
        {
          pluginId,
          cause: parsed.error,
          issues: [{ path: 'apiBaseUrl', message: 'apiBaseUrl: not a Kustomer API' }],
        },
      );
    }
    const { data } = parsed.data;
    const orgId = data.relationships?.org?.data?.id;
    const identity: KustomerIdentity = {
      user: { ...toCrmUser(data), active: true },
      orgId,
      roles: data.attributes.roles ?? undefined,
    };
    if (orgId === undefined) return { identity, http: bootstrap };
    // Closed while the user was read: the connector has released its budgets, and one joined now would stay.
    refuseWhenClosed();
    const orgBudget = context.rateBudgets.forAccount(`${pluginId}:org:${orgId}`, budgetOptions);
    // The identity call already went out: it takes its slot in the organization's window too. A
    // shared budget that cannot be reached (Redis down) only loses this bookkeeping slot; it must
    // not become an unhandled rejection, which ends a Node process.
    orgBudget.schedule(async () => undefined).catch(() => {});
    orgClient = clientOn(orgBudget);
    return { identity, http: orgClient };
  }

  const ready = cacheOnSuccess(resolve);

  return {
    apiBaseUrl: settings.apiBaseUrl,
    async identity() {
      refuseWhenClosed();
      return (await ready()).identity;
    },
    async request(options) {
      refuseWhenClosed();
      return (await ready()).http.request(options);
    },
    close() {
      closed = true;
      // Both talk to the one API host; each also ends the sockets of its own exchanges under way.
      bootstrap.close();
      orgClient?.close();
    },
  };
}
