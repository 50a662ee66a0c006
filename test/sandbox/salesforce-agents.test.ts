import {
  createRateBudgetRegistry,
  createRedactor,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';
import {
  agentSessionsFromTokenStore,
  createMemoryTokenStore,
  linkAgent,
  type SalesforcePlugin,
  type SalesforceSettingsInput,
  type SalesforceTokenStore,
  salesforce,
} from '@crm-connect/salesforce';
import {
  createSalesforceSandbox,
  type SalesforceSandbox,
  salesforceSandboxSettings,
} from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectorFor } from './connectors.js';
import { agentAssigned, chatStarted, interactionEnded, platformAgent } from './events.js';

/**
 * Agents writing as themselves: linked through the same OAuth web-server flow with PKCE as
 * admins (the sandbox's auto-approve signs the `login_hint` user in, standing in for the agent at
 * the browser), their refresh tokens in a store of the platform's own, handed to the plugin
 * through `agentSessions`.
 */

let sandbox: SalesforceSandbox;
let adminTokens: SalesforceTokenStore;
let agentTokens: SalesforceTokenStore;
let plugin: SalesforcePlugin;
let settings: SalesforceSettingsInput;
const redirectUri = 'http://127.0.0.1:9/settings/crm/salesforce/callback';
const context = (): PluginContext => ({
  redactor: createRedactor(),
  logger: silentLogger,
  audit: () => {},
  rateBudgets: createRateBudgetRegistry(),
  http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
});
/** The agent's browser: the sandbox signs the hinted user in and redirects to the callback. */
const browser = async (url: string) =>
  new URL((await fetch(url, { redirect: 'manual' })).headers.get('location') ?? redirectUri).searchParams;
const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user?.email === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email };
};
const caseOf = (interactionId: string) => {
  const cases = sandbox.store.cases.filter((record) => record.CrmConnect_Interaction_Id__c === interactionId);
  expect(cases, interactionId).toHaveLength(1);
  return cases[0] as (typeof cases)[number];
};

beforeEach(async () => {
  sandbox = createSalesforceSandbox({ autoApprove: true });
  await sandbox.start();
  adminTokens = createMemoryTokenStore();
  agentTokens = createMemoryTokenStore();
  const base = salesforceSandboxSettings(sandbox);
  plugin = salesforce({
    tokenStore: adminTokens,
    agentSessions: agentSessionsFromTokenStore(agentTokens, base.orgId),
  });
  const { url, state, codeVerifier } = plugin.admin.start(base, {
    redirectUri,
    loginHint: 'ada.admin@acme.test',
  });
  const linked = await plugin.admin.complete(base, {
    callback: await browser(url),
    state,
    codeVerifier,
    redirectUri,
    context: context(),
  });
  settings = { ...linked.settings, defaultUser: true };
});
afterEach(async () => {
  await sandbox.stop();
});

const linkAlex = () =>
  linkAgent(plugin, settings, {
    redirectUri,
    loginHint: 'alex.agent@acme.test',
    authorize: browser,
    tokenStore: agentTokens,
    context: context(),
  });

