import {
  createConnector,
  createRateBudgetRegistry,
  createRedactor,
  type PluginContext,
} from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { bearer, currentUserBody, kustomerFixture, plugin } from './kustomer-fixture.js';

/**
 * Closing a connection releases what it holds: nothing is sent afterwards, and the
 * organization's budget, which a connection joins once it has read its key's user, is never
 * joined after the close (a listing under way in the background would otherwise hold it for good).
 * The plugin keeps nothing process-wide of its own.
 */

const harness = useHarness(kustomerFixture);
const conversationId = '6a1f0c2b3d4e5f6071829304';

function contextWith(rateBudgets = createRateBudgetRegistry()): PluginContext {
  return { ...harness().context(), redactor: createRedactor(), rateBudgets };
}

describe('kustomer: closing a connection', () => {
  it('nothing is sent once closed; closing twice is harmless', async () => {
    const connection = plugin.connect(plugin.settings.schema.parse(kustomerFixture.settings), contextWith());
    await connection.close?.();
    await connection.close?.();
    await expect(connection.listAssignableUsers()).rejects.toMatchObject({
      code: 'connector_closed',
      retryable: true,
    });
    await expect(connection.connectionUser()).rejects.toMatchObject({ code: 'connector_closed' });
    expect(harness().requests).toEqual([]);
  });

  it('a key’s user read while the connection closes does not join the organization’s budget', async () => {
    const rateBudgets = createRateBudgetRegistry();
    harness()
      .crm()
      .get('/v1/users/current')
      .matchHeader('authorization', bearer)
      .delay(50)
      .reply(200, currentUserBody());
    const connection = plugin.connect(
      plugin.settings.schema.parse(kustomerFixture.settings),
      contextWith(rateBudgets),
    );
    // The regional host's budget, joined on creation.
    expect(rateBudgets.size()).toBe(1);
    const listing = connection.listAssignableUsers();
    await connection.close?.();
    await expect(listing).rejects.toMatchObject({ code: 'connector_closed' });
    expect(rateBudgets.size()).toBe(1);
  });

  it('two connectors to one organization: closing one keeps the other working and the budgets held', async () => {
    const rateBudgets = createRateBudgetRegistry();
    const open = () =>
      createConnector({ plugin, settings: { ...kustomerFixture.settings, defaultUser: true }, rateBudgets });
    const first = open();
    const second = open();
    harness().use(kustomerFixture.mocks.connectionUser);
    harness().use(kustomerFixture.mocks.createTicket(conversationId));
    await first.handle(chatStarted());
    // The host's budget and the organization's.
    expect(rateBudgets.size()).toBe(2);
    await first.close();
    await first.close();
    expect(rateBudgets.size()).toBe(1);

    harness().use(kustomerFixture.mocks.connectionUser);
    harness().use(kustomerFixture.mocks.createTicket(conversationId));
    await expect(second.handle(chatStarted())).resolves.toMatchObject({ outcome: 'created' });
    expect(rateBudgets.size()).toBe(2);
    await second.close();
    expect(rateBudgets.size()).toBe(0);
  });
});
