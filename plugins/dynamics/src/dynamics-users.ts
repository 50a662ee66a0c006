import { type CrmUser, type HttpResponse, InvalidResponseError } from '@crm-connect/core';
import { z } from 'zod';
import { type DynamicsApi, freshRead, key, literal, odata, webApiPath } from './dynamics-client.js';
import { parseAnswer } from './dynamics-errors.js';
import { pluginId } from './dynamics-plugin-id.js';

/**
 * Dataverse users (`systemuser`): agent identification by email, the legacy random pool, and the
 * impersonation header of a write made as an agent.
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/systemuser
 */

/** `systemuser.accessmode`: 0 Read-Write, 1 Administrative, 2 Read, 3 Support User, 4 Non-interactive, 5 Delegated Admin. */
const accessModes = ['read-write', 'administrative', 'read', 'support', 'non-interactive', 'delegated-admin'];
const readWrite = 0;

export const systemUserFields =
  'systemuserid,fullname,internalemailaddress,isdisabled,accessmode,applicationid,azureactivedirectoryobjectid';

export const systemUserSchema = z.object({
  systemuserid: z.string(),
  fullname: z.string().nullish(),
  internalemailaddress: z.string().nullish(),
  isdisabled: z.boolean(),
  accessmode: z.number().int().nullish(),
  applicationid: z.string().nullish(),
  azureactivedirectoryobjectid: z.string().nullish(),
});
export type SystemUser = z.infer<typeof systemUserSchema>;

const userPageSchema = z.object({
  value: z.array(systemUserSchema),
  '@odata.nextLink': z.string().optional(),
});

/**
 * A bound against an environment whose pagination never ends, far above any real one: 2,000
 * pages of 500 (1,000,000 users). It never hides a user of a real environment, so the random
 * pick can land on anyone (pages come in name order: a lower bound left out the end of the
 * alphabet); a next link named twice ends the walk at once.
 */
const maxPoolPages = 2_000;

export function toCrmUser(user: SystemUser): CrmUser {
  const role =
    user.applicationid !== undefined && user.applicationid !== null
      ? 'application'
      : accessModes[user.accessmode ?? readWrite];
  return {
    id: user.systemuserid,
    email: user.internalemailaddress?.toLowerCase() ?? undefined,
    name: user.fullname ?? undefined,
    active: !user.isdisabled,
    role,
  };
}

export interface DynamicsUsers {
  /** The (non-application) user with this primary email, enabled ones first; disabled ones come back inactive. */
  findByEmail(email: string): Promise<CrmUser | undefined>;
  /** Every enabled, interactive (Read-Write access) user, all pages: the legacy random pool. */
  listAssignable(): Promise<readonly CrmUser[]>;
  /** The user with this systemuserid, enabled or not; `undefined` when there is none (the id of a team, say). */
  findById(id: string): Promise<CrmUser | undefined>;
  /** The headers that make a write run as `performer`; none when the application user performs it. */
  performerHeaders(performer: CrmUser, connectionUser: CrmUser): Promise<Record<string, string>>;
}

