import type { PluginContext } from '@crm-connect/core';
import type { LinkedAgent, SalesforceAgentLinks } from './salesforce-admin-links.js';
import type { SalesforceSettingsInput } from './salesforce-settings.js';
import type { SalesforceTokenStore } from './salesforce-token-store.js';

export interface LinkAgentOptions {
  /** The platform's OAuth callback URL, exactly as listed in the connected app. */
  redirectUri: string;
  /** Prefills the agent's username on Salesforce's login page. */
  loginHint?: string | undefined;
  /**
   * Sends the agent's browser to `url` (Salesforce's login page) and resolves to the query
   * parameters Salesforce calls the callback with (`code` and `state`, or `error`).
   */
  authorize(url: string): Promise<URLSearchParams | Readonly<Record<string, string | undefined>>>;
  /** Where agents' refresh tokens are kept (a store of its own, not the admins'); read back with `agentSessionsFromTokenStore`. */
  tokenStore: SalesforceTokenStore;
  context?: Partial<PluginContext> | undefined;
}

/**
 * Links an agent end to end, without a CLI: the authorize URL (PKCE), the browser step the
 * platform performs, the checks of `plugin.agents.complete` (same org, active, API Enabled),
 * and the refresh token stored under the org and the agent's user id.
 */
export async function linkAgent(
  plugin: { readonly agents: SalesforceAgentLinks },
  settings: SalesforceSettingsInput,
  options: LinkAgentOptions,
): Promise<{ agent: LinkedAgent; warnings: readonly string[] }> {
  const { url, state, codeVerifier } = plugin.agents.start(settings, {
    redirectUri: options.redirectUri,
    loginHint: options.loginHint,
  });
  const callback = await options.authorize(url);
  const { agent, refreshToken, warnings } = await plugin.agents.complete(settings, {
    callback,
    state,
    codeVerifier,
    redirectUri: options.redirectUri,
    context: options.context,
  });
  await options.tokenStore.set(
    { orgId: agent.orgId, userId: agent.userId },
    { refreshToken, status: 'active', updatedAt: new Date().toISOString() },
  );
  return { agent, warnings };
}
