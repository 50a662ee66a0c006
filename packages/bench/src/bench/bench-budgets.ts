import {
  createRateBudgetRegistry,
  type RateBudget,
  type RateBudgetOptions,
  type RateBudgetRegistry,
} from '@crm-connect/core';

/**
 * Rate budgets for the bench, given to each connector through its `rateBudgets` option (the
 * public way to choose a connector's registry), so no product code changes for a measurement.
 */

/**
 * The plugins' own budgets (window, concurrency), with a cap so high it never throttles: the cost,
 * token and memory figures run far more requests than a minute's budget (Zendesk's default is
 * 200 a minute), yet the budget's bookkeeping (p-queue's sliding window) still runs on every call.
 */
export function unthrottledBudgets(): RateBudgetRegistry {
  const registry = createRateBudgetRegistry();
  return {
    forAccount: (key, options) =>
      registry.forAccount(key, { ...options, requestsPerInterval: 1_000_000_000 }),
  };
}

export interface ScaledBudgets extends RateBudgetRegistry {
  /** The budgets the connector asked for, as the bench set them. */
  budgets(): readonly RateBudget[];
}

/**
 * N requests per minute, the minute shortened `timeScale` times, as the sandbox's steady rate limit
 * is. Every budget a plugin asks for gets these figures: Zendesk and Kustomer are also given N
 * through their own option and setting, but Salesforce's budget (1,500 a minute, fixed) and
 * Dynamics's (6,000 per 5 minutes, fixed) can only be matched to the sandbox here. Concurrency
 * stays the plugin's.
 */
export function scaledBudgets(limit: { requestsPerMinute: number; timeScale: number }): ScaledBudgets {
  const registry = createRateBudgetRegistry();
  const created = new Map<string, RateBudget>();
  return {
    forAccount(key, options: RateBudgetOptions) {
      const budget = registry.forAccount(key, {
        ...options,
        requestsPerInterval: limit.requestsPerMinute,
        intervalMs: 60_000 / limit.timeScale,
      });
      created.set(key, budget);
      return budget;
    },
    budgets: () => [...created.values()],
  };
}
