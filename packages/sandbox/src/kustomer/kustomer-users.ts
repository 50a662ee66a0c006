import { json } from '../http-exchange.js';
import type { Route } from '../routes.js';
import { endpointRoles, withKey } from './kustomer-auth.js';
import type { KustomerStore } from './kustomer-store.js';
import { listPage, notFound, tokenResource, userResource } from './kustomer-wire.js';

/**
 * The key's own user and token record, and the users listing (filtered by `email` or `deleted`).
 * https://developer.kustomer.com/kustomer-api-docs/reference/getusers
 */
export function userRoutes(store: KustomerStore): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/users/current',
      name: 'users.current',
      // Any valid key may read its own user: the authentication guide's example request.
      handler: withKey(store, [], (_request, { caller }) =>
        json(200, { data: userResource(store, caller.user) }),
      ),
    },
    {
      method: 'GET',
      path: '/v1/auth/tokens/current',
      name: 'tokens.current',
      // https://developer.kustomer.com/kustomer-api-docs/reference/getcurrentauthtoken
      handler: withKey(store, [], (_request, { caller }) =>
        json(200, { data: tokenResource(store, caller.key) }),
      ),
    },
    {
      method: 'GET',
      path: '/v1/users',
      name: 'users.list',
      handler: withKey(store, endpointRoles.readUsers, (request) => {
        const email = request.query.get('email')?.toLowerCase();
        const deleted = request.query.get('deleted');
        const users = store.users.filter(
          (user) =>
            (email === undefined || user.email?.toLowerCase() === email) &&
            (deleted === null || String(user.deleted) === deleted),
        );
        return json(
          200,
          listPage(request, users, (user) => userResource(store, user)),
        );
      }),
    },
    {
      method: 'GET',
      path: '/v1/users/:id',
      name: 'users.show',
      handler: withKey(store, endpointRoles.readUsers, (_request, { params }) => {
        const user = store.users.get(params.id ?? '');
        return user === undefined ? notFound() : json(200, { data: userResource(store, user) });
      }),
    },
  ];
}
