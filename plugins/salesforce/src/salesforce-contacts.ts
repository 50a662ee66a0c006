import { createHash } from 'node:crypto';
import { clipText, type EndUser } from '@crm-connect/core';

/**
 * The Contact of an end user. A contact is found by its key, kept in a Contact field the admin
 * creates (Text, Unique, External ID): the lowercased email, else `phone:+E.164`, else
 * `ext:` + the platform's end-user id. Field lengths are the standard Contact ones.
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contact.htm
 */

/** The key that finds this end user's Contact; `undefined` when only a name is known. */
export function contactKey(endUser: EndUser): string | undefined {
  if (endUser.email !== undefined) return endUser.email.toLowerCase();
  if (endUser.phone !== undefined) return `phone:${endUser.phone}`;
  if (endUser.externalId === undefined) return undefined;
  const key = `ext:${endUser.externalId}`;
  // External ID text fields hold 255 characters; a longer id is hashed rather than cut (no collisions).
  return key.length <= 255
    ? key
    : `ext:sha256:${createHash('sha256').update(endUser.externalId).digest('hex')}`;
}

/** The fields of a new Contact (LastName is required by Salesforce). */
export function contactFields(endUser: EndUser): Record<string, string> {
  const [first, ...rest] = (endUser.name ?? '').trim().split(/\s+/).filter(Boolean);
  const lastName =
    rest.length > 0 ? rest.join(' ') : (first ?? endUser.email ?? endUser.phone ?? endUser.externalId);
  const fields: Record<string, string> = { LastName: clip(lastName ?? 'Unknown', 80) };
  if (rest.length > 0 && first !== undefined) fields.FirstName = clip(first, 40);
  // Salesforce refuses (rather than cuts) an email over 80 characters; the key still holds it.
  if (endUser.email !== undefined && endUser.email.length <= 80) fields.Email = endUser.email;
  if (endUser.phone !== undefined) fields.Phone = endUser.phone;
  return fields;
}

/** The web-to-case style fields of a Case, so the customer is visible even without a Contact. */
export function suppliedFields(endUser: EndUser): Record<string, string> {
  const fields: Record<string, string> = {};
  if (endUser.name !== undefined) fields.SuppliedName = clip(endUser.name, 80);
  if (endUser.email !== undefined && endUser.email.length <= 80) fields.SuppliedEmail = endUser.email;
  if (endUser.phone !== undefined) fields.SuppliedPhone = endUser.phone;
  return fields;
}

/** Cuts a name to a field's length, which Salesforce counts in UTF-16 code units. */
function clip(text: string, limit: number): string {
  return clipText(text, { limit, unit: 'utf16-units' });
}
