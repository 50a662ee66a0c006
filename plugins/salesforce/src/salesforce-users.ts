import { AuthenticationError, type CrmUser, type HttpClient } from '@crm-connect/core';
import { z } from 'zod';
import { type SalesforceApi, soqlString } from './salesforce-api.js';
import { bearer } from './salesforce-client.js';
import { parseAnswer } from './salesforce-errors.js';
import { toId15 } from './salesforce-ids.js';
import { pluginId } from './salesforce-plugin-id.js';
import type { AdminSession } from './salesforce-sessions.js';

/** Salesforce users: the admin's identity, agents by email, and the pool for the legacy random rule. */

const identitySchema = z.object({
  user_id: z.string(),
  organization_id: z.string(),
  username: z.string(),
  display_name: z.string().optional(),
  email: z.string().optional(),
  active: z.boolean().optional(),
  user_type: z.string().optional(),
});
export type SalesforceIdentity = z.infer<typeof identitySchema>;

/**
 * Who an access token belongs to, from the identity URL of its token response.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_openid.htm (Identity URLs)
 */
export async function fetchIdentity(
  http: HttpClient,
  identityUrl: string,
  accessToken: string,
): Promise<SalesforceIdentity> {
  // A Bearer header rather than jsforce's identity(), which puts the token in the query string.
  const response = await http.request({
    method: 'GET',
    path: identityUrl,
    // Held to the login URL's host (or login./test. of the same Salesforce domain) when the token
    // response was read: see salesforce-oauth.ts.
    crossOriginChecked: true,
    operation: 'read the admin identity',
    auth: bearer(accessToken),
  });
  return parseAnswer(identitySchema, response, 'read the admin identity');
}

/** The admin a session acts as, checked against the configured org. */
export async function identityUser(api: SalesforceApi, session: AdminSession): Promise<CrmUser> {
  const identity = await fetchIdentity(api.http, session.identityUrl, session.accessToken);
  if (toId15(identity.organization_id) !== api.settings.orgId) {
    throw new AuthenticationError(
      `salesforce: ${identity.username} belongs to org ${toId15(identity.organization_id)}, not to the configured org ${api.settings.orgId}; unlink this admin and link an admin of org ${api.settings.orgId}.`,
      { pluginId },
    );
  }
  return userOfIdentity(identity);
}

export function userOfIdentity(identity: SalesforceIdentity): CrmUser {
  return {
    id: identity.user_id,
    email: identity.email?.toLowerCase(),
    name: identity.display_name ?? identity.username,
    active: identity.active ?? true,
    role: 'admin',
  };
}

const userRecordSchema = z.object({
  Id: z.string(),
  Name: z.string().nullish(),
  Email: z.string().nullish(),
  Username: z.string().nullish(),
  IsActive: z.boolean(),
});

function userOfRecord(record: z.infer<typeof userRecordSchema>): CrmUser {
  return {
    id: record.Id,
    email: record.Email?.toLowerCase(),
    name: record.Name ?? record.Username ?? undefined,
    active: record.IsActive,
    role: 'agent',
  };
}

const userFields = 'Id, Name, Email, Username, IsActive';
// Both queries keep to standard users: portal, community and automated users can share an
// agent's email but cannot own cases.

/** The Salesforce user with this email, preferring an active one; `undefined` when none. */
export async function findUserByEmail(api: SalesforceApi, email: string): Promise<CrmUser | undefined> {
  // SOQL compares text case-insensitively, and Email is not unique on User.
  const soql = `SELECT ${userFields} FROM User WHERE Email = ${soqlString(email)} AND UserType = 'Standard' LIMIT 10`;
  const { records } = await api.query(soql, userRecordSchema, 'find user by email', 10);
  const users = records.map(userOfRecord);
  return users.find((user) => user.active) ?? users[0];
}

/**
 * A bound against an org whose query never ends, far above any real one (1,000,000 users, 500
 * batches of 2,000). It never hides a user of a real org: the batches come in name order, and a
 * lower bound left out the end of the alphabet.
 */
const maxPoolUsers = 1_000_000;

/** Every active standard user, for the legacy random-agent rule, so its pick can land on any of them (the core caches the list). */
export async function listAssignableUsers(api: SalesforceApi): Promise<CrmUser[]> {
  const soql = `SELECT ${userFields} FROM User WHERE IsActive = true AND UserType = 'Standard' ORDER BY Name`;
  const { records } = await api.query(soql, userRecordSchema, 'list assignable users', maxPoolUsers);
  return records.map(userOfRecord);
}
