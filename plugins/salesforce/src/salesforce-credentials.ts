import type { CredentialCheck, PluginContext } from '@crm-connect/core';
import { createSalesforceApi } from './salesforce-api.js';
import type { SalesforceRefreshLock } from './salesforce-refresh.js';
import { createSessionPool } from './salesforce-sessions.js';
import { activeConnections, requireConfigured, type SalesforceSettings } from './salesforce-settings.js';
import type { SalesforceTokenStore } from './salesforce-token-store.js';
import { identityUser } from './salesforce-users.js';

/**
 * The live check on save: the first usable linked admin's session, and the identity it acts as,
 * which must belong to the configured org (it becomes the default user). Admins that could not
 * be used, and a single linked admin, come back as warnings.
 */
export async function validateSalesforceCredentials(
  settings: SalesforceSettings,
  context: PluginContext,
  coordination: { tokenStore: SalesforceTokenStore; lock: SalesforceRefreshLock },
): Promise<CredentialCheck> {
  const configured = requireConfigured(settings);
  // A check on save reports a refused admin but does not mark it inactive: the settings being
  // saved (a mistyped login URL) may be what is wrong, not the admin's authorization. No cached
  // access token either: the check is that these settings get one from Salesforce.
  const sessions = createSessionPool({
    settings: configured,
    context,
    coordination: { tokenStore: coordination.tokenStore, lock: coordination.lock },
    markInactive: false,
  });
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
}
