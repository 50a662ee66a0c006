import { randomUUID } from 'node:crypto';
import { DelegateBackoff, decorrelatedJitterGenerator, handleWhen, retry } from 'cockatiel';
import {
  ConfigurationError,
  type CrmConnectError,
  InvalidInputError,
  isCrmConnectError,
  TransportError,
} from '../errors.js';
import { type Logger, silentLogger } from '../logging.js';
import type { Redactor } from '../redaction.js';
import { createRequestTelemetry } from '../telemetry/request-telemetry.js';
import { defaultErrorFor, type ErrorResponse } from './error-mapping.js';
import { joinUrl, releaseIdleSockets, send, type TransportResponse } from './node-transport.js';
import type { RateBudget } from './rate-budget.js';
import { parseRetryAfter } from './retry-after.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Headers whose values are credentials: registered with the redactor as sent. */
const credentialHeaders = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie']);

/**
 * How long a credential seen only as sent stays registered (an agent's own Basic credential, a
 * token a plugin did not register): long enough for any late error body that echoes it. A secret
 * the plugin registered without a lifetime (an API key) stays registered for good.
 */
const sentCredentialLifetimeMs = 24 * 60 * 60_000;

/** Methods that RFC 9110 defines as idempotent: repeating them cannot create a second record. */
const idempotentMethods = new Set<HttpMethod>(['GET', 'HEAD', 'PUT', 'DELETE']);

/** Supplies the credentials of a request. */
export interface AuthProvider {
  /** Headers that authenticate the request (Authorization and any CRM-specific ones). */
  headers(): Promise<Readonly<Record<string, string>>>;
  /** Called after a 401: get fresh credentials; return true to send the request once more with them. */
  refresh?(): Promise<boolean>;
}

export interface RetryOptions {
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number | undefined;
  /** First backoff delay in ms (then exponential with decorrelated jitter). Default 250. */
  initialDelayMs?: number | undefined;
  /** Longest backoff delay in ms. Default 30,000. */
  maxDelayMs?: number | undefined;
  /** A Retry-After longer than this (ms) is not waited for: the error is thrown instead. Default 120,000. */
  maxRetryAfterMs?: number | undefined;
}

export interface HttpClientOptions {
  /** The plugin id, carried by every error. */
  pluginId: string;
  /** Base URL that relative request paths are resolved against. */
  baseUrl: string;
  auth: AuthProvider;
  /** The account's shared request budget. */
  budget: RateBudget;
  /** Redacts secrets from every log line and error this client produces. */
  redactor: Redactor;
  /** Default: silent. */
  logger?: Logger | undefined;
  /** Maps a CRM error answer to a typed error; return `undefined` to use the generic mapping by status. */
  mapError?: ((response: ErrorResponse) => CrmConnectError | undefined) | undefined;
  /** Per-attempt deadline in ms, for the whole exchange (connect, headers, body). Default 30,000. */
  timeoutMs?: number | undefined;
  retry?: RetryOptions | undefined;
  /** Headers sent on every request (Accept, OData-Version, …). */
  defaultHeaders?: Readonly<Record<string, string>> | undefined;
  /** The header that carries `idempotencyKey` to the CRM (`Idempotency-Key` on Zendesk). Without it the key only marks the request safe to retry. */
  idempotencyHeader?: string | undefined;
  /** A header that carries our request id to the CRM, for support cases. Default: none. */
  requestIdHeader?: string | undefined;
}

export interface RequestOptions {
  method: HttpMethod;
  /** A path relative to the base URL, or an absolute URL on the CRM's own host. */
  path: string;
  query?: Readonly<Record<string, string | number | boolean | undefined>> | undefined;
  body?: unknown;
  headers?: Readonly<Record<string, string>> | undefined;
  /** What the call does, for logs and error messages ("create ticket"). */
  operation: string;
  /**
   * The path as a route template (`/api/v2/tickets/{id}.json`), for traces and metrics. Default:
   * worked out from the path (numbers, segments with two digits, `@` or escapes become `{id}`; no query).
   */
  route?: string | undefined;
  /** A key that makes this write safe to repeat: sent in `idempotencyHeader` and allows retries of a POST/PATCH. */
  idempotencyKey?: string | undefined;
  /**
   * Whether repeating this request is harmless. Default: true for GET, HEAD, PUT and DELETE, false
   * otherwise. Set true for an upsert keyed by an external id; set false for a PUT that appends
   * (Zendesk adds a comment through a ticket PUT). A request with an `idempotencyKey` is always safe.
   */
  idempotent?: boolean | undefined;
  /** Credentials for this request only (a write made as another user). */
  auth?: AuthProvider | undefined;
  /**
   * Set when `path` is an absolute URL on another origin that the plugin has itself held to the
   * CRM's own hosts (Salesforce's identity URL on its login host). Without it, an absolute URL
   * off the base URL's origin is refused before anything is sent.
   */
  crossOriginChecked?: boolean | undefined;
  /** Statuses that are answers rather than errors (a 404 on a lookup). 2xx always are. */
  acceptStatus?: readonly number[] | undefined;
}

