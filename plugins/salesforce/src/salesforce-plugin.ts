import { type CrmPlugin, definePlugin } from '@crm-connect/core';
import { createAdminLinks, type SalesforceAdminLinks } from './salesforce-admin-links.js';
import { createSalesforceApi } from './salesforce-api.js';
import { createSalesforceConnection, identityUser } from './salesforce-connection.js';
import { createSessionPool } from './salesforce-sessions.js';
import {
  activeConnections,
  requireConfigured,
  salesforceCapabilities,
  salesforceSettings,
  type salesforceSettingsSchema,
} from './salesforce-settings.js';
import { createMemoryTokenStore, type SalesforceTokenStore } from './salesforce-token-store.js';

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
    id: 'salesforce',
    displayName: 'Salesforce',
    settings: salesforceSettings,
    capabilities: () => salesforceCapabilities,
    async validateCredentials(settings, context) {
      const configured = requireConfigured(settings);
      // A check on save reports a refused admin but does not mark it inactive: the settings being
      // saved (a mistyped login URL) may be what is wrong, not the admin's authorization.
      const sessions = createSessionPool({ settings: configured, context, tokenStore, markInactive: false });
      const api = createSalesforceApi(configured, context, sessions);
      const connectionUser = await identityUser(api, await sessions.current());
      const warnings = sessions
        .failovers()
        .map(
          (failover) =>
            `The linked admin ${failover.from.username} could not be used (${failover.reason}); ${failover.to?.username ?? 'another admin'} was used instead. Link ${failover.from.username} again or unlink them.`,
        );
      if (activeConnections(configured).length === 1) {
        warnings.push(
          'Only one Salesforce admin is linked: link a second admin so that writes continue if this one is deactivated.',
        );
      }
      return { connectionUser, warnings };
    },
    connect: (settings, context) => createSalesforceConnection(settings, context, tokenStore),
  });
  return { ...plugin, admin: createAdminLinks(tokenStore) };
}
