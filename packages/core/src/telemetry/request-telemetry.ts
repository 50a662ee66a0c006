import { type Attributes, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { instrumentationScope, instruments } from './instruments.js';
import { routeTemplate } from './route-template.js';

/** What the HTTP layer knows of a request when it sends an attempt. */
export interface AttemptStart {
  method: string;
  /** The request path; reported only as a route template. */
  path: string;
  /** The route template the plugin declared, if any (`/api/v2/tickets/{id}.json`). */
  route?: string | undefined;
  operation: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** How long the attempt waited for the account's rate budget, in ms. */
  budgetWaitMs: number;
  /** The typed error code that caused this attempt to be a retry. */
  retryReason?: string | undefined;
}

export interface AttemptEnd {
  /** The answer's status; none when no answer came (a transport failure). */
  status?: number | undefined;
  /** The typed error code of a transport failure. */
  errorCode?: string | undefined;
  /** A short, already redacted description of a failure. */
  errorMessage?: string | undefined;
}

export interface AttemptTelemetry {
  end(result: AttemptEnd): void;
}

export interface RequestTelemetry {
  /** Starts the span and the measures of one HTTP attempt (a child of the active span: the event being handled). */
  startAttempt(start: AttemptStart): AttemptTelemetry;
  /** A rate-limit answer held the account for `holdMs`. */
  rateLimited(holdMs: number | undefined): void;
  /** A retry was scheduled because of `code`. */
  retried(code: string): void;
  /** A token request (a refresh after a 401) ended. */
  tokenRefreshed(outcome: 'success' | 'failure'): void;
}

/**
 * OpenTelemetry for one HTTP client: a CLIENT span per attempt, named and attributed after the
 * semantic conventions for HTTP clients (method, server address and port, `url.template`, status,
 * resend count, `error.type`), never with a URL, query, header or body; and the request metrics.
 * With no SDK registered the API's no-op tracer and meter make this a few function calls.
 */
/**
 * One tracer for the module, as OpenTelemetry recommends: the API's proxy tracer it returns
 * delegates to the SDK a platform registers later, and costs no allocation per request.
 */
const tracer = trace.getTracer(instrumentationScope.name, instrumentationScope.version);

export function createRequestTelemetry(pluginId: string, baseUrl: string): RequestTelemetry {
  const base = new URL(baseUrl);
  const serverAddress = base.hostname;
  const serverPort = Number(base.port) || (base.protocol === 'https:' ? 443 : 80);
  const pluginAttributes: Attributes = { 'crm_connect.plugin': pluginId };
  /**
   * The metric attributes of an attempt's end, made once per operation, method and outcome: a
   * client sends a handful of kinds of request, and building the objects on every request was
   * a share of its telemetry's cost. Bounded as the metrics' own cardinality is.
   */
  const endAttributes = new Map<string, { duration: Attributes; count: Attributes }>();
  function attributesOf(
    start: AttemptStart,
    status: number | undefined,
    errorType: string | undefined,
  ): { duration: Attributes; count: Attributes } {
    const key = `${start.operation}\u0000${start.method}\u0000${status}\u0000${errorType}`;
    let made = endAttributes.get(key);
    if (made === undefined) {
      const duration: Attributes = {
        'crm_connect.plugin': pluginId,
        'crm_connect.operation': start.operation,
        'http.request.method': start.method,
        'server.address': serverAddress,
      };
      if (status !== undefined) duration['http.response.status_code'] = status;
      if (errorType !== undefined) duration['error.type'] = errorType;
      made = {
        duration,
        count: {
          'crm_connect.plugin': pluginId,
          'crm_connect.operation': start.operation,
          'crm_connect.status_class': statusClass(status),
        },
      };
      endAttributes.set(key, made);
    }
    return made;
  }

  return {
    startAttempt(start) {
      const span = tracer.startSpan('crm-connect.request', { kind: SpanKind.CLIENT });
      // The route template is worked out only for a span someone records (none without an SDK).
      if (span.isRecording()) {
        const route = start.route ?? routeTemplate(start.path);
        span.updateName(`${start.method} ${route}`);
        span.setAttributes({
          'http.request.method': start.method,
          'server.address': serverAddress,
          'server.port': serverPort,
          'url.template': route,
          'crm_connect.plugin': pluginId,
          'crm_connect.operation': start.operation,
          'crm_connect.rate_budget.wait_ms': Math.round(start.budgetWaitMs),
        });
        if (start.attempt > 1) span.setAttribute('http.request.resend_count', start.attempt - 1);
        if (start.retryReason !== undefined) span.setAttribute('crm_connect.retry.reason', start.retryReason);
      }
      const measures = instruments();
      measures.budgetWait.record(start.budgetWaitMs / 1000, pluginAttributes);
      const started = performance.now();
      return {
        end(result) {
          const errorType =
            result.status === undefined
              ? (result.errorCode ?? 'error')
              : result.status >= 400
                ? String(result.status)
                : undefined;
          const attributes = attributesOf(start, result.status, errorType);
          measures.requestDuration.record((performance.now() - started) / 1000, attributes.duration);
          measures.requests.add(1, attributes.count);
          if (span.isRecording()) {
            if (result.status !== undefined) span.setAttribute('http.response.status_code', result.status);
            if (errorType !== undefined) {
              span.setAttribute('error.type', errorType);
              span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorMessage });
            }
          }
          span.end();
        },
      };
    },
    rateLimited(holdMs) {
      const measures = instruments();
      measures.rateLimited.add(1, pluginAttributes);
      if (holdMs !== undefined) measures.rateLimitHold.record(holdMs / 1000, pluginAttributes);
    },
    retried(code) {
      instruments().retries.add(1, { ...pluginAttributes, 'crm_connect.retry.reason': code });
    },
    tokenRefreshed(outcome) {
      instruments().tokenRefreshes.add(1, { ...pluginAttributes, 'crm_connect.outcome': outcome });
    },
  };
}

function statusClass(status: number | undefined): string {
  if (status === undefined) return 'error';
  return `${Math.floor(status / 100)}xx`;
}
