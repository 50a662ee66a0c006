import type { AuthProvider, CrmUser, Logger } from '@crm-connect/core';
import type { OAuthTokenSource } from './zendesk-oauth.js';

/**
 * Who a request is made as. Token mode: HTTP Basic `{email}/token:{api_token}` — the admin's
 * email for the connection's own calls, the agent's email for a write the agent performs (an
 * API token works with the email of any agent of the account). OAuth mode: the bearer token of
 * the OAuth client's admin, for everything.
 * https://developer.zendesk.com/api-reference/introduction/security-and-auth/
 */
export interface ZendeskCredentials {
  /** Credentials of the connection's admin, for one request. */
  admin(): AuthProvider;
  /**
   * Credentials that make a write as `performer`. In token mode that is the agent's own identity;
   * if Zendesk refuses it (401: the agent's email is unverified, say), the write is sent once more
   * as the admin and `onFallback` hears why, so the audit trail says so.
   */
  performer(performer: CrmUser, onFallback: (reason: string) => Promise<void>): AuthProvider;
}

/** Complete credentials of one mode (the settings were checked for completeness before). */
export type CredentialsConfig =
  | { mode: 'apiToken'; email: string; apiToken: string }
  | { mode: 'oauthClientCredentials'; oauth: OAuthTokenSource };

export function basicTokenAuth(email: string, apiToken: string): string {
  return `Basic ${Buffer.from(`${email}/token:${apiToken}`).toString('base64')}`;
}

export function createCredentials(config: CredentialsConfig, logger: Logger): ZendeskCredentials {
  if (config.mode === 'oauthClientCredentials') {
    const { oauth } = config;
    return { admin: () => oauth.forRequest(), performer: () => oauth.forRequest() };
  }
  const { email: adminEmail, apiToken } = config;
  const asUser = (email: string) => ({ Authorization: basicTokenAuth(email, apiToken) });
  const admin: AuthProvider = { headers: async () => asUser(adminEmail) };

  return {
    admin: () => admin,
    performer(performer, onFallback) {
      const agentEmail = performer.email?.toLowerCase();
      if (agentEmail === undefined || agentEmail === adminEmail) return admin;
      let asAdmin = false;
      return {
        headers: async () => asUser(asAdmin ? adminEmail : agentEmail),
        async refresh() {
          if (asAdmin) return false;
          asAdmin = true;
          const reason = `Zendesk refused the API token with the email of agent ${performer.id} (HTTP 401), so the write was made as the admin. Check that the agent's email is verified in Zendesk.`;
          logger.log('warn', 'zendesk write made as the admin', { agent: performer.id, reason });
          await onFallback(reason);
          return true;
        },
      };
    },
  };
}
