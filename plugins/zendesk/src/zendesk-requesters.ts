import type { EndUser } from '@crm-connect/core';
import { z } from 'zod';
import type { ZendeskAccount } from './zendesk-client.js';
import { parseAnswer, parseWriteAnswer } from './zendesk-errors.js';
import { zendeskUserSchema } from './zendesk-users.js';

/**
 * The end user a new ticket is requested by.
 *
 * - With an external id, the Zendesk user carrying it is the requester (`users/search?external_id=`
 *   matches exactly), so a person is the same requester on every channel and device.
 * - A VERIFIED end user (`endUser.verified`: signed in through a messaging JWT or the help
 *   center) unknown by that external id is then looked up by their email: an end user with that
 *   email and no external id yet is given it (Zendesk's messaging does the same when such a user
 *   signs in); otherwise the user is created with both in one upsert. An email held by a user
 *   with another external id, or by staff, is never rebound: the requester is then a user of the
 *   external id's own, without the email.
 * - Unverified, an external id is never written onto a user found by email (it would hand
 *   someone else's requester to whoever typed their address): with an email the requester goes
 *   inline (`requester: {name, email}`, found or created by Zendesk in the same call), without
 *   one a user with that external id is created.
 * - Without an external id: inline with an email; a caller known by phone is looked up (then
 *   created), so repeat callers do not become new users each time.
 * https://developer.zendesk.com/documentation/ticketing/managing-tickets/creating-and-updating-tickets/#creating-a-ticket-with-a-new-requester
 * https://developer.zendesk.com/api-reference/ticketing/users/users/
 */
export type RequesterField = { requester: { name: string; email: string } } | { requester_id: number };

const usersSchema = z.object({ users: z.array(zendeskUserSchema) });
const userSchema = z.object({ user: zendeskUserSchema.extend({ id: z.number().int() }) });

export async function requesterFor(account: ZendeskAccount, endUser: EndUser): Promise<RequesterField> {
  const name =
    endUser.name ??
    endUser.email ??
    (endUser.phone !== undefined ? `Caller ${endUser.phone}` : 'Unknown customer');
  if (endUser.externalId !== undefined) {
    const known = await byExternalId(account, endUser.externalId);
    if (known !== undefined) return { requester_id: known };
    if (endUser.email !== undefined && endUser.verified === true) {
      return { requester_id: await verifiedByEmail(account, endUser.externalId, endUser.email, name) };
    }
    if (endUser.email !== undefined) return { requester: { name, email: endUser.email } };
    return { requester_id: await upsert(account, { name, external_id: endUser.externalId }) };
  }
  if (endUser.email !== undefined) return { requester: { name, email: endUser.email } };
  if (endUser.phone !== undefined) {
    const found = await byPhone(account, endUser.phone);
    if (found !== undefined) return { requester_id: found };
    return { requester_id: await createEndUser(account, { name, phone: endUser.phone }) };
  }
  return { requester_id: await createEndUser(account, { name }) };
}

async function byExternalId(account: ZendeskAccount, externalId: string): Promise<number | undefined> {
  // https://developer.zendesk.com/api-reference/ticketing/users/users/#search-users (external_id is an exact match)
  const search = await account.api.request({
    method: 'GET',
    path: '/api/v2/users/search',
    query: { external_id: externalId },
    operation: 'find the customer by external id',
    auth: account.credentials.admin(),
  });
  const [existing] = parseAnswer(usersSchema, search, 'find the customer by external id').users;
  return existing?.id ?? undefined;
}

/** A verified end user unknown by external id: their email's user takes the external id if free, else a user of their own. */
async function verifiedByEmail(
  account: ZendeskAccount,
  externalId: string,
  email: string,
  name: string,
): Promise<number> {
  // https://developer.zendesk.com/api-reference/ticketing/users/users/#search-users (`email:` matches the address)
  const search = await account.api.request({
    method: 'GET',
    path: '/api/v2/users/search',
    query: { query: `email:${email}` },
    operation: 'find the customer by email',
    auth: account.credentials.admin(),
  });
  // The search may match more than the address: keep the user whose address it is.
  const owner = parseAnswer(usersSchema, search, 'find the customer by email').users.find(
    (user) => user.id != null && user.email?.toLowerCase() === email,
  );
  if (owner?.id == null) {
    // Nobody has either: one upsert creates the user with both (a repeat finds it by external id).
    return upsert(account, { name, email, external_id: externalId, skip_verify_email: true });
  }
  if (owner.role === 'end-user' && owner.external_id == null) {
    // https://developer.zendesk.com/api-reference/ticketing/users/users/#update-user
    const bound = await account.api.request({
      method: 'PUT',
      path: `/api/v2/users/${owner.id}`,
      operation: 'give the customer their external id',
      auth: account.credentials.admin(),
      body: { user: { external_id: externalId } },
    });
    return parseWriteAnswer(userSchema, bound, 'give the customer their external id').user.id;
  }
  // The address is someone else's identity (another external id, or staff): theirs stays theirs.
  return upsert(account, { name, external_id: externalId });
}

/** `create_or_update`, keyed by external id: repeating it updates the same user, never a second one. */
async function upsert(
  account: ZendeskAccount,
  user: { name: string; external_id: string; email?: string; skip_verify_email?: boolean },
): Promise<number> {
  const { name, email, external_id, skip_verify_email } = user;
  // https://developer.zendesk.com/api-reference/ticketing/users/users/#create-or-update-user
  const created = await account.api.request({
    method: 'POST',
    path: '/api/v2/users/create_or_update',
    operation: 'create the customer',
    auth: account.credentials.admin(),
    idempotent: true,
    body: {
      user: {
        name,
        ...(email === undefined ? {} : { email }),
        external_id,
        role: 'end-user',
        ...(skip_verify_email === undefined ? {} : { skip_verify_email }),
      },
    },
  });
  return parseWriteAnswer(userSchema, created, 'create the customer').user.id;
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
  return parseWriteAnswer(userSchema, created, 'create the customer').user.id;
}
