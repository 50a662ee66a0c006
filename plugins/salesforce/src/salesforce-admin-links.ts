import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  AuthenticationError,
  AuthorizationError,
  applySettingsRules,
  ConfigurationError,
  ConflictError,
  createRateBudgetRegistry,
  createRedactor,
  InvalidInputError,
  NotFoundError,
  type PluginContext,
  parseSettings,
  type SettingsForm,
  silentLogger,
} from '@crm-connect/core';
import { bearer, createSalesforceHttpClient } from './salesforce-client.js';
import { type AdminLinkHealth, checkAdminLinks } from './salesforce-health.js';
import { sameId, toId15 } from './salesforce-ids.js';
import {
  authorizeUrl,
  exchangeCode,
  oauthClient,
  ownerOfToken,
  revokeToken,
  type SalesforceToken,
} from './salesforce-oauth.js';
import { pluginId } from './salesforce-plugin-id.js';
import type { SalesforceRefreshLock } from './salesforce-refresh.js';
import {
  type LinkKind,
  missingRights,
  missingRightsError,
  personalAccountWarning,
} from './salesforce-rights.js';
import {
  type AdminConnection,
  type ConfiguredSettings,
  requireConfigured,
  type SalesforceSettings,
  type SalesforceSettingsInput,
  salesforceCapabilities,
  salesforceSettings,
  salesforceSettingsSchema,
} from './salesforce-settings.js';
import type { SalesforceTokenStore } from './salesforce-token-store.js';
import { fetchIdentity, type SalesforceIdentity } from './salesforce-users.js';

/**
 * Linking admins ("Associer"): OAuth 2.0 web server flow with PKCE. The platform calls `start`,
 * redirects the admin's browser to the URL, then calls `complete` from its callback with the
 * query parameters and what `start` returned. Refresh tokens go to the token store; the
 * non-secret part of the connection goes into the settings the platform saves.
 */

export interface StartAdminLinkOptions {
  /** The platform's OAuth callback URL, exactly as listed in the connected app's Callback URLs. */
  redirectUri: string;
  /** Prefills the username on Salesforce's login page. */
  loginHint?: string | undefined;
}

export interface AdminLinkStart {
  /** Where to send the admin's browser. */
  url: string;
  /** Keep with the admin's session until the callback; it must come back unchanged. */
  state: string;
  /** PKCE secret: keep server-side until the callback, never in a URL or a log. */
  codeVerifier: string;
}

export interface CompleteAdminLinkOptions {
  /** The callback's query parameters: `code` and `state`, or `error` and `error_description`. */
  callback: URLSearchParams | Readonly<Record<string, string | undefined>>;
  /** What `start` returned for this admin. */
  state: string;
  codeVerifier: string;
  /** The same callback URL `start` was given. */
  redirectUri: string;
  /** Redactor, logger, rate budgets and HTTP overrides; defaults: private redactor, silent logger, rate budgets of its own. */
  context?: Partial<PluginContext> | undefined;
}

/** Settings to save after a link or an unlink, and what the admin form must show. */
export interface AdminSettingsUpdate {
  settings: SalesforceSettings;
  form: SettingsForm;
}

export interface AdminLinkResult extends AdminSettingsUpdate {
  connection: AdminConnection;
  /** What the admin should know although the link worked (the account looks like a person's own). */
  warnings: readonly string[];
}

export interface AdminUnlinkResult extends AdminSettingsUpdate {
  /** What the admin should know (the token could not be revoked at Salesforce, say). */
  warnings: readonly string[];
}

export interface SalesforceAdminLinks {
  /** Step 1: the authorize URL with a fresh state and PKCE verifier. */
  start(settings: SalesforceSettingsInput, options: StartAdminLinkOptions): AdminLinkStart;
  /**
   * Step 2, from the callback: exchanges the code, checks the org, the user and their rights
   * (without writing anything), stores the token. A refused link stores nothing and revokes
   * the grant it obtained.
   */
  complete(settings: SalesforceSettingsInput, options: CompleteAdminLinkOptions): Promise<AdminLinkResult>;
  /** Revokes the admin's token at Salesforce (best effort), forgets it, and removes the connection. */
  unlink(
    settings: SalesforceSettingsInput,
    userId: string,
    options?: { revoke?: boolean | undefined; context?: Partial<PluginContext> | undefined },
  ): Promise<AdminUnlinkResult>;
  /** Copies each connection's status from the token store into the settings (after a failover). */
  refreshStatus(settings: SalesforceSettingsInput): Promise<AdminSettingsUpdate>;
  /** The health of every linked admin (active, revoked, deactivated, missing rights), without writing anything. */
  check(
    settings: SalesforceSettingsInput,
    options?: { context?: Partial<PluginContext> | undefined },
  ): Promise<AdminLinkHealth[]>;
}

