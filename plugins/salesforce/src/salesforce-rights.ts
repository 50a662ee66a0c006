import { AuthorizationError, type HttpClient } from '@crm-connect/core';
import { z } from 'zod';
import { bearer } from './salesforce-client.js';
import { parseAnswer } from './salesforce-errors.js';
import { pluginId } from './salesforce-plugin-id.js';

/**
 * The rights a linked user needs, checked without writing anything: one SOQL query on
 * UserPermissionAccess, which answers the *current* user's effective system permissions (their
 * profile, permission sets and permission set groups together).
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_userpermissionaccess.htm
 *
 * - API Enabled: every call the connector makes is the REST API.
 * - Modify All Data: the connector writes Cases, Contacts, Tasks and CaseComments whoever owns
 *   them and whatever the org's sharing settings (a Case an agent owns in an org where Cases are
 *   private: its later owner change and notes). It also covers Read/Create/Edit on those objects.
 * - View All Users: agents are found by email among all users, whatever the user sharing settings.
 * - Transfer Cases: the connector gives Cases to agents (changes OwnerId).
 * An agent linked to write as themselves needs only API Enabled: their own access to each record
 * is Salesforce's to check at write time (and the admin writes when it refuses).
 */

export type LinkKind = 'admin' | 'agent';

interface Right {
  field: string;
  label: string;
  kinds: readonly LinkKind[];
}

const rights: readonly Right[] = [
  { field: 'PermissionsApiEnabled', label: 'API Enabled', kinds: ['admin', 'agent'] },
  { field: 'PermissionsModifyAllData', label: 'Modify All Data', kinds: ['admin'] },
  { field: 'PermissionsViewAllUsers', label: 'View All Users', kinds: ['admin'] },
  { field: 'PermissionsTransferAnyCase', label: 'Transfer Cases', kinds: ['admin'] },
];

export const rightsQuery = `SELECT ${rights.map((right) => right.field).join(', ')} FROM UserPermissionAccess`;

const rightsSchema = z.object({
  records: z.array(z.record(z.string(), z.unknown())).length(1, 'one row (the current user)'),
});

/** The labels of the rights the token's user lacks for `kind` (empty: none is missing). */
export async function missingRights(
  http: HttpClient,
  session: { instanceUrl: string; accessToken: string },
  apiVersion: string,
  kind: LinkKind,
): Promise<string[]> {
  const response = await http.request({
    method: 'GET',
    path: `${session.instanceUrl}/services/data/v${apiVersion}/query`,
    query: { q: rightsQuery },
    operation: "read the linked user's permissions",
    auth: bearer(session.accessToken),
  });
  const [row = {}] = parseAnswer(rightsSchema, response, "read the linked user's permissions").records;
  return rights
    .filter((right) => right.kinds.includes(kind) && row[right.field] !== true)
    .map((right) => right.label);
}

/** A linked user lacks rights the connector needs; `missing` names them as Setup shows them. */
export class MissingRightsError extends AuthorizationError {
  readonly missing: readonly string[];
  constructor(message: string, missing: readonly string[]) {
    super(message, { pluginId, cause: { missing } });
    this.missing = missing;
  }
}

export function missingRightsError(username: string, missing: readonly string[], kind: LinkKind) {
  const who = kind === 'admin' ? 'a Salesforce admin' : 'an agent';
  return new MissingRightsError(
    `salesforce: ${username} cannot be linked as ${who}: they lack ${missing.join(', ')}. In Salesforce, open Setup › Permission Sets, create one (or edit theirs) with the System Permissions ${missing.join(', ')}, assign it to ${username} (or give them the System Administrator profile), then press Link again.`,
    missing,
  );
}

/**
 * Names and usernames that say an account is not a person's own: the seed's advice is an
 * admin account "not tied to a specific person", because a person's account is deactivated when
 * they leave, and the connection with it.
 */
const integrationMarkers =
  /\b(integration|integrations|api|service|services|system|automation|bot|connector|crm-?connect|ccai|contact-?center|no-?reply|svc|sync)\b/i;

/**
 * A warning when the linked admin looks like a person's own account: neither the username's
 * part before the @ nor the display name contains a word such as integration, api, service,
 * system, automation, bot, connector, ccai, no-reply or svc. A heuristic: Salesforce has no
 * field that says "this user is a person" for users who sign in through the browser (API-only
 * integration users cannot complete this web sign-in at all).
 */
export function personalAccountWarning(identity: {
  username: string;
  display_name?: string | undefined;
}): string | undefined {
  const local = identity.username.split('@')[0] ?? '';
  const words = `${local.replace(/[._+]/g, ' ')} ${identity.display_name ?? ''}`;
  if (integrationMarkers.test(words)) return undefined;
  return `${identity.username} looks like a person's own account (its username and name do not name an integration, API or service account). When this person leaves and their user is deactivated, the connection stops with it: prefer a dedicated integration user with the System Administrator profile (for example integration@your-company.com), and link a second admin for redundancy.`;
}
