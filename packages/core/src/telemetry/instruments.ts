import { type Counter, type Histogram, type Meter, type MeterProvider, metrics } from '@opentelemetry/api';

/** The instrumentation scope every span and metric of crm-connect is reported under. */
export const instrumentationScope = { name: '@crm-connect/core', version: '0.1.0' } as const;

/**
 * The metric instruments crm-connect records to. Names follow the OpenTelemetry semantic
 * conventions where one applies (`http.client.request.duration`), else `crm_connect.*`.
 */
export interface Instruments {
  /** Every HTTP attempt to a CRM: plugin, operation, status class (2xx, 4xx, 5xx, or `error` with no answer). */
  readonly requests: Counter;
  /** The semantic conventions' HTTP client duration, in seconds, per attempt. */
  readonly requestDuration: Histogram;
  /** Retries the HTTP layer scheduled, by the typed error code that caused them. */
  readonly retries: Counter;
  /** Rate-limit answers (429; Salesforce's REQUEST_LIMIT_EXCEEDED) received. */
  readonly rateLimited: Counter;
  /** How long a rate-limit answer held the whole account, in seconds. */
  readonly rateLimitHold: Histogram;
  /** How long a request waited for the account's rate budget before it was sent, in seconds. */
  readonly budgetWait: Histogram;
  /** Share of the account's budget in use when a request was let in (in-window requests ÷ cap). */
  readonly budgetUtilization: Histogram;
  /** Token requests (a refresh after a 401, a plugin's token grant), by outcome: success or failure. */
  readonly tokenRefreshes: Counter;
  /** Records written or not, by operation, outcome (created, existing, updated, skipped, failed) and reason. */
  readonly records: Counter;
}

let cached: { provider: MeterProvider; instruments: Instruments } | undefined;

/**
 * The instruments of the meter provider registered now. The metrics API has no proxy for a
 * provider registered later (unlike traces), so instruments are made again when the global
 * provider changes: a platform that registers its SDK after importing crm-connect still gets
 * every metric. With no SDK the no-op provider's instruments cost a function call each.
 */
export function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) cached = { provider, instruments: create(provider) };
  return cached.instruments;
}

function create(provider: MeterProvider): Instruments {
  const meter: Meter = provider.getMeter(instrumentationScope.name, instrumentationScope.version);
  return {
    requests: meter.createCounter('crm_connect.requests', {
      description: 'HTTP attempts made to a CRM',
      unit: '{request}',
    }),
    requestDuration: meter.createHistogram('http.client.request.duration', {
      description: 'Duration of HTTP client requests to a CRM',
      unit: 's',
    }),
    retries: meter.createCounter('crm_connect.retries', {
      description: 'Retries of CRM requests, by the error that caused them',
      unit: '{retry}',
    }),
    rateLimited: meter.createCounter('crm_connect.rate_limited', {
      description: 'Rate-limit answers received from a CRM',
      unit: '{answer}',
    }),
    rateLimitHold: meter.createHistogram('crm_connect.rate_limit.hold', {
      description: 'How long a rate-limit answer held every request to the account',
      unit: 's',
    }),
    budgetWait: meter.createHistogram('crm_connect.rate_budget.wait', {
      description: 'Time a request waited for the account rate budget',
      unit: 's',
    }),
    budgetUtilization: meter.createHistogram('crm_connect.rate_budget.utilization', {
      description: 'Share of the account rate budget in use when a request was let in',
      unit: '1',
    }),
    tokenRefreshes: meter.createCounter('crm_connect.token.refreshes', {
      description: 'Access-token requests, by outcome',
      unit: '{request}',
    }),
    records: meter.createCounter('crm_connect.records', {
      description: 'CRM writes and deliberate non-writes, by outcome and reason',
      unit: '{record}',
    }),
  };
}

/**
 * Counts one access-token request a plugin made outside the HTTP layer's 401 refresh (msal's
 * client-credentials grant, a refresh-token grant): `crm_connect.token.refreshes`.
 */
export function countTokenRequest(pluginId: string, outcome: 'success' | 'failure'): void {
  instruments().tokenRefreshes.add(1, { 'crm_connect.plugin': pluginId, 'crm_connect.outcome': outcome });
}

/** Runs a plugin's token request and counts it as succeeded or failed. */
export async function measureTokenRequest<T>(pluginId: string, request: () => Promise<T>): Promise<T> {
  try {
    const result = await request();
    countTokenRequest(pluginId, 'success');
    return result;
  } catch (error) {
    countTokenRequest(pluginId, 'failure');
    throw error;
  }
}
