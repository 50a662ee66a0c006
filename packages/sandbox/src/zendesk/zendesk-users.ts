import { z } from 'zod';
import { json, type SandboxResponse } from '../http-exchange.js';
import type { Route } from '../routes.js';
import { authenticate, type StaffHandler, staffOnly } from './zendesk-auth.js';
import { cursorPage, offsetPage, wantsCursor } from './zendesk-pagination.js';
import type { ZendeskRole, ZendeskStore, ZendeskUserRecord } from './zendesk-store.js';
import {
  anonymousUser,
  type FieldProblem,
  invalidRequest,
  recordInvalid,
  recordNotFound,
  wireUser,
} from './zendesk-wire.js';

/**
 * Users: the current user, search, the list, show, create, update and create-or-update.
 * https://developer.zendesk.com/api-reference/ticketing/users/users/
 */

export interface UserRoutesOptions {
  /**
   * What `GET /api/v2/users/me` answers for credentials Zendesk does not accept: `error` (401, the
   * common case) or `anonymous-user` (200 with the anonymous user, also reported). Default `error`.
   */
  badCredentialsOnMe: 'error' | 'anonymous-user';
}

const searchableFields = ['email', 'name', 'role', 'phone', 'external_id'] as const;

/** The user search's `query`: `field:value` terms must match that field, other terms any field (substring, case-insensitive). */
function matchesQuery(user: ZendeskUserRecord, query: string): boolean {
  const terms = query
    .toLowerCase()
    .split(/\s+/)
    .filter((term) => term !== '');
  return terms.every((term) => {
    const [field, value] = term.split(/:(.*)/s);
    if (value !== undefined && (searchableFields as readonly string[]).includes(field ?? '')) {
      const actual = String(user[field as (typeof searchableFields)[number]] ?? '').toLowerCase();
      return field === 'email' || field === 'role' ? actual === value : actual.includes(value);
    }
    return searchableFields.some((name) =>
      String(user[name] ?? '')
        .toLowerCase()
        .includes(term),
    );
  });
}

const userInputSchema = z.object({
  user: z.object({
    name: z.string().trim().optional(),
    email: z.string().trim().toLowerCase().nullish(),
    phone: z.string().trim().nullish(),
    external_id: z.string().trim().nullish(),
    role: z.enum(['end-user', 'agent', 'admin']).optional(),
  }),
});
type UserInput = z.infer<typeof userInputSchema>['user'];

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Field problems of a user create or update, as Zendesk reports them in a RecordInvalid. */
function userProblems(
  store: ZendeskStore,
  input: UserInput,
  existing: ZendeskUserRecord | undefined,
): Record<string, FieldProblem[]> {
  const details: Record<string, FieldProblem[]> = {};
  if (existing === undefined && (input.name ?? '') === '') {
    details.name = [{ description: 'Name: cannot be blank', error: 'BlankValue' }];
  }
  const { email, external_id: externalId } = input;
  if (email != null && !emailPattern.test(email)) {
    details.email = [{ description: `Email: ${email} is not properly formatted`, error: 'InvalidFormat' }];
  } else if (email != null && store.users.find((user) => user.email === email && user.id !== existing?.id)) {
    details.email = [
      { description: `Email: ${email} is already being used by another user`, error: 'DuplicateValue' },
    ];
  }
  if (
    externalId != null &&
    store.users.find((user) => user.external_id === externalId && user.id !== existing?.id)
  ) {
    details.external_id = [{ description: 'External: has already been taken', error: 'DuplicateValue' }];
  }
  return details;
}

function createUser(store: ZendeskStore, input: UserInput, now: string): ZendeskUserRecord {
  const role: ZendeskRole = input.role ?? 'end-user';
  return store.users.insert({
    id: store.nextId.user(),
    name: input.name ?? '',
    email: input.email ?? null,
    role,
    role_type: role === 'admin' ? 4 : null,
    active: true,
    suspended: false,
    phone: input.phone ?? null,
    external_id: input.external_id ?? null,
    default_group_id: null,
    created_at: now,
    updated_at: now,
  });
}

