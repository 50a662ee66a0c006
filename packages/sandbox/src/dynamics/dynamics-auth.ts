import { createHash, randomUUID } from 'node:crypto';
import { isLoopbackHost } from '@crm-connect/core';
import { z } from 'zod';
import { json, type SandboxRequest, type SandboxResponse } from '../http-exchange.js';
import type { RouteContext, RouteHandler } from '../routes.js';
import type { DynamicsStore, SystemUserRecord } from './dynamics-store.js';
import { aadError, dataverseCodes, doesNotExist, odataError } from './dynamics-wire.js';

/**
 * Who a request is made as. The tenant's token endpoint issues client-credentials tokens to an
 * app registration for one environment (`scope={environment URL}/.default`); Dataverse maps the
 * token's app to its application user, which may impersonate another user (`CallerObjectId`:
 * the Entra object id; `MSCRMCallerID`: the systemuserid) if it holds prvActOnBehalfOfAnotherUser.
 * Each route needs a privilege of the user it acts as, granted by that user's security roles.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api
 */

const tokenRequestSchema = z.object({
  grant_type: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  scope: z.string().optional(),
});

/** True when `url` is a loopback URL on this sandbox's port: the environment a token may be for. */
function isThisEnvironment(url: string, request: SandboxRequest): boolean {
  if (!URL.canParse(url)) return false;
  const target = new URL(url);
  const here = new URL(request.origin);
  return isLoopbackHost(target.hostname) && target.port === here.port && target.protocol === here.protocol;
}

/** A JWT-shaped access token. Nothing reads its claims but people debugging; its signature is a digest, not RS256. */
function accessToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ typ: 'JWT', alg: 'RS256', kid: 'crm-connect-sandbox' });
  const payload = encode(claims);
  return `${header}.${payload}.${createHash('sha256').update(`${header}.${payload}`).digest('base64url')}`;
}

export interface TokenEndpointOptions {
  /** Lifetime of the access tokens issued, in seconds. */
  tokenLifetimeSeconds: number;
}

/**
 * `POST /{tenant}/oauth2/v2.0/token`, the client-credentials grant with a client secret in the
 * form body (what msal-node's `acquireTokenByClientCredential` sends), answered in the shape
 * msal-node parses, errors included.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#first-case-access-token-request-with-a-shared-secret
 */
