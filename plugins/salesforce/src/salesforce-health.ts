import { isCrmConnectError, type PluginContext } from '@crm-connect/core';
import { z } from 'zod';
import { soqlString } from './salesforce-api.js';
import { bearer, createSalesforceHttpClient } from './salesforce-client.js';
import { parseAnswer } from './salesforce-errors.js';
import { sameId, toId15 } from './salesforce-ids.js';
import { oauthClient, ownerOfToken, RevokedTokenError, refreshAccessToken } from './salesforce-oauth.js';
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
 * break.)
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

/** Checks every linked admin of the settings (see the module comment). */
export async function checkAdminLinks(
  input: SalesforceSettings,
  context: PluginContext,
  tokenStore: SalesforceTokenStore,
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
    context.redactor.add(stored.refreshToken);
    try {
      const token = await refreshAccessToken(oauth, stored.refreshToken);
      const owner = ownerOfToken(token);
      if (toId15(owner.orgId) !== settings.orgId || !sameId(owner.userId, connection.userId)) {
        results.push({
          ...base,
          status: 'unknown',
          detail: `The stored token of ${connection.username} belongs to user ${owner.userId} of org ${toId15(owner.orgId)}: unlink this admin and link them again.`,
        });
        continue;
      }
      if (token.refresh_token !== undefined && token.refresh_token !== stored.refreshToken) {
        await tokenStore.set(key, {
          ...stored,
          refreshToken: token.refresh_token,
          updatedAt: new Date().toISOString(),
        });
      }
      const session = {
        instanceUrl: token.instance_url.replace(/\/+$/, ''),
        accessToken: token.access_token,
      };
      results.push({ ...base, ...(await checkUser(settings, context, connection, token.id, session)) });
      working ??= session;
    } catch (error) {
      if (error instanceof RevokedTokenError) {
        refused.push({ index: results.length, error });
        results.push({ ...base, status: 'revoked', detail: '' });
      } else {
        results.push({ ...base, status: 'unknown', detail: messageOf(error, context) });
      }
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
