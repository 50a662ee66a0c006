import {
  createConnector,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
  type PluginContext,
  saveSettings,
  silentLogger,
} from '@crm-connect/core';
import { chatStarted } from '@crm-connect/testkit';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryTokenStore, salesforce, salesforceSettingsSchema } from '../src/index.js';
import {
  adminConnection,
  compositeCreated,
  dataPath,
  mockIdentity,
  orgId,
  origin,
  settings,
  tokenResponse,
  users,
} from './salesforce-fixture.js';

/**
 * Salesforce's OAuth token endpoint having a bad moment: a 429, a 5xx, an outage page, a
 * `temporarily_unavailable`, a refresh that loses a race with another process, a network failure.
 * None of these says anything about the admin's grant: each must be a retryable typed error that
 * carries the endpoint's Retry-After, and none may mark a healthy admin inactive or fail over to
 * the next one (only a refusal of the grant itself, `invalid_grant` and the like, does).
 */

const backupAdmin = {
  id: '005xx000001Bk9YAAS',
  email: 'bea.backup@acme.com',
  name: 'Bea Backup',
  active: true,
  role: 'admin',
};
const firstRefreshToken = '5Aep861FirstAdminRefreshTokenHealthyButTheEndpointIsBusy0123456789abcdefg';
const backupRefreshToken = '5Aep861BackupAdminRefreshTokenNeverNeededDuringAnOutage0123456789abcdefg';
const firstAccessToken = `${orgId}!AQ4AQFirstAdminAccessTokenAfterTheOutage0123456789abcdefghijklmnopq`;
const renewedAccessToken = `${orgId}!AQ4AQRenewedAccessTokenNeverIssued0123456789abcdefghijklmnopqrstuv`;
const twoAdmins = {
  ...settings,
  defaultUser: true,
  adminConnections: [adminConnection(users.admin), adminConnection(backupAdmin)],
};
const redirectUri = 'https://ccai.example.com/settings/crm/salesforce/callback';

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

async function setup() {
  const store = createMemoryTokenStore();
  const updatedAt = '2026-11-20T09:30:00.000Z';
  await store.set(
    { orgId, userId: users.admin.id },
    { refreshToken: firstRefreshToken, status: 'active', updatedAt },
  );
  await store.set(
    { orgId, userId: backupAdmin.id },
    { refreshToken: backupRefreshToken, status: 'active', updatedAt },
  );
  const plugin = salesforce({ tokenStore: store });
  const audit = createMemoryAuditSink();
  const connector = () =>
    createConnector({
      plugin,
      settings: twoAdmins,
      audit: audit.sink,
      rateBudgets: createRateBudgetRegistry(),
      http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
    });
  return { store, plugin, audit, connector };
}

/** The first admin's refresh, answered with `reply`; the backup admin's refresh is never mocked. */
function refreshAnswered(reply: (scope: nock.Interceptor) => nock.Scope) {
  return reply(
    nock(origin).post(
      '/services/oauth2/token',
      (body: Record<string, string>) =>
        body.grant_type === 'refresh_token' && body.refresh_token === firstRefreshToken,
    ),
  );
}

async function expectNoFailover(harness: Awaited<ReturnType<typeof setup>>) {
  expect(await harness.store.get({ orgId, userId: users.admin.id })).toMatchObject({ status: 'active' });
  expect(await harness.store.get({ orgId, userId: backupAdmin.id })).toMatchObject({ status: 'active' });
  expect(harness.audit.events().filter((event) => event.reason === 'connection-failover')).toEqual([]);
}

