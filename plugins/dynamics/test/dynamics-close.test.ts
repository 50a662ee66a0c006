import { randomUUID } from 'node:crypto';
import {
  type CrmConnection,
  createConnector,
  createRateBudgetRegistry,
  type PluginContext,
} from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { tokenSourceCount } from '../src/dynamics-auth.js';
import { dynamics } from '../src/index.js';
import { authorityHost, dynamicsFixture, tenantId, users, webApi } from './dynamics-fixture.js';

/**
 * Token sources are process-wide, one per app registration and key, shared by every connection
 * to it: they are held while a connection uses them, and dropped (msal client, cache, tokens)
 * when the last one closes, so a process serving tenants for months keeps none for tenants gone.
 */

const harness = useHarness(dynamicsFixture);
const caseId = '92684375-46c5-5b2a-81fc-4c7dcafe0d11';

/** An app registration of its own (a fresh client id), whose token requests are counted. */
function freshApp() {
  const client = randomUUID();
  let requests = 0;
  nock(authorityHost)
    .post(`/${tenantId}/oauth2/v2.0/token`, (body: Record<string, string>) => body.client_id === client)
    .query(true)
    // Optional: some tests prove that no token is asked for.
    .optionally()
    .reply(() => {
      requests += 1;
      return [200, { token_type: 'Bearer', expires_in: 3599, access_token: `eyJ.token-${requests}.sig` }];
    })
    .persist();
  const settings = dynamics().settings.schema.parse({
    ...dynamicsFixture.settings,
    clientId: client,
    impersonateAgents: false,
  });
  return {
    settings,
    connection: (context: PluginContext = harness().context()): CrmConnection =>
      dynamics().connect(settings, context),
    tokenRequests: () => requests,
  };
}

/** A write that needs a token: one case reassigned. */
function assign(connection: CrmConnection) {
  return connection.changeOwner({
    interactionId: 'chat-2026-0001',
    ticket: { id: caseId },
    owner: users.agent,
    performer: users.admin,
  });
}

function caseUpdates(times: number) {
  harness().crm().patch(`${webApi}/incidents(${caseId})`).times(times).reply(204, '');
}

describe('dynamics: closing a connection releases its token source', () => {
  it('the last connection to close drops the source; closing twice is harmless', async () => {
    const before = tokenSourceCount();
    const app = freshApp();
    const first = app.connection();
    const second = app.connection();
    expect(tokenSourceCount()).toBe(before + 1);

    await first.close?.();
    await first.close?.();
    expect(tokenSourceCount()).toBe(before + 1);
    await second.close?.();
    expect(tokenSourceCount()).toBe(before);
    await second.close?.();
    expect(tokenSourceCount()).toBe(before);
  });

  it('two connections share one source: closing one keeps the other working on the same token', async () => {
    const app = freshApp();
    caseUpdates(2);
    const first = app.connection();
    const second = app.connection();
    await assign(first);
    await first.close?.();

    await expect(assign(second)).resolves.toEqual({ attempts: 1 });
    expect(app.tokenRequests()).toBe(1);
    await second.close?.();
  });

  it('once every connection closed, a new one starts cold: the msal client and its cache were dropped', async () => {
    const app = freshApp();
    caseUpdates(2);
    const first = app.connection();
    await assign(first);
    await first.close?.();

    const second = app.connection();
    await assign(second);
    expect(app.tokenRequests()).toBe(2);
    await second.close?.();
  });

  it('a closed connection sends nothing: no token request, no Web API call', async () => {
    const app = freshApp();
    const connection = app.connection();
    await connection.close?.();

    await expect(assign(connection)).rejects.toMatchObject({ code: 'connector_closed', retryable: true });
    expect(app.tokenRequests()).toBe(0);
    expect(harness().requests).toEqual([]);
  });

  it('a changed key held by an open connection is not dropped when the old key’s connection closes', async () => {
    const before = tokenSourceCount();
    const app = freshApp();
    const rotated = dynamics().settings.schema.parse({
      ...app.settings,
      clientSecret: 'Bb2~second-secret-value-9876543210',
    });
    const old = app.connection();
    const current = dynamics().connect(rotated, harness().context());
    expect(tokenSourceCount()).toBe(before + 2);
    await old.close?.();
    expect(tokenSourceCount()).toBe(before + 1);
    await current.close?.();
    expect(tokenSourceCount()).toBe(before);
  });

  it('the live check on save holds no source once it has answered', async () => {
    const before = tokenSourceCount();
    harness().use(dynamicsFixture.mocks.validCredentials);
    const settings = dynamics().settings.schema.parse(dynamicsFixture.settings);
    await dynamics().validateCredentials(settings, harness().context());
    expect(tokenSourceCount()).toBe(before);
  });

  it('a connector closed through core releases the source and its account budget', async () => {
    const before = tokenSourceCount();
    const app = freshApp();
    const rateBudgets = createRateBudgetRegistry();
    const connector = createConnector({ plugin: dynamics(), settings: app.settings, rateBudgets });
    expect(tokenSourceCount()).toBe(before + 1);
    expect(rateBudgets.size()).toBe(1);
    await connector.close();
    await connector.close();
    expect(tokenSourceCount()).toBe(before);
    expect(rateBudgets.size()).toBe(0);
  });
});
