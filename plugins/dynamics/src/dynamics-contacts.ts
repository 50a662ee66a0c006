import { clipText, type EndUser } from '@crm-connect/core';
import { z } from 'zod';
import { type DynamicsApi, freshRead, literal, odata } from './dynamics-client.js';
import { parseAnswer } from './dynamics-errors.js';

/**
 * The customer of a case: an active contact found by email, then by phone (one query for both),
 * or a new contact created inside the case's own create request (deep insert).
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/contact
 */

const contactPageSchema = z.object({
  value: z.array(
    z.object({
      contactid: z.string(),
      emailaddress1: z.string().nullish(),
      mobilephone: z.string().nullish(),
      telephone1: z.string().nullish(),
    }),
  ),
});

/** contact.firstname / lastname hold 50 characters (UTF-16 code units). */
const nameLimit = { limit: 50, unit: 'utf16-units' } as const;

/** The id of the customer's active contact: an email match wins over a phone match, the oldest record over newer ones. */
export async function findContact(api: DynamicsApi, endUser: EndUser): Promise<string | undefined> {
  const conditions: string[] = [];
  if (endUser.email !== undefined) conditions.push(`emailaddress1 eq ${literal(endUser.email)}`);
  // Phones are matched as the platform sends them (E.164); a contact stored as "(555) 555-0100" is not found.
  if (endUser.phone !== undefined) {
    conditions.push(`mobilephone eq ${literal(endUser.phone)}`, `telephone1 eq ${literal(endUser.phone)}`);
  }
  if (conditions.length === 0) return undefined;
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-data-web-api
  const response = await api.http.request({
    method: 'GET',
    path: odata('contacts', {
      $select: 'contactid,emailaddress1,mobilephone,telephone1',
      $filter: `statecode eq 0 and (${conditions.join(' or ')})`,
      $orderby: 'createdon asc',
      $top: '10',
    }),
    headers: freshRead,
    operation: 'find contact',
  });
  const contacts = parseAnswer(contactPageSchema, response, 'find contact').value;
  const email = endUser.email;
  const byEmail = email && contacts.find((contact) => contact.emailaddress1?.toLowerCase() === email);
  const byPhone = contacts.find(
    (contact) => contact.mobilephone === endUser.phone || contact.telephone1 === endUser.phone,
  );
  return (byEmail || byPhone || contacts[0])?.contactid;
}

/** The body of a new contact, for a deep insert under `customerid_contact`; owned like its case. */
export function newContact(endUser: EndUser, contactId: string, ownerId: string): Record<string, unknown> {
  const words = endUser.name?.trim().split(/\s+/) ?? [];
  const lastname = words.length > 1 ? words.slice(1).join(' ') : words[0];
  const firstname = words.length > 1 ? words[0] : undefined;
  return {
    contactid: contactId,
    ...(firstname === undefined ? {} : { firstname: clipText(firstname, nameLimit) }),
    // lastname is the name Dynamics shows when nothing else is known.
    lastname: clipText(
      lastname ?? endUser.email ?? endUser.phone ?? endUser.externalId ?? 'Unknown customer',
      nameLimit,
    ),
    ...(endUser.email === undefined ? {} : { emailaddress1: endUser.email }),
    ...(endUser.phone === undefined ? {} : { mobilephone: endUser.phone }),
    'ownerid@odata.bind': `/systemusers(${ownerId})`,
  };
}