export function createDynamicsUsers(api: DynamicsApi): DynamicsUsers {
  // systemuserid → Microsoft Entra object id (null: the user has none), learnt from every lookup.
  const objectIds = new Map<string, string | null>();
  const remember = (user: SystemUser): CrmUser => {
    objectIds.set(user.systemuserid.toLowerCase(), user.azureactivedirectoryobjectid ?? null);
    return toCrmUser(user);
  };

  async function objectIdOf(userId: string): Promise<string | null> {
    const known = objectIds.get(userId.toLowerCase());
    if (known !== undefined) return known;
    // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api
    const response = await api.http.request({
      method: 'GET',
      path: odata(`systemusers(${key(userId)})`, { $select: systemUserFields }),
      headers: freshRead,
      operation: 'read agent',
    });
    remember(parseAnswer(systemUserSchema, response, 'read agent'));
    return objectIds.get(userId.toLowerCase()) ?? null;
  }

  return {
    async findByEmail(email) {
      // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-data-web-api
      const response = await api.http.request({
        method: 'GET',
        path: odata('systemusers', {
          $select: systemUserFields,
          $filter: `internalemailaddress eq ${literal(email.toLowerCase())} and applicationid eq null`,
          $top: '10',
        }),
        headers: freshRead,
        operation: 'find agent',
      });
      const users = parseAnswer(userPageSchema, response, 'find agent').value.map(remember);
      return users.find((user) => user.active) ?? users[0];
    },

    async findById(id) {
      // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api
      const response = await api.http.request({
        method: 'GET',
        path: odata(`systemusers(${key(id)})`, { $select: systemUserFields }),
        headers: freshRead,
        operation: 'read user',
        acceptStatus: [404],
      });
      if (response.status === 404) return undefined;
      return remember(parseAnswer(systemUserSchema, response, 'read user'));
    },

    async listAssignable() {
      const users: CrmUser[] = [];
      let path: string | undefined = odata('systemusers', {
        $select: systemUserFields,
        $filter: `isdisabled eq false and accessmode eq ${readWrite} and applicationid eq null and internalemailaddress ne null`,
        $orderby: 'fullname asc',
      });
      const followed = new Set<string>();
      for (let page = 0; path !== undefined && page < maxPoolPages; page += 1) {
        // Pages follow @odata.nextLink (an absolute URL on the same environment).
        // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-data-web-api#page-results
        const response: HttpResponse = await api.http.request({
          method: 'GET',
          path,
          headers: { ...freshRead, Prefer: 'odata.maxpagesize=500' },
          operation: 'list agents',
        });
        const parsed: z.output<typeof userPageSchema> = parseAnswer(userPageSchema, response, 'list agents');
        users.push(...parsed.value.map(remember));
        path = nextPage(api, parsed['@odata.nextLink'], response);
        if (path !== undefined && followed.has(path)) {
          api.context.logger.log(
            'warn',
            'dynamics agent listing repeated a next link; the pool is the users listed so far',
            {
              pages: page + 1,
              users: users.length,
            },
          );
          return users;
        }
        if (path !== undefined) followed.add(path);
      }
      if (path !== undefined) {
        api.context.logger.log('warn', 'dynamics agent pool truncated', {
          pages: maxPoolPages,
          users: users.length,
        });
      }
      return users;
    },

    async performerHeaders(performer, connectionUser): Promise<Record<string, string>> {
      if (!api.settings.impersonateAgents || performer.id.toLowerCase() === connectionUser.id.toLowerCase()) {
        return {};
      }
      // CallerObjectId (the Entra object id) is Microsoft's preferred header; MSCRMCallerID
      // (the systemuserid) is the legacy one, kept for users without an Entra object id.
      // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api
      const objectId = await objectIdOf(performer.id);
      return objectId === null ? { MSCRMCallerID: performer.id } : { CallerObjectId: objectId };
    },
  };
}

/**
 * The next page of a listing: `@odata.nextLink`, an absolute URL, followed only when it is on the
 * environment's own Web API (the request carries the access token). One on another host is an
 * answer Dataverse does not give: an `InvalidResponseError`, and the link is not followed.
 */
function nextPage(
  api: DynamicsApi,
  nextLink: string | undefined,
  response: HttpResponse,
): string | undefined {
  if (nextLink === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(nextLink, `${api.credentials.organizationUrl}${webApiPath}`);
  } catch {
    url = undefined;
  }
  const webApi = new URL(`${api.credentials.organizationUrl}${webApiPath}`);
  if (url === undefined || url.origin !== webApi.origin || !url.pathname.startsWith(webApi.pathname)) {
    const where = url === undefined ? 'an unreadable address' : url.origin;
    throw new InvalidResponseError(
      `dynamics: list agents: Dataverse named the next page at ${where}, outside ${webApi.origin}; it is not followed (the request would carry the access token there). Check the organization URL.`,
      { pluginId, status: response.status, requestId: response.requestId, retryable: false },
    );
  }
  // Sent as Dataverse wrote it (its skip token is encoded already); resolved only if it was relative.
  return /^https?:\/\//i.test(nextLink) ? nextLink : url.toString();
}