describe('salesforce sandbox: agents write as themselves', () => {
  it('linkAgent: the OAuth flow with PKCE, API Enabled checked, the refresh token in the agent store', async () => {
    const alex = person('agent');
    const { agent, warnings } = await linkAlex();
    expect(agent).toMatchObject({ userId: alex.id, username: alex.email, orgId: settings.orgId });
    expect(warnings).toEqual([]);
    expect(await agentTokens.get({ orgId: String(settings.orgId), userId: alex.id })).toMatchObject({
      status: 'active',
    });
    expect(JSON.stringify(agent)).not.toContain('5Aep861');
  });

  it('performsAsAgent: an identified agent with a session creates, takes and notes the Case with their own token', async () => {
    await linkAlex();
    const alex = person('agent');
    const ada = person('admin');
    const sf = connectorFor(plugin, settings);
    expect(sf.capabilities.performsAsAgent).toBe(true);
    const event = chatStarted({ agent: platformAgent(alex.email) });
    expect(await sf.handle(event)).toMatchObject({
      outcome: 'created',
      owner: { id: alex.id },
      performer: { id: alex.id },
      performerReason: 'owner',
    });
    expect(caseOf(event.interactionId)).toMatchObject({ OwnerId: alex.id, CreatedById: alex.id });

    // A chat opened by the default user, then assigned to Alex: Alex's token makes the change.
    const waiting = chatStarted();
    expect(await sf.handle(waiting)).toMatchObject({ performer: { id: ada.id } });
    await sf.handle(agentAssigned(waiting.interactionId, alex.email));
    expect(caseOf(waiting.interactionId)).toMatchObject({ OwnerId: alex.id, LastModifiedById: alex.id });
    await sf.handle(interactionEnded(waiting.interactionId, alex.email));
    expect(
      sandbox.store.caseComments.filter((comment) => comment.ParentId === caseOf(waiting.interactionId).Id),
    ).toEqual([expect.objectContaining({ CreatedById: alex.id })]);
  });

  it('always use the admin user: the admin performs every write, the agent keeps ownership', async () => {
    await linkAlex();
    const alex = person('agent');
    const ada = person('admin');
    const sf = connectorFor(plugin, { ...settings, alwaysUseAdmin: true });
    const event = chatStarted({ agent: platformAgent(alex.email) });
    expect(await sf.handle(event)).toMatchObject({
      owner: { id: alex.id },
      performer: { id: ada.id },
      performerReason: 'always-admin',
    });
    expect(caseOf(event.interactionId)).toMatchObject({ OwnerId: alex.id, CreatedById: ada.id });
  });

  it('an agent without a session, or whose grant was revoked: the admin performs the write, and the audit names the admin', async () => {
    const olga = person('otherAgent');
    const ada = person('admin');
    const sf = connectorFor(plugin, settings);
    const noSession = chatStarted({ agent: platformAgent(olga.email) });
    expect(await sf.handle(noSession)).toMatchObject({ owner: { id: olga.id }, performer: { id: ada.id } });
    expect(caseOf(noSession.interactionId)).toMatchObject({ OwnerId: olga.id, CreatedById: ada.id });

    await linkAlex();
    const alex = person('agent');
    sandbox.revokeCredential('tokens:alex.agent@acme.test');
    const revoked = chatStarted({ agent: platformAgent(alex.email) });
    expect(await connectorFor(plugin, settings).handle(revoked)).toMatchObject({
      owner: { id: alex.id },
      performer: { id: ada.id },
    });
    expect(caseOf(revoked.interactionId)).toMatchObject({ OwnerId: alex.id, CreatedById: ada.id });
  });

  it('a current access token the platform holds works too', async () => {
    const alex = person('agent');
    const { agent } = await linkAlex();
    const stored = await agentTokens.get({ orgId: agent.orgId, userId: agent.userId });
    const token = await fetch(`${sandbox.url}/services/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: stored?.refreshToken ?? '',
        client_id: sandbox.seed.credentials.clientId,
        client_secret: sandbox.seed.credentials.clientSecret,
      }),
    }).then((response) => response.json() as Promise<{ access_token: string }>);
    const withAccessToken = salesforce({
      tokenStore: adminTokens,
      agentSessions: (userId) => (userId === alex.id ? { accessToken: token.access_token } : undefined),
    });
    const event = chatStarted({ agent: platformAgent(alex.email) });
    expect(await connectorFor(withAccessToken, settings).handle(event)).toMatchObject({
      performer: { id: alex.id },
    });
    expect(caseOf(event.interactionId).CreatedById).toBe(alex.id);
  });

  it('without agentSessions the admin performs every write (performsAsAgent false)', async () => {
    const adminOnly = salesforce({ tokenStore: adminTokens });
    const alex = person('agent');
    const sf = connectorFor(adminOnly, settings);
    expect(sf.capabilities.performsAsAgent).toBe(false);
    const event = chatStarted({ agent: platformAgent(alex.email) });
    expect(await sf.handle(event)).toMatchObject({ performer: { id: person('admin').id } });
  });
});
