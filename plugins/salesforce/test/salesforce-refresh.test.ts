import {
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminConnectionKey,
  createMemoryAccessTokenCache,
  createMemoryRefreshLock,
  createMemoryTokenStore,
  type SalesforceOptions,
  type SalesforceTokenStore,
  salesforce,
  salesforceSettingsSchema,
} from '../src/index.js';
import {
  adminRefreshToken,
  dataPath,
  identityResponse,
  loginOrigin,
  orgId,
  orgId18,
  origin,
  settings,
  tokenResponse,
  users,
} from './salesforce-fixture.js';

/**
 * A connected app that rotates refresh tokens, and several processes (one plugin instance each)
 * using the same linked admin: each refresh spends the refresh token it was given, so two
 * processes refreshing at once must not both spend the same one.
 */

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending, 'interceptors never called').toEqual([]);
});

const admin: AdminConnectionKey = { orgId, userId: users.admin.id };
const parsedSettings = salesforceSettingsSchema.parse(settings);

const context = (): PluginContext => ({
  redactor: createRedactor(),
  logger: silentLogger,
  audit: () => {},
  rateBudgets: createRateBudgetRegistry(),
  http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
});

interface RotatingEndpoint {
  /** Refresh requests received. */
  requests: number;
  /** Of those, refused with `invalid_grant` (a refresh token already spent). */
  refused: number;
  /** The one refresh token that works now. */
  current: string;
  /** The access token each successful refresh issued, in order. */
  accessTokens: string[];
}

/**
 * The token endpoint of a connected app with refresh-token rotation: a refresh with the current
 * refresh token spends it and answers a new one; any other is refused with `invalid_grant`, as
 * Salesforce does. The rotation happens when the request arrives; `beforeAnswer(n)` (n from 1)
 * can hold the answer back, so a test decides what another process does meanwhile.
 */
function rotatingTokenEndpoint(
  first: string,
  beforeAnswer: (request: number) => Promise<void> = async () => {},
): RotatingEndpoint {
  const endpoint: RotatingEndpoint = { requests: 0, refused: 0, current: first, accessTokens: [] };
  nock(origin)
    .persist()
    .post('/services/oauth2/token', (body: Record<string, string>) => body.grant_type === 'refresh_token')
    .reply(async (_uri, body) => {
      endpoint.requests += 1;
      const request = endpoint.requests;
      const presented =
        typeof body === 'string'
          ? new URLSearchParams(body).get('refresh_token')
          : (body as Record<string, string>).refresh_token;
      if (presented !== endpoint.current) {
        endpoint.refused += 1;
        await beforeAnswer(request);
        return [400, { error: 'invalid_grant', error_description: 'expired access/refresh token' }];
      }
      endpoint.current = `5Aep861RotatedRefreshToken${request}0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ`;
      const accessToken = `${orgId}!AQ4AQRotatedAccessToken${request}0123456789abcdefghijklmnopqrstuvwxyzABCDE`;
      endpoint.accessTokens.push(accessToken);
      const answer = tokenResponse(accessToken, users.admin.id, { refresh_token: endpoint.current });
      await beforeAnswer(request);
      return [200, answer];
    });
  return endpoint;
}

/** The identity service, for `connectionUser()`, whatever access token it is asked with. */
function identityService(): void {
  nock(loginOrigin)
    .persist()
    .get(`/id/${orgId18}/${users.admin.id}`)
    .reply(200, identityResponse(users.admin));
}

async function linkedStore(): Promise<SalesforceTokenStore> {
  const store = createMemoryTokenStore();
  await store.set(admin, {
    refreshToken: adminRefreshToken,
    status: 'active',
    updatedAt: '2026-11-20T09:30:00.000Z',
  });
  return store;
}

