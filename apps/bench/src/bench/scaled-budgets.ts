import {
  createRateBudgetRegistry,
  type RateBudget,
  type RateBudgetOptions,
  type RateBudgetRegistry,
} from '@crm-connect/core';

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
  const scaled = (options: RateBudgetOptions) => ({
    ...options,
    requestsPerInterval: limit.requestsPerMinute,
    intervalMs: 60_000 / limit.timeScale,
  });
  const remember = (key: string, budget: RateBudget) => {
    created.set(key, budget);
    return budget;
  };
  return {
    forAccount: (key, options) => remember(key, registry.forAccount(key, scaled(options))),
    acquire: (key, options) => remember(key, registry.acquire(key, scaled(options))),
    release: (key) => registry.release(key),
    size: () => registry.size(),
    budgets: () => [...created.values()],
  };
}
