import {
  type AuthProvider,
  ConnectionClosedError,
  createHttpClient,
  type HttpClient,
  type PluginContext,
} from '@crm-connect/core';
import { acquireTokenSource, type TokenSource } from './dynamics-auth.js';
import { dataverseErrorMapper } from './dynamics-errors.js';
import { pluginId } from './dynamics-plugin-id.js';
import { type DynamicsCredentials, type DynamicsSettings, requireCredentials } from './dynamics-settings.js';

/**
 * How long an access token stays registered with the redactor: Microsoft Entra access tokens live
 * 60 to 90 minutes; a rotated one is no longer held once it can no longer be used.
 */
const accessTokenLifetimeMs = 2 * 60 * 60_000;

/** The Web API version every path is relative to. */
export const webApiPath = '/api/data/v9.2/';

/**
 * Dataverse service protection limits, per user and web server: 6,000 requests in a sliding
 * 5-minute window and 52 concurrent requests. The budget stays below the concurrency cap so other
 * integrations of the same application user keep some room.
 * https://learn.microsoft.com/power-apps/developer/data-platform/api-limits
 */
const serviceProtection = { requestsPerInterval: 6_000, intervalMs: 300_000, maxConcurrency: 16 };

/** Everything a Dynamics connection needs: the settings, the token source and the Web API client. */
export interface DynamicsApi {
  settings: DynamicsSettings;
  credentials: DynamicsCredentials;
  context: PluginContext;
  http: HttpClient;
  /** Acquires a new token now, skipping the cache (the live check on save); throws typed errors. */
  freshToken(): Promise<void>;
  /** A link an agent can open in the Dynamics 365 web client. */
  recordUrl(table: 'incident' | 'contact', id: string): string;
  /**
   * Releases the process-wide token source (dropped once no other connection holds it). Later
   * requests are refused unsent, so a closed connection never asks for a token again. Idempotent.
   */
  close(): void;
}

export function createDynamicsApi(settings: DynamicsSettings, context: PluginContext): DynamicsApi {
  const credentials = requireCredentials(settings);
  context.redactor.add(credentials.clientSecret);
  const lease = acquireTokenSource(credentials);
  const tokens: TokenSource = lease.source;
  const { organizationUrl } = credentials;
  let closed = false;
  const refuseWhenClosed = () => {
    if (!closed) return;
    throw new ConnectionClosedError(`dynamics: this connection to ${organizationUrl}`, { pluginId });
  };
  const timeoutMs = context.http.timeoutMs ?? 30_000;
  // Credentials for one request: it remembers the token it sent, so that a 401 replaces that token
  // only, not a newer one another request's 401 already got.
  const authForRequest = (): AuthProvider => {
    let sent: string | undefined;
    return {
      async headers() {
        sent = await tokens.accessToken(organizationUrl, { fresh: false, timeoutMs });
        context.redactor.add(sent, { expiresInMs: accessTokenLifetimeMs });
        return { Authorization: `Bearer ${sent}` };
      },
      // A 401 means the token was revoked or expired early: one refresh, then one resend.
      async refresh() {
        await tokens.refresh(organizationUrl, timeoutMs, sent);
        return true;
      },
    };
  };
  const client = createHttpClient({
    pluginId,
    baseUrl: `${organizationUrl}${webApiPath}`,
    auth: authForRequest(),
    budget: context.rateBudgets.forAccount(
      `${pluginId}:${organizationUrl}:${credentials.clientId}`,
      serviceProtection,
    ),
    redactor: context.redactor,
    logger: context.logger,
    mapError: dataverseErrorMapper({ organizationUrl, clientId: credentials.clientId }),
    retry: context.http.retry,
    timeoutMs: context.http.timeoutMs,
    // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#http-headers
    defaultHeaders: { Accept: 'application/json', 'OData-MaxVersion': '4.0', 'OData-Version': '4.0' },
  });
  const http: HttpClient = {
    baseUrl: client.baseUrl,
    async request(options) {
      refuseWhenClosed();
      return client.request({ ...options, auth: options.auth ?? authForRequest() });
    },
    close: () => client.close(),
  };
  return {
    settings,
    credentials,
    context,
    http,
    async freshToken() {
      refuseWhenClosed();
      const token = await tokens.accessToken(organizationUrl, { fresh: true, timeoutMs });
      context.redactor.add(token, { expiresInMs: accessTokenLifetimeMs });
    },
    recordUrl: (table, id) =>
      `${organizationUrl}/main.aspx?pagetype=entityrecord&etn=${table}&id=${encodeURIComponent(id)}`,
    close() {
      closed = true;
      lease.release();
      client.close();
    },
  };
}

/** Headers of a JSON write. */
export const jsonWrite = { 'Content-Type': 'application/json; charset=utf-8' } as const;
/** Headers of a read: `If-None-Match: null` keeps intermediaries from answering 304 from a cache. */
export const freshRead = { 'If-None-Match': 'null' } as const;

/** A Web API path with OData query options, values percent-encoded (spaces as %20, not +). */
export function odata(path: string, options: Readonly<Record<string, string | undefined>>): string {
  const query = Object.entries(options)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
  return query === '' ? path : `${path}?${query}`;
}

/** A record key in a path (`incidents(<key>)`): ids come from Dataverse, but are never trusted as path syntax. */
export function key(id: string): string {
  return encodeURIComponent(id);
}

/** A string literal for an OData `$filter`: single quotes are doubled. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The id in an `OData-EntityId` header (`…/incidents(<id>)`), when present. */
export function entityIdFromHeader(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /\(([^()]+)\)\s*$/.exec(header)?.[1];
}
