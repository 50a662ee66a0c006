import { json, type SandboxRequest, type SandboxResponse } from '../http-exchange.js';
import type { Route } from '../routes.js';
import { hasPrivilege, withCaller } from './dynamics-auth.js';
import { parseSelect, project, QueryOptionError, queryCollection } from './dynamics-odata.js';
import type { DynamicsStore, SystemUserRecord } from './dynamics-store.js';
import { answering, attributes, doesNotExist, roleRow, systemUserRow, webApiPath } from './dynamics-wire.js';

/**
 * WhoAmI, users (`systemusers`: list with OData query options, one by id with its security roles
 * through `$expand=systemuserroles_association`) and the privilege check the plugin makes.
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/whoami
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/systemuser
 */

const readUsers = { privilege: 'prvReadUser', entity: 'systemuser' };
const rolesNavigation = /^systemuserroles_association(?:\(\$select=([^)]*)\))?$/;

/** One user as `GET systemusers(<id>)` answers it, with its roles when `$expand` asks for them. */
function oneUser(store: DynamicsStore, request: SandboxRequest, user: SystemUserRecord): SandboxResponse {
  const select = parseSelect(request.query.get('$select'), attributes.systemuser, 'systemuser');
  const expand = request.query.get('$expand');
  const body: Record<string, unknown> = {
    '@odata.context': `${request.origin}${webApiPath}/$metadata#systemusers(${select?.join(',') ?? ''})/$entity`,
    ...project(systemUserRow(user), select),
  };
  if (expand !== null) {
    const navigation = rolesNavigation.exec(expand.trim());
    if (navigation === null) {
      throw new QueryOptionError(
        `Could not find a property named '${expand.split('(')[0]}' on type 'Microsoft.Dynamics.CRM.systemuser'.`,
      );
    }
    const roleSelect = parseSelect(navigation[1] ?? null, attributes.role, 'role');
    body.systemuserroles_association = user.roleIds.flatMap((roleId) => {
      const role = store.roles.get(roleId);
      return role === undefined ? [] : [project(roleRow(role), roleSelect)];
    });
  }
  return json(200, body);
}

export function userRoutes(store: DynamicsStore, clock: () => number): Route[] {
  const whoAmI = withCaller(store, clock, undefined, (request, { caller }) =>
    json(200, {
      '@odata.context': `${request.origin}${webApiPath}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
      BusinessUnitId: store.businessUnitId,
      UserId: caller.actor.systemuserid,
      OrganizationId: store.organizationId,
    }),
  );
  return [
    { method: 'GET', path: `${webApiPath}/WhoAmI`, name: 'whoAmI', handler: whoAmI },
    { method: 'GET', path: `${webApiPath}/WhoAmI()`, name: 'whoAmI', handler: whoAmI },
    {
      method: 'GET',
      path: `${webApiPath}/systemusers`,
      name: 'systemusers.list',
      handler: withCaller(store, clock, readUsers, (request) =>
        answering(() => {
          const { body, headers } = queryCollection(request, store.systemUsers.all().map(systemUserRow), {
            type: 'systemuser',
            set: 'systemusers',
            attributes: attributes.systemuser,
          });
          return json(200, body, headers);
        }),
      ),
    },
    {
      method: 'GET',
      path: `${webApiPath}/systemusers(:id)`,
      name: 'systemusers.show',
      handler: withCaller(store, clock, readUsers, (request, { params }) =>
        answering(() => {
          const user = store.systemUsers.get((params.id ?? '').toLowerCase());
          return user === undefined
            ? doesNotExist('systemuser', params.id ?? '')
            : oneUser(store, request, user);
        }),
      ),
    },
    {
      method: 'GET',
      path: `${webApiPath}/systemusers(:id)/Microsoft.Dynamics.CRM.RetrieveUserPrivilegeByPrivilegeName(PrivilegeName=:name)`,
      name: 'systemusers.privilege',
      // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/retrieveuserprivilegebyprivilegename
      handler: withCaller(store, clock, readUsers, (request, { params }) => {
        const user = store.systemUsers.get((params.id ?? '').toLowerCase());
        if (user === undefined) return doesNotExist('systemuser', params.id ?? '');
        const name = (params.name ?? '').replace(/^'(.*)'$/, '$1');
        return json(200, {
          '@odata.context': `${request.origin}${webApiPath}/$metadata#Microsoft.Dynamics.CRM.RetrieveUserPrivilegeByPrivilegeNameResponse`,
          RolePrivileges: hasPrivilege(store, user, name)
            ? [
                {
                  Depth: 'Global',
                  PrivilegeId: privilegeId(name),
                  BusinessUnitId: store.businessUnitId,
                  PrivilegeName: name,
                },
              ]
            : [],
        });
      }),
    },
  ];
}

/** A stable id per privilege name (Dataverse's are fixed GUIDs per privilege). */
function privilegeId(name: string): string {
  const hex = Buffer.from(name).toString('hex').padEnd(12, '0').slice(0, 12);
  return `9f1e0000-5eed-4000-8000-${hex}`;
}
