import { type CrmUser, InvalidResponseError, type Logger, type RequestOptions } from '@crm-connect/core';
import { z } from 'zod';
import type { KustomerClient } from './kustomer-client.js';
import { operations, parseAnswer } from './kustomer-errors.js';
import { pluginId } from './kustomer-plugin-id.js';

/**
 * A Kustomer user resource, trimmed to what crm-connect reads. `deleted`/`deletedAt` mark a
 * deactivated user (the list's `deleted` filter; attribute names UNCONFIRMED, both are read).
 * `userType` is `user` (full user), `machine` (an API key's user) or `limited` (collaborator).
 */
export const userResourceSchema = z.object({
  id: z.string().min(1),
  attributes: z.object({
    name: z.string().nullish(),
    displayName: z.string().nullish(),
    email: z.string().nullish(),
    userType: z.string().nullish(),
    roles: z.array(z.string()).nullish(),
    deleted: z.boolean().nullish(),
    deletedAt: z.string().nullish(),
  }),
});
export type UserResource = z.infer<typeof userResourceSchema>;

export function toCrmUser(user: UserResource): CrmUser {
  const { attributes } = user;
  return {
    id: user.id,
    email: attributes.email?.toLowerCase() ?? undefined,
    name: attributes.displayName ?? attributes.name ?? undefined,
    active: attributes.deleted !== true && (attributes.deletedAt ?? null) === null,
    role: attributes.userType ?? undefined,
  };
}

const usersPageSchema = z.object({
  data: z.array(userResourceSchema),
  links: z.object({ next: z.string().nullish() }).optional(),
});

const pageSize = 100;
/**
 * A bound against an organization whose pagination never ends, far above any real one: 10,000
 * pages of 100 (1,000,000 users). It never hides a user of a real organization; a next link
 * named twice ends the walk at once.
 */
const maxPages = 10_000;

/**
 * Pages through `GET /v1/users` with one optional filter (Kustomer does not combine them),
 * following `links.next` until it is null, as Kustomer's pagination guide advises (it also
 * covers listings Kustomer pages with cursors).
 * https://developer.kustomer.com/docs/concepts/pagination
 */
async function* userPages(
  client: KustomerClient,
  filter: Readonly<Record<string, string | boolean>>,
  logger: Logger,
): AsyncGenerator<UserResource[]> {
  const followed = new Set<string>();
  let next: Pick<RequestOptions, 'path' | 'query'> | undefined = {
    path: '/v1/users',
    query: { ...filter, page: 1, pageSize },
  };
  for (let page = 1; next !== undefined && page <= maxPages; page += 1) {
    // https://developer.kustomer.com/kustomer-api-docs/reference/getusers
    const response = await client.request({ method: 'GET', ...next, operation: operations.listUsers.name });
    const parsed = parseAnswer(usersPageSchema, response, operations.listUsers.name);
    yield parsed.data;
    const link = parsed.links?.next;
    if (!link || parsed.data.length === 0) return;
    const path = sameHostPath(client, link, response.status);
    if (followed.has(path)) {
      logger.log('warn', 'kustomer user listing repeated a next link; the users listed so far are kept', {
        pages: page,
      });
      return;
    }
    followed.add(path);
    next = { path };
  }
  if (next !== undefined) logger.log('warn', 'kustomer user listing truncated', { pages: maxPages });
}

/**
 * The path of a `links.next` (Kustomer writes it relative to the API host). One on another host
 * is an answer Kustomer does not give, and is not followed: the request would carry the API key there.
 */
function sameHostPath(client: KustomerClient, link: string, status: number): string {
  const url = URL.canParse(link, client.apiBaseUrl) ? new URL(link, client.apiBaseUrl) : undefined;
  if (url === undefined || url.origin !== new URL(client.apiBaseUrl).origin) {
    throw new InvalidResponseError(
      `Kustomer: list users: the next page was named at ${url?.origin ?? 'an unreadable address'}, not ${client.apiBaseUrl}; it is not followed (the request would carry the API key there). Check the API base URL.`,
      { pluginId, status, retryable: false },
    );
  }
  return `${url.pathname}${url.search}`;
}

/**
 * The user with this (lowercased) email, active or not. Kustomer's `email` filter narrows the
 * listing; the match is still checked here, and the listing paged through, in case the filter
 * is ignored (it is documented on the reference page only). Results are cached by the core's
 * agent directory.
 */
export async function findUserByEmail(
  client: KustomerClient,
  email: string,
  logger: Logger,
): Promise<CrmUser | undefined> {
  const wanted = email.toLowerCase();
  for await (const users of userPages(client, { email: wanted }, logger)) {
    const match = users.find((user) => user.attributes.email?.toLowerCase() === wanted);
    if (match !== undefined) return toCrmUser(match);
  }
  return undefined;
}

/**
 * Every active full user of the organization, for the legacy random rule (so its pick can land on
 * any of them): machine users (API keys) and collaborators (`limited`) are never assigned
 * conversations. Cached by the core's agent directory.
 */
export async function listAssignableUsers(client: KustomerClient, logger: Logger): Promise<CrmUser[]> {
  const users: CrmUser[] = [];
  for await (const page of userPages(client, { deleted: false }, logger)) {
    for (const user of page) {
      const crmUser = toCrmUser(user);
      if (crmUser.active && user.attributes.userType === 'user') users.push(crmUser);
    }
  }
  return users;
}
