import PQueue from 'p-queue';
import { instruments } from '../telemetry/instruments.js';

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
  const window = createSlidingWindow(resolved.requestsPerInterval, resolved.intervalMs);
  // Budget keys start with the plugin id (`zendesk:acme`): the metric's only attribute, low cardinality.
  const budgetAttributes = { 'crm_connect.plugin': key.split(':', 1)[0] ?? key };
  // p-queue keeps the concurrency cap, and its pause() the account-wide holds.
  const queue = new PQueue({ concurrency: resolved.maxConcurrency });
  let holdUntil = 0;
  let holdTimer: NodeJS.Timeout | undefined;

  return {
    key,
    options: resolved,
    async schedule(task) {
      await window.enter();
      // The share of the window's budget in use as this request goes in (itself included).
      instruments().budgetUtilization.record(window.used() / resolved.requestsPerInterval, budgetAttributes);
      try {
        return await queue.add(task);
      } finally {
        window.leave();
      }
    },
    holdFor(ms) {
      const until = Date.now() + ms;
      if (ms <= 0 || until <= holdUntil) return;
      holdUntil = until;
      queue.pause();
      if (holdTimer !== undefined) clearTimeout(holdTimer);
      // Not unref'd: while it runs, requests may wait on the paused queue with nothing else to
      // keep the process alive, and a script awaiting them would exit with their work undone.
      holdTimer = setTimeout(() => {
        holdTimer = undefined;
        queue.start();
      }, ms);
    },
    load: () => ({ waiting: window.waiting() + queue.size, inFlight: queue.pending }),
  };
}

/**
 * Never more than `cap` requests in any rolling window of `intervalMs`, where a request counts from
 * when it is let in until `intervalMs` after it finished. The CRM counts a request when it arrives,
 * which is somewhere between the two: counting from the answer rather than from the send means the
 * CRM never sees more than the cap in a window, however differently the network delays two
 * requests. (Counted from the send, a request sent early but delivered late shared the CRM's
 * window with the one sent a window after it: `pnpm bench` saw 14 to 31 rate-limit answers in 600
 * requests at a full budget.) The price is one answer time per window: 0.5 % of a minute for a
 * 300 ms answer.
 */
function createSlidingWindow(cap: number, intervalMs: number) {
  let inside = 0;
  // When each finished request leaves the window, oldest first; entries before `expired` have left.
  let leavesAt: number[] = [];
  let expired = 0;
  const waiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;

  function letIn(): void {
    const now = Date.now();
    while (expired < leavesAt.length && (leavesAt[expired] ?? 0) <= now) expired += 1;
    if (expired > 1_000 && expired * 2 > leavesAt.length) {
      leavesAt = leavesAt.slice(expired);
      expired = 0;
    }
    while (waiters.length > 0 && inside + leavesAt.length - expired < cap) {
      inside += 1;
      waiters.shift()?.();
    }
    const next = leavesAt[expired];
    if (waiters.length > 0 && next !== undefined && timer === undefined) {
      timer = setTimeout(
        () => {
          timer = undefined;
          letIn();
        },
        Math.max(1, next - now),
      );
    }
  }

  return {
    /** Resolves once the request may be sent. */
    enter: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        letIn();
      }),
    /** The request has its answer (or failed): its place frees up `intervalMs` from now. */
    leave(): void {
      inside -= 1;
      leavesAt.push(Date.now() + intervalMs);
      letIn();
    },
    waiting: () => waiters.length,
    /** Requests counted in the window now: in flight, and answered less than a window ago. */
    used: () => inside + leavesAt.length - expired,
  };
}

/** Hands out one budget per account key. */
export interface RateBudgetRegistry {
  /**
   * The budget for an account, created on first use. The first caller's options win: one account
   * has one budget, and a second connector for it joins the existing one.
   */
  forAccount(key: string, options: RateBudgetOptions): RateBudget;
  /**
   * Like `forAccount`, and counts the caller as a holder: the budget is dropped once every holder
   * has released it (a tenant's connectors closed), so a long-running process keeps no budget for
   * tenants it no longer serves. Budgets obtained with `forAccount` alone are kept.
   */
  acquire(key: string, options: RateBudgetOptions): RateBudget;
  /** One holder of `key` is done with it. */
  release(key: string): void;
  /** How many budgets the registry holds. */
  size(): number;
}

/**
 * A registry of budgets made by `createBudget` (default: in this process's memory). A shared
 * implementation (`@crm-connect/redis`) passes its own, and keeps the same holding rules.
 */
export function createRateBudgetRegistry(
  createBudget: (key: string, options: RateBudgetOptions) => RateBudget = createRateBudget,
): RateBudgetRegistry {
  const budgets = new Map<string, { budget: RateBudget; holders: number; pinned: boolean }>();
  function entry(key: string, options: RateBudgetOptions) {
    let found = budgets.get(key);
    if (found === undefined) {
      found = { budget: createBudget(key, options), holders: 0, pinned: false };
      budgets.set(key, found);
    }
    return found;
  }
  return {
    forAccount(key, options) {
      const found = entry(key, options);
      found.pinned = true;
      return found.budget;
    },
    acquire(key, options) {
      const found = entry(key, options);
      found.holders += 1;
      return found.budget;
    },
    release(key) {
      const found = budgets.get(key);
      if (found === undefined || found.holders === 0) return;
      found.holders -= 1;
      // Requests still in flight hold the budget object itself and finish with it.
      if (found.holders === 0 && !found.pinned) budgets.delete(key);
    },
    size: () => budgets.size,
  };
}

/** The process-wide registry used unless a connector is given its own. */
export const sharedRateBudgets: RateBudgetRegistry = createRateBudgetRegistry();
