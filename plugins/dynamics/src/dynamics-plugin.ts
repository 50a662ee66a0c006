import { type CrmPlugin, cacheOnSuccess, definePlugin } from '@crm-connect/core';
import { createDynamicsApi } from './dynamics-client.js';
import { applicationUser, impersonationWarnings } from './dynamics-credentials.js';
import { pluginId } from './dynamics-plugin-id.js';
import { createDynamicsRecords } from './dynamics-records.js';
import { dynamicsSettings, type dynamicsSettingsSchema } from './dynamics-settings.js';
import { createDynamicsUsers } from './dynamics-users.js';

export { pluginId } from './dynamics-plugin-id.js';

/**
 * Microsoft Dynamics 365 (Dataverse Web API v9.2) through an Azure AD / Microsoft Entra
 * application user: client-credentials tokens from msal-node, cases with an explicit owner,
 * optional impersonation of the identified agent.
 */
export function dynamics(): CrmPlugin<typeof dynamicsSettingsSchema> {
  return definePlugin({
    id: pluginId,
    displayName: 'Microsoft Dynamics 365',
    settings: dynamicsSettings,
    capabilities: (settings) => ({
      performsAsAgent: settings.impersonateAgents,
      // Without impersonation the application user already performs every write while agents own
      // the cases, which is what "always use the admin user" means: a second switch would add nothing.
      alwaysUseAdmin: false,
    }),

    async validateCredentials(settings, context) {
      const api = createDynamicsApi(settings, context);
      try {
        // A new token proves the application key now, not when a cached token was issued.
        await api.freshToken();
        const connectionUser = await applicationUser(api);
        return { connectionUser, warnings: await impersonationWarnings(api, connectionUser) };
      } finally {
        api.close();
      }
    },

    connect(settings, context) {
      const api = createDynamicsApi(settings, context);
      const users = createDynamicsUsers(api);
      // A failed check (Dataverse unreachable, role missing) is asked again next time.
      const connectionUser = cacheOnSuccess(() => applicationUser(api));
      const records = createDynamicsRecords(api, users, connectionUser);
      return {
        connectionUser,
        findUserByEmail: (email) => users.findByEmail(email),
        listAssignableUsers: () => users.listAssignable(),
        createTicket: (input) => records.createTicket(input),
        findTicket: (interactionId) => records.findTicket(interactionId),
        changeOwner: (input) => records.changeOwner(input),
        addNote: (input) => records.addNote(input),
        close: async () => api.close(),
      };
    },
  });
}
