import { createConnector, createRateBudgetRegistry } from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import {
  adminAccessToken,
  adminRefreshToken,
  mockRefresh,
  plugin,
  salesforceFixture,
  settings,
  users,
} from './salesforce-fixture.js';

/**
 * Closing a connection releases what it holds: the admin's session and every agent's (their
 * access tokens are forgotten), and nothing is sent afterwards — above all no refresh, which
 * would spend a refresh token the tenant's next connector needs. The plugin keeps nothing
 * process-wide of its own: the org's budgets are the connector's to release.
 */

const harness = useHarness(salesforceFixture);
const caseId = '500xx000003DgQaAAK';

describe('salesforce: closing a connection', () => {
  it('nothing is sent once closed, not even a token refresh; closing twice is harmless', async () => {
    const connection = plugin.connect(plugin.settings.schema.parse(settings), harness().context());
    await connection.close?.();
    await connection.close?.();
    await expect(connection.connectionUser()).rejects.toMatchObject({
      code: 'connector_closed',
      retryable: true,
    });
    await expect(connection.listAssignableUsers()).rejects.toMatchObject({ code: 'connector_closed' });
    expect(harness().requests).toEqual([]);
  });

  it('the open session is dropped: a closed connection does not reuse it', async () => {
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    harness().use(salesforceFixture.mocks.userByEmail(users.agent.email, users.agent));
    const connection = plugin.connect(plugin.settings.schema.parse(settings), harness().context());
    await connection.findUserByEmail(users.agent.email);
    await connection.close?.();

    const sent = harness().requests.length;
    await expect(connection.findUserByEmail(users.agent.email)).rejects.toMatchObject({
      code: 'connector_closed',
    });
    expect(harness().requests).toHaveLength(sent);
  });

  it('two connectors to one org: closing one keeps the other working; the last close empties the registry', async () => {
    const rateBudgets = createRateBudgetRegistry();
    const open = () => createConnector({ plugin, settings: { ...settings, defaultUser: true }, rateBudgets });
    const first = open();
    const second = open();
    harness().use(salesforceFixture.mocks.connectionUser);
    harness().use(salesforceFixture.mocks.createTicket(caseId));
    await first.handle(chatStarted());
    // The org's REST budget and its token endpoint's.
    expect(rateBudgets.size()).toBe(2);
    await first.close();
    await first.close();
    expect(rateBudgets.size()).toBe(0);

    harness().use(salesforceFixture.mocks.connectionUser);
    harness().use(salesforceFixture.mocks.createTicket(caseId));
    await expect(second.handle(chatStarted())).resolves.toMatchObject({ outcome: 'created' });
    await second.close();
    expect(rateBudgets.size()).toBe(0);
  });

  it('a session opening when the connection closes is handed to no one later', async () => {
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    const connection = plugin.connect(plugin.settings.schema.parse(settings), harness().context());
    const opening = connection.connectionUser();
    await connection.close?.();
    await expect(opening).rejects.toMatchObject({ code: 'connector_closed' });
    await expect(connection.connectionUser()).rejects.toMatchObject({ code: 'connector_closed' });
  });
});
