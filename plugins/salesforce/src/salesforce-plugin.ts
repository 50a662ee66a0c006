import { type CrmPlugin, definePlugin } from '@crm-connect/core';
import {
  createAdminLinks,
  createAgentLinks,
  type SalesforceAdminLinks,
  type SalesforceAgentLinks,
} from './salesforce-admin-links.js';
import type { AgentSessions } from './salesforce-agent-sessions.js';
import { createSalesforceConnection } from './salesforce-connection.js';
import { validateSalesforceCredentials } from './salesforce-credentials.js';
import { pluginId } from './salesforce-plugin-id.js';
import {
  createMemoryRefreshLock,
  type SalesforceAccessTokenCache,
  type SalesforceRefreshLock,
} from './salesforce-refresh.js';
import {
  salesforceCapabilities,
  salesforceSettings,
  type salesforceSettingsSchema,
} from './salesforce-settings.js';
import { createMemoryTokenStore, type SalesforceTokenStore } from './salesforce-token-store.js';

export { pluginId } from './salesforce-plugin-id.js';

export interface SalesforceOptions {
  /** Where admin refresh tokens live. Default: in process memory, for tests and the demo only. */
  tokenStore?: SalesforceTokenStore | undefined;
  /**
   * The agents who write as themselves: from an agent's Salesforce user id to the credential the
   * platform holds for them (a refresh token from `plugin.agents` / `linkAgent`, or a current
   * access token), or `undefined`. With it, `performsAsAgent` is true: an identified agent
   * performs their writes (unless "always use the admin user" is on), and the admin performs
   * them for an agent without a usable session. Without it, the admin performs every write.
   */
  agentSessions?: AgentSessions | undefined;
  /**
   * Makes an admin's token refresh one at a time across the processes that share it (Redis's
   * `createRedisLocks` fits): give it, with `accessTokenCache`, when several processes use the
   * same admins. Default: one at a time within this plugin instance only.
   */
  lock?: SalesforceRefreshLock | undefined;
  /**
   * Admin access tokens shared by the processes, so one refresh serves them all (Redis's
   * `createRedisTokenCache` fits). Default: none; each connection keeps its own session.
   */
  accessTokenCache?: SalesforceAccessTokenCache | undefined;
}

export type SalesforcePlugin = CrmPlugin<typeof salesforceSettingsSchema> & {
  /** Linking and unlinking Salesforce admins, and checking them, over this plugin's token store. */
  readonly admin: SalesforceAdminLinks;
  /** Linking agents so that they write as themselves (their refresh tokens are the platform's to keep). */
  readonly agents: SalesforceAgentLinks;
};

/** The Salesforce plugin: Cases and Contacts written as a linked admin (or the agent), with failover between admins. */
export function salesforce(options: SalesforceOptions = {}): SalesforcePlugin {
  const tokenStore = options.tokenStore ?? createMemoryTokenStore();
  const lock = options.lock ?? createMemoryRefreshLock();
  const { agentSessions } = options;
  const capabilities = { ...salesforceCapabilities, performsAsAgent: agentSessions !== undefined };
  const plugin = definePlugin({
    id: pluginId,
    displayName: 'Salesforce',
    settings: salesforceSettings,
    capabilities: () => capabilities,
    validateCredentials: (settings, context) =>
      validateSalesforceCredentials(settings, context, { tokenStore, lock }),
    connect: (settings, context) =>
      createSalesforceConnection(
        settings,
        context,
        { tokenStore, lock, cache: options.accessTokenCache },
        agentSessions,
      ),
  });
  return { ...plugin, admin: createAdminLinks(tokenStore, lock), agents: createAgentLinks() };
}
