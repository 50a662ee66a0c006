import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CrmConnectError,
  isCrmConnectError,
  type PluginContext,
  type RetryOptions,
} from '@crm-connect/core';

export interface CreateOnceOptions<T> {
  /** Sends the create once (never retried by the HTTP layer: Kustomer has no idempotency header). */
  create: () => Promise<{ value: T; attempts: number }>;
  /** Finds what an earlier attempt may have created; `undefined` when nothing identifies it. */
  lookup: (() => Promise<T | undefined>) | undefined;
  /** The connector's HTTP settings: retry backoff (tests shorten it) and the per-attempt timeout. */
  http: PluginContext['http'];
}

export interface CreateOnceResult<T> {
  value: T;
  /** False when the record turned out to exist already (a duplicate answer, or a concurrent writer). */
  created: boolean;
  /** True when the value was found by a lookup after a failed create rather than returned by a create. */
  recovered: boolean;
  /** HTTP attempts of the creates. */
  attempts: number;
}

/**
 * Creates a record at most once. Kustomer documents no idempotency header, so a create is never
 * repeated blindly: after an uncertain failure (timeout, 5xx, rate limit) or a "duplicate"
 * answer, the record is looked up first, and created again only if it is not there. A 429 held
 * the organization's budget for its Retry-After already, so the lookup itself waits for it; a
 * create that got no answer at all is looked up once Kustomer has had as long again to finish it.
 */
export async function createOnce<T>(options: CreateOnceOptions<T>): Promise<CreateOnceResult<T>> {
  const retry = options.http.retry;
  const maxRounds = (retry?.maxRetries ?? 4) + 1;
  const maxRetryAfterMs = retry?.maxRetryAfterMs ?? 120_000;
  let attempts = 0;
  for (let round = 1; ; round += 1) {
    try {
      const result = await options.create();
      return { value: result.value, created: true, recovered: false, attempts: attempts + result.attempts };
    } catch (error) {
      if (!isCrmConnectError(error)) throw error;
      attempts += error.attempts ?? 1;
      const duplicate = error.code === 'conflict';
      const uncertain = error.retryable && (error.retryAfterMs ?? 0) <= maxRetryAfterMs;
      if (!duplicate && !uncertain) throw error;
      // No answer at all (a timeout, a lost connection): Kustomer may still be processing the
      // create. A lookup right away would miss it and the create would be sent again: a second
      // record (found by the fault matrix). It is given as long again as we waited for it.
      if (unanswered(error)) await sleep(options.http.timeoutMs ?? defaultTimeoutMs);
      const existing = options.lookup === undefined ? undefined : await options.lookup();
      if (existing !== undefined) return { value: existing, created: !duplicate, recovered: true, attempts };
      // A rate-limited create was refused unprocessed; any other failure is safe to repeat only
      // when a lookup has just shown that it left nothing behind.
      const safeToRepeat = error.code === 'rate_limited' || options.lookup !== undefined;
      if (duplicate || !safeToRepeat || round >= maxRounds) {
        error.attempts = attempts;
        throw error;
      }
      if (error.retryAfterMs === undefined) await sleep(backoffMs(round, retry));
    }
  }
}

/** The HTTP layer's per-attempt timeout when the connector sets none. */
const defaultTimeoutMs = 30_000;

/** A failure before any answer came back: the request may have reached Kustomer, and may still be running there. */
function unanswered(error: CrmConnectError): boolean {
  return error.code === 'transport_failed' && error.status === undefined;
}

/** Exponential backoff like the HTTP layer's: initial delay doubled each round, capped. */
function backoffMs(round: number, retry: RetryOptions | undefined): number {
  const initial = retry?.initialDelayMs ?? 250;
  const max = retry?.maxDelayMs ?? 30_000;
  return Math.min(max, initial * 2 ** (round - 1));
}
