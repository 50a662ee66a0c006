import type { CrmUser } from '@crm-connect/core';
import { z } from 'zod';
import type { KustomerClient } from './kustomer-client.js';
import { operations, parseAnswer } from './kustomer-errors.js';

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
/** Kustomer serves at most 10,000 records of a listing; this bounds a runaway pagination. */
const maxPages = 100;

/** Pages through `GET /v1/users` with one optional filter (Kustomer does not combine them). */
async function* userPages(
  client: KustomerClient,
  filter: Readonly<Record<string, string | boolean>>,
): AsyncGenerator<UserResource[]> {
  for (let page = 1; page <= maxPages; page += 1) {
    // https://developer.kustomer.com/kustomer-api-docs/reference/getusers
    const response = await client.request({
      method: 'GET',
      path: '/v1/users',
      query: { ...filter, page, pageSize },
      operation: operations.listUsers.name,
    });
    const parsed = parseAnswer(usersPageSchema, response, operations.listUsers.name);
    yield parsed.data;
    const next = parsed.links?.next;
    if (!next || parsed.data.length === 0) return;
  }
}

/**
 * The user with this (lowercased) email, active or not. Kustomer's `email` filter narrows the
 * listing; the match is still checked here, and the listing paged through, in case the filter
 * is ignored (it is documented on the reference page only). Results are cached by the core's
 * agent directory.
 */
export async function findUserByEmail(client: KustomerClient, email: string): Promise<CrmUser | undefined> {
  const wanted = email.toLowerCase();
  for await (const users of userPages(client, { email: wanted })) {
    const match = users.find((user) => user.attributes.email?.toLowerCase() === wanted);
    if (match !== undefined) return toCrmUser(match);
  }
  return undefined;
}

/**
 * Active full users, for the legacy random rule: machine users (API keys) and collaborators
 * (`limited`) are never assigned conversations. Cached by the core's agent directory.
 */
export async function listAssignableUsers(client: KustomerClient): Promise<CrmUser[]> {
  const users: CrmUser[] = [];
  for await (const page of userPages(client, { deleted: false })) {
    for (const user of page) {
      const crmUser = toCrmUser(user);
      if (crmUser.active && user.attributes.userType === 'user') users.push(crmUser);
    }
  }
  return users;
}
