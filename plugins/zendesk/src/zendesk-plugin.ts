import {
  type CrmConnection,
  type CrmPlugin,
  cacheOnSuccess,
  definePlugin,
  type PluginCapabilities,
  type PluginContext,
} from '@crm-connect/core';
import { createZendeskAccount, type ZendeskAccountOptions } from './zendesk-client.js';
import { checkZendeskCredentials } from './zendesk-credentials.js';
import { pluginId } from './zendesk-plugin-id.js';
import { createZendeskRecords } from './zendesk-records.js';
import { type ZendeskSettings, zendeskSettings, type zendeskSettingsSchema } from './zendesk-settings.js';
import { fetchConnectionAdmin, findStaffByEmail, listStaff } from './zendesk-users.js';

export { pluginId } from './zendesk-plugin-id.js';

export interface ZendeskPluginOptions {
  /**
   * Requests per minute crm-connect allows itself on one Zendesk account, shared by every
   * connector to it. Default 200, the lowest plan's limit; raise it to your plan's (Enterprise:
   * 700). A 429 holds every caller for its Retry-After whatever this says.
   */
  requestsPerMinute?: number | undefined;
}

/**
 * Token mode can write as the agent (Basic auth with the agent's email and the token), so it also
 * offers "always use the admin user" for accounts that want every API write made by the admin
 * while agents keep ownership. OAuth mode always writes as the OAuth client's admin, so neither
 * option means anything there.
 */
export function zendeskCapabilities(settings: ZendeskSettings): PluginCapabilities {
  const tokenMode = settings.authMode === 'apiToken';
  return { performsAsAgent: tokenMode, alwaysUseAdmin: tokenMode };
}

function connect(
  settings: ZendeskSettings,
  context: PluginContext,
  options: ZendeskAccountOptions,
): CrmConnection {
  const account = createZendeskAccount(settings, context, options);
  return {
    connectionUser: cacheOnSuccess(() => fetchConnectionAdmin(account, settings.authMode)),
    findUserByEmail: (email) => findStaffByEmail(account, email),
    listAssignableUsers: () => listStaff(account, context.logger),
    ...createZendeskRecords(account, settings, context),
    close: async () => account.close(),
  };
}

/** The Zendesk Support plugin. */
export function zendesk(options: ZendeskPluginOptions = {}): CrmPlugin<typeof zendeskSettingsSchema> {
  const accountOptions: ZendeskAccountOptions = { requestsPerMinute: options.requestsPerMinute ?? 200 };
  return definePlugin({
    id: pluginId,
    displayName: 'Zendesk',
    settings: zendeskSettings,
    capabilities: zendeskCapabilities,
    async validateCredentials(settings, context) {
      const account = createZendeskAccount(settings, context, accountOptions);
      try {
        return await checkZendeskCredentials(account, settings);
      } finally {
        // The check's own token is not kept once it has answered.
        account.close();
      }
    },
    connect: (settings, context) => connect(settings, context, accountOptions),
  });
}