const transientAnswers: readonly {
  what: string;
  reply: (scope: nock.Interceptor) => nock.Scope;
  code: string;
  retryAfterMs: number | undefined;
}[] = [
  {
    what: 'a 429 with Retry-After (a plain-text answer)',
    reply: (scope) => scope.reply(429, 'Too Many Requests', { 'Retry-After': '7' }),
    code: 'rate_limited',
    retryAfterMs: 7_000,
  },
  {
    what: "a 429 with Salesforce's OAuth error body",
    reply: (scope) =>
      scope.reply(
        429,
        { error: 'rate_limit_exceeded', error_description: 'too many requests' },
        { 'Retry-After': '3' },
      ),
    code: 'rate_limited',
    retryAfterMs: 3_000,
  },
  {
    what: 'a 503 maintenance page with Retry-After',
    reply: (scope) =>
      scope.reply(503, '<html><body>Service Unavailable</body></html>', {
        'Content-Type': 'text/html',
        'Retry-After': '120',
      }),
    code: 'transport_failed',
    retryAfterMs: 120_000,
  },
  {
    what: 'a 503 temporarily_unavailable',
    reply: (scope) =>
      scope.reply(503, {
        error: 'temporarily_unavailable',
        error_description: 'the service is temporarily unavailable',
      }),
    code: 'transport_failed',
    retryAfterMs: undefined,
  },
  {
    what: 'a 400 temporarily_unavailable',
    reply: (scope) =>
      scope.reply(400, { error: 'temporarily_unavailable', error_description: 'try again later' }),
    code: 'transport_failed',
    retryAfterMs: undefined,
  },
  {
    what: 'a 500 in the REST error shape (a JSON array)',
    reply: (scope) =>
      scope.reply(500, [{ errorCode: 'UNKNOWN_EXCEPTION', message: 'An unexpected error occurred.' }]),
    code: 'transport_failed',
    retryAfterMs: undefined,
  },
  {
    // Salesforce refuses a refresh while another one with the same refresh token is under way
    // (several workers refreshing at once): the grant is fine, this request lost a race.
    what: 'invalid_grant "token request is already being processed" (a concurrent refresh)',
    reply: (scope) =>
      scope.reply(400, {
        error: 'invalid_grant',
        error_description: 'token request is already being processed',
      }),
    code: 'transport_failed',
    retryAfterMs: undefined,
  },
  {
    what: 'a connection reset',
    reply: (scope) =>
      scope.replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
    code: 'transport_failed',
    retryAfterMs: undefined,
  },
];

describe('salesforce: a transient answer of the token endpoint to a refresh', () => {
  for (const answer of transientAnswers) {
    it(`${answer.what}: retryable, Retry-After kept, the healthy admin stays active, no failover`, async () => {
      const harness = await setup();
      refreshAnswered(answer.reply);
      const error = await harness
        .connector()
        .handle(chatStarted())
        .catch((caught: unknown) => caught);
      expect(isCrmConnectError(error), String(error)).toBe(true);
      expect(error).toMatchObject({ code: answer.code, retryable: true, pluginId: 'salesforce' });
      expect((error as { retryAfterMs?: number }).retryAfterMs).toBe(answer.retryAfterMs);
      expect((error as Error).message).not.toContain(firstRefreshToken);
      await expectNoFailover(harness);
    });
  }

  it('the same admin writes once the endpoint answers again', async () => {
    const harness = await setup();
    refreshAnswered((scope) => scope.reply(503, 'Service Unavailable', { 'Retry-After': '1' }));
    const connector = harness.connector();
    const failed = await connector.handle(chatStarted()).catch((caught: unknown) => caught);
    expect(failed).toMatchObject({ retryable: true, retryAfterMs: 1_000 });
    refreshAnswered((scope) => scope.reply(200, tokenResponse(firstAccessToken, users.admin.id)));
    mockIdentity(firstAccessToken, users.admin);
    nock(origin)
      .post(`${dataPath}/composite`)
      .matchHeader('authorization', `Bearer ${firstAccessToken}`)
      .reply(200, compositeCreated('500xx000003DHP0AAO'));
    const created = await connector.handle(chatStarted());
    expect(created).toMatchObject({ outcome: 'created', performer: { id: users.admin.id } });
    await expectNoFailover(harness);
  });

  it('a refusal of the grant itself (invalid_grant, expired) still fails over', async () => {
    const harness = await setup();
    refreshAnswered((scope) =>
      scope.reply(400, { error: 'invalid_grant', error_description: 'expired access/refresh token' }),
    );
    nock(origin)
      .post(
        '/services/oauth2/token',
        (body: Record<string, string>) => body.refresh_token === backupRefreshToken,
      )
      .reply(503, 'Service Unavailable');
    const error = await harness
      .connector()
      .handle(chatStarted())
      .catch((caught: unknown) => caught);
    // The first admin is refused for good; the backup's refresh meets the outage, which is no refusal.
    expect(error).toMatchObject({ code: 'transport_failed', retryable: true });
    expect(await harness.store.get({ orgId, userId: users.admin.id })).toMatchObject({ status: 'inactive' });
    expect(await harness.store.get({ orgId, userId: backupAdmin.id })).toMatchObject({ status: 'active' });
  });

  it('a 401 whose renewal meets the outage: retryable with the Retry-After, not an authentication failure', async () => {
    const harness = await setup();
    refreshAnswered((scope) => scope.reply(200, tokenResponse(firstAccessToken, users.admin.id)));
    mockIdentity(firstAccessToken, users.admin);
    nock(origin)
      .post(`${dataPath}/composite`)
      .matchHeader('authorization', `Bearer ${firstAccessToken}`)
      .reply(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    refreshAnswered((scope) => scope.reply(503, 'Service Unavailable', { 'Retry-After': '2' }));
    const error = await harness
      .connector()
      .handle(chatStarted())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'transport_failed', retryable: true, retryAfterMs: 2_000 });
    expect((error as Error).message).not.toContain(renewedAccessToken);
    await expectNoFailover(harness);
  });

  it('the link health check reports the outage as unknown, never as a revoked or deactivated admin', async () => {
    const harness = await setup();
    refreshAnswered((scope) =>
      scope.reply(400, {
        error: 'invalid_grant',
        error_description: 'token request is already being processed',
      }),
    );
    nock(origin)
      .post(
        '/services/oauth2/token',
        (body: Record<string, string>) => body.refresh_token === backupRefreshToken,
      )
      .reply(429, 'Too Many Requests', { 'Retry-After': '5' });
    const health = await harness.plugin.admin.check(twoAdmins, { context: context() });
    expect(health.map((link) => link.status)).toEqual(['unknown', 'unknown']);
    await expectNoFailover(harness);
  });
});

