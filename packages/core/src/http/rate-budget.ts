import PQueue from 'p-queue';

/** How many requests one CRM account accepts. */
export interface RateBudgetOptions {
  /** Requests allowed in any rolling window of `intervalMs`. */
  requestsPerInterval: number;
  /** The window, in ms. Default 60,000 (CRMs publish per-minute limits). */
  intervalMs?: number | undefined;
  /** Requests in flight at once. Default 16. */
  maxConcurrency?: number | undefined;
}

/**
 * The request budget of one CRM account, shared by every call to it — all connectors and all
 * plugins' clients that talk to the same account take from one budget, because the CRM counts
 * them together (Kustomer's limit is per organization across all API keys, for example).
 */
export interface RateBudget {
  readonly key: string;
  readonly options: Readonly<Required<RateBudgetOptions>>;
  /** Runs `task` when the budget allows. */
  schedule<T>(task: () => Promise<T>): Promise<T>;
  /** Starts no new request for `ms` (a 429 with Retry-After applies to the whole account, not one call). */
  holdFor(ms: number): void;
  /** Requests waiting for budget, and in flight. */
  load(): { waiting: number; inFlight: number };
}

function createRateBudget(key: string, options: RateBudgetOptions): RateBudget {
  const resolved = {
    requestsPerInterval: options.requestsPerInterval,
    intervalMs: options.intervalMs ?? 60_000,
    maxConcurrency: options.maxConcurrency ?? 16,
  };
  if (!Number.isInteger(resolved.requestsPerInterval) || resolved.requestsPerInterval < 1) {
    throw new RangeError(`Rate budget ${key}: requestsPerInterval must be a positive integer`);
  }
  // p-queue's strict mode is a sliding window: never more than the cap in ANY window, so the
  // budget holds even where a fixed-window counter would allow a double burst at the boundary.
  const queue = new PQueue({
    concurrency: resolved.maxConcurrency,
    intervalCap: resolved.requestsPerInterval,
    interval: resolved.intervalMs,
    strict: true,
  });
  let holdUntil = 0;
  let holdTimer: NodeJS.Timeout | undefined;

  return {
    key,
    options: resolved,
    schedule: (task) => queue.add(task),
    holdFor(ms) {
      const until = Date.now() + ms;
      if (ms <= 0 || until <= holdUntil) return;
      holdUntil = until;
      queue.pause();
      if (holdTimer !== undefined) clearTimeout(holdTimer);
      holdTimer = setTimeout(() => {
        holdTimer = undefined;
        queue.start();
      }, ms);
    },
    load: () => ({ waiting: queue.size, inFlight: queue.pending }),
  };
}

/** Hands out one budget per account key. */
export interface RateBudgetRegistry {
  /**
   * The budget for an account, created on first use. The first caller's options win: one account
   * has one budget, and a second connector for it joins the existing one.
   */
  forAccount(key: string, options: RateBudgetOptions): RateBudget;
}

export function createRateBudgetRegistry(): RateBudgetRegistry {
  const budgets = new Map<string, RateBudget>();
  return {
    forAccount(key, options) {
      let budget = budgets.get(key);
      if (budget === undefined) {
        budget = createRateBudget(key, options);
        budgets.set(key, budget);
      }
      return budget;
    },
  };
}

/** The process-wide registry used unless a connector is given its own. */
export const sharedRateBudgets: RateBudgetRegistry = createRateBudgetRegistry();