/** An agent linked to write as themselves; their refresh token is the platform's to keep. */
export interface LinkedAgent {
  /** The agent's Salesforce user id (005…, 18 characters): the key `agentSessions` is asked with. */
  userId: string;
  username: string;
  name?: string | undefined;
  email?: string | undefined;
  orgId: string;
  instanceUrl: string;
  linkedAt: string;
}

export interface AgentLinkResult {
  agent: LinkedAgent;
  /** A secret: keep it in the platform's secret storage, hand it back through `agentSessions`. */
  refreshToken: string;
  warnings: readonly string[];
}

/** Linking agents, so that they write as themselves: the same two calls, and checks, as for admins. */
export interface SalesforceAgentLinks {
  start(settings: SalesforceSettingsInput, options: StartAdminLinkOptions): AdminLinkStart;
  complete(settings: SalesforceSettingsInput, options: CompleteAdminLinkOptions): Promise<AgentLinkResult>;
}

const plugin = { settings: salesforceSettings, capabilities: () => salesforceCapabilities };

/** Step 1 of any link: the authorize URL with a fresh state and PKCE verifier. */
function startLink(input: SalesforceSettingsInput, options: StartAdminLinkOptions): AdminLinkStart {
  const settings = requireConfigured(parse(input), false);
  checkRedirectUri(options.redirectUri);
  const state = randomBytes(32).toString('base64url');
  const { url, codeVerifier } = authorizeUrl(
    { loginUrl: settings.loginUrl, clientId: settings.clientId, redirectUri: options.redirectUri },
    { state, loginHint: options.loginHint },
  );
  return { url, state, codeVerifier };
}

/** A code exchanged for the tokens of a user of the configured org, not yet checked further. */
interface Authorized {
  settings: ConfiguredSettings;
  context: PluginContext;
  token: SalesforceToken;
  refreshToken: string;
  orgId: string;
  userId: string;
  /** Revokes the grant just obtained (unless it is `keep`), then throws `error`. */
  reject(error: Error, keep?: string): Promise<never>;
}

/** Step 2, the part every link shares: the callback's state, then its error, the code exchange, the org. */
async function authorize(
  input: SalesforceSettingsInput,
  options: CompleteAdminLinkOptions,
  kind: LinkKind,
): Promise<Authorized> {
  const settings = requireConfigured(parse(input));
  const context = contextOf(options.context, settings.clientSecret);
  const parameters = readCallback(options.callback);
  // The state first: a callback that does not prove it answers this link is not read further,
  // so a forged one cannot put its text into the error the admin sees.
  if (parameters.state === undefined || !sameSecret(parameters.state, options.state)) {
    throw new InvalidInputError(
      'salesforce: the callback does not carry the state this link was started with (an old or forged callback); press Link again.',
      { pluginId },
    );
  }
  if (parameters.error !== undefined) {
    const description = context.redactor.redact(parameters.errorDescription ?? 'no description');
    throw new AuthorizationError(
      `salesforce: the ${kind} link was not completed: Salesforce answered ${parameters.error} (${description}). ${
        parameters.error === 'access_denied'
          ? `The ${kind} declined access, or may not use this connected app; press Link again and choose Allow.`
          : 'Check the connected app (OAuth settings, callback URL, permitted users), then press Link again.'
      }`,
      { pluginId },
    );
  }
  if (parameters.code === undefined) {
    throw new InvalidInputError('salesforce: the callback carries no authorization code; press Link again.', {
      pluginId,
    });
  }
  const oauth = oauthClient(settings, context, options.redirectUri);
  const token = await exchangeCode(oauth, parameters.code, options.codeVerifier);
  const refreshToken = token.refresh_token;
  const owner = ownerOfToken(token);
  const reject = async (error: Error, keep?: string): Promise<never> => {
    // Do not leave a grant behind for a connection we refuse (Salesforce keeps only a few per
    // user and app, and drops the oldest: a stray one could push out a working connection).
    const grant = refreshToken ?? token.access_token;
    if (grant !== keep) {
      await revokeToken(oauth, grant).catch((revokeError: unknown) =>
        context.logger.log('warn', 'salesforce token of a refused link not revoked', {
          error: revokeError instanceof Error ? revokeError.message : String(revokeError),
        }),
      );
    }
    throw error;
  };
  if (refreshToken === undefined) {
    return reject(
      new ConfigurationError(
        'salesforce: Salesforce issued no refresh token. In the connected app, add the "Perform requests at any time (refresh_token, offline_access)" scope and set the refresh token policy to "valid until revoked", then press Link again.',
        { pluginId },
      ),
    );
  }
  const orgId = toId15(owner.orgId);
  if (orgId !== settings.orgId) {
    return reject(
      new ConfigurationError(
        `salesforce: the ${kind} signed in to org ${orgId}, but the Salesforce settings name org ${settings.orgId}. This is usually a sandbox and production mix-up: sign in as a user of org ${settings.orgId}, or correct the org ID if ${orgId} is the right org.`,
        { pluginId },
      ),
    );
  }
  return { settings, context, token, refreshToken, orgId, userId: owner.userId, reject };
}