export function userRoutes(store: ZendeskStore, clock: () => number, options: UserRoutesOptions): Route[] {
  const timestamp = () => new Date(clock()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const staff = (handler: StaffHandler) => staffOnly(store, clock, 'users', handler);

  /** Only admins create or promote agents and admins. */
  function mayAssignRole(actor: ZendeskUserRecord, role: ZendeskRole | undefined): boolean {
    return role === undefined || role === 'end-user' || actor.role === 'admin';
  }

  return [
    {
      method: 'GET',
      path: '/api/v2/users/me',
      name: 'users.me',
      handler(request, context): SandboxResponse {
        // Allowed for anonymous users: without credentials the answer is the anonymous user.
        const authentication = authenticate(store, request, clock());
        if (authentication.kind === 'anonymous') return json(200, { user: anonymousUser });
        if (authentication.kind === 'refused') {
          return options.badCredentialsOnMe === 'anonymous-user'
            ? json(200, { user: anonymousUser })
            : authentication.response;
        }
        context.identify(String(authentication.user.id));
        return json(200, { user: wireUser(request.origin, authentication.user) });
      },
    },
    {
      method: 'GET',
      path: '/api/v2/users/search',
      name: 'users.search',
      handler: staff((request) => {
        const externalId = request.query.get('external_id');
        const query = request.query.get('query');
        if (externalId === null && query === null) {
          return invalidRequest('Search needs a query or an external_id parameter.');
        }
        const found = store.users.filter((user) =>
          externalId !== null ? user.external_id === externalId : matchesQuery(user, query ?? ''),
        );
        const page = offsetPage(request, found);
        return json(200, {
          users: page.items.map((user) => wireUser(request.origin, user)),
          next_page: page.next_page,
          previous_page: page.previous_page,
          count: page.count,
        });
      }),
    },
    {
      method: 'GET',
      path: '/api/v2/users',
      name: 'users.list',
      handler: staff((request) => {
        const roles = [...request.query.getAll('role[]'), ...request.query.getAll('role')];
        const users = store.users
          .filter((user) => roles.length === 0 || roles.includes(user.role))
          .sort((a, b) => a.id - b.id);
        if (wantsCursor(request)) {
          const { items, meta, links } = cursorPage(request, users);
          return json(200, { users: items.map((user) => wireUser(request.origin, user)), meta, links });
        }
        const page = offsetPage(request, users);
        return json(200, {
          users: page.items.map((user) => wireUser(request.origin, user)),
          next_page: page.next_page,
          previous_page: page.previous_page,
          count: page.count,
        });
      }),
    },
    {
      method: 'GET',
      path: '/api/v2/users/:id',
      name: 'users.show',
      handler: staff((request, { params }) => {
        const user = store.users.get(Number(params.id));
        return user === undefined ? recordNotFound() : json(200, { user: wireUser(request.origin, user) });
      }),
    },
    {
      method: 'POST',
      path: '/api/v2/users',
      name: 'users.create',
      handler: staff((request, { user: actor }) => {
        const parsed = userInputSchema.safeParse(request.body);
        if (!parsed.success) return invalidRequest('The body needs a "user" object.');
        const input = parsed.data.user;
        if (!mayAssignRole(actor, input.role))
          return recordInvalid({ role: [{ description: 'Role: is invalid', error: 'InvalidValue' }] });
        const details = userProblems(store, input, undefined);
        if (Object.keys(details).length > 0) return recordInvalid(details);
        const user = createUser(store, input, timestamp());
        return json(
          201,
          { user: wireUser(request.origin, user) },
          {
            Location: `${request.origin}/api/v2/users/${user.id}.json`,
          },
        );
      }),
    },
    {
      method: 'PUT',
      path: '/api/v2/users/:id',
      name: 'users.update',
      // https://developer.zendesk.com/api-reference/ticketing/users/users/#update-user
      handler: staff((request, { params, user: actor }) => {
        const existing = store.users.get(Number(params.id));
        if (existing === undefined) return recordNotFound();
        const parsed = userInputSchema.safeParse(request.body);
        if (!parsed.success) return invalidRequest('The body needs a "user" object.');
        const input = parsed.data.user;
        if (!mayAssignRole(actor, input.role) || (existing.role !== 'end-user' && actor.role !== 'admin'))
          return recordInvalid({ role: [{ description: 'Role: is invalid', error: 'InvalidValue' }] });
        const details = userProblems(store, input, existing);
        if (Object.keys(details).length > 0) return recordInvalid(details);
        const updated = store.users.update(existing.id, {
          ...(input.name === undefined || input.name === '' ? {} : { name: input.name }),
          ...(input.email === undefined ? {} : { email: input.email }),
          ...(input.phone === undefined ? {} : { phone: input.phone }),
          ...(input.external_id === undefined ? {} : { external_id: input.external_id }),
          ...(input.role === undefined ? {} : { role: input.role }),
          updated_at: timestamp(),
        });
        return json(200, { user: wireUser(request.origin, updated ?? existing) });
      }),
    },
    {
      method: 'POST',
      path: '/api/v2/users/create_or_update',
      name: 'users.createOrUpdate',
      handler: staff((request, { user: actor }) => {
        const parsed = userInputSchema.safeParse(request.body);
        if (!parsed.success) return invalidRequest('The body needs a "user" object.');
        const input = parsed.data.user;
        if (!mayAssignRole(actor, input.role))
          return recordInvalid({ role: [{ description: 'Role: is invalid', error: 'InvalidValue' }] });
        // Matched by external id first, then by email.
        const existing =
          (input.external_id == null
            ? undefined
            : store.users.find((user) => user.external_id === input.external_id)) ??
          (input.email == null ? undefined : store.users.find((user) => user.email === input.email));
        const details = userProblems(store, input, existing);
        if (Object.keys(details).length > 0) return recordInvalid(details);
        if (existing === undefined) {
          const user = createUser(store, input, timestamp());
          return json(
            201,
            { user: wireUser(request.origin, user) },
            {
              Location: `${request.origin}/api/v2/users/${user.id}.json`,
            },
          );
        }
        const updated = store.users.update(existing.id, {
          ...(input.name === undefined || input.name === '' ? {} : { name: input.name }),
          ...(input.email == null ? {} : { email: input.email }),
          ...(input.phone == null ? {} : { phone: input.phone }),
          ...(input.external_id == null ? {} : { external_id: input.external_id }),
          ...(input.role === undefined ? {} : { role: input.role }),
          updated_at: timestamp(),
        });
        return json(200, { user: wireUser(request.origin, updated ?? existing) });
      }),
    },
  ];
}