export interface HttpResponse<TData = unknown> {
  status: number;
  headers: Readonly<Record<string, string>>;
  data: TData;
  /** HTTP attempts made, retries and the post-refresh resend included. */
  attempts: number;
  requestId: string;
}

/** The one HTTP layer every plugin uses. */
export interface HttpClient {
  readonly baseUrl: string;
  request<TData = unknown>(options: RequestOptions): Promise<HttpResponse<TData>>;
  /**
   * Ends the idle keep-alive sockets to every host this client sent to: a plugin's connection
   * calls it when it closes, so a tenant that leaves leaves no connection open. A request made
   * afterwards still works (it opens a socket again); refusing it is the connection's business.
   */
  close(): void;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const logger = options.logger ?? silentLogger;
  const retryOptions = {
    maxRetries: options.retry?.maxRetries ?? 4,
    initialDelayMs: options.retry?.initialDelayMs ?? 250,
    maxDelayMs: options.retry?.maxDelayMs ?? 30_000,
    maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? 120_000,
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  // A timer takes 1 ms to 2³¹−1 ms; anything else fires at once (Node warns and uses 1 ms).
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2_147_483_647) {
    throw new ConfigurationError(
      `${options.pluginId}: the HTTP timeout must be a whole number of milliseconds from 1 to 2147483647, not ${timeoutMs}.`,
      {
        pluginId: options.pluginId,
        issues: [{ path: 'http.timeoutMs', message: 'http.timeoutMs: 1 to 2147483647 ms' }],
      },
    );
  }
  const baseOrigin = new URL(options.baseUrl).origin;
  const telemetry = createRequestTelemetry(options.pluginId, options.baseUrl);
  /** The hosts this client sent to, whose idle sockets `close` ends. */
  const hostsSentTo = new Set<string>();
  /** Set by `close`: an exchange that ends afterwards returns its socket to the pool, to be ended too. */
  let closed = false;

  // One retry policy per client, not per request: what a retry logs is read from the error
  // (every error this layer throws carries its request id; the operation is in its message).
  const retryPolicy = retry(
    handleWhen((error) => isCrmConnectError(error) && error.retryable && waitable(error)),
    {
      maxAttempts: retryOptions.maxRetries,
      backoff: new DelegateBackoff<{ result: unknown }, [number, number] | undefined>((context, state) => {
        const error =
          'error' in (context.result as object) ? (context.result as { error: unknown }).error : undefined;
        const [jitterDelay, nextState] = decorrelatedJitterGenerator(state, {
          generator: decorrelatedJitterGenerator,
          initialDelay: retryOptions.initialDelayMs,
          maxDelay: retryOptions.maxDelayMs,
          exponent: 2,
        });
        const retryAfter = isCrmConnectError(error) ? error.retryAfterMs : undefined;
        return { delay: retryAfter ?? jitterDelay, state: nextState };
      }),
    },
  );
  retryPolicy.onRetry(({ delay, attempt: retryNumber, ...reason }) => {
    const error = 'error' in reason ? reason.error : undefined;
    if (!isCrmConnectError(error)) return;
    telemetry.retried(error.code);
    logger.log('warn', 'crm request retried', {
      requestId: error.requestId,
      plugin: options.pluginId,
      retry: retryNumber,
      delayMs: Math.round(delay),
      error: error.code,
      message: error.message,
    });
  });

