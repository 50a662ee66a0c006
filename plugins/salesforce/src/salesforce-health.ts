import { isCrmConnectError, type PluginContext } from '@crm-connect/core';
import { z } from 'zod';
import { soqlString } from './salesforce-api.js';
import { bearer, createSalesforceHttpClient } from './salesforce-client.js';
import { parseAnswer } from './salesforce-errors.js';
import { toId15 } from './salesforce-ids.js';
import { oauthClient, ownerOfIdentityUrl, type RevokedTokenError } from './salesforce-oauth.js';
import { adminAccess, createMemoryRefreshLock, type SalesforceRefreshLock } from './salesforce-refresh.js';
import { missingRights } from './salesforce-rights.js';
import {
  type AdminConnection,
  type ConfiguredSettings,
  requireConfigured,
  type SalesforceSettings,
} from './salesforce-settings.js';
import type { SalesforceTokenStore } from './salesforce-token-store.js';
import { fetchIdentity } from './salesforce-users.js';

/**
 * The health of the linked admins, for an admin screen or a scheduled check, without a
 * connector and without writing anything to Salesforce: for each link, a token refresh (OAuth,
 * not a record write), the identity service and one UserPermissionAccess query. Nothing is marked
 * inactive either: that stays the connector's decision when a write fails over. (A connected app
 * that rotates refresh tokens returns a new one on the refresh: it is saved, or the link would
 * break; the refresh takes the same lock as the connectors', so it never spends a token they are
 * spending.)
 */

export type AdminLinkStatus =
  /** Usable: the token refreshes, the user is active and has every right the connector needs. */
  | 'active'
  /** Salesforce refuses the refresh token: revoked (Connected Apps OAuth Usage), expired, or reset. */
  | 'revoked'
  /** The user is deactivated (or frozen): their token no longer works. */
  | 'deactivated'
  /** The token works but the user lacks rights (`missing` names them). */
  | 'missing-rights'
  /** The token store holds no token for this link. */
  | 'no-token'
  /** Salesforce could not be asked (unreachable, an unexpected answer): `detail` says why. */
  | 'unknown';

export interface AdminLinkHealth {
  userId: string;
  username: string;
  status: AdminLinkStatus;
  /** With `missing-rights`: the rights as Setup names them (`Transfer Cases`). */
  missing?: readonly string[] | undefined;
  /** What the status means and what to do. */
  detail: string;
  /** The status the token store holds: a failover marks a refused admin `inactive`. */
  stored: 'active' | 'inactive' | 'none';
}

/** Checks every linked admin of the settings (see the module comment); `lock`: the plugin's `lock` option. */
export async function checkAdminLinks(
  input: SalesforceSettings,
  context: PluginContext,
  tokenStore: SalesforceTokenStore,
  lock: SalesforceRefreshLock = createMemoryRefreshLock(),
): Promise<AdminLinkHealth[]> {
  const settings = requireConfigured(input);
  context.redactor.add(settings.clientSecret);
  const oauth = oauthClient(settings, context);
  const results: AdminLinkHealth[] = [];
  const refused: { index: number; error: RevokedTokenError }[] = [];
  let working: { instanceUrl: string; accessToken: string } | undefined;
  for (const connection of settings.adminConnections ?? []) {
    const key = { orgId: connection.orgId, userId: connection.userId };
    const stored = await tokenStore.get(key);
    const base = {
      userId: connection.userId,
      username: connection.username,
      stored: stored?.status ?? ('none' as const),
    };
    if (stored === undefined) {
      results.push({
        ...base,
        status: 'no-token',
        detail: `No refresh token is stored for ${connection.username}: link them again, or unlink them.`,
      });
      continue;
    }
    try {
      const outcome = await adminAccess(
        { tokenStore, lock },
        { key, oauth, markInactive: false, evenInactive: true },
      );
      if (outcome.kind === 'missing') {
        results.push({
          ...base,
          status: 'no-token',
          detail: `No refresh token is stored for ${connection.username}: link them again, or unlink them.`,
        });
        continue;
      }
      if (outcome.kind === 'refused') {
        refused.push({ index: results.length, error: outcome.error });
        results.push({ ...base, status: 'revoked', detail: '' });
        continue;
      }
      // (Never `inactive`: inactive admins are refreshed too.)
      if (outcome.kind === 'inactive') throw new Error(`${connection.username} was not refreshed`);
      const owner =
        outcome.kind === 'wrong-owner' ? outcome.owner : ownerOfIdentityUrl(outcome.access.identityUrl);
      if (outcome.kind === 'wrong-owner' || toId15(owner.orgId) !== settings.orgId) {
        results.push({
          ...base,
          status: 'unknown',
          detail: `The stored token of ${connection.username} belongs to user ${owner.userId} of org ${toId15(owner.orgId)}: unlink this admin and link them again.`,
        });
        continue;
      }
      const { access } = outcome;
      const session = { instanceUrl: access.instanceUrl, accessToken: access.accessToken };
      results.push({
        ...base,
        ...(await checkUser(settings, context, connection, access.identityUrl, session)),
      });
      working ??= session;
    } catch (error) {
      results.push({ ...base, status: 'unknown', detail: messageOf(error, context) });
    }
  }
  for (const { index, error } of refused) {
    const result = results[index];
    if (result === undefined) continue;
    const deactivated = await isDeactivated(settings, context, working, result.userId, error);
    results[index] = {
      ...result,
      status: deactivated ? 'deactivated' : 'revoked',
      detail: deactivated
        ? `${result.username} is deactivated in Salesforce: unlink them, and link an active admin (a dedicated integration user).`
        : `Salesforce refuses the refresh token of ${result.username} (${error.oauthError}): the access was revoked or expired. Link ${result.username} again, or unlink them.`,
    };
  }
  return results;
}

