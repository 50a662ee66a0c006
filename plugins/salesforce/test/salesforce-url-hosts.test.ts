import {
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryTokenStore, salesforce, salesforceSettingsSchema } from '../src/index.js';
import {
  adminAccessToken,
  adminRefreshToken,
  dataPath,
  loginOrigin,
  mockRefresh,
  orgId,
  orgId18,
  origin,
  settings,
  tokenResponse,
  tokenStore,
  users,
} from './salesforce-fixture.js';

/**
 * Every URL a secret is sent to is on a host that was validated: the org's My Domain (the login
 * URL the admin entered, checked by the settings), or Salesforce's own login hosts for the
 * identity service. URLs that come from elsewhere — the token response's instance and identity
 * URLs, the instance URL a platform hands over with an agent's access token — are held to them:
 * another org's My Domain or a Salesforce Site is a Salesforce host, and still not this org's.
 */

const redirectUri = 'https://ccai.example.com/settings/crm/salesforce/callback';
const code = 'aPrxHostTestAuthorizationCode0123456789';
const newAccessToken = `${orgId}!AQ4AQHostTestAccessToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFG`;
const newRefreshToken = '5Aep861HostTestRefreshToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
const unlinked = { ...settings, adminConnections: undefined };

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending, 'interceptors never called').toEqual([]);
});

const context = (): PluginContext => ({
  redactor: createRedactor(),
  logger: silentLogger,
  audit: () => {},
  rateBudgets: createRateBudgetRegistry(),
  http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
});

/** Interceptors on a host that must never be reached; the test checks they are all still waiting. */
function trap(host: string) {
  return nock(host).persist().get(/.*/).reply(200, {}).post(/.*/).reply(200, {}).patch(/.*/).reply(200, {});
}

async function linkWith(answer: Record<string, string>) {
  const store = createMemoryTokenStore();
  const plugin = salesforce({ tokenStore: store });
  const started = plugin.admin.start(unlinked, { redirectUri });
  nock(origin)
    .post('/services/oauth2/token')
    .reply(200, {
      ...tokenResponse(newAccessToken, users.admin.id, { refresh_token: newRefreshToken }),
      ...answer,
    });
  // The grant just obtained is revoked when the link is refused.
  nock(origin).post('/services/oauth2/revoke').reply(200, '');
  const error = await plugin.admin
    .complete(unlinked, {
      callback: { code, state: started.state },
      state: started.state,
      codeVerifier: started.codeVerifier,
      redirectUri,
      context: context(),
    })
    .catch((caught: unknown) => caught);
  return { error, store };
}

describe("salesforce: the token response's URLs are held to the org's domain", () => {
  for (const [what, answer] of [
    ["an instance URL on another org's My Domain", { instance_url: 'https://evil.my.salesforce.com' }],
    ['an instance URL on a Salesforce Site', { instance_url: 'https://acme.secure.force.com' }],
    ['an instance URL with a path of its own', { instance_url: `${origin}.evil.example.net` }],
    [
      "an identity URL on another org's My Domain",
      { id: `https://evil.my.salesforce.com/id/${orgId18}/${users.admin.id}` },
    ],
  ] as const) {
    it(`${what}: refused, nothing sent there, nothing stored`, async () => {
      const host = new URL(answer.instance_url ?? answer.id ?? '').origin;
      const elsewhere = trap(host);
      const { error, store } = await linkWith(answer);
      expect(isCrmConnectError(error), String(error)).toBe(true);
      expect((error as Error).message).toContain("outside the org's domain");
      expect((error as Error).message).not.toContain(newAccessToken);
      expect(elsewhere.pendingMocks()).toHaveLength(3);
      expect(await store.get({ orgId, userId: users.admin.id })).toBeUndefined();
      nock.cleanAll();
    });
  }

  it("the org's My Domain as instance, Salesforce's login host as identity service: accepted (the usual answer)", async () => {
    const store = createMemoryTokenStore();
    const plugin = salesforce({ tokenStore: store });
    const started = plugin.admin.start(unlinked, { redirectUri });
    nock(origin)
      .post('/services/oauth2/token')
      .reply(200, tokenResponse(newAccessToken, users.admin.id, { refresh_token: newRefreshToken }));
    nock(loginOrigin).get(`/id/${orgId18}/${users.admin.id}`).reply(200, {
      user_id: users.admin.id,
      organization_id: orgId18,
      username: 'integration@acme.com',
      display_name: 'Integration',
      email: 'integration@acme.com',
      active: true,
    });
    nock(origin)
      .get(`${dataPath}/query`)
      .query(true)
      .reply(200, {
        totalSize: 1,
        done: true,
        records: [
          {
            attributes: { type: 'UserPermissionAccess' },
            PermissionsApiEnabled: true,
            PermissionsModifyAllData: true,
            PermissionsViewAllUsers: true,
            PermissionsTransferAnyCase: true,
          },
        ],
      });
    const linked = await plugin.admin.complete(unlinked, {
      callback: { code, state: started.state },
      state: started.state,
      codeVerifier: started.codeVerifier,
      redirectUri,
      context: context(),
    });
    expect(linked.connection.instanceUrl).toBe(origin);
  });

  it('a refresh answered with an instance URL elsewhere: no session is opened there', async () => {
    const store = createMemoryTokenStore();
    await store.set(
      { orgId, userId: users.admin.id },
      { refreshToken: adminRefreshToken, status: 'active', updatedAt: '2026-11-20T09:30:00.000Z' },
    );
    const elsewhere = trap('https://evil.my.salesforce.com');
    nock(origin)
      .post('/services/oauth2/token')
      .reply(200, {
        ...tokenResponse(adminAccessToken, users.admin.id),
        instance_url: 'https://evil.my.salesforce.com',
      });
    const connection = salesforce({ tokenStore: store }).connect(
      salesforceSettingsSchema.parse(settings),
      context(),
    );
    const error = await connection.findUserByEmail(users.agent.email).catch((caught: unknown) => caught);
    expect(isCrmConnectError(error), String(error)).toBe(true);
    expect(elsewhere.pendingMocks()).toHaveLength(3);
    nock.cleanAll();
  });
});

describe("salesforce: an agent's access token goes to the org's instance only", () => {
  it("an instance URL the platform hands over that is not the org's: the token is not sent there, the admin writes", async () => {
    const agentToken = `${orgId}!AQ4AQAgentTokenForTheWrongInstance0123456789abcdefghijklmnopqrstuv`;
    const plugin = salesforce({
      tokenStore,
      agentSessions: (userId) =>
        userId === users.agent.id
          ? { accessToken: agentToken, instanceUrl: 'https://collector.example.net' }
          : undefined,
    });
    const elsewhere = trap('https://collector.example.net');
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    nock(origin)
      .patch(`${dataPath}/sobjects/Case/500xx000003DHP0AAO`)
      .matchHeader('authorization', `Bearer ${adminAccessToken}`)
      .reply(204);
    const connection = plugin.connect(salesforceSettingsSchema.parse(settings), context());
    const result = await connection.changeOwner({
      interactionId: 'chat-1',
      ticket: { id: '500xx000003DHP0AAO' },
      owner: users.agent,
      performer: users.agent,
    });
    expect(result).toMatchObject({ performer: { id: users.admin.id } });
    expect(elsewhere.pendingMocks()).toHaveLength(3);
    nock.cleanAll();
  });
});
