import {
  bodyExcerpt,
  ConfigurationError,
  type CrmConnectError,
  createHttpClient,
  type ErrorResponse,
  type PluginContext,
  RateLimitedError,
  TransportError,
} from '@crm-connect/core';
import { pluginId } from './salesforce-plugin-id.js';

/**
 * The transport jsforce's OAuth2 client sends its token, refresh and revoke requests through,
 * instead of its own. jsforce builds the requests (grant parameters, the PKCE verifier) and reads
 * Salesforce's OAuth answers; the sending is the core HTTP layer's:
 *
 * - a **deadline per attempt for the whole exchange**, body included (the layer's
 *   `AbortSignal.timeout`): a token endpoint that sends its headers and then drips its body is
 *   cut off at the deadline and its socket closed, where jsforce's own timer covers only the
 *   wait for the headers (and only stops waiting);
 * - **redirects are never followed** (jsforce's transport follows them);
 * - **a transient answer is told by its status**, with its Retry-After: a 429 is a retryable
 *   `RateLimitedError`, a 5xx a retryable `TransportError`, both carrying `retryAfterMs`. jsforce
 *   names its errors after the body's `error` alone (`ERROR_HTTP_429` without one), which lost the
 *   status and the Retry-After and made an outage look like refused credentials;
 * - the layer's redaction, request ids and logs.
 *
 * Every other answer (2xx, and the 4xx of OAuth errors such as `invalid_grant`) goes back to
 * jsforce as its own transport would hand it over; `lastStatus` keeps its status for the caller.
 */

/** A request as jsforce's OAuth2 client hands it to its transport. */
interface JsforceRequest {
  method: string;
  url: string;
  body?: string | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
}

/** What jsforce's OAuth2 client reads of an answer. */
interface JsforceResponse {
  statusCode: number;
  headers: Readonly<Record<string, string>>;
  body: string;
}

export interface TokenEndpointTransport {
  httpRequest(request: JsforceRequest): Promise<JsforceResponse>;
  /** The status of the last answer handed to jsforce, if any. */
  readonly lastStatus: number | undefined;
}

/** The answers jsforce reads itself: OAuth errors are 4xx (`invalid_grant` 400, `invalid_client` 400 or 401). */
const oauthErrorStatuses = Array.from({ length: 100 }, (_, index) => 400 + index).filter(
  (status) => status !== 429,
);

/**
 * Salesforce publishes no rate for its token endpoint (logins are capped per user and hour): this
 * only keeps a burst of refreshes (many connectors starting at once) from hammering it.
 */
const tokenEndpointBudget = { requestsPerInterval: 600, maxConcurrency: 8 };

export function createTokenEndpointTransport(
  loginUrl: string,
  context: PluginContext,
  operation: string,
): TokenEndpointTransport {
  const origin = new URL(loginUrl).origin;
  let lastStatus: number | undefined;
  const http = createHttpClient({
    pluginId,
    baseUrl: origin,
    // Client credentials and grants travel in the form body, never in headers.
    auth: { headers: async () => ({}) },
    // Its own budget: a 429 of the token endpoint holds token requests, not the org's REST calls.
    budget: context.rateBudgets.forAccount(`${pluginId}:oauth:${origin}`, tokenEndpointBudget),
    redactor: context.redactor,
    logger: context.logger,
    mapError: (response) => tokenEndpointError(response, origin),
    retry: context.http.retry,
    timeoutMs: context.http.timeoutMs,
    defaultHeaders: { Accept: 'application/json' },
  });
  return {
    get lastStatus() {
      return lastStatus;
    },
    async httpRequest(request) {
      const target = new URL(request.url);
      if (target.origin !== origin) {
        // jsforce derives every endpoint from the login URL; anything else is a bug, not a request to send.
        throw new ConfigurationError(
          `salesforce: ${operation}: refused to send a token request to ${target.origin}, which is not the login URL ${origin}.`,
          { pluginId },
        );
      }
      const response = await http.request({
        method: request.method.toUpperCase() === 'GET' ? 'GET' : 'POST',
        path: request.url,
        body: request.body,
        headers: request.headers,
        operation,
        // A grant request is never repeated blindly: a code is spent once, a rotated refresh token too.
        idempotent: false,
        acceptStatus: oauthErrorStatuses,
      });
      lastStatus = response.status;
      return {
        statusCode: response.status,
        headers: response.headers,
        body: typeof response.data === 'string' ? response.data : JSON.stringify(response.data ?? ''),
      };
    },
  };
}

/** What jsforce does not get to read: redirects, 429 and 5xx, as typed errors that keep the Retry-After. */
function tokenEndpointError(response: ErrorResponse, origin: string): CrmConnectError {
  const { status, requestId, retryAfterMs } = response;
  const said = `salesforce: ${response.operation} failed: Salesforce's token endpoint answered HTTP ${status}`;
  const wait =
    retryAfterMs === undefined ? '' : ` Salesforce asks to wait ${Math.ceil(retryAfterMs / 1000)} s.`;
  const common = {
    pluginId,
    status,
    requestId,
    retryAfterMs,
    cause: { status, body: bodyExcerpt(response) },
  };
  if (status === 429) {
    return new RateLimitedError(
      `${said} (too many requests). Nothing is wrong with the admin's authorization; it is worth trying again.${wait}`,
      common,
    );
  }
  if (status >= 500) {
    return new TransportError(
      `${said} (${bodyExcerpt(response, 120)}): a Salesforce outage or maintenance, not a refusal. Nothing is wrong with the admin's authorization; it is worth trying again.${wait}`,
      common,
    );
  }
  if (status >= 300 && status < 400) {
    const location = response.headers.location;
    let where = 'another address';
    try {
      if (location !== undefined) where = new URL(location, origin).origin;
    } catch {
      // An unreadable Location names nothing.
    }
    return new ConfigurationError(
      `${said}, a redirect to ${where}, which is not followed (credentials stay on ${origin}). Check that the login URL is the org's My Domain URL (Setup › My Domain).`,
      { ...common, retryAfterMs: undefined },
    );
  }
  return new TransportError(`${said}, an answer Salesforce's OAuth endpoints do not give.`, {
    ...common,
    retryable: false,
  });
}
