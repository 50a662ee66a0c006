import type { EndUser } from '@crm-connect/core';
import { z } from 'zod';
import type { ZendeskAccount } from './zendesk-client.js';
import { parseAnswer } from './zendesk-errors.js';
import { zendeskUserSchema } from './zendesk-users.js';

/**
 * The end user a new ticket is requested by. With an email, the requester goes inline in the
 * ticket (`requester: {name, email}`): Zendesk finds or creates that user in the same call.
 * Without one (a caller known by phone, a visitor known by an external id), the user is looked up
 * first and created only when missing, so repeat callers do not become new users each time.
 * https://developer.zendesk.com/documentation/ticketing/managing-tickets/creating-and-updating-tickets/#creating-a-ticket-with-a-new-requester
 */
export type RequesterField = { requester: { name: string; email: string } } | { requester_id: number };

const usersSchema = z.object({ users: z.array(zendeskUserSchema) });
const userSchema = z.object({ user: zendeskUserSchema.extend({ id: z.number().int() }) });

export async function requesterFor(account: ZendeskAccount, endUser: EndUser): Promise<RequesterField> {
  if (endUser.email !== undefined) {
    return { requester: { name: endUser.name ?? endUser.email, email: endUser.email } };
  }
  const name = endUser.name ?? (endUser.phone !== undefined ? `Caller ${endUser.phone}` : 'Unknown customer');
  if (endUser.externalId !== undefined) {
    return { requester_id: await byExternalId(account, endUser.externalId, name) };
  }
  if (endUser.phone !== undefined) {
    const found = await byPhone(account, endUser.phone);
    if (found !== undefined) return { requester_id: found };
    return { requester_id: await createEndUser(account, { name, phone: endUser.phone }) };
  }
  return { requester_id: await createEndUser(account, { name }) };
}

async function byExternalId(account: ZendeskAccount, externalId: string, name: string): Promise<number> {
  // https://developer.zendesk.com/api-reference/ticketing/users/users/#search-users (external_id is an exact match)
  const search = await account.api.request({
    method: 'GET',
    path: '/api/v2/users/search',
    query: { external_id: externalId },
    operation: 'find the customer by external id',
    auth: account.credentials.admin(),
  });
  const [existing] = parseAnswer(usersSchema, search, 'find the customer by external id').users;
  if (existing?.id != null) return existing.id;
  // https://developer.zendesk.com/api-reference/ticketing/users/users/#create-or-update-user
  const created = await account.api.request({
    method: 'POST',
    path: '/api/v2/users/create_or_update',
    operation: 'create the customer',
    auth: account.credentials.admin(),
    // An upsert keyed by external_id: repeating it updates the same user, never a second one.
    idempotent: true,
    body: { user: { name, external_id: externalId, role: 'end-user' } },
  });
  return parseAnswer(userSchema, created, 'create the customer').user.id;
}

function digits(phone: string): string {
  return phone.replace(/\D/g, '');
}

async function byPhone(account: ZendeskAccount, phone: string): Promise<number | undefined> {
  // https://developer.zendesk.com/documentation/voice/talk-partner-edition/creating-a-user-profile-in-support-for-a-caller
  const search = await account.api.request({
    method: 'GET',
    path: '/api/v2/users/search',
    query: { query: phone },
    operation: 'find the caller by phone',
    auth: account.credentials.admin(),
  });
  // The search matches any field: keep end users whose phone is this number.
  const match = parseAnswer(usersSchema, search, 'find the caller by phone').users.find(
    (user) =>
      user.id != null &&
      user.role === 'end-user' &&
      user.phone != null &&
      digits(user.phone) === digits(phone),
  );
  return match?.id ?? undefined;
}

async function createEndUser(
  account: ZendeskAccount,
  user: { name: string; phone?: string },
): Promise<number> {
  // https://developer.zendesk.com/api-reference/ticketing/users/users/#create-user
  // Not retried on an ambiguous failure (no key makes it safe): a redelivered event finds the user by phone.
  const created = await account.api.request({
    method: 'POST',
    path: '/api/v2/users',
    operation: 'create the customer',
    auth: account.credentials.admin(),
    body: { user: { ...user, role: 'end-user' } },
  });
  return parseAnswer(userSchema, created, 'create the customer').user.id;
}