  /**
   * The credential as sent (a base64 Basic credential) is a secret in its own right, unless a
   * registered secret already covers it: an agent's Basic credential is a template around the one
   * API token, whose base64 the redactor recognises, so it adds nothing per agent. Other auth
   * headers (an impersonated user's id) are not secrets, and must stay readable in audits.
   */
  function registerSent(headerValue: string): void {
    const credential = headerValue.replace(/^(Basic|Bearer)\s+/i, '');
    if (options.redactor.redact(credential) !== credential) return;
    options.redactor.add(credential, { expiresInMs: sentCredentialLifetimeMs });
  }

  async function request<TData>(request: RequestOptions): Promise<HttpResponse<TData>> {
    requireOwnOrigin(request);
    const requestId = randomUUID();
    const auth = request.auth ?? options.auth;
    const safeToRepeat =
      request.idempotencyKey !== undefined || (request.idempotent ?? idempotentMethods.has(request.method));
    let attempts = 0;
    let refreshed = false;
    /** When the attempt about to be sent asked for the budget, and why the previous one failed. */
    let queuedAt = 0;
    let retryReason: string | undefined;

    const sendOnce = async (): Promise<TransportResponse> => {
      attempts += 1;
      const headers: Record<string, string> = { ...options.defaultHeaders, ...request.headers };
      const authHeaders = await auth.headers();
      for (const [name, value] of Object.entries(authHeaders)) {
        // The credential as sent (e.g. a base64 Basic credential) is a secret in its own right;
        // other auth headers (an impersonated user's id) are not, and must stay readable in audits.
        if (credentialHeaders.has(name.toLowerCase())) registerSent(value);
        headers[name] = value;
      }
      if (request.idempotencyKey !== undefined && options.idempotencyHeader !== undefined) {
        headers[options.idempotencyHeader] = request.idempotencyKey;
      }
      if (options.requestIdHeader !== undefined) headers[options.requestIdHeader] = requestId;
      const started = performance.now();
      const measured = telemetry.startAttempt({
        method: request.method,
        path: request.path,
        route: request.route,
        operation: request.operation,
        attempt: attempts,
        budgetWaitMs: started - queuedAt,
        retryReason,
      });
      try {
        // Redirects are answers, never followed: credentials must not travel to a host the plugin did not name.
        const response = await send(
          {
            method: request.method,
            url: joinUrl(options.baseUrl, request.path, request.query),
            headers,
            body: request.body,
            timeoutMs,
          },
          hostsSentTo,
        ).finally(() => {
          // After the agent has taken the socket back (it does so on a later turn than this one).
          if (closed) setImmediate(() => releaseIdleSockets(hostsSentTo));
        });
        if (logger.enabled?.('debug') !== false)
          logger.log('debug', 'crm request', {
            requestId,
            plugin: options.pluginId,
            operation: request.operation,
            method: request.method,
            path: options.redactor.redact(request.path),
            status: response.status,
            attempt: attempts,
            ms: Math.round(performance.now() - started),
          });
        measured.end({ status: response.status });
        return response;
      } catch (error) {
        const failure = transportErrorOf(error, request, requestId);
        measured.end({ errorCode: failure.code, errorMessage: failure.message });
        throw failure;
      }
    };

    const scheduled = () => {
      queuedAt = performance.now();
      return options.budget.schedule(sendOnce);
    };

    const attempt = async (): Promise<HttpResponse<TData>> => {
      try {
        return await attemptOnce();
      } catch (error) {
        retryReason = isCrmConnectError(error) ? error.code : 'error';
        throw error;
      }
    };

    const attemptOnce = async (): Promise<HttpResponse<TData>> => {
      let response = await scheduled();
      if (response.status === 401 && auth.refresh !== undefined && !refreshed) {
        refreshed = true;
        let renewed: boolean;
        try {
          renewed = await auth.refresh();
        } catch (error) {
          telemetry.tokenRefreshed('failure');
          // The token endpoint failed for a passing reason: the retry must try the refresh again,
          // not resend the stale token and call its 401 a refusal.
          refreshed = false;
          throw error;
        }
        telemetry.tokenRefreshed(renewed ? 'success' : 'failure');
        if (renewed) {
          retryReason = 'unauthorized';
          response = await scheduled();
        }
      }
      if (
        (response.status >= 200 && response.status < 300) ||
        request.acceptStatus?.includes(response.status)
      ) {
        return {
          status: response.status,
          headers: flattenHeaders(response.headers),
          data: response.data as TData,
          attempts,
          requestId,
        };
      }
      throw errorOf(response, request, requestId);
    };

    try {
      // A write that may not be repeated makes one attempt (and the resend after a refresh).
      return await (safeToRepeat ? retryPolicy.execute(() => attempt()) : attempt());
    } catch (error) {
      if (isCrmConnectError(error)) {
        error.attempts = attempts;
        logger.log('warn', 'crm request failed', {
          requestId,
          plugin: options.pluginId,
          operation: request.operation,
          code: error.code,
          status: error.status,
          attempts,
          message: error.message,
        });
      }
      throw error;
    }
  }