/**
 * Who the token belongs to, and whether they may be linked: an active user with the rights the
 * connector needs (`missingRights`), checked with two reads and no write. Also what the admin
 * should know (an admin account that looks like a person's own).
 */
async function verifyUser(
  authorized: Authorized,
  kind: LinkKind,
): Promise<{ identity: SalesforceIdentity; warnings: string[] }> {
  const { settings, context, token, reject } = authorized;
  const http = createSalesforceHttpClient(settings, context, bearer(token.access_token));
  const identity = await fetchIdentity(http, token.id, token.access_token).catch((error: Error) =>
    reject(error),
  );
  if (identity.active === false) {
    return reject(
      new AuthenticationError(`salesforce: ${identity.username} is deactivated; link an active user.`, {
        pluginId,
      }),
    );
  }
  const instanceUrl = token.instance_url.replace(/\/+$/, '');
  const missing = await missingRights(
    http,
    { instanceUrl, accessToken: token.access_token },
    settings.apiVersion,
    kind,
  ).catch((error: Error) => reject(error));
  if (missing.length > 0) return reject(missingRightsError(identity.username, missing, kind));
  const personal = kind === 'admin' ? personalAccountWarning(identity) : undefined;
  return { identity, warnings: personal === undefined ? [] : [personal] };
}

export function createAdminLinks(
  tokenStore: SalesforceTokenStore,
  lock: SalesforceRefreshLock,
): SalesforceAdminLinks {
  return {
    start: startLink,

    async complete(input, options) {
      const authorized = await authorize(input, options, 'admin');
      const { settings, context, token, refreshToken, orgId, userId, reject } = authorized;
      const key = { orgId, userId };
      const existing = (settings.adminConnections ?? []).find((connection) =>
        sameId(connection.userId, userId),
      );
      const stored = existing === undefined ? undefined : await tokenStore.get(key);
      if (existing?.status === 'active' && stored?.status === 'active') {
        return reject(
          new ConflictError(
            `salesforce: ${existing.username} is already linked. For redundancy link a different Salesforce admin: press Link again and sign in as that admin on the login page.`,
            { pluginId },
          ),
          stored.refreshToken,
        );
      }
      const { identity, warnings } = await verifyUser(authorized, 'admin');
      await tokenStore.set(key, { refreshToken, status: 'active', updatedAt: new Date().toISOString() });
      const connection: AdminConnection = {
        userId,
        username: identity.username,
        name: identity.display_name,
        email: identity.email?.toLowerCase(),
        orgId,
        instanceUrl: token.instance_url.replace(/\/+$/, ''),
        status: 'active',
        linkedAt: new Date().toISOString(),
      };
      // A relinked admin keeps their place in the failover order.
      const connections =
        existing === undefined
          ? [...(settings.adminConnections ?? []), connection]
          : (settings.adminConnections ?? []).map((item) => (item === existing ? connection : item));
      context.logger.log('info', 'salesforce admin linked', {
        userId: connection.userId,
        username: connection.username,
      });
      return {
        connection,
        warnings,
        ...applySettingsRules(plugin, { ...settings, adminConnections: connections }),
      };
    },
    async unlink(input, userId, options = {}) {
      const settings = parse(input);
      const connection = (settings.adminConnections ?? []).find((item) => sameId(item.userId, userId));
      if (connection === undefined) {
        throw new NotFoundError(`salesforce: no admin connection for user ${userId} is linked.`, {
          pluginId,
        });
      }
      const key = { orgId: connection.orgId, userId: connection.userId };
      const warnings: string[] = [];
      const stored = await tokenStore.get(key);
      if (
        options.revoke !== false &&
        stored !== undefined &&
        settings.loginUrl !== undefined &&
        settings.clientId !== undefined
      ) {
        const context = contextOf(options.context, settings.clientSecret);
        try {
          await revokeToken(
            oauthClient({ ...settings, loginUrl: settings.loginUrl, clientId: settings.clientId }, context),
            stored.refreshToken,
          );
        } catch (error) {
          warnings.push(
            `Salesforce did not confirm revoking ${connection.username}'s access (${error instanceof Error ? error.message : String(error)}). Remove it under Setup › Connected Apps OAuth Usage if it is still listed.`,
          );
        }
      }
      await tokenStore.delete(key);
      const connections = (settings.adminConnections ?? []).filter((item) => item !== connection);
      return {
        warnings,
        ...applySettingsRules(plugin, {
          ...settings,
          adminConnections: connections.length === 0 ? undefined : connections,
        }),
      };
    },

    async refreshStatus(input) {
      const settings = parse(input);
      const connections = await Promise.all(
        (settings.adminConnections ?? []).map(async (connection): Promise<AdminConnection> => {
          const stored = await tokenStore.get({ orgId: connection.orgId, userId: connection.userId });
          if (stored?.status === 'active')
            return { ...connection, status: 'active', inactiveReason: undefined };
          return {
            ...connection,
            status: 'inactive',
            inactiveReason:
              stored?.inactiveReason ?? 'No refresh token is stored for this admin; link them again.',
          };
        }),
      );
      return applySettingsRules(plugin, {
        ...settings,
        adminConnections: connections.length === 0 ? undefined : connections,
      });
    },

    async check(input, options = {}) {
      const settings = parse(input);
      return checkAdminLinks(settings, contextOf(options.context, settings.clientSecret), tokenStore, lock);
    },
  };
}

