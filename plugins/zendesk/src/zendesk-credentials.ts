import { AuthorizationError, type CredentialCheck } from '@crm-connect/core';
import type { ZendeskAccount } from './zendesk-client.js';
import { oauthScope } from './zendesk-oauth.js';
import { pluginId } from './zendesk-plugin-id.js';
import type { ZendeskSettings } from './zendesk-settings.js';
import { fetchConnectionAdmin } from './zendesk-users.js';

/**
 * Zendesk's API token retirement: no new tokens from 2026-10-27, every token disabled on
 * 2027-04-30 (tokens unused for 30 days are deactivated from 2026-07-28).
 * https://developer.zendesk.com/documentation/api-basics/authentication/oauth-migration/
 */
export const apiTokenRetirementWarning =
  'Zendesk is retiring API tokens: no new API token can be created from 2026-10-27, a token unused for 30 days is deactivated, and every API token stops working on 2027-04-30. Switch this connection to OAuth client credentials before then: create a confidential OAuth client in Admin Center › Apps and integrations › APIs › OAuth clients, signed in as an admin, and enter its identifier and secret here.';

/**
 * True when the granted scopes let the connection read users, tickets and ticket audits, and
 * write tickets. Reads need the global `read`: the Ticket Audits endpoints (where a note that may
 * exist is looked up) refuse resource scopes such as `tickets:read`.
 * https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/ (Required OAuth scope)
 */
function scopeSuffices(scope: string): boolean {
  const granted = new Set(scope.split(/\s+/));
  const reads = granted.has('read');
  const writes = granted.has('write') || granted.has('tickets:write');
  return reads && writes;
}

/** The live check on save: the credentials work and act as an active admin, who becomes the default user. */
export async function checkZendeskCredentials(
  account: ZendeskAccount,
  settings: ZendeskSettings,
): Promise<CredentialCheck> {
  const warnings: string[] = [];
  if (account.oauth !== undefined) {
    const token = await account.oauth.token();
    if (token.scope !== undefined && !scopeSuffices(token.scope)) {
      throw new AuthorizationError(
        `Zendesk granted the OAuth client only the scopes "${token.scope}", but crm-connect needs "${oauthScope}" to find agents, read tickets and their audits, and write tickets. Allow those scopes on the client in Admin Center › Apps and integrations › APIs › OAuth clients.`,
        { pluginId },
      );
    }
  }
  const admin = await fetchConnectionAdmin(account, settings.authMode);
  if (settings.authMode === 'apiToken') {
    warnings.push(apiTokenRetirementWarning);
  } else if (settings.email !== undefined && admin.email !== settings.email) {
    warnings.push(
      `The OAuth client acts as ${admin.email ?? `user ${admin.id}`}, not ${settings.email}: ${admin.name ?? admin.email ?? admin.id} is the default user. Clear the email field or enter that admin's email to remove this warning.`,
    );
  }
  return { connectionUser: admin, warnings };
}
