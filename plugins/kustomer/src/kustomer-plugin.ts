import { type CrmPlugin, definePlugin } from '@crm-connect/core';
import { createKustomerClient, requireCredentials } from './kustomer-client.js';
import { validateKustomerCredentials } from './kustomer-credentials.js';
import { pluginId } from './kustomer-plugin-id.js';
import { addNote, assignConversation, createConversation, findConversation } from './kustomer-records.js';
import { kustomerSettings, type kustomerSettingsSchema } from './kustomer-settings.js';
import { findUserByEmail, listAssignableUsers } from './kustomer-users.js';

export { pluginId } from './kustomer-plugin-id.js';

export type KustomerPlugin = CrmPlugin<typeof kustomerSettingsSchema>;

/**
 * The Kustomer plugin: an API key whose machine user is the default user. Kustomer attributes
 * everything done with a key to that machine user, so it performs every write; agents own
 * conversations through `assignedUsers`.
 */
export function kustomer(): KustomerPlugin {
  return definePlugin({
    id: pluginId,
    displayName: 'Kustomer',
    settings: kustomerSettings,
    // The key's user performs every write whatever the settings, so "always use the admin user"
    // would change nothing and is not offered.
    capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
    validateCredentials: validateKustomerCredentials,
    connect(settings, context) {
      const client = createKustomerClient(requireCredentials(settings), context);
      const { http } = context;
      return {
        connectionUser: async () => (await client.identity()).user,
        findUserByEmail: (email) => findUserByEmail(client, email, context.logger),
        listAssignableUsers: () => listAssignableUsers(client, context.logger),
        createTicket: (input) => createConversation(client, input, http),
        findTicket: (interactionId) => findConversation(client, interactionId),
        changeOwner: (input) => assignConversation(client, input),
        addNote: (input) => addNote(client, input, http),
        close: async () => client.close(),
      };
    },
  });
}