/** Linking agents: the admins' two steps and checks, the refresh token handed back to the platform. */
export function createAgentLinks(): SalesforceAgentLinks {
  return {
    start: startLink,
    async complete(input, options) {
      const authorized = await authorize(input, options, 'agent');
      const { identity, warnings } = await verifyUser(authorized, 'agent');
      const agent: LinkedAgent = {
        userId: authorized.userId,
        username: identity.username,
        name: identity.display_name,
        email: identity.email?.toLowerCase(),
        orgId: authorized.orgId,
        instanceUrl: authorized.token.instance_url.replace(/\/+$/, ''),
        linkedAt: new Date().toISOString(),
      };
      authorized.context.logger.log('info', 'salesforce agent linked', {
        userId: agent.userId,
        username: agent.username,
      });
      return { agent, refreshToken: authorized.refreshToken, warnings };
    },
  };
}

function parse(input: SalesforceSettingsInput): SalesforceSettings {
  return parseSettings(salesforceSettingsSchema, input, pluginId);
}

function contextOf(
  partial: Partial<PluginContext> | undefined,
  clientSecret: string | undefined,
): PluginContext {
  const redactor = partial?.redactor ?? createRedactor();
  redactor.add(clientSecret);
  return {
    redactor,
    logger: partial?.logger ?? silentLogger,
    audit: partial?.audit ?? (() => {}),
    // A registry of the operation's own, not the process-wide one: a budget asked of that one
    // outside a connector is kept for the life of the process (one per org ever linked), and a
    // link, an unlink or a check is a few requests an admin asked for, with nothing to share.
    rateBudgets: partial?.rateBudgets ?? createRateBudgetRegistry(),
    http: partial?.http ?? {},
  };
}

function readCallback(callback: CompleteAdminLinkOptions['callback']) {
  const get = (name: string) => {
    const value = callback instanceof URLSearchParams ? callback.get(name) : callback[name];
    return value === null || value === undefined || value === '' ? undefined : value;
  };
  return {
    code: get('code'),
    state: get('state'),
    error: get('error'),
    errorDescription: get('error_description'),
  };
}

function sameSecret(received: string, expected: string): boolean {
  const left = Buffer.from(received);
  const right = Buffer.from(expected);
  return left.length === right.length && timingSafeEqual(left, right);
}

function checkRedirectUri(redirectUri: string): void {
  let url: URL | undefined;
  try {
    url = new URL(redirectUri);
  } catch {
    url = undefined;
  }
  const local = url?.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
  if (url === undefined || (url.protocol !== 'https:' && !local) || url.hash !== '') {
    throw new ConfigurationError(
      `salesforce: the callback URL "${redirectUri}" must be an https URL without a fragment (http is allowed for localhost only), listed in the connected app's Callback URLs.`,
      { pluginId },
    );
  }
}
