import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createConnector } from '../src/connector.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import { definePlugin } from '../src/plugin.js';
import { commonSettingsShape } from '../src/settings/common-settings.js';
import type { CrmUser } from '../src/users.js';
import { connectTo, recordingCrm } from './support/recording-plugin.js';

const admin: CrmUser = { id: 'admin', active: true };
const closeConnection = vi.fn(async () => {});

/** A plugin whose connection takes the account's budget, as every real plugin's client does. */
const plugin = definePlugin({
  id: 'fake',
  displayName: 'Fake CRM',
  settings: {
    schema: z.object({ ...commonSettingsShape, account: z.string().default('acme') }),
    secretFields: [],
    credentialGroups: [],
  },
  capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
  validateCredentials: async () => ({ connectionUser: admin, warnings: [] }),
  connect(settings, context) {
    const budget = context.rateBudgets.forAccount(`fake:${settings.account}`, { requestsPerInterval: 10 });
    return {
      connectionUser: async () => admin,
      findUserByEmail: async () => undefined,
      listAssignableUsers: async () => [],
      createTicket: async () =>
        budget.schedule(async () => ({ ticket: { id: 'T-1' }, created: true, attempts: 1 })),
      findTicket: async () => undefined,
      changeOwner: async () => ({ attempts: 1 }),
      addNote: async () => ({ attempts: 1, written: true }),
      close: closeConnection,
    };
  },
});

const chatStarted = {
  type: 'chat.started',
  interactionId: 'i-1',
  channel: 'chat',
  occurredAt: '2026-12-01T10:00:00Z',
  endUser: { email: 'jane@example.com' },
};

describe('connector.close()', () => {
  it('releases the account budgets of 1,000 tenants once their connectors are closed', async () => {
    const registry = createRateBudgetRegistry();
    const connectors = Array.from({ length: 1_000 }, (_, tenant) =>
      createConnector({ plugin, settings: { account: `tenant-${tenant}` }, rateBudgets: registry }),
    );
    expect(registry.size()).toBe(1_000);
    await Promise.all(connectors.map((connector) => connector.close()));
    expect(registry.size()).toBe(0);
  });

  it('keeps a budget another open connector of the same account still uses', async () => {
    const registry = createRateBudgetRegistry();
    const first = createConnector({ plugin, settings: {}, rateBudgets: registry });
    const second = createConnector({ plugin, settings: { defaultUser: true }, rateBudgets: registry });
    await first.close();
    expect(registry.size()).toBe(1);
    await expect(second.handle(chatStarted)).resolves.toMatchObject({ outcome: 'created' });
    await second.close();
    expect(registry.size()).toBe(0);
  });

  it('waits for events under way, closes the connection once, then refuses new events with a retryable typed error', async () => {
    closeConnection.mockClear();
    const connector = createConnector({
      plugin,
      settings: { defaultUser: true },
      rateBudgets: createRateBudgetRegistry(),
    });
    const underWay = connector.handle(chatStarted);
    await connector.close();
    await expect(underWay).resolves.toMatchObject({ outcome: 'created' });
    await connector.close();
    expect(closeConnection).toHaveBeenCalledOnce();
    await expect(connector.handle(chatStarted)).rejects.toMatchObject({
      code: 'connector_closed',
      retryable: true,
      pluginId: 'fake',
      message:
        'This Fake CRM connector was closed; nothing was sent. Deliver the work to one created for the tenant now.',
    });
  });

  it('returns only once the events under way have been written and audited', async () => {
    const crm = recordingCrm();
    crm.override('createTicket', async (original, input) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return original(input);
    });
    const { connector, events } = connectTo(
      crm,
      { defaultUser: true },
      { rateBudgets: createRateBudgetRegistry() },
    );
    const underWay = connector.handle(chatStarted);
    await connector.close();
    expect(crm.records.size).toBe(1);
    expect(events().map((event) => event.outcome)).toEqual(['created']);
    await underWay;
  });

  it('closes a connector whose plugin connection has nothing to close', async () => {
    const registry = createRateBudgetRegistry();
    const { connector } = connectTo(recordingCrm(), { defaultUser: true }, { rateBudgets: registry });
    await connector.handle(chatStarted);
    await expect(connector.close()).resolves.toBeUndefined();
    expect(registry.size()).toBe(0);
  });

  it('holds a budget the plugin asks for twice once, and releases it on close', async () => {
    const registry = createRateBudgetRegistry();
    const twice = definePlugin({
      ...plugin,
      connect(settings, context) {
        const first = context.rateBudgets.forAccount('fake:acme', { requestsPerInterval: 10 });
        const again = context.rateBudgets.acquire('fake:acme', { requestsPerInterval: 10 });
        expect(again).toBe(first);
        return plugin.connect(settings, context);
      },
    });
    const connector = createConnector({ plugin: twice, settings: {}, rateBudgets: registry });
    expect(registry.size()).toBe(1);
    await connector.close();
    expect(registry.size()).toBe(0);
  });

  it('a plugin that asks for a budget after the close is refused, so no budget is held for good', async () => {
    const registry = createRateBudgetRegistry();
    let lateJoin: (() => unknown) | undefined;
    const lazy = definePlugin({
      ...plugin,
      connect(_settings, context) {
        // A plugin that joins its organization's budget only once it has read who it is.
        lateJoin = () => context.rateBudgets.forAccount('fake:late-org', { requestsPerInterval: 10 });
        return plugin.connect({ ...plugin.settings.schema.parse({}) }, context);
      },
    });
    const connector = createConnector({ plugin: lazy, settings: {}, rateBudgets: registry });
    await connector.close();
    expect(lateJoin).toThrow(
      expect.objectContaining({
        code: 'connector_closed',
        retryable: true,
        pluginId: 'fake',
        message: expect.stringMatching(/^This fake connector was closed; /),
      }),
    );
    expect(registry.size()).toBe(0);
  });

  it('waits for a background listing of the agent pool to end before it returns', async () => {
    let finishListing: (users: CrmUser[]) => void = () => {};
    let listings = 0;
    const listed = definePlugin({
      ...plugin,
      connect(settings, context) {
        const connection = plugin.connect(settings, context);
        return {
          ...connection,
          listAssignableUsers: () => {
            listings += 1;
            if (listings === 1) return Promise.resolve([admin]);
            return new Promise<CrmUser[]>((resolve) => {
              finishListing = resolve;
            });
          },
        };
      },
    });
    const connector = createConnector({
      plugin: listed,
      settings: { defaultUser: false },
      rateBudgets: createRateBudgetRegistry(),
      agentCache: { ttlMs: 1 },
    });
    await connector.handle(chatStarted);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The pool has expired: this write is served the last pool while a new listing starts.
    await connector.handle({ ...chatStarted, interactionId: 'i-2' });
    expect(listings).toBe(2);
    let closed = false;
    const closing = connector.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    finishListing([admin]);
    await closing;
    expect(closed).toBe(true);
  });
});
