import { createRateBudgetRegistry, type RateBudgetRegistry } from '@crm-connect/core';

/**
 * Rate budgets that never throttle, given to each connector through its `rateBudgets` option (the
 * public way to choose a connector's registry), so no product code changes for a measurement.
 *
 * The plugins' own budgets (Zendesk's default is 200 requests a minute) would make the cost, token
 * and memory figures and a fault-matrix cell, each thousands of interactions, last minutes; the
 * rate figure measures them. Here each budget keeps the plugin's window and concurrency with a cap
 * no run reaches, so its bookkeeping still runs on every call, and the connectors sharing the
 * registry share an account's budget: a 429's hold still applies to all of them.
 */
export function unthrottledBudgets(): RateBudgetRegistry {
  const registry = createRateBudgetRegistry();
  return {
    forAccount: (key, options) =>
      registry.forAccount(key, { ...options, requestsPerInterval: 1_000_000_000 }),
    acquire: (key, options) => registry.acquire(key, { ...options, requestsPerInterval: 1_000_000_000 }),
    release: (key) => registry.release(key),
    size: () => registry.size(),
  };
}
