import {
  createConnector,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
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
  mockSession,
  orgId,
  origin,
  settings,
  users,
} from './salesforce-fixture.js';

const backupAdmin = {
  id: '005xx000001Bk9YAAS',
  email: 'bea.backup@acme.com',
  name: 'Bea Backup',
  active: true,
  role: 'admin',
};
const firstRefreshToken = '5Aep861FirstAdminRefreshTokenRevokedWhenAdaLeftTheCompany0123456789abcdefghij';
const backupRefreshToken = '5Aep861BackupAdminRefreshTokenStillValidForBeaBackup0123456789abcdefghijklm';
const firstAccessToken = `${orgId}!AQ4AQFirstAdminAccessToken0123456789abcdefghijklmnopqrstuvwxyzABCDEF`;
const renewedAccessToken = `${orgId}!AQ4AQRenewedAccessToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH`;
const backupAccessToken = `${orgId}!AQ4AQBackupAdminAccessToken0123456789abcdefghijklmnopqrstuvwxyzABCDE`;
const twoAdmins = {
  ...settings,
  defaultUser: true,
  adminConnections: [adminConnection(users.admin), adminConnection(backupAdmin)],
};

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  // Clean up first, so one failing test does not leave interceptors to the next.
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending, 'interceptors never called').toEqual([]);
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
  const connector = (overrides: Record<string, unknown> = {}) =>
    createConnector({
      plugin,
      settings: { ...twoAdmins, ...overrides },
      audit: audit.sink,
      rateBudgets: createRateBudgetRegistry(),
      http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
    });
  return { store, plugin, audit, connector };
}

