import { createHash } from 'node:crypto';
import {
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
  type PluginContext,
  REDACTED,
  sharedRateBudgets,
  silentLogger,
} from '@crm-connect/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryTokenStore, type SalesforceTokenStore, salesforce } from '../src/index.js';
import {
  adminConnection,
  clientId,
  clientSecret,
  identityResponse,
  loginOrigin,
  orgId,
  orgId18,
  origin,
  settings,
  tokenResponse,
  users,
} from './salesforce-fixture.js';

const redirectUri = 'https://ccai.example.com/settings/crm/salesforce/callback';
const code = 'aPrxbOND3gL_2LbSR7rKPdmH4qQp1lS1gD9Uu9YBn3qGhuKbL7kqAOoS3S9w0VyT9y1Q==';
const newRefreshToken =
  '5Aep861KIwKdekr90I5pVgsHc2Quf6gXtRTiyoMKvQZK0sGNgTYzz4cJfZd8lA2Jc2t4o7V0PbNhu6WObPVWeYz';
const newAccessToken = `${orgId}!AQ4AQNewAccessTokenForTheLinkFlow1x2y3z4a5b6c7d8e9f0g1h2i3j4k5l6m7n8`;
const backupAdmin = {
  id: '005xx000001Bk9YAAS',
  email: 'bea.backup@acme.com',
  name: 'Bea Backup',
  active: true,
  role: 'admin',
};
const unlinked = { ...settings, adminConnections: undefined };

let context: PluginContext;
beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  // Clean up first, so one failing test does not leave interceptors to the next.
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending, 'interceptors never called').toEqual([]);
});

function setup(store: SalesforceTokenStore = createMemoryTokenStore()) {
  context = {
    redactor: createRedactor(),
    logger: silentLogger,
    audit: () => {},
    rateBudgets: createRateBudgetRegistry(),
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
  };
  return { store, plugin: salesforce({ tokenStore: store }) };
}

/** The token endpoint answering the code exchange; returns what it received. */
function mockCodeExchange(user: { id: string }, tokenOrg = orgId18) {
  const received: { body?: Record<string, string> } = {};
  nock(origin)
    .post('/services/oauth2/token', (body: Record<string, string>) => {
      received.body = body;
      return body.grant_type === 'authorization_code';
    })
    .reply(200, {
      ...tokenResponse(newAccessToken, user.id, { refresh_token: newRefreshToken }),
      id: `${loginOrigin}/id/${tokenOrg}/${user.id}`,
    });
  return received;
}

function mockIdentity(user: typeof backupAdmin) {
  nock(loginOrigin)
    .get(`/id/${orgId18}/${user.id}`)
    .matchHeader('authorization', `Bearer ${newAccessToken}`)
    .reply(200, identityResponse(user));
}

const rightsQuery =
  'SELECT PermissionsApiEnabled, PermissionsModifyAllData, PermissionsViewAllUsers, PermissionsTransferAnyCase FROM UserPermissionAccess';

/** The linked user's effective permissions, asked with the new access token. */
function mockRights(rights: Partial<Record<string, boolean>> = {}, origins = origin) {
  nock(origins)
    .get('/services/data/v62.0/query')
    .query({ q: rightsQuery })
    .matchHeader('authorization', `Bearer ${newAccessToken}`)
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
          ...rights,
        },
      ],
    });
}

/** The revocation endpoint; returns the token it was asked to revoke. */
function mockRevoke(status = 200) {
  const received: { token?: string } = {};
  nock(origin)
    .post('/services/oauth2/revoke', (body: Record<string, string>) => {
      received.token = body.token;
      return true;
    })
    .reply(status, status === 200 ? '' : 'error=invalid_token&error_description=invalid+token');
  return received;
}

