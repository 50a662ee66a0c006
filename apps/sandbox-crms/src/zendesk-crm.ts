import { createZendeskSandbox, type ZendeskSandbox, zendeskSandboxSettings } from '@crm-connect/sandbox';
import { type ZendeskSettingsInput, zendesk } from '@crm-connect/zendesk';
import { defineSandboxCrm } from './crm-wiring.js';

function adminEmail(sandbox: ZendeskSandbox): string | undefined {
  return sandbox.seed.users.find((user) => user.key === 'admin')?.email;
}

/** The API token as it travels: Basic base64("{email}/token:{token}"). */
function basicCredential(email: string | undefined, apiToken: string): string {
  return Buffer.from(`${email}/token:${apiToken}`).toString('base64');
}

export const zendeskCrm = defineSandboxCrm({
  id: 'zendesk',
  displayName: 'Zendesk',
  // OAuth tokens with a lifetime (two hours), so the plugin's expiry bookkeeping is on the path; a run stays within one.
  createSandbox: () => createZendeskSandbox({ oauthTokenLifetimeSeconds: 7_200 }),
  plugin: (options) => zendesk({ requestsPerMinute: options.requestsPerMinute }),
  // API-token mode is what most accounts run; its token does not expire, OAuth access tokens do.
  // Typed as the plugin's input: the compiler checks that the sandbox's settings still fit its form.
  settings: async (sandbox, _plugin, options): Promise<ZendeskSettingsInput> =>
    zendeskSandboxSettings(sandbox, options.oauth ? 'oauthClientCredentials' : 'apiToken'),
  records: (sandbox) =>
    sandbox.store.tickets.all().map((ticket) => ({
      id: String(ticket.id),
      interactionId: ticket.external_id ?? undefined,
      ownerId: ticket.assignee_id === null ? undefined : String(ticket.assignee_id),
    })),
  notes: (sandbox) =>
    sandbox.store.comments
      .all()
      .map((comment) => ({ recordId: String(comment.ticket_id), text: comment.body })),
  users: (sandbox) =>
    sandbox.store.users
      .filter((user) => user.role !== 'end-user')
      .map((user) => ({
        id: String(user.id),
        email: user.email?.toLowerCase() ?? undefined,
        active: user.active && !user.suspended,
      })),
  secrets: (sandbox) => {
    const { credentials } = sandbox.seed;
    return [
      { kind: 'API token', value: credentials.apiToken },
      { kind: 'OAuth client secret', value: credentials.oauthClientSecret },
      // The token acts as any user, so every user's Basic credential is a form of it.
      ...sandbox.seed.users.map((user) => ({
        kind: 'API token (Basic credential)',
        value: basicCredential(user.email, credentials.apiToken),
      })),
      ...sandbox.store.accessTokens.all().map((token) => ({ kind: 'OAuth access token', value: token.id })),
    ];
  },
  expireAccessTokens: (sandbox) => sandbox.revokeCredential('oauthAccessTokens'),
  bareAuthorization: async (sandbox) =>
    `Basic ${basicCredential(adminEmail(sandbox), sandbox.seed.credentials.apiToken)}`,
  createRoutes: ['tickets.create'],
  tokenRoutes: ['oauth.token'],
  // A comment is a ticket update (so is an owner change).
  noteRoutes: ['tickets.update'],
  rateLimitRetryable: true,
});
