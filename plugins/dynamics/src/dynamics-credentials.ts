import { AuthorizationError, type CrmUser, hasErrorCode, isCrmConnectError } from '@crm-connect/core';
import { z } from 'zod';
import { type DynamicsApi, freshRead, key, odata } from './dynamics-client.js';
import { dataverseCodes, dataverseFailureOf, parseAnswer } from './dynamics-errors.js';
import { pluginId } from './dynamics-plugin-id.js';
import { systemUserFields, systemUserSchema, toCrmUser } from './dynamics-users.js';

/**
 * The identity the application's token acts as in Dataverse — the application user, which is the
 * default user. It must exist in this environment, be enabled and hold a security role.
 * https://learn.microsoft.com/power-platform/admin/manage-application-users
 */
const applicationUsersPage =
  'Power Platform admin center › Environments › your environment › Settings › Users + permissions › Application users';

const whoAmISchema = z.object({ UserId: z.string(), BusinessUnitId: z.string(), OrganizationId: z.string() });
const applicationUserSchema = systemUserSchema.extend({
  systemuserroles_association: z
    .array(z.object({ roleid: z.string(), name: z.string().nullish() }))
    .optional(),
});
const privilegesSchema = z.object({
  RolePrivileges: z.array(z.object({ PrivilegeName: z.string().optional(), Depth: z.string().optional() })),
});

/** Finds and checks the application user; throws a typed error that says how to fix what is wrong. */
export async function applicationUser(api: DynamicsApi): Promise<CrmUser> {
  const { clientId, organizationUrl } = api.credentials;
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/whoami
  const whoAmI = await api.http
    .request({ method: 'GET', path: 'WhoAmI', headers: freshRead, operation: 'WhoAmI' })
    .catch((error: unknown) => {
      throw explainDisabled(error, `application ${clientId}`);
    });
  const { UserId } = parseAnswer(whoAmISchema, whoAmI, 'WhoAmI');

  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api#retrieve-related-table-records-with-a-query
  const read = await api.http
    .request({
      method: 'GET',
      path: odata(`systemusers(${key(UserId)})`, {
        $select: systemUserFields,
        $expand: 'systemuserroles_association($select=roleid,name)',
      }),
      headers: freshRead,
      operation: 'read application user',
    })
    .catch((error: unknown) => {
      const disabled = explainDisabled(error, `application ${clientId}`);
      if (disabled !== error) throw disabled;
      // Reading one's own user record needs only the basic user privileges any role grants.
      if (hasErrorCode(error, 'permission_denied') && !isNotMember(error)) {
        throw noRole(`the application user of ${clientId}`, error);
      }
      throw error;
    });
  const record = parseAnswer(applicationUserSchema, read, 'read application user');
  const user = toCrmUser(record);
  const who = `"${user.name ?? user.id}" (application ${clientId})`;

  if (record.applicationid === undefined || record.applicationid === null) {
    throw new AuthorizationError(
      `dynamics: the credentials act as ${user.name ?? user.id}, who is not an application user of ${organizationUrl}. Create an application user for application ${clientId}: ${applicationUsersPage} › + New app user.`,
      { pluginId },
    );
  }
  if (record.isdisabled) {
    throw new AuthorizationError(
      `dynamics: the application user ${who} is disabled in ${organizationUrl}. Activate it: ${applicationUsersPage} › select it › Activate.`,
      { pluginId },
    );
  }
  if ((record.systemuserroles_association ?? []).length === 0) throw noRole(`the application user ${who}`);
  return user;
}

/**
 * With impersonation on, the application user needs prvActOnBehalfOfAnotherUser (the Delegate
 * role). Returns a warning when it is missing or cannot be checked; the credentials still work.
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api
 */
export async function impersonationWarnings(api: DynamicsApi, user: CrmUser): Promise<string[]> {
  if (!api.settings.impersonateAgents) return [];
  try {
    // RetrieveUserPrivilegeByPrivilegeName (SDK: RetrieveUserPrivilegeByPrivilegeNameRequest), bound to
    // systemuser. UNCONFIRMED: its Web API form and answer shape were not checked against a live
    // environment, so any non-transient failure is a warning, never a refused save.
    // https://learn.microsoft.com/dotnet/api/microsoft.crm.sdk.messages.retrieveuserprivilegebyprivilegenamerequest
    const response = await api.http.request({
      method: 'GET',
      path: `systemusers(${key(user.id)})/Microsoft.Dynamics.CRM.RetrieveUserPrivilegeByPrivilegeName(PrivilegeName='prvActOnBehalfOfAnotherUser')`,
      headers: freshRead,
      operation: 'check impersonation privilege',
    });
    const { RolePrivileges } = parseAnswer(privilegesSchema, response, 'check impersonation privilege');
    if (RolePrivileges.length > 0) return [];
    return [
      `Impersonation is on, but the application user lacks the prvActOnBehalfOfAnotherUser privilege: writes made as agents will fail. Add the Delegate security role (${applicationUsersPage} › select it › Edit security roles), or turn impersonation off.`,
    ];
  } catch (error) {
    if (!isCrmConnectError(error) || error.retryable) throw error;
    return [
      `Impersonation is on, but the application user's prvActOnBehalfOfAnotherUser privilege could not be checked (${error.message}). Make sure it has the Delegate security role.`,
    ];
  }
}

function isNotMember(error: unknown): boolean {
  return dataverseFailureOf(error)?.dataverseCode === dataverseCodes.notMember;
}

function noRole(who: string, cause?: unknown): AuthorizationError {
  return new AuthorizationError(
    `dynamics: ${who} has no security role, so Dataverse refuses its requests. Assign one: ${
      applicationUsersPage
    } › select it › Edit security roles (a role that can read users and create, read, write, append and assign cases, contacts and notes).`,
    { pluginId, cause: dataverseFailureOf(cause) },
  );
}

/** WhoAmI itself fails when the application user is disabled: say which user and what to do. */
function explainDisabled(error: unknown, who: string): unknown {
  if (dataverseFailureOf(error)?.dataverseCode !== dataverseCodes.userDisabled) return error;
  return new AuthorizationError(
    `dynamics: the application user of ${who} is disabled. Activate it: ${applicationUsersPage} › select it › Activate.`,
    { pluginId, cause: dataverseFailureOf(error) },
  );
}
