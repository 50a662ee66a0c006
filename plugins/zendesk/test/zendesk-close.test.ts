import { createConnector, createRateBudgetRegistry } from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { oauthClient, users, wireUser, zendeskFixture } from './zendesk-fixture.js';

/**
 * Closing a connection releases what it holds: its OAuth token (forgotten, and no new one
 * fetched) and, through the connector, its share of the account's rate budgets. The plugin keeps
 * nothing process-wide of its own: the budgets are the only state shared between connections.
 */

const harness = useHarness(zendeskFixture);
const { plugin } = zendeskFixture;
const oauthSettings = { subdomain: 'acme', authMode: 'oauthClientCredentials', ...oauthClient } as const;

function tokenAnswers(accessToken: string) {
  harness()
    .crm()
    .post('/oauth/tokens', (body) => body.grant_type === 'client_credentials')
    .reply(200, { access_token: accessToken, token_type: 'bearer', scope: 'read write', expires_in: 7200 });
}

function searchAnswers(authorization: string, times = 1) {
  harness()
    .crm()
    .get('/api/v2/users/search')
    .query(true)
    .matchHeader('authorization', authorization)
    .times(times)
    .reply(200, { users: [wireUser(users.agent)], next_page: null, previous_page: null, count: 1 });
}

describe('zendesk: closing a connection', () => {
  it('OAuth: the token is forgotten and nothing is sent afterwards, not even a token request', async () => {
    tokenAnswers('token-close-000000000000');
    searchAnswers('Bearer token-close-000000000000');
    const connection = plugin.connect(plugin.settings.schema.parse(oauthSettings), harness().context());
    await connection.findUserByEmail(users.agent.email);
    await connection.close?.();
    await connection.close?.();

    const sent = harness().requests.length;
    await expect(connection.findUserByEmail(users.agent.email)).rejects.toMatchObject({
      code: 'connector_closed',
      retryable: true,
    });
    await expect(connection.connectionUser()).rejects.toMatchObject({ code: 'connector_closed' });
    expect(harness().requests).toHaveLength(sent);
  });

  it('two connectors to one account: closing one keeps the other working and the account budget held', async () => {
    const rateBudgets = createRateBudgetRegistry();
    const open = () =>
      createConnector({ plugin, settings: { ...zendeskFixture.settings, defaultUser: true }, rateBudgets });
    const first = open();
    const second = open();
    expect(rateBudgets.size()).toBe(1);
    await first.close();
    await first.close();
    expect(rateBudgets.size()).toBe(1);

    harness().use(zendeskFixture.mocks.connectionUser);
    harness().use(zendeskFixture.mocks.createTicket('35436'));
    await expect(second.handle(chatStarted())).resolves.toMatchObject({ outcome: 'created' });
    await second.close();
    expect(rateBudgets.size()).toBe(0);
  });

  it('API token mode: nothing is sent once closed', async () => {
    const connection = plugin.connect(
      plugin.settings.schema.parse(zendeskFixture.settings),
      harness().context(),
    );
    await connection.close?.();
    await expect(connection.listAssignableUsers()).rejects.toMatchObject({ code: 'connector_closed' });
    expect(harness().requests).toEqual([]);
  });
});
