import { AuthenticationError, type CrmUser, type PluginContext } from '@crm-connect/core';
import { sameId, toId15 } from './salesforce-ids.js';
import {
  oauthClient,
  onOrgDomain,
  ownerOfToken,
  RevokedTokenError,
  refreshAccessToken,
} from './salesforce-oauth.js';
import { pluginId } from './salesforce-plugin-id.js';
import type { ApiSession, SessionSource } from './salesforce-sessions.js';
import type { ConfiguredSettings } from './salesforce-settings.js';
import type { SalesforceTokenStore } from './salesforce-token-store.js';

/**
 * Agents writing as themselves. The platform tells the plugin, per agent (their Salesforce user
 * id), which credential it holds for them: a refresh token obtained by linking the agent through
 * the same OAuth web-server flow with PKCE as admins (`plugin.agents`, `linkAgent`), or a
 * current access token it already has (its own Salesforce single sign-on, say). An agent with
 * no credential, or whose credential Salesforce refuses, has their write made by the admin.
 */

function isUser(tokenUser: string, agentId: string): boolean {
  try {
    return sameId(tokenUser, agentId);
  } catch {
    return false;
  }
}

/** What the platform holds for an agent. Secrets: they are registered with the redactor when used. */
export type AgentCredential =
  | {
      /** A refresh token from linking the agent (`plugin.agents.complete`). */
      refreshToken: string;
      /** Called when the connected app rotates refresh tokens and Salesforce returns a new one. */
      saveRefreshToken?: ((refreshToken: string) => Promise<void> | void) | undefined;
    }
  | {
      /** A current access token of the agent for this org (never refreshed by the plugin). */
      accessToken: string;
      /** The org's instance URL; default: the linked admins' instance. */
      instanceUrl?: string | undefined;
    };

/** From an agent's Salesforce user id (005…, 18 characters) to their credential, or `undefined`. */
export type AgentSessions = (
  userId: string,
) => AgentCredential | undefined | Promise<AgentCredential | undefined>;

/** The agent's session could not be opened or renewed: the admin makes the write instead. */
export class AgentSessionError extends AuthenticationError {
  constructor(message: string) {
    super(message, { pluginId });
  }
}

export interface AgentSourceOptions {
  settings: ConfiguredSettings;
  context: PluginContext;
  /** The instance URL of the linked admins' session (for an access token given without one). */
  adminInstanceUrl: () => Promise<string>;
}

/** The session source of one agent, from their credential. */
export function createAgentSessionSource(
  agent: CrmUser,
  credential: AgentCredential,
  options: AgentSourceOptions,
): SessionSource {
  const { settings, context } = options;
  const who = agent.email ?? agent.name ?? agent.id;
  if ('accessToken' in credential) {
    context.redactor.add(credential.accessToken);
    return {
      current: async (): Promise<ApiSession> => {
        const instanceUrl = (credential.instanceUrl ?? (await options.adminInstanceUrl())).replace(
          /\/+$/,
          '',
        );
        // The token goes only to the org's own instance: an instance URL the platform got wrong is not used.
        if (!onOrgDomain(instanceUrl, settings.loginUrl, 'instance')) {
          throw new AgentSessionError(
            `salesforce: the instance URL the platform holds for agent ${who} (${agent.id}) is not on the org's domain (${new URL(settings.loginUrl).host}); their access token is not sent there.`,
          );
        }
        return { kind: 'agent', userId: agent.id, accessToken: credential.accessToken, instanceUrl };
      },
      renew: async () => {
        throw new AgentSessionError(
          `salesforce: the access token the platform holds for agent ${who} (${agent.id}) was refused (expired or revoked).`,
        );
      },
    };
  }
  context.redactor.add(credential.refreshToken);
  const oauth = oauthClient(settings, context);
  let refreshToken = credential.refreshToken;
  const saveRefreshToken = credential.saveRefreshToken;
  let session: Promise<ApiSession> | undefined;

  async function open(): Promise<ApiSession> {
    let token: Awaited<ReturnType<typeof refreshAccessToken>>;
    try {
      token = await refreshAccessToken(oauth, refreshToken);
    } catch (error) {
      if (!(error instanceof RevokedTokenError)) throw error;
      throw new AgentSessionError(
        `salesforce: Salesforce refused the refresh token of agent ${who} (${agent.id}) (${error.oauthError}): revoked, expired, or the agent was deactivated. Link the agent again.`,
      );
    }
    const owner = ownerOfToken(token);
    if (toId15(owner.orgId) !== settings.orgId || !isUser(owner.userId, agent.id)) {
      // Never write as someone else than the agent the platform named.
      throw new AgentSessionError(
        `salesforce: the refresh token the platform holds for agent ${who} (${agent.id}) belongs to user ${owner.userId} of org ${toId15(owner.orgId)}. Link the agent again.`,
      );
    }
    if (token.refresh_token !== undefined && token.refresh_token !== refreshToken) {
      refreshToken = token.refresh_token;
      await saveRefreshToken?.(token.refresh_token);
    }
    return {
      kind: 'agent',
      userId: agent.id,
      accessToken: token.access_token,
      instanceUrl: token.instance_url.replace(/\/+$/, ''),
    };
  }

  function current(): Promise<ApiSession> {
    if (session === undefined) {
      const opening = open();
      session = opening;
      opening.catch(() => {
        if (session === opening) session = undefined;
      });
    }
    return session;
  }

  return {
    current,
    async renew(stale) {
      const active = await session?.catch(() => undefined);
      if (active !== undefined && active.accessToken !== stale.accessToken) return active;
      session = undefined;
      return current();
    },
  };
}

/**
 * `agentSessions` over a token store the platform keeps agents' refresh tokens in (the same
 * interface as the admins' store; use a separate one), keyed by org and agent. A rotated refresh
 * token is saved back.
 */
export function agentSessionsFromTokenStore(store: SalesforceTokenStore, orgId: string): AgentSessions {
  const org = toId15(orgId);
  return async (userId) => {
    const key = { orgId: org, userId };
    const stored = await store.get(key);
    if (stored === undefined || stored.status !== 'active') return undefined;
    return {
      refreshToken: stored.refreshToken,
      saveRefreshToken: (refreshToken) =>
        store.set(key, { ...stored, refreshToken, updatedAt: new Date().toISOString() }),
    };
  };
}
