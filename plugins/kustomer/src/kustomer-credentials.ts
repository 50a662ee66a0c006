import { AuthorizationError, type CredentialCheck, type PluginContext } from '@crm-connect/core';
import { z } from 'zod';
import { createKustomerClient, requireCredentials } from './kustomer-client.js';
import { operations } from './kustomer-errors.js';
import { pluginId } from './kustomer-plugin-id.js';
import { describeRole, missingRoles, requiredRoles } from './kustomer-roles.js';
import type { KustomerSettings } from './kustomer-settings.js';

/**
 * The API key's own record. Documented fields: name, roles, lastTokenChars, lastAccessedAt; the
 * envelope is JSON:API like the rest of the API. `expiresAt` is not documented (UNCONFIRMED) and
 * only read if present.
 */
const currentTokenSchema = z.object({
  data: z.object({
    id: z.string().optional(),
    attributes: z
      .object({
        name: z.string().nullish(),
        roles: z.array(z.string()).nullish(),
        expiresAt: z.string().nullish(),
      })
      .optional(),
  }),
});

/**
 * The live check on save: `GET /v1/users/current` proves the key works and names its machine
 * user (the default user) and organization; `GET /v1/auth/tokens/current` lists the key's roles,
 * and a key missing a role crm-connect needs is refused, naming every missing role.
 */
export async function validateKustomerCredentials(
  settings: KustomerSettings,
  context: PluginContext,
): Promise<CredentialCheck> {
  const client = createKustomerClient(requireCredentials(settings), context);
  const { user, roles: userRoles } = await client.identity();
  // https://developer.kustomer.com/kustomer-api-docs/reference/getcurrentauthtoken
  const response = await client.request({
    method: 'GET',
    path: '/v1/auth/tokens/current',
    operation: operations.currentToken.name,
    // Not every kind of token may read its own record; the user's roles are the fallback.
    acceptStatus: [403, 404],
  });
  const parsed = response.status === 200 ? currentTokenSchema.safeParse(response.data) : undefined;
  const token = parsed?.success === true ? parsed.data.data.attributes : undefined;
  const keyName = token?.name ?? undefined;
  const roles = token?.roles ?? userRoles;
  const warnings: string[] = [];

  if (roles === undefined || roles === null) {
    warnings.push(
      `Kustomer did not list the API key's roles, so they could not be checked. Make sure the key has ${Object.values(
        requiredRoles,
      )
        .map((need) => need.role)
        .join(', ')}.`,
    );
  } else {
    const missing = missingRoles(roles);
    if (missing.length > 0) {
      throw new AuthorizationError(
        `Kustomer: the API key${keyName === undefined ? '' : ` "${keyName}"`} lacks ${missing.length === 1 ? 'a role' : 'roles'} crm-connect needs: ${missing.map(describeRole).join('; ')}. Roles cannot be added to an existing key: in Kustomer, create a new API key under Settings › Security › API Keys with these roles and no expiry, then paste it here.`,
        { pluginId, status: response.status, requestId: response.requestId },
      );
    }
  }
  if (token?.expiresAt !== undefined && token.expiresAt !== null) {
    warnings.push(
      `The Kustomer API key expires on ${token.expiresAt}; records will stop being written then. Create a key without expiry to avoid it.`,
    );
  }
  if (user.role !== undefined && user.role !== 'machine') {
    warnings.push(
      `The credentials act as ${user.name ?? user.id}, a "${user.role}" user, not an API key's machine user: if that user is deactivated, writes stop. An API key (Settings › Security › API Keys) avoids it.`,
    );
  }
  return { connectionUser: user, warnings };
}
