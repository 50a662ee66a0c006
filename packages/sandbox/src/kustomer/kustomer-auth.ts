import type { SandboxRequest, SandboxResponse } from '../http-exchange.js';
import type { RouteContext, RouteHandler } from '../routes.js';
import type { ApiKeyRecord, KustomerStore, KustomerUserRecord } from './kustomer-store.js';
import { kustomerError, unauthorized } from './kustomer-wire.js';

/**
 * Bearer API keys with roles. A key acts as its machine user; each endpoint accepts "any one of"
 * a permission-set role and its legacy names, as each Kustomer reference page lists them, and a
 * broad role (`org.user`, `org.admin`) covers the roles below it.
 * https://developer.kustomer.com/docs/get-started/authentication
 */

/** The roles an endpoint accepts, any one of them. */
export const endpointRoles = {
  readUsers: ['org.permission.user.read', 'org.user.user.read', 'org.admin.user.read'],
  readCustomers: ['org.permission.customer.read', 'org.user.customer.read'],
  createCustomers: ['org.permission.customer.create', 'org.user.customer.write'],
  readConversations: ['org.permission.conversation.read', 'org.user.conversation.read'],
  createConversations: ['org.permission.conversation.create', 'org.user.conversation.write'],
  updateConversations: ['org.permission.conversation.update', 'org.user.conversation.write'],
  createNotes: ['org.permission.note.create', 'org.user.note.write'],
} as const;

export interface Caller {
  key: ApiKeyRecord;
  user: KustomerUserRecord;
}

/** The key and its user, or `undefined` for a missing, unknown or revoked key (or a deleted user). */
export function callerOf(store: KustomerStore, request: SandboxRequest): Caller | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '');
  if (match?.[1] === undefined) return undefined;
  const token = match[1];
  const key = store.apiKeys.find((candidate) => candidate.token === token);
  const user = key === undefined ? undefined : store.users.get(key.userId);
  if (key === undefined || key.revoked || user === undefined || user.deleted) return undefined;
  return { key, user };
}

function grants(granted: readonly string[], accepted: readonly string[]): boolean {
  return accepted.some((role) => granted.some((have) => have === role || role.startsWith(`${have}.`)));
}

export type CallerHandler = (
  request: SandboxRequest,
  context: RouteContext & { caller: Caller },
) => SandboxResponse | Promise<SandboxResponse>;

/** A route for a valid key with one of `accepted` roles (none needed when `accepted` is empty). */
export function withKey(
  store: KustomerStore,
  accepted: readonly string[],
  handler: CallerHandler,
): RouteHandler {
  return (request, context) => {
    const caller = callerOf(store, request);
    if (caller === undefined) return unauthorized();
    context.identify(caller.user.id);
    if (accepted.length > 0 && !grants(caller.key.roles, accepted)) {
      return kustomerError(
        403,
        'forbidden',
        'Forbidden',
        `Any one of the following roles is required: ${accepted.join(', ')}`,
      );
    }
    return handler(request, { ...context, caller });
  };
}