export function tokenEndpoint(
  store: DynamicsStore,
  clock: () => number,
  options: TokenEndpointOptions,
): RouteHandler {
  return (request, { params, identify }) => {
    const tenant = (params.tenant ?? '').toLowerCase();
    const parsed = tokenRequestSchema.safeParse(request.body ?? {});
    const body = parsed.success ? parsed.data : {};
    if (tenant !== store.tenantId) {
      return aadError(
        request,
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    if (body.grant_type !== 'client_credentials') {
      return aadError(
        request,
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${body.grant_type ?? ''}'.`,
      );
    }
    const app = store.appRegistrations.get((body.client_id ?? '').toLowerCase());
    if (app === undefined) {
      return aadError(
        request,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${body.client_id ?? ''}' was not found in the directory 'crm-connect sandbox'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    if (body.client_secret === undefined || body.client_secret === '') {
      return aadError(
        request,
        401,
        'invalid_client',
        7000216,
        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
      );
    }
    if (!app.secretActive || body.client_secret !== app.secret) {
      return aadError(
        request,
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.id}'.`,
      );
    }
    const scope = body.scope?.trim() ?? '';
    if (!scope.endsWith('/.default') || /\s/.test(scope)) {
      return aadError(
        request,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const resource = scope.slice(0, -'/.default'.length);
    if (!isThisEnvironment(resource, request)) {
      return aadError(
        request,
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named crm-connect sandbox. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
    const now = clock();
    const lifetime = options.tokenLifetimeSeconds;
    const token = accessToken({
      aud: resource,
      iss: `${request.origin}/${store.tenantId}/v2.0`,
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + lifetime,
      appid: app.id,
      tid: store.tenantId,
      jti: randomUUID(),
    });
    store.accessTokens.insert({
      id: token,
      clientId: app.id,
      audience: resource,
      expiresAt: now + lifetime * 1000,
      revoked: false,
    });
    // The log names the application user the token will act as, when the environment has one.
    const user = store.systemUsers.find((candidate) => candidate.applicationid === app.id);
    if (user !== undefined) identify(user.systemuserid);
    return json(200, {
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: token,
    });
  };
}

/** True when the user's security roles grant the privilege. */
export function hasPrivilege(store: DynamicsStore, user: SystemUserRecord, privilege: string): boolean {
  return user.roleIds.some((roleId) => {
    const privileges = store.roles.get(roleId)?.privileges ?? [];
    return privileges.includes('*') || privileges.includes(privilege);
  });
}

/** 403 `0x80040220`, worded as Dataverse words a missing privilege. */
export function privilegeMissing(user: SystemUserRecord, privilege: string, entity: string): SandboxResponse {
  return odataError(
    403,
    dataverseCodes.privilegeMissing,
    `Principal user (Id=${user.systemuserid}, type=8, roleCount=${user.roleIds.length}, accessMode=${user.accessmode}), is missing ${privilege} privilege on entity '${entity}'. Consider adding the privilege to one of the principal's existing security roles or assigning a new security role that has the privilege.`,
  );
}

export interface Caller {
  /** The application user the token belongs to. */
  applicationUser: SystemUserRecord;
  /** Whom the request acts as: the impersonated user, else the application user. */
  actor: SystemUserRecord;
}

export type CallerHandler = (
  request: SandboxRequest,
  context: RouteContext & { caller: Caller },
) => SandboxResponse | Promise<SandboxResponse>;

/** What a privilege needs to be checked: its name and the table it is on, for the message. */
export interface Needed {
  privilege: string;
  entity: string;
}

function unauthorized(request: SandboxRequest, store: DynamicsStore): SandboxResponse {
  // Dataverse answers a missing or refused token with an empty 401 and where to get a token.
  return {
    status: 401,
    headers: {
      'WWW-Authenticate': `Bearer authorization_uri=${request.origin}/${store.tenantId}/oauth2/authorize, resource_id=${request.origin}`,
    },
  };
}

/** Resolves the caller; an answer instead when the token, the application user or the impersonation is refused. */
function resolveCaller(store: DynamicsStore, request: SandboxRequest, now: number): Caller | SandboxResponse {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '');
  const token = match?.[1] === undefined ? undefined : store.accessTokens.get(match[1]);
  if (
    token === undefined ||
    token.revoked ||
    now >= token.expiresAt ||
    !isThisEnvironment(token.audience, request)
  ) {
    return unauthorized(request, store);
  }
  const applicationUser = store.systemUsers.find((user) => user.applicationid === token.clientId);
  if (applicationUser === undefined) {
    return odataError(403, dataverseCodes.notMember, 'The user is not a member of the organization.');
  }
  if (applicationUser.isdisabled) {
    return odataError(
      403,
      dataverseCodes.userDisabled,
      `The user with SystemUserId=${applicationUser.systemuserid} is disabled.`,
    );
  }
  const objectId = request.headers.callerobjectid?.trim().toLowerCase();
  const callerId = request.headers.mscrmcallerid?.trim().toLowerCase();
  if (objectId === undefined && callerId === undefined) return { applicationUser, actor: applicationUser };
  if (!hasPrivilege(store, applicationUser, 'prvActOnBehalfOfAnotherUser')) {
    return privilegeMissing(applicationUser, 'prvActOnBehalfOfAnotherUser', 'systemuser');
  }
  const actor =
    objectId === undefined
      ? store.systemUsers.get(callerId ?? '')
      : store.systemUsers.find((user) => user.azureactivedirectoryobjectid === objectId);
  if (actor === undefined) return doesNotExist('systemuser', objectId ?? callerId ?? '');
  if (actor.isdisabled) {
    return odataError(
      403,
      dataverseCodes.userDisabled,
      `The specified user(Id = ${actor.systemuserid}) is disabled.`,
    );
  }
  return { applicationUser, actor };
}

/** A Web API route: a valid token of an application user, acting as `actor`, who needs `needed` (if any). */
export function withCaller(
  store: DynamicsStore,
  clock: () => number,
  needed: Needed | undefined,
  handler: CallerHandler,
): RouteHandler {
  return (request, context) => {
    const caller = resolveCaller(store, request, clock());
    if ('status' in caller) return caller;
    context.identify(caller.actor.systemuserid);
    if (needed !== undefined && !hasPrivilege(store, caller.actor, needed.privilege)) {
      return privilegeMissing(caller.actor, needed.privilege, needed.entity);
    }
    return handler(request, { ...context, caller });
  };
}
