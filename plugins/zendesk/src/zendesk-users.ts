import { AuthenticationError, AuthorizationError, type CrmUser, type Logger } from '@crm-connect/core';
import { z } from 'zod';
import type { ZendeskAccount } from './zendesk-client.js';
import { parseAnswer } from './zendesk-errors.js';
import { pluginId } from './zendesk-plugin-id.js';
import type { ZendeskAuthMode } from './zendesk-settings.js';

/** The parts of a Zendesk user crm-connect reads. https://developer.zendesk.com/api-reference/ticketing/users/users/#json-format */
export const zendeskUserSchema = z.object({
  // Null for the anonymous user some bad credentials resolve to.
  id: z.number().int().nullable().optional(),
  name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  role: z.string().nullable().optional(),
  role_type: z.number().int().nullable().optional(),
  active: z.boolean().nullable().optional(),
  suspended: z.boolean().nullable().optional(),
  phone: z.string().nullable().optional(),
  external_id: z.string().nullable().optional(),
});
export type ZendeskUser = z.infer<typeof zendeskUserSchema>;

const usersPageSchema = z.object({
  users: z.array(zendeskUserSchema),
  meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullable().optional() }).optional(),
});

/**
 * Agent roles that cannot be assigned tickets (`role_type`: 1 light agent, 2 chat-only agent,
 * 3 contributor; numbering from the CustomRole schema of Zendesk's OpenAPI file). Such users are
 * reported inactive, so the actor rule never picks them as owner: Zendesk would refuse them.
 */
const unassignableRoleTypes: Readonly<Record<number, string>> = {
  1: 'light-agent',
  2: 'chat-agent',
  3: 'contributor',
};

const staffRoles = new Set(['agent', 'admin']);

export function toCrmUser(user: ZendeskUser & { id: number }): CrmUser {
  const limitedRole =
    user.role === 'agent' && user.role_type != null ? unassignableRoleTypes[user.role_type] : undefined;
  return {
    id: String(user.id),
    email: user.email?.toLowerCase() ?? undefined,
    name: user.name ?? undefined,
    active: user.active !== false && user.suspended !== true && limitedRole === undefined,
    role: limitedRole ?? user.role ?? undefined,
  };
}

function isStaff(user: ZendeskUser): user is ZendeskUser & { id: number } {
  return user.id != null && staffRoles.has(user.role ?? '');
}

const anonymousHints: Record<ZendeskAuthMode, string> = {
  apiToken:
    'Zendesk answered as an anonymous user, so the email and API token were not accepted. Check that the email is a Zendesk admin’s, that the token is active and that token access is enabled in Admin Center › Apps and integrations › APIs › Zendesk API.',
  oauthClientCredentials:
    'Zendesk answered the OAuth token as an anonymous user. Check that the OAuth client belongs to this Zendesk account and that the admin who created it is active.',
};

/**
 * The identity the credentials act as, which must be an active admin: it becomes the default
 * user. Bad credentials come back as a 401 or as a 200 with an anonymous user; both are refused.
 */
export async function fetchConnectionAdmin(account: ZendeskAccount, mode: ZendeskAuthMode): Promise<CrmUser> {
  // https://developer.zendesk.com/api-reference/ticketing/users/users/#show-the-currently-authenticated-user
  const response = await account.api.request({
    method: 'GET',
    path: '/api/v2/users/me',
    operation: 'check the credentials',
    auth: account.credentials.admin(),
  });
  const parsed = z.object({ user: zendeskUserSchema }).safeParse(response.data);
  const user = parsed.success ? parsed.data.user : undefined;
  if (user?.id == null) {
    throw new AuthenticationError(anonymousHints[mode], {
      pluginId,
      status: response.status,
      requestId: response.requestId,
    });
  }
  const who = `${user.email ?? `user ${user.id}`}`;
  if (user.suspended === true || user.active === false) {
    throw new AuthorizationError(
      `Zendesk user ${who} is suspended or deleted. Use the credentials of an active Zendesk admin.`,
      { pluginId, status: response.status, requestId: response.requestId },
    );
  }
  if (user.role !== 'admin') {
    const how =
      mode === 'apiToken'
        ? 'Enter the email of a Zendesk admin with the API token'
        : 'Use an OAuth client created by a Zendesk admin';
    throw new AuthorizationError(
      `Zendesk user ${who} is ${user.role === 'agent' ? 'an agent' : `a ${user.role ?? 'user without a role'}`}, not an admin: the connection and its default user need admin permissions. ${how}, or make this user an admin in Admin Center › People.`,
      { pluginId, status: response.status, requestId: response.requestId },
    );
  }
  return toCrmUser({ ...user, id: user.id });
}

/** The agent or admin with this email, active or not; end users are never returned. */
export async function findStaffByEmail(account: ZendeskAccount, email: string): Promise<CrmUser | undefined> {
  const wanted = email.toLowerCase();
  // https://developer.zendesk.com/api-reference/ticketing/users/users/#search-users
  const response = await account.api.request({
    method: 'GET',
    path: '/api/v2/users/search',
    query: { query: wanted },
    operation: 'find an agent by email',
    auth: account.credentials.admin(),
  });
  // A search matches partial values in any field: keep exact email matches only.
  const matches = parseAnswer(usersPageSchema, response, 'find an agent by email')
    .users.filter(isStaff)
    .filter((user) => user.email?.toLowerCase() === wanted)
    .map(toCrmUser);
  return matches.find((user) => user.active) ?? matches[0];
}

/**
 * A bound against an account whose pagination never ends, far above any real one: 10,000 pages
 * of 100 (1,000,000 agents and admins). It never hides an agent of a real account; a cursor
 * answered twice ends the walk at once.
 */
const maxPoolPages = 10_000;

/**
 * Every agent and admin of the account (the legacy random rule keeps the active ones), so the
 * random pick can land on any of them. Cursor pagination, which has no depth limit (offset
 * pagination stops at 100 pages, 10,000 users), walked to its end.
 */
export async function listStaff(account: ZendeskAccount, logger: Logger): Promise<CrmUser[]> {
  const staff: CrmUser[] = [];
  const cursors = new Set<string>();
  let after: string | undefined;
  for (let page = 0; page < maxPoolPages; page += 1) {
    const query = new URLSearchParams([
      ['role[]', 'agent'],
      ['role[]', 'admin'],
      ['page[size]', '100'],
    ]);
    if (after !== undefined) query.append('page[after]', after);
    // https://developer.zendesk.com/api-reference/ticketing/users/users/#list-users (cursor pagination)
    const response = await account.api.request({
      method: 'GET',
      path: `/api/v2/users?${query.toString()}`,
      operation: 'list agents',
      auth: account.credentials.admin(),
    });
    const body = parseAnswer(usersPageSchema, response, 'list agents');
    staff.push(...body.users.filter(isStaff).map(toCrmUser));
    const next = body.meta?.after_cursor;
    if (body.meta?.has_more !== true || !next) return staff;
    if (cursors.has(next)) {
      logger.log(
        'warn',
        'zendesk agent listing repeated a page cursor; the pool is the agents listed so far',
        {
          pages: page + 1,
          users: staff.length,
        },
      );
      return staff;
    }
    cursors.add(next);
    after = next;
  }
  logger.log('warn', 'zendesk agent pool truncated', { pages: maxPoolPages, users: staff.length });
  return staff;
}