describe('salesforce: saving the settings while the token endpoint is rate limited', () => {
  it('the credentials are kept, unverified, not reverted as refused; no admin is marked inactive', async () => {
    const harness = await setup();
    refreshAnswered((scope) => scope.reply(429, 'Too Many Requests', { 'Retry-After': '5' }));
    const result = await saveSettings(harness.plugin, {
      previous: salesforceSettingsSchema.parse(twoAdmins),
      submitted: { ...twoAdmins, clientSecret: 'RotatedConsumerSecret0123456789ABCDEFGH' },
      validate: (settings) => harness.plugin.validateCredentials(settings, context()),
    });
    expect(result.credentials).toBe('unverified');
    expect(result.settings.clientSecret).toBe('RotatedConsumerSecret0123456789ABCDEFGH');
    await expectNoFailover(harness);
  });
});

describe('salesforce: a transient answer of the token endpoint to the code exchange', () => {
  const code = 'aPrxbOND3gL_2LbSR7rKPdmH4qQp1lS1gD9Uu9YBn3qGhuKbL7kqAOoS3S9w0VyT9y1Q==';
  const unlinked = { ...settings, adminConnections: undefined };

  it('a 429 with Retry-After: a retryable rate_limited error, nothing stored', async () => {
    const store = createMemoryTokenStore();
    const plugin = salesforce({ tokenStore: store });
    const started = plugin.admin.start(unlinked, { redirectUri });
    nock(origin)
      .post(
        '/services/oauth2/token',
        (body: Record<string, string>) => body.grant_type === 'authorization_code',
      )
      .reply(429, 'Too Many Requests', { 'Retry-After': '30' });
    const error = await plugin.admin
      .complete(unlinked, {
        callback: { code, state: started.state },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context: context(),
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 30_000 });
    expect((error as Error).message).not.toContain(code);
    expect(await store.get({ orgId, userId: users.admin.id })).toBeUndefined();
  });

  it('a 502 from a proxy in front of Salesforce: a retryable transport error', async () => {
    const store = createMemoryTokenStore();
    const plugin = salesforce({ tokenStore: store });
    const started = plugin.admin.start(unlinked, { redirectUri });
    nock(origin)
      .post('/services/oauth2/token')
      .reply(502, '<html>Bad Gateway</html>', { 'Content-Type': 'text/html' });
    const error = await plugin.admin
      .complete(unlinked, {
        callback: { code, state: started.state },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context: context(),
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'transport_failed', retryable: true });
  });

  it('a redirect from the token endpoint is not followed: the request goes nowhere else', async () => {
    const store = createMemoryTokenStore();
    const plugin = salesforce({ tokenStore: store });
    const started = plugin.admin.start(unlinked, { redirectUri });
    nock(origin)
      .post('/services/oauth2/token')
      .reply(307, '', { Location: 'https://collector.example.net/services/oauth2/token' });
    const elsewhere = nock('https://collector.example.net')
      .post(/.*/)
      .reply(200, {})
      .get(/.*/)
      .reply(200, {});
    const error = await plugin.admin
      .complete(unlinked, {
        callback: { code, state: started.state },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context: context(),
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error), String(error)).toBe(true);
    expect(error).toMatchObject({ retryable: false });
    // Nothing reached the other host (its interceptors are still waiting), then they are withdrawn.
    expect(elsewhere.pendingMocks()).toHaveLength(2);
    nock.cleanAll();
  });
});