describe('salesforce admin linking: the authorize URL', () => {
  it('asks for the code with PKCE (S256), a fresh state, the login page and the admin scopes', () => {
    const { plugin } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri, loginHint: 'ada.admin@acme.com' });
    const url = new URL(started.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${origin}/services/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'api id refresh_token',
      state: started.state,
      prompt: 'login',
      login_hint: 'ada.admin@acme.com',
      code_challenge_method: 'S256',
      code_challenge: createHash('sha256').update(started.codeVerifier).digest('base64url'),
    });
    expect(started.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(started.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(started.url).not.toContain(started.codeVerifier);
    expect(started.url).not.toContain(clientSecret);
    const again = plugin.admin.start(unlinked, { redirectUri });
    expect(again.state).not.toBe(started.state);
    expect(again.codeVerifier).not.toBe(started.codeVerifier);
  });

  it('needs the login URL and client id saved first, and an https callback', () => {
    const { plugin } = setup();
    const noUrl = (() => {
      try {
        plugin.admin.start({ ...unlinked, loginUrl: '' }, { redirectUri });
      } catch (error) {
        return error;
      }
    })();
    expect(isCrmConnectError(noUrl) && noUrl.message).toContain('My Domain login URL');
    expect(() => plugin.admin.start(unlinked, { redirectUri: 'http://ccai.example.com/callback' })).toThrow(
      /must be an https URL/,
    );
  });
});

