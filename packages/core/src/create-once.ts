import { setTimeout as sleep } from 'node:timers/promises';
import { type CrmConnectError, isCrmConnectError } from './errors.js';
import type { RetryOptions } from './http/http-client.js';

export interface CreateOnceOptions<T> {
  /**
   * Sends the create once, returning the record and the HTTP attempts it took. The request must
   * not be repeated by the HTTP layer: no `idempotent: true`, no `idempotencyKey` the CRM does not
   * honour. This helper decides when a create may be sent again.
   */
  create: () => Promise<{ value: T; attempts: number }>;
  /**
   * Looks the record up by what identifies it (an external id, a unique email); `undefined` when
   * it is not there. `undefined` instead of a function when nothing identifies the record: an
   * uncertain failure is then thrown, never repeated (only a rate-limited create is).
   */
  find: (() => Promise<T | undefined>) | undefined;
  /** Look the record up before the first create too (it may exist: a redelivered event). Default false. */
  findFirst?: boolean | undefined;
  /**
   * The connector's HTTP settings (`context.http`): the backoff between rounds, the number of
   * rounds (`retry.maxRetries` + 1) and, as the default wait, the per-attempt timeout.
   */
  http?: { retry?: RetryOptions | undefined; timeoutMs?: number | undefined } | undefined;
  /**
   * How long a create that got no answer at all (a timeout, a dropped connection) may still take
   * to land, in ms: waited before looking it up. Default: `http.timeoutMs`, else 30,000 (the HTTP
   * layer's own default timeout).
   */
  settleMs?: number | undefined;
}

export interface CreateOnceResult<T> {
  value: T;
  /** False when the record existed before this call: found first, or a "duplicate" answer (another writer). */
  created: boolean;
  /** True when the value came from `find` (first, or after a failed create) rather than from a create's answer. */
  found: boolean;
  /** HTTP attempts of the creates (the lookups not included). */
  attempts: number;
}

/**
 * Creates a record at most once on a CRM that has no idempotency key. A create is never repeated
 * blindly: after an uncertain failure (a timeout, a 5xx, a rate limit, an answer that did not
 * parse) or a "duplicate" answer (`conflict`), the record is looked up with `find`, and created
 * again only when it is not there. A create that got no answer at all may still be landing, so
 * the lookup waits `settleMs` first: looked up at once, it would be missed and written twice.
 * A rate-limited create held the account's rate budget for its Retry-After (the HTTP layer does
 * that), so a lookup through the same budget waits for it too. Any other error is thrown as is.
 * When to use it: docs/adding-a-crm.md, "Creating without an idempotency key".
 */
export async function createOnce<T>(options: CreateOnceOptions<T>): Promise<CreateOnceResult<T>> {
  const { find, http } = options;
  const maxRounds = (http?.retry?.maxRetries ?? 4) + 1;
  const maxRetryAfterMs = http?.retry?.maxRetryAfterMs ?? 120_000;
  const settleMs = options.settleMs ?? http?.timeoutMs ?? defaultTimeoutMs;
  if (options.findFirst === true && find !== undefined) {
    const existing = await find();
    if (existing !== undefined) return { value: existing, created: false, found: true, attempts: 0 };
  }
  let attempts = 0;
  for (let round = 1; ; round += 1) {
    try {
      const result = await options.create();
      return { value: result.value, created: true, found: false, attempts: attempts + result.attempts };
    } catch (error) {
      if (!isCrmConnectError(error)) throw error;
      attempts += error.attempts ?? 1;
      const duplicate = error.code === 'conflict';
      const uncertain = error.retryable && (error.retryAfterMs ?? 0) <= maxRetryAfterMs;
      if (!duplicate && !uncertain) throw error;
      if (unanswered(error)) await sleep(settleMs);
      const existing = find === undefined ? undefined : await find();
      // Found after an uncertain failure, the record was made by this call; after a "duplicate" answer, by another.
      if (existing !== undefined) return { value: existing, created: !duplicate, found: true, attempts };
      // A rate-limited create was refused unprocessed; any other failure is safe to repeat only
      // when a lookup has just shown that it left nothing behind.
      const safeToRepeat = error.code === 'rate_limited' || find !== undefined;
      if (duplicate || !safeToRepeat || round >= maxRounds) {
        error.attempts = attempts;
        throw error;
      }
      if (error.retryAfterMs === undefined) await sleep(backoffMs(round, http?.retry));
    }
  }
}

/** The HTTP layer's per-attempt timeout when the connector sets none. */
const defaultTimeoutMs = 30_000;

/** A failure before any answer came back: the request may have reached the CRM, and may still be running there. */
function unanswered(error: CrmConnectError): boolean {
  return error.code === 'transport_failed' && error.status === undefined;
}

/** Exponential backoff like the HTTP layer's: the initial delay doubled each round, capped. */
function backoffMs(round: number, retry: RetryOptions | undefined): number {
  const initial = retry?.initialDelayMs ?? 250;
  const max = retry?.maxDelayMs ?? 30_000;
  return Math.min(max, initial * 2 ** (round - 1));
}