function mockRevokedRefresh(refreshToken: string) {
  nock(origin)
    .post('/services/oauth2/token', (body: Record<string, string>) => body.refresh_token === refreshToken)
    .reply(400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
}

/** The composite create, answered for `accessToken` only; returns the Authorization headers it saw. */
function mockComposite(accessToken: string, ticketId = '500xx000003DHP0AAO') {
  nock(origin)
    .post(`${dataPath}/composite`)
    .matchHeader('authorization', `Bearer ${accessToken}`)
    .reply(200, compositeCreated(ticketId));
}

describe('salesforce redundancy: failover between linked admins', () => {
  it('a revoked first admin is marked inactive, the second one writes, and an audit event says so', async () => {
    const { store, plugin, audit, connector } = await setup();
    mockRevokedRefresh(firstRefreshToken);
    mockSession(backupRefreshToken, backupAccessToken, backupAdmin);
    mockComposite(backupAccessToken);
    const event = chatStarted();
    const created = await connector().handle(event);

    expect(created).toMatchObject({
      outcome: 'created',
      reason: 'default-user',
      owner: { id: backupAdmin.id },
      performer: { id: backupAdmin.id },
    });
    const failover = audit.events().find((entry) => entry.reason === 'connection-failover');
    expect(failover).toMatchObject({
      interactionId: event.interactionId,
      operation: 'create-ticket',
      outcome: 'failed',
      performer: { id: backupAdmin.id },
    });
    expect(failover?.detail).toContain(`${users.admin.email} (${users.admin.id}) is marked inactive`);
    expect(failover?.detail).toContain(`Writes now use ${backupAdmin.email}`);
    expect(JSON.stringify(audit.events())).not.toContain(firstRefreshToken);
    expect(await store.get({ orgId, userId: users.admin.id })).toMatchObject({
      status: 'inactive',
      refreshToken: firstRefreshToken,
    });

    // The settings catch up with the store; the default user stays available thanks to the second admin.
    const synced = await plugin.admin.refreshStatus(twoAdmins);
    expect(synced.settings.adminConnections?.map((connection) => connection.status)).toEqual([
      'inactive',
      'active',
    ]);
    expect(synced.form.checkboxes.defaultUser).toMatchObject({ enabled: true, checked: true });

    // A later connector skips the inactive admin without asking Salesforce, and reports nothing new.
    mockSession(backupRefreshToken, backupAccessToken, backupAdmin);
    mockComposite(backupAccessToken, '500xx000003DHQ1AAO');
    audit.clear();
    await connector().handle(chatStarted());
    expect(audit.events().map((entry) => entry.reason)).toEqual(['default-user']);
  });

  it('when every admin is refused, the write fails with an error naming each one', async () => {
    const { store, audit, connector } = await setup();
    mockRevokedRefresh(firstRefreshToken);
    mockRevokedRefresh(backupRefreshToken);
    const error = await connector()
      .handle(chatStarted())
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('authentication_failed');
    expect((error as Error).message).toContain(
      `${users.admin.email} (${users.admin.id}): Salesforce refused`,
    );
    expect((error as Error).message).toContain(
      `${backupAdmin.email} (${backupAdmin.id}): Salesforce refused`,
    );
    expect((error as Error).message).toContain('Press Link');
    expect(await store.get({ orgId, userId: backupAdmin.id })).toMatchObject({ status: 'inactive' });
    expect(audit.events().at(-1)).toMatchObject({ outcome: 'failed', reason: 'error' });
  });

  it('the credential check on save reports a refused admin but does not mark it inactive', async () => {
    const { store, plugin } = await setup();
    mockRevokedRefresh(firstRefreshToken);
    mockSession(backupRefreshToken, backupAccessToken, backupAdmin);
    const check = await plugin.validateCredentials(salesforceSettingsSchema.parse(twoAdmins), {
      redactor: createRedactor(),
      logger: silentLogger,
      audit: () => {},
      rateBudgets: createRateBudgetRegistry(),
      http: { timeoutMs: 5_000 },
    });
    expect(check.connectionUser).toMatchObject({
      id: backupAdmin.id,
      email: backupAdmin.email,
      active: true,
    });
    expect(check.warnings.join('\n')).toContain(`The linked admin ${users.admin.email} could not be used`);
    expect(await store.get({ orgId, userId: users.admin.id })).toMatchObject({ status: 'active' });
  });

  it('one linked admin: a warning asks for a second one', async () => {
    const { plugin } = await setup();
    mockSession(firstRefreshToken, firstAccessToken, users.admin);
    const check = await plugin.validateCredentials(
      salesforceSettingsSchema.parse({ ...settings, adminConnections: [adminConnection(users.admin)] }),
      {
        redactor: createRedactor(),
        logger: silentLogger,
        audit: () => {},
        rateBudgets: createRateBudgetRegistry(),
        http: { timeoutMs: 5_000 },
      },
    );
    expect(check.connectionUser.id).toBe(users.admin.id);
    expect(check.warnings).toEqual([expect.stringContaining('link a second admin')]);
  });
});

describe('salesforce sessions: an expired access token', () => {
  it('401 INVALID_SESSION_ID: one refresh, then the same request again with the new token', async () => {
    const { connector } = await setup();
    mockSession(firstRefreshToken, firstAccessToken, users.admin);
    nock(origin)
      .post(`${dataPath}/composite`)
      .matchHeader('authorization', `Bearer ${firstAccessToken}`)
      .reply(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    let refreshes = 0;
    nock(origin)
      .post('/services/oauth2/token', (body: Record<string, string>) => {
        refreshes += 1;
        return body.grant_type === 'refresh_token' && body.refresh_token === firstRefreshToken;
      })
      .reply(200, {
        access_token: renewedAccessToken,
        instance_url: origin,
        id: `https://login.salesforce.com/id/00Dxx0000001gPLEAY/${users.admin.id}`,
        token_type: 'Bearer',
        issued_at: '1763722800000',
        signature: 'cmVuZXdlZCBzaWduYXR1cmUgb2YgdGhlIGlkIGFuZCBpc3N1ZWRfYXQ=',
      });
    mockComposite(renewedAccessToken);
    const audit = await connector().handle(chatStarted());
    expect(audit).toMatchObject({ outcome: 'created', attempts: 2 });
    expect(refreshes).toBe(1);
  });

  it('a session still refused after the refresh is an authentication error, with no second refresh', async () => {
    const { connector } = await setup();
    mockSession(firstRefreshToken, firstAccessToken, users.admin);
    nock(origin)
      .post(`${dataPath}/composite`)
      .times(2)
      .reply(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    nock(origin)
      .post(
        '/services/oauth2/token',
        (body: Record<string, string>) => body.refresh_token === firstRefreshToken,
      )
      .reply(200, {
        access_token: renewedAccessToken,
        instance_url: origin,
        id: `https://login.salesforce.com/id/00Dxx0000001gPLEAY/${users.admin.id}`,
        token_type: 'Bearer',
        issued_at: '1763722800000',
      });
    const error = await connector()
      .handle(chatStarted())
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('authentication_failed');
    expect((error as Error).message).toContain('INVALID_SESSION_ID');
    expect((error as Error).message).not.toContain(renewedAccessToken);
  });
});

describe('salesforce sessions: the default user is the admin who writes', () => {
  it('a first admin revoked between writes: the Case is sent again owned by the admin who writes, and reported so', async () => {
    const { audit, connector } = await setup();
    mockSession(firstRefreshToken, firstAccessToken, users.admin);
    mockComposite(firstAccessToken);
    const sf = connector();
    expect(await sf.handle(chatStarted())).toMatchObject({ owner: { id: users.admin.id } });

    // Ada's grant is revoked: her access token stops working, then her refresh token.
    const owners: unknown[] = [];
    nock(origin)
      .post(
        `${dataPath}/composite`,
        (body: { compositeRequest: { referenceId: string; body?: { OwnerId?: string } }[] }) =>
          owners.push(body.compositeRequest.find((sub) => sub.referenceId === 'case')?.body?.OwnerId) > 0,
      )
      .matchHeader('authorization', `Bearer ${firstAccessToken}`)
      .reply(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    mockRevokedRefresh(firstRefreshToken);
    mockRefreshOnly(backupRefreshToken, backupAccessToken, backupAdmin.id);
    nock(origin)
      .post(
        `${dataPath}/composite`,
        (body: { compositeRequest: { referenceId: string; body?: { OwnerId?: string } }[] }) =>
          owners.push(body.compositeRequest.find((sub) => sub.referenceId === 'case')?.body?.OwnerId) > 0,
      )
      .matchHeader('authorization', `Bearer ${backupAccessToken}`)
      .reply(200, compositeCreated('500xx000003DHQ1AAO'));
    const second = await sf.handle(chatStarted());
    expect(owners).toEqual([users.admin.id, backupAdmin.id]);
    expect(second).toMatchObject({
      outcome: 'created',
      reason: 'default-user',
      owner: { id: backupAdmin.id, name: backupAdmin.name },
      performer: { id: backupAdmin.id },
    });
    expect(audit.events().map((entry) => entry.reason)).toContain('connection-failover');
  });

  it("an identified agent's Case keeps its agent when the admin fails over; the performer is the admin who wrote", async () => {
    const { plugin } = await setup();
    const connection = plugin.connect(salesforceSettingsSchema.parse(twoAdmins), {
      redactor: createRedactor(),
      logger: silentLogger,
      audit: () => {},
      rateBudgets: createRateBudgetRegistry(),
      http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
    });
    mockRevokedRefresh(firstRefreshToken);
    mockRefreshOnly(backupRefreshToken, backupAccessToken, backupAdmin.id);
    let owner: unknown;
    nock(origin)
      .post(
        `${dataPath}/composite`,
        (body: { compositeRequest: { referenceId: string; body?: { OwnerId?: string } }[] }) => {
          owner = body.compositeRequest.find((sub) => sub.referenceId === 'case')?.body?.OwnerId;
          return true;
        },
      )
      .matchHeader('authorization', `Bearer ${backupAccessToken}`)
      .reply(200, compositeCreated('500xx000003DHQ1AAO'));
    const result = await connection.createTicket({
      event: chatStarted(),
      owner: users.agent,
      performer: users.admin,
      ownerReason: 'identified-agent',
      idempotencyKey: 'k',
      subject: 'Chat with Jane Doe',
      description: 'Hello',
    });
    expect(owner).toBe(users.agent.id);
    expect(result.owner).toBeUndefined();
    expect(result.performer).toMatchObject({ id: backupAdmin.id, active: true });
  });
});

/** The token endpoint refreshing `refreshToken` for `userId`, without the identity call. */
function mockRefreshOnly(refreshToken: string, accessToken: string, userId: string) {
  nock(origin)
    .post('/services/oauth2/token', (body: Record<string, string>) => body.refresh_token === refreshToken)
    .reply(200, {
      access_token: accessToken,
      instance_url: origin,
      id: `https://login.salesforce.com/id/00Dxx0000001gPLEAY/${userId}`,
      token_type: 'Bearer',
      issued_at: '1763722800000',
    });
}
