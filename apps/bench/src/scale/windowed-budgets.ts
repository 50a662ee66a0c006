import type { RateBudgetOptions, RateBudgetRegistry } from '@crm-connect/core';

/** The sandbox's rate limit, time sped up: N requests in any rolling window of `windowMs`. */
export interface ScaledLimit {
  requestsPerWindow: number;
  windowMs: number;
}

/**
 * Every budget a plugin asks of `registry` gets the sandbox's figures: N requests per window, the
 * window shortened as the sandbox's is. Zendesk and Kustomer take N from their own option and
 * setting too, but Salesforce's budget (1,500 a minute) and Dynamics' (6,000 per 5 minutes) are
 * fixed in the plugins and can only be matched here. Concurrency stays the plugin's (Dynamics: 16
 * of the 52 Dataverse allows per user). The registry decides who shares: Redis's is one budget per
 * account for every process, core's in-memory one is one per process.
 */
export function windowedBudgets(registry: RateBudgetRegistry, limit: ScaledLimit): RateBudgetRegistry {
  const scaled = (options: RateBudgetOptions): RateBudgetOptions => ({
    ...options,
    requestsPerInterval: limit.requestsPerWindow,
    intervalMs: limit.windowMs,
  });
  return {
    forAccount: (key, options) => registry.forAccount(key, scaled(options)),
    acquire: (key, options) => registry.acquire(key, scaled(options)),
    release: (key) => registry.release(key),
    size: () => registry.size(),
  };
}
