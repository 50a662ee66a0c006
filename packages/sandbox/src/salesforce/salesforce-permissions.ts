import type { UserRecord } from './salesforce-store.js';

/**
 * What each seeded user may do: the system permissions of their profile, plus the permission
 * sets a test assigns (`permissionSets` on the user: `{ TransferAnyCase: false }` takes a right
 * away, `{ ModifyAllData: true }` grants one). `SELECT Permissions… FROM UserPermissionAccess`
 * answers them for the user making the request, as Salesforce answers the current user's
 * effective permissions.
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_userpermissionaccess.htm
 */

/** The system permissions the sandbox knows, without their `Permissions` prefix. */
export const systemPermissions = [
  'ApiEnabled',
  'ApiUserOnly',
  'EditTask',
  'ManageUsers',
  'ModifyAllData',
  'TransferAnyCase',
  'ViewAllData',
  'ViewAllUsers',
  'ViewSetup',
] as const;
export type SystemPermission = (typeof systemPermissions)[number];

/** The two standard profiles the seed uses: an administrator has every right, a Standard User the everyday ones. */
const profiles: Readonly<Record<string, Readonly<Record<SystemPermission, boolean>>>> = {
  'System Administrator': {
    ApiEnabled: true,
    ApiUserOnly: false,
    EditTask: true,
    ManageUsers: true,
    ModifyAllData: true,
    TransferAnyCase: true,
    ViewAllData: true,
    ViewAllUsers: true,
    ViewSetup: true,
  },
  'Standard User': {
    ApiEnabled: true,
    ApiUserOnly: false,
    EditTask: true,
    ManageUsers: false,
    ModifyAllData: false,
    TransferAnyCase: false,
    ViewAllData: false,
    ViewAllUsers: false,
    ViewSetup: false,
  },
};

/** The permission a `Permissions…` field names; `undefined` for one the sandbox does not know. */
export function permissionOfField(field: string): SystemPermission | undefined {
  const name = field.replace(/^permissions/i, '');
  return field.toLowerCase().startsWith('permissions')
    ? systemPermissions.find((permission) => permission.toLowerCase() === name.toLowerCase())
    : undefined;
}

/** The user's effective value of one system permission: their permission sets over their profile. */
export function hasPermission(user: UserRecord, permission: SystemPermission): boolean {
  return user.permissionSets?.[permission] ?? profiles[user.profile]?.[permission] ?? false;
}
