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
  const { agentSessions } = options;
  const capabilities = { ...salesforceCapabilities, performsAsAgent: agentSessions !== undefined };
  const plugin = definePlugin({
    id: pluginId,
    displayName: 'Salesforce',
    settings: salesforceSettings,
    capabilities: () => capabilities,
    validateCredentials: (settings, context) => validateSalesforceCredentials(settings, context, tokenStore),
    connect: (settings, context) => createSalesforceConnection(settings, context, tokenStore, agentSessions),
  });
  return { ...plugin, admin: createAdminLinks(tokenStore), agents: createAgentLinks() };
}