  /** Credentials go only to the CRM's own origin: an absolute URL elsewhere (a next-page link an answer named) is refused unsent. */
  function requireOwnOrigin(request: RequestOptions): void {
    if (request.crossOriginChecked === true || !/^[a-z][a-z0-9+.-]*:/i.test(request.path)) return;
    const target = URL.canParse(request.path) ? new URL(request.path).origin : undefined;
    if (target === baseOrigin) return;
    throw new InvalidInputError(
      options.redactor.redact(
        `${options.pluginId}: ${request.operation} named ${target ?? 'a malformed URL'}, not ${baseOrigin}; nothing was sent, so no credential left for a host it was not checked against.`,
      ),
      { pluginId: options.pluginId, issues: [{ path: 'path', message: `path: must be on ${baseOrigin}` }] },
    );
  }

  /** Where the request went (as the transport joins it), for a message; the base URL's origin when it does not parse. */
  function originOf(path: string): string {
    try {
      return new URL(joinUrl(options.baseUrl, path, undefined)).origin;
    } catch {
      return baseOrigin;
    }
  }

  function waitable(error: CrmConnectError): boolean {
    return error.retryAfterMs === undefined || error.retryAfterMs <= retryOptions.maxRetryAfterMs;
  }

  function errorOf(response: TransportResponse, request: RequestOptions, requestId: string): CrmConnectError {
    const headers = flattenHeaders(response.headers);
    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    const errorResponse: ErrorResponse = {
      pluginId: options.pluginId,
      status: response.status,
      headers,
      data: response.data,
      method: request.method,
      operation: request.operation,
      requestId,
      retryAfterMs,
      redact: options.redactor.redact,
    };
    const error = options.mapError?.(errorResponse) ?? defaultErrorFor(errorResponse);
    if (error.code === 'rate_limited') telemetry.rateLimited(error.retryAfterMs);
    if (error.retryAfterMs !== undefined && error.code === 'rate_limited') {
      // A 429 speaks for the whole account: hold every caller sharing this budget, not just this one.
      options.budget.holdFor(error.retryAfterMs);
    }
    return error;
  }

  function transportErrorOf(error: unknown, request: RequestOptions, requestId: string): CrmConnectError {
    if (isCrmConnectError(error)) return error;
    const code = codeOf(error);
    const detail = error instanceof Error ? error.message : String(error);
    if (code === 'ERR_INVALID_REQUEST' || code === 'ERR_BAD_URL') {
      // Nothing was sent, and sending the same again cannot help: the caller's input is at fault.
      return new InvalidInputError(
        options.redactor.redact(`${options.pluginId}: ${request.operation}: ${detail}. Nothing was sent.`),
        { pluginId: options.pluginId, requestId, cause: { code, message: options.redactor.redact(detail) } },
      );
    }
    const timedOut = code === 'ETIMEDOUT';
    const what = timedOut
      ? `timed out after ${timeoutMs} ms`
      : `failed before an answer (${code ?? 'network error'}: ${detail})`;
    return new TransportError(
      options.redactor.redact(
        `${options.pluginId}: ${request.operation} ${what}. Check that ${originOf(request.path)} is reachable; the request is retried automatically when it is safe to repeat.`,
      ),
      // A socket error can hold what was sent (credentials): keep only a redacted summary.
      { pluginId: options.pluginId, requestId, cause: { code, message: options.redactor.redact(detail) } },
    );
  }

  return {
    baseUrl: options.baseUrl,
    request,
    close() {
      closed = true;
      releaseIdleSockets(hostsSentTo);
    },
  };
}

/** The socket's or the transport's error code (ECONNREFUSED, ETIMEDOUT, …), when there is one. */
function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function flattenHeaders(headers: TransportResponse['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
