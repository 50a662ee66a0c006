import { createOnce, type EndUser, type PluginContext } from '@crm-connect/core';
import { z } from 'zod';
import type { KustomerClient } from './kustomer-client.js';
import { operations, parseAnswer, parseWriteAnswer } from './kustomer-errors.js';

const customerSchema = z.object({ data: z.object({ id: z.string().min(1) }) });

export interface CustomerResult {
  customerId: string;
  created: boolean;
  attempts: number;
}

/** The customer lookups that apply to this end user, in order: email, then external id, then phone. */
function lookupPaths(endUser: EndUser): string[] {
  const paths: string[] = [];
  // https://developer.kustomer.com/kustomer-api-docs/reference/getcustomerbyemail
  if (endUser.email !== undefined) paths.push(`/v1/customers/email=${encodeURIComponent(endUser.email)}`);
  // https://developer.kustomer.com/kustomer-api-docs/reference/getcustomerbyexternalid
  if (endUser.externalId !== undefined) {
    paths.push(`/v1/customers/externalId=${encodeURIComponent(endUser.externalId)}`);
  }
  // https://developer.kustomer.com/kustomer-api-docs/reference/getcustomerbyphone
  if (endUser.phone !== undefined) paths.push(`/v1/customers/phone=${encodeURIComponent(endUser.phone)}`);
  return paths;
}

/** The first customer matching the end user's email, external id or phone (each answers 404 when none). */
export async function findCustomer(client: KustomerClient, endUser: EndUser): Promise<string | undefined> {
  for (const path of lookupPaths(endUser)) {
    const response = await client.request({
      method: 'GET',
      path,
      operation: operations.findCustomer.name,
      acceptStatus: [404],
    });
    if (response.status === 404) continue;
    return parseAnswer(customerSchema, response, operations.findCustomer.name).data.id;
  }
  return undefined;
}

/**
 * Finds the customer, or creates it. Emails, phones and external ids are unique within an
 * organization, so a create that loses a race answers "duplicate" and the lookup runs again.
 */
export async function findOrCreateCustomer(
  client: KustomerClient,
  endUser: EndUser,
  http: PluginContext['http'],
): Promise<CustomerResult> {
  const identifiable = lookupPaths(endUser).length > 0;
  const result = await createOnce({
    http,
    find: identifiable ? () => findCustomer(client, endUser) : undefined,
    findFirst: true,
    create: async () => {
      // https://developer.kustomer.com/kustomer-api-docs/reference/createacustomer
      const response = await client.request({
        method: 'POST',
        path: '/v1/customers',
        operation: operations.createCustomer.name,
        body: {
          name: endUser.name ?? endUser.email ?? endUser.phone ?? endUser.externalId,
          ...(endUser.email === undefined ? {} : { emails: [{ type: 'home', email: endUser.email }] }),
          ...(endUser.phone === undefined ? {} : { phones: [{ type: 'mobile', phone: endUser.phone }] }),
          ...(endUser.externalId === undefined ? {} : { externalId: endUser.externalId }),
        },
      });
      return {
        value: parseWriteAnswer(customerSchema, response, operations.createCustomer.name).data.id,
        attempts: response.attempts,
      };
    },
  });
  return { customerId: result.value, created: result.created, attempts: result.attempts };
}