describe('salesforce admin linking: the callback', () => {
  it('exchanges the code with the PKCE verifier, stores the refresh token, and enables the default user', async () => {
    const { plugin, store } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    const exchange = mockCodeExchange(users.admin);
    mockIdentity(users.admin);
    mockRights();
    const result = await plugin.admin.complete(unlinked, {
      callback: new URLSearchParams({ code, state: started.state }),
      state: started.state,
      codeVerifier: started.codeVerifier,
      redirectUri,
      context,
    });
    expect(exchange.body).toEqual({
      grant_type: 'authorization_code',
      code,
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uri: redirectUri,
      code_verifier: started.codeVerifier,
    });
    expect(result.connection).toMatchObject({
      userId: users.admin.id,
      username: users.admin.email,
      name: users.admin.name,
      orgId,
      instanceUrl: origin,
      status: 'active',
    });
    expect(result.settings.adminConnections).toEqual([result.connection]);
    expect(result.form.checkboxes.defaultUser).toMatchObject({ enabled: true, checked: false });
    expect(await store.get({ orgId, userId: users.admin.id })).toMatchObject({
      refreshToken: newRefreshToken,
      status: 'active',
    });
    // The refresh token is a secret: never in the settings, always redacted.
    expect(JSON.stringify(result)).not.toContain(newRefreshToken);
    expect(context.redactor.redact(`${newRefreshToken} ${newAccessToken} ${started.codeVerifier}`)).toBe(
      `${REDACTED} ${REDACTED} ${REDACTED}`,
    );
  });

  it('links a second, different admin after the first, in failover order', async () => {
    const { plugin, store } = setup();
    const started = plugin.admin.start(settings, { redirectUri });
    mockCodeExchange(backupAdmin);
    mockIdentity(backupAdmin);
    mockRights();
    const result = await plugin.admin.complete(settings, {
      callback: { code, state: started.state },
      state: started.state,
      codeVerifier: started.codeVerifier,
      redirectUri,
      context,
    });
    expect(result.settings.adminConnections?.map((connection) => connection.userId)).toEqual([
      users.admin.id,
      backupAdmin.id,
    ]);
    expect(await store.get({ orgId, userId: backupAdmin.id })).toMatchObject({
      refreshToken: newRefreshToken,
    });
  });

  it('refuses an admin of another org (sandbox / production mix-up) and revokes the token it got', async () => {
    const { plugin, store } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    mockCodeExchange(users.admin, '00Dxx0000002hQMEAY');
    const revoked = mockRevoke();
    const error = await plugin.admin
      .complete(unlinked, {
        callback: { code, state: started.state },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context,
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('configuration_invalid');
    expect((error as Error).message).toContain('signed in to org 00Dxx0000002hQM');
    expect((error as Error).message).toContain(`name org ${orgId}`);
    expect((error as Error).message).toContain('sandbox and production mix-up');
    expect(revoked.token).toBe(newRefreshToken);
    expect(await store.get({ orgId, userId: users.admin.id })).toBeUndefined();
  });

  it('refuses a second link of the same Salesforce user, keeping the first token', async () => {
    const store = createMemoryTokenStore();
    await store.set(
      { orgId, userId: users.admin.id },
      { refreshToken: 'the-first-refresh-token', status: 'active', updatedAt: '2026-11-20T09:30:00.000Z' },
    );
    const { plugin } = setup(store);
    const started = plugin.admin.start(settings, { redirectUri });
    mockCodeExchange(users.admin);
    const revoked = mockRevoke();
    const error = await plugin.admin
      .complete(settings, {
        callback: { code, state: started.state },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context,
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('conflict');
    expect((error as Error).message).toContain('already linked');
    expect(revoked.token).toBe(newRefreshToken);
    expect(await store.get({ orgId, userId: users.admin.id })).toMatchObject({
      refreshToken: 'the-first-refresh-token',
      status: 'active',
    });
  });

  it('relinking an admin marked inactive replaces the connection in place', async () => {
    const store = createMemoryTokenStore();
    await store.set(
      { orgId, userId: users.admin.id },
      { refreshToken: 'revoked-token', status: 'inactive', updatedAt: '2026-11-20T09:30:00.000Z' },
    );
    const { plugin } = setup(store);
    const current = {
      ...settings,
      adminConnections: [adminConnection(users.admin, 'inactive'), adminConnection(backupAdmin)],
    };
    const started = plugin.admin.start(current, { redirectUri });
    mockCodeExchange(users.admin);
    mockIdentity(users.admin);
    mockRights();
    const result = await plugin.admin.complete(current, {
      callback: { code, state: started.state },
      state: started.state,
      codeVerifier: started.codeVerifier,
      redirectUri,
      context,
    });
    expect(
      result.settings.adminConnections?.map((connection) => [connection.userId, connection.status]),
    ).toEqual([
      [users.admin.id, 'active'],
      [backupAdmin.id, 'active'],
    ]);
    expect(await store.get({ orgId, userId: users.admin.id })).toMatchObject({
      refreshToken: newRefreshToken,
      status: 'active',
    });
  });

  it("never sends the token to an instance or identity URL outside the org's domain", async () => {
    const { plugin, store } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    nock(origin)
      .post('/services/oauth2/token')
      .reply(200, {
        ...tokenResponse(newAccessToken, users.admin.id, { refresh_token: newRefreshToken }),
        instance_url: 'https://acme.example.com',
      });
    const error = await plugin.admin
      .complete(unlinked, {
        callback: { code, state: started.state },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context,
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('authentication_failed');
    expect((error as Error).message).toContain("outside the org's domain");
    expect(await store.get({ orgId, userId: users.admin.id })).toBeUndefined();
  });

  it("a real org's token response naming a loopback instance URL is refused: only a sandbox login URL allows one", async () => {
    const { plugin, store } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    nock(origin)
      .post('/services/oauth2/token')
      .reply(200, {
        ...tokenResponse(newAccessToken, users.admin.id, { refresh_token: newRefreshToken }),
        instance_url: 'http://127.0.0.1:4010',
      });
    const error = await plugin.admin
      .complete(unlinked, {
        callback: { code, state: started.state },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context,
      })
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toContain("outside the org's domain");
    expect(await store.get({ orgId, userId: users.admin.id })).toBeUndefined();
  });

  it('a loopback login URL (a local sandbox): its loopback instance and identity URLs are used', async () => {
    const { plugin, store } = setup();
    const sandbox = 'http://127.0.0.1:4010';
    const local = { ...unlinked, loginUrl: `${sandbox}/` };
    const started = plugin.admin.start(local, { redirectUri });
    expect(started.url.startsWith(`${sandbox}/services/oauth2/authorize?`)).toBe(true);
    nock(sandbox)
      .post('/services/oauth2/token')
      .reply(200, {
        ...tokenResponse(newAccessToken, users.admin.id, { refresh_token: newRefreshToken }),
        instance_url: sandbox,
        id: `${sandbox}/id/${orgId18}/${users.admin.id}`,
      });
    nock(sandbox)
      .get(`/id/${orgId18}/${users.admin.id}`)
      .matchHeader('authorization', `Bearer ${newAccessToken}`)
      .reply(200, identityResponse(users.admin));
    mockRights({}, sandbox);
    const result = await plugin.admin.complete(local, {
      callback: { code, state: started.state },
      state: started.state,
      codeVerifier: started.codeVerifier,
      redirectUri,
      context,
    });
    expect(result.connection).toMatchObject({ userId: users.admin.id, instanceUrl: sandbox });
    expect(result.settings.loginUrl).toBe(sandbox);
    expect(await store.get({ orgId, userId: users.admin.id })).toMatchObject({ status: 'active' });
  });

  it('refuses a callback whose state does not match, before any request', async () => {
    const { plugin } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    const error = await plugin.admin
      .complete(unlinked, {
        callback: { code, state: 'forged-state' },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context,
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('input_invalid');
  });

  it('reports a callback error (the admin declined) without a request', async () => {
    const { plugin } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    const error = await plugin.admin
      .complete(unlinked, {
        callback: {
          error: 'access_denied',
          error_description: 'end-user denied authorization',
          state: started.state,
        },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context,
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('permission_denied');
    expect((error as Error).message).toContain('declined access');
  });

  it('a verifier Salesforce refuses is an authentication error that says to start again', async () => {
    const { plugin } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    nock(origin)
      .post(
        '/services/oauth2/token',
        (body: Record<string, string>) => body.code_verifier === started.codeVerifier,
      )
      .reply(400, { error: 'invalid_grant', error_description: 'invalid code verifier' });
    const error = await plugin.admin
      .complete(unlinked, {
        callback: { code, state: started.state },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context,
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('authentication_failed');
    expect((error as Error).message).toContain('PKCE verifier');
    expect((error as Error).message).not.toContain(code);
  });
});

describe('salesforce admin linking: the rights the connector needs', () => {
  const complete = async (
    plugin: ReturnType<typeof setup>['plugin'],
    started: { state: string; codeVerifier: string },
  ) =>
    plugin.admin
      .complete(unlinked, {
        callback: { code, state: started.state },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context,
      })
      .catch((caught: unknown) => caught);

  it('refuses a user without them, naming each missing right and how to grant it; nothing stored, the grant revoked', async () => {
    const { plugin, store } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    mockCodeExchange(users.agent);
    mockIdentity(users.agent as typeof backupAdmin);
    mockRights({
      PermissionsModifyAllData: false,
      PermissionsViewAllUsers: false,
      PermissionsTransferAnyCase: false,
    });
    const revoked = mockRevoke();
    const error = await complete(plugin, started);
    expect(isCrmConnectError(error) && error.code).toBe('permission_denied');
    expect(error).toMatchObject({ missing: ['Modify All Data', 'View All Users', 'Transfer Cases'] });
    const message = (error as Error).message;
    expect(message).toContain(users.agent.email);
    expect(message).toContain('Modify All Data, View All Users, Transfer Cases');
    expect(message).toContain('Permission Sets');
    expect(revoked.token).toBe(newRefreshToken);
    expect(await store.get({ orgId, userId: users.agent.id })).toBeUndefined();
  });

  it('API Enabled missing alone is refused too', async () => {
    const { plugin } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    mockCodeExchange(users.admin);
    mockIdentity(users.admin);
    mockRights({ PermissionsApiEnabled: false });
    mockRevoke();
    const error = await complete(plugin, started);
    expect(error).toMatchObject({ code: 'permission_denied', missing: ['API Enabled'] });
  });

  it("warns (does not refuse) when the admin looks like a person's own account; an integration user links quietly", async () => {
    const { plugin } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    mockCodeExchange(users.admin);
    mockIdentity(users.admin);
    mockRights();
    const person = await plugin.admin.complete(unlinked, {
      callback: { code, state: started.state },
      state: started.state,
      codeVerifier: started.codeVerifier,
      redirectUri,
      context,
    });
    expect(person.connection.status).toBe('active');
    expect(person.warnings).toEqual([
      expect.stringContaining(`${users.admin.email} looks like a person's own account`),
    ]);

    const integration = {
      id: '005xx000001Ig8NAAS',
      email: 'crm-integration@acme.com',
      name: 'CRM Integration',
      active: true,
      role: 'admin',
    };
    const again = plugin.admin.start(person.settings, { redirectUri });
    mockCodeExchange(integration);
    mockIdentity(integration);
    mockRights();
    const quiet = await plugin.admin.complete(person.settings, {
      callback: { code, state: again.state },
      state: again.state,
      codeVerifier: again.codeVerifier,
      redirectUri,
      context,
    });
    expect(quiet.warnings).toEqual([]);
  });

  it("checks the callback's state before reading its error: an unauthenticated callback puts no text in the error", async () => {
    const { plugin } = setup();
    const started = plugin.admin.start(unlinked, { redirectUri });
    const error = await plugin.admin
      .complete(unlinked, {
        callback: {
          error: 'access_denied',
          error_description: 'Call +1 555 0100 to restore your account',
          state: 'not-the-state',
        },
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
        context,
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('input_invalid');
    expect((error as Error).message).not.toContain('555');
    expect((error as Error).message).not.toContain('access_denied');
  });
});

describe('salesforce admin unlinking', () => {
  it('unlinking the last admin revokes its token and unchecks and disables the default user', async () => {
    const store = createMemoryTokenStore();
    await store.set(
      { orgId, userId: users.admin.id },
      { refreshToken: 'refresh-token-to-revoke', status: 'active', updatedAt: '2026-11-20T09:30:00.000Z' },
    );
    const { plugin } = setup(store);
    const revoked = mockRevoke();
    const result = await plugin.admin.unlink({ ...settings, defaultUser: true }, users.admin.id, { context });
    expect(revoked.token).toBe('refresh-token-to-revoke');
    expect(result.warnings).toEqual([]);
    expect(result.settings.adminConnections).toBeUndefined();
    expect(result.settings.defaultUser).toBe(false);
    expect(result.form.checkboxes.defaultUser).toMatchObject({ checked: false, enabled: false });
    expect(await store.get({ orgId, userId: users.admin.id })).toBeUndefined();
  });

  it('called without a context, an unlink leaves no rate budget behind in the process-wide registry', async () => {
    // A budget asked of the process-wide registry outside a connector is kept for the life of the
    // process: one per org ever linked or unlinked, for a platform that runs for months.
    const store = createMemoryTokenStore();
    await store.set(
      { orgId, userId: users.admin.id },
      { refreshToken: 'refresh-token-to-revoke', status: 'active', updatedAt: '2026-11-20T09:30:00.000Z' },
    );
    const { plugin } = setup(store);
    const revoked = mockRevoke();
    const before = sharedRateBudgets.size();
    await plugin.admin.unlink(settings, users.admin.id);
    expect(revoked.token).toBe('refresh-token-to-revoke');
    expect(sharedRateBudgets.size()).toBe(before);
  });

  it('unlinking one of two admins keeps the default user checked', async () => {
    const { plugin } = setup();
    const two = {
      ...settings,
      defaultUser: true,
      adminConnections: [adminConnection(users.admin), adminConnection(backupAdmin)],
    };
    // No token stored for this admin: nothing to revoke.
    const result = await plugin.admin.unlink(two, '005xx000001Bk9Y', { context });
    expect(result.settings.adminConnections?.map((connection) => connection.userId)).toEqual([
      users.admin.id,
    ]);
    expect(result.form.checkboxes.defaultUser).toMatchObject({ checked: true, enabled: true });
  });

  it('a revocation Salesforce refuses is a warning; the admin is unlinked anyway', async () => {
    const store = createMemoryTokenStore();
    await store.set(
      { orgId, userId: users.admin.id },
      { refreshToken: 'already-revoked-token', status: 'inactive', updatedAt: '2026-11-20T09:30:00.000Z' },
    );
    const { plugin } = setup(store);
    mockRevoke(400);
    const result = await plugin.admin.unlink(settings, users.admin.id, { context });
    expect(result.warnings[0]).toContain('did not confirm revoking');
    expect(result.settings.adminConnections).toBeUndefined();
    expect(await store.get({ orgId, userId: users.admin.id })).toBeUndefined();
  });
});