/** An admin whose token works: active, and with every right? */
async function checkUser(
  settings: ConfiguredSettings,
  context: PluginContext,
  connection: AdminConnection,
  identityUrl: string,
  session: { instanceUrl: string; accessToken: string },
): Promise<Pick<AdminLinkHealth, 'status' | 'missing' | 'detail'>> {
  try {
    const http = createSalesforceHttpClient(settings, context, bearer(session.accessToken));
    const identity = await fetchIdentity(http, identityUrl, session.accessToken);
    if (identity.active === false) {
      return {
        status: 'deactivated',
        detail: `${connection.username} is deactivated in Salesforce: unlink them, and link an active admin.`,
      };
    }
    const missing = await missingRights(http, session, settings.apiVersion, 'admin');
    if (missing.length > 0) {
      return {
        status: 'missing-rights',
        missing,
        detail: `${connection.username} lacks ${missing.join(', ')}: assign them a permission set with these System Permissions (Setup › Permission Sets), or the System Administrator profile.`,
      };
    }
    return { status: 'active', detail: `${connection.username} can be used.` };
  } catch (error) {
    return { status: 'unknown', detail: messageOf(error, context) };
  }
}

/** Whether a refused admin's user is deactivated: asked with a working admin's session, else read from the refusal. */
async function isDeactivated(
  settings: ConfiguredSettings,
  context: PluginContext,
  working: { instanceUrl: string; accessToken: string } | undefined,
  userId: string,
  error: RevokedTokenError,
): Promise<boolean> {
  if (working !== undefined) {
    try {
      const http = createSalesforceHttpClient(settings, context, bearer(working.accessToken));
      const response = await http.request({
        method: 'GET',
        path: `${working.instanceUrl}/services/data/v${settings.apiVersion}/query`,
        query: { q: `SELECT Id, IsActive FROM User WHERE Id = ${soqlString(userId)}` },
        operation: 'read a linked admin user',
        auth: bearer(working.accessToken),
      });
      const [user] = parseAnswer(
        z.object({ records: z.array(z.object({ IsActive: z.boolean() })) }),
        response,
        'read a linked admin user',
      ).records;
      if (user !== undefined) return !user.IsActive;
    } catch {
      // Fall back on what the refusal said.
    }
  }
  return error.oauthError === 'inactive_user' || /inactive user/i.test(error.message);
}

function messageOf(error: unknown, context: PluginContext): string {
  const message = isCrmConnectError(error) || error instanceof Error ? error.message : String(error);
  return context.redactor.redact(message);
}
