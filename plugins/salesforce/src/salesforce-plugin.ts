import { type CrmPlugin, definePlugin } from '@crm-connect/core';
import { createAdminLinks, type SalesforceAdminLinks } from './salesforce-admin-links.js';
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
}

export type SalesforcePlugin = CrmPlugin<typeof salesforceSettingsSchema> & {
  /** Linking and unlinking Salesforce admins, over this plugin's token store. */
  readonly admin: SalesforceAdminLinks;
};

/** The Salesforce plugin: Cases and Contacts written as a linked admin, with failover between admins. */
export function salesforce(options: SalesforceOptions = {}): SalesforcePlugin {
  const tokenStore = options.tokenStore ?? createMemoryTokenStore();
  const plugin = definePlugin({
    id: pluginId,
    displayName: 'Salesforce',
    settings: salesforceSettings,
    capabilities: () => salesforceCapabilities,
    validateCredentials: (settings, context) => validateSalesforceCredentials(settings, context, tokenStore),
    connect: (settings, context) => createSalesforceConnection(settings, context, tokenStore),
  });
  return { ...plugin, admin: createAdminLinks(tokenStore) };
}
