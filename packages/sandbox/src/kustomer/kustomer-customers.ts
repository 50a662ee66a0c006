import { z } from 'zod';
import { json } from '../http-exchange.js';
import type { Route } from '../routes.js';
import { endpointRoles, withKey } from './kustomer-auth.js';
import type { CustomerRecord, KustomerStore } from './kustomer-store.js';
import { customerResource, invalidAttribute, kustomerError, notFound } from './kustomer-wire.js';

/**
 * Customers: lookups by email, external id and phone (404 when none), show, and create. Emails,
 * phones and external ids are unique within an organization, so a create that repeats one is
 * refused as a duplicate (status and body UNCONFIRMED: 409 with code `duplicate` here).
 * https://developer.kustomer.com/kustomer-api-docs/reference/createacustomer
 */

const digits = (phone: string) => phone.replace(/\D/g, '');

const customerInputSchema = z.object({
  name: z.string().trim().optional(),
  emails: z
    .array(z.object({ type: z.string().default('home'), email: z.string().trim().toLowerCase() }))
    .optional(),
  phones: z.array(z.object({ type: z.string().default('mobile'), phone: z.string().trim() })).optional(),
  externalId: z.string().trim().min(1).nullish(),
});

export function customerRoutes(store: KustomerStore, clock: () => number): Route[] {
  const byEmail = (email: string) =>
    store.customers.find((customer) => customer.emails.some((entry) => entry.email === email.toLowerCase()));
  const byPhone = (phone: string) =>
    store.customers.find((customer) =>
      customer.phones.some((entry) => digits(entry.phone) === digits(phone)),
    );
  const byExternalId = (externalId: string) =>
    store.customers.find((customer) => customer.externalId === externalId);
  const found = (customer: CustomerRecord | undefined) =>
    customer === undefined ? notFound() : json(200, { data: customerResource(store, customer) });
  const read = endpointRoles.readCustomers;

  return [
    {
      method: 'GET',
      path: '/v1/customers/email=:email',
      name: 'customers.byEmail',
      // https://developer.kustomer.com/kustomer-api-docs/reference/getcustomerbyemail
      handler: withKey(store, read, (_request, { params }) => found(byEmail(params.email ?? ''))),
    },
    {
      method: 'GET',
      path: '/v1/customers/externalId=:externalId',
      name: 'customers.byExternalId',
      // https://developer.kustomer.com/kustomer-api-docs/reference/getcustomerbyexternalid
      handler: withKey(store, read, (_request, { params }) => found(byExternalId(params.externalId ?? ''))),
    },
    {
      method: 'GET',
      path: '/v1/customers/phone=:phone',
      name: 'customers.byPhone',
      // https://developer.kustomer.com/kustomer-api-docs/reference/getcustomerbyphone
      handler: withKey(store, read, (_request, { params }) => found(byPhone(params.phone ?? ''))),
    },
    {
      method: 'GET',
      path: '/v1/customers/:id',
      name: 'customers.show',
      handler: withKey(store, read, (_request, { params }) => found(store.customers.get(params.id ?? ''))),
    },
    {
      method: 'POST',
      path: '/v1/customers',
      name: 'customers.create',
      handler: withKey(store, endpointRoles.createCustomers, (request, { caller }) => {
        const parsed = customerInputSchema.safeParse(request.body ?? {});
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return invalidAttribute(String(issue?.path[0] ?? 'body'), issue?.message ?? 'is invalid');
        }
        const input = parsed.data;
        const emails = input.emails ?? [];
        const phones = input.phones ?? [];
        const duplicate =
          emails.find((entry) => byEmail(entry.email) !== undefined)?.email ??
          phones.find((entry) => byPhone(entry.phone) !== undefined)?.phone ??
          (input.externalId != null && byExternalId(input.externalId) !== undefined
            ? input.externalId
            : undefined);
        if (duplicate !== undefined) {
          return kustomerError(409, 'duplicate', 'Conflict', `A customer with ${duplicate} already exists`);
        }
        const now = new Date(clock()).toISOString();
        const customer = store.customers.insert({
          id: store.nextId.customer(),
          name: input.name ?? emails[0]?.email ?? phones[0]?.phone ?? input.externalId ?? '',
          emails: emails.map((entry) => ({ ...entry, verified: false })),
          phones: phones.map((entry) => ({ ...entry, verified: false })),
          externalId: input.externalId ?? null,
          createdBy: caller.user.id,
          createdAt: now,
          updatedAt: now,
        });
        return json(201, { data: customerResource(store, customer) });
      }),
    },
  ];
}
