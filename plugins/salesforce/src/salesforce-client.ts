import { type AuthProvider, createHttpClient, type HttpClient, type PluginContext } from '@crm-connect/core';
import { mapSalesforceError } from './salesforce-errors.js';
import { pluginId } from './salesforce-plugin-id.js';

/**
 * The core HTTP client, set up for one Salesforce org. Requests name absolute URLs on the org's
 * instance (from the token response), so the base URL only serves messages.
 */
export function createSalesforceHttpClient(
  target: { orgId: string; loginUrl: string },
  context: PluginContext,
  auth: AuthProvider,
): HttpClient {
  return createHttpClient({
    pluginId,
    baseUrl: target.loginUrl,
    auth,
    // Salesforce counts a rolling 24-hour allocation per org (a 403 when used up) and ~25
    // concurrent long requests; there is no per-minute limit, so this only smooths bursts.
    budget: context.rateBudgets.forAccount(`${pluginId}:${target.orgId}`, {
      requestsPerInterval: 1_500,
      maxConcurrency: 10,
    }),
    redactor: context.redactor,
    logger: context.logger,
    mapError: mapSalesforceError,
    retry: context.http.retry,
    timeoutMs: context.http.timeoutMs,
    defaultHeaders: { Accept: 'application/json' },
  });
}

/** Credentials of one access token. */
export function bearer(accessToken: string): AuthProvider {
  return { headers: async () => ({ Authorization: `Bearer ${accessToken}` }) };
}

/** Reads `Sforce-Limit-Info: api-usage=18/15000`; `undefined` when absent. */
export function apiUsageOf(
  headers: Readonly<Record<string, string>>,
): { used: number; limit: number } | undefined {
  const match = /api-usage=(\d+)\/(\d+)/.exec(headers['sforce-limit-info'] ?? '');
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { used: Number(match[1]), limit: Number(match[2]) };
}