/** One process: its own plugin instance and connection to the org. */
function processUsing(options: SalesforceOptions) {
  return salesforce(options).connect(parsedSettings, context());
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('salesforce refresh across processes, with refresh-token rotation', () => {
  it('two processes sharing the token store, a lock and the access-token cache refresh at once: one token request, no admin marked inactive', async () => {
    const tokenStore = await linkedStore();
    const lock = createMemoryRefreshLock();
    const accessTokenCache = createMemoryAccessTokenCache();
    const endpoint = rotatingTokenEndpoint(adminRefreshToken);
    identityService();
    const [first, second] = [0, 1].map(() => processUsing({ tokenStore, lock, accessTokenCache }));

    const users_ = await Promise.all([first?.connectionUser(), second?.connectionUser()]);

    expect(users_.map((user) => user?.id)).toEqual([users.admin.id, users.admin.id]);
    expect(endpoint).toMatchObject({ requests: 1, refused: 0 });
    expect(await tokenStore.get(admin)).toMatchObject({ status: 'active', refreshToken: endpoint.current });
  });

  it('without a shared lock, a refresh refused because another process just rotated the token uses the rotated one: no admin marked inactive', async () => {
    const tokenStore = await linkedStore();
    // The second refresh is refused (the first spent the token); its answer arrives once the first
    // process saved the rotated token, as when two processes race.
    const endpoint = rotatingTokenEndpoint(adminRefreshToken, async (request) => {
      if (request === 2)
        await until(async () => (await tokenStore.get(admin))?.refreshToken !== adminRefreshToken);
    });
    identityService();
    const [first, second] = [0, 1].map(() => processUsing({ tokenStore }));

    const users_ = await Promise.all([first?.connectionUser(), second?.connectionUser()]);

    expect(users_.map((user) => user?.id)).toEqual([users.admin.id, users.admin.id]);
    // The refused one tried again with the token the other process saved.
    expect(endpoint).toMatchObject({ requests: 3, refused: 1 });
    expect(await tokenStore.get(admin)).toMatchObject({ status: 'active', refreshToken: endpoint.current });
  });

  it('without a shared lock, a refusal read before the other process saved: the process whose refresh worked puts the admin back', async () => {
    const tokenStore = await linkedStore();
    // The first refresh works, but its answer arrives only after the second process, refused,
    // found the store unchanged and marked the admin inactive.
    const endpoint = rotatingTokenEndpoint(adminRefreshToken, async (request) => {
      if (request === 1) await until(async () => (await tokenStore.get(admin))?.status === 'inactive');
    });
    identityService();
    const [first, second] = [0, 1].map(() => processUsing({ tokenStore }));

    const [worked, refused] = await Promise.allSettled([
      first?.connectionUser(),
      (async () => {
        await until(async () => endpoint.requests === 1);
        return second?.connectionUser();
      })(),
    ]);

    expect(worked).toMatchObject({ status: 'fulfilled', value: { id: users.admin.id } });
    // The cost of no shared lock: the refused process could not tell a race from a revocation.
    expect(refused.status).toBe('rejected');
    expect(endpoint).toMatchObject({ requests: 2, refused: 1 });
    const stored = await tokenStore.get(admin);
    expect(stored).toMatchObject({ status: 'active', refreshToken: endpoint.current });
    expect(stored?.inactiveReason).toBeUndefined();
  });

  it('after a 401 the stale access token is dropped from the shared cache, and a fresher one another process stored stays', async () => {
    const tokenStore = await linkedStore();
    const lock = createMemoryRefreshLock();
    const accessTokenCache = createMemoryAccessTokenCache();
    const endpoint = rotatingTokenEndpoint(adminRefreshToken);
    const [first, second] = [0, 1].map(() => processUsing({ tokenStore, lock, accessTokenCache }));
    const empty = { totalSize: 0, done: true, records: [] };
    const query = () => nock(origin).get(`${dataPath}/query`).query(true);

    // Both processes use the first access token: one refresh.
    query().times(2).reply(200, empty);
    await first?.findTicket('interaction-1');
    await second?.findTicket('interaction-1');
    expect(endpoint.requests).toBe(1);
    const [stale] = endpoint.accessTokens;

    // It expires. The first process gets a 401, drops it and refreshes once.
    const expired = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];
    query().matchHeader('authorization', `Bearer ${stale}`).reply(401, expired);
    query()
      .matchHeader('authorization', (value) => value !== `Bearer ${stale}`)
      .reply(200, empty);
    await first?.findTicket('interaction-2');
    expect(endpoint.requests).toBe(2);
    const fresh = endpoint.accessTokens[1];

    // The second process's 401 with the stale token does not evict the fresh one: it uses it.
    query().matchHeader('authorization', `Bearer ${stale}`).reply(401, expired);
    query().matchHeader('authorization', `Bearer ${fresh}`).reply(200, empty);
    await second?.findTicket('interaction-3');
    expect(endpoint.requests).toBe(2);
    expect(await tokenStore.get(admin)).toMatchObject({ status: 'active', refreshToken: endpoint.current });
  });

  it('the credential check on save refreshes under the same lock (never from the cache) and saves the rotated token', async () => {
    const tokenStore = await linkedStore();
    const lock = createMemoryRefreshLock();
    const accessTokenCache = createMemoryAccessTokenCache();
    const endpoint = rotatingTokenEndpoint(adminRefreshToken);
    identityService();
    const plugin = salesforce({ tokenStore, lock, accessTokenCache });
    const connection = plugin.connect(parsedSettings, context());

    const [user, check] = await Promise.all([
      connection.connectionUser(),
      plugin.validateCredentials(parsedSettings, context()),
    ]);

    expect([user.id, check.connectionUser.id]).toEqual([users.admin.id, users.admin.id]);
    expect(endpoint).toMatchObject({ requests: 2, refused: 0 });
    expect(await tokenStore.get(admin)).toMatchObject({ status: 'active', refreshToken: endpoint.current });
  });

  it('the health check refreshes under the same lock and saves the rotated token', async () => {
    const tokenStore = await linkedStore();
    const lock = createMemoryRefreshLock();
    const endpoint = rotatingTokenEndpoint(adminRefreshToken);
    identityService();
    nock(origin)
      .get(`${dataPath}/query`)
      .query(true)
      .reply(200, {
        totalSize: 1,
        done: true,
        records: [
          {
            PermissionsApiEnabled: true,
            PermissionsModifyAllData: true,
            PermissionsViewAllUsers: true,
            PermissionsTransferAnyCase: true,
          },
        ],
      });
    const plugin = salesforce({ tokenStore, lock });
    const connection = plugin.connect(parsedSettings, context());

    const [user, health] = await Promise.all([connection.connectionUser(), plugin.admin.check(settings)]);

    expect(user.id).toBe(users.admin.id);
    expect(health.map((link) => link.status)).toEqual(['active']);
    expect(endpoint).toMatchObject({ requests: 2, refused: 0 });
    expect(await tokenStore.get(admin)).toMatchObject({ status: 'active', refreshToken: endpoint.current });
  });

  it('a revoked admin is still marked inactive (the store did not change meanwhile)', async () => {
    const tokenStore = await linkedStore();
    const endpoint = rotatingTokenEndpoint('5Aep861SomeOtherGrantThanTheStoredOne');
    const error = await processUsing({ tokenStore })
      .connectionUser()
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('authentication_failed');
    expect(endpoint).toMatchObject({ requests: 1, refused: 1 });
    expect(await tokenStore.get(admin)).toMatchObject({
      status: 'inactive',
      refreshToken: adminRefreshToken,
    });
  });
});

describe('the memory token store', () => {
  it('compareAndSet replaces only the token that was read', async () => {
    const tokenStore = await linkedStore();
    const read = await tokenStore.get(admin);
    if (read === undefined) throw new Error('nothing stored');
    const rotated = { ...read, refreshToken: '5Aep861Rotated', updatedAt: '2026-11-21T09:30:00.000Z' };
    expect(await tokenStore.compareAndSet(admin, read, rotated)).toBe(true);
    // A second process that read the same token before the rotation is refused.
    expect(
      await tokenStore.compareAndSet(admin, read, { ...read, status: 'inactive', inactiveReason: 'refused' }),
    ).toBe(false);
    expect(await tokenStore.get(admin)).toEqual(rotated);
    expect(
      await tokenStore.compareAndSet({ orgId, userId: users.agent.id }, read, rotated),
      'nothing stored for that key',
    ).toBe(false);
  });
});
