import {
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';
import {
  createMemoryTokenStore,
  type SalesforcePlugin,
  type SalesforceSettingsInput,
  type SalesforceTokenStore,
  salesforce,
} from '@crm-connect/salesforce';
import {
  createSalesforceSandbox,
  type SalesforceSandbox,
  salesforceSandboxSettings,
} from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectorFor } from './connectors.js';
import { chatStarted } from './events.js';

/**
 * The real Salesforce plugin against the Salesforce sandbox while its token endpoint has a bad
 * moment (faults aimed at the `oauth.token` route): the 429 and the outage page are retryable
 * typed errors carrying the Retry-After, the linked admins stay active, nothing fails over, and
 * the same admin writes once the endpoint answers again.
 */

let sandbox: SalesforceSandbox;
let tokenStore: SalesforceTokenStore;
let plugin: SalesforcePlugin;
beforeEach(async () => {
  sandbox = createSalesforceSandbox({ autoApprove: true });
  await sandbox.start();
  tokenStore = createMemoryTokenStore();
  plugin = salesforce({ tokenStore });
});
afterEach(async () => {
  await sandbox.stop();
});

const redirectUri = 'http://127.0.0.1:9/settings/crm/salesforce/callback';
const context = (): PluginContext => ({
  redactor: createRedactor(),
  logger: silentLogger,
  audit: () => {},
  rateBudgets: createRateBudgetRegistry(),
  http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
});

/** Links a seeded admin through the real flow; `autoApprove` signs the login hint in at once. */
async function link(settings: SalesforceSettingsInput, email: string): Promise<SalesforceSettingsInput> {
  const started = plugin.admin.start(settings, { redirectUri, loginHint: email });
  const answer = await fetch(started.url, { redirect: 'manual' });
  const callback = new URL(answer.headers.get('location') ?? '').searchParams;
  const linked = await plugin.admin.complete(settings, {
    callback,
    state: started.state,
    codeVerifier: started.codeVerifier,
    redirectUri,
    context: context(),
  });
  return linked.settings;
}

async function twoAdmins() {
  const ada = await link(salesforceSandboxSettings(sandbox), 'ada.admin@acme.test');
  return { ...(await link(ada, 'integration@acme.test')), defaultUser: true };
}

const userId = (email: string) => {
  const user = sandbox.store.users.find((candidate) => candidate.Username === email);
  if (user === undefined) throw new Error(`no ${email}`);
  return user.Id;
};

async function statuses() {
  const orgId = sandbox.seed.credentials.orgId;
  return Promise.all(
    ['ada.admin@acme.test', 'integration@acme.test'].map(
      async (email) => (await tokenStore.get({ orgId, userId: userId(email) }))?.status,
    ),
  );
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isCrmConnectError(error)) throw new Error(`expected a crm-connect error, got ${String(error)}`);
  return error;
}

describe('salesforce sandbox: the token endpoint has a bad moment', () => {
  for (const fault of [
    { kind: 'server-error', retryAfterSeconds: 0.05, code: 'transport_failed' },
    { kind: 'server-error', status: 500, code: 'transport_failed' },
    { kind: 'rate-limit', retryAfterSeconds: 0.05, code: 'rate_limited' },
  ] as const) {
    it(`${fault.kind}${'status' in fault ? ` ${fault.status}` : ''} on oauth.token: retryable, no failover, then the same admin writes`, async () => {
      const settings = await twoAdmins();
      const connector = connectorFor(plugin, settings);
      const { code, ...injected } = fault;
      sandbox.faults.inject({ ...injected, route: 'oauth.token' });
      const error = await failure(connector.handle(chatStarted()));
      expect(error).toMatchObject({ code, retryable: true });
      if ('retryAfterSeconds' in fault) expect(error.retryAfterMs).toBe(50);
      expect(await statuses()).toEqual(['active', 'active']);
      expect(connector.audit.events().filter((event) => event.reason === 'connection-failover')).toEqual([]);

      await new Promise((resolve) => setTimeout(resolve, 60));
      const created = await connector.handle(chatStarted());
      expect(created).toMatchObject({ outcome: 'created', performer: { id: userId('ada.admin@acme.test') } });
      expect(await statuses()).toEqual(['active', 'active']);
      const refreshes = sandbox.log.entries().filter((entry) => entry.route === 'oauth.token');
      // Two code exchanges, the refused refresh, the refresh that worked: Ivy's token was never needed.
      expect(refreshes.map((entry) => entry.status)).toEqual([
        200,
        200,
        'status' in fault ? 500 : fault.kind === 'rate-limit' ? 429 : 503,
        200,
      ]);
    });
  }

  it('the link health check during the outage: unknown, never revoked; nothing marked inactive', async () => {
    const settings = await twoAdmins();
    sandbox.faults.inject({ kind: 'server-error', route: 'oauth.token', times: 2 });
    const health = await plugin.admin.check(settings, { context: context() });
    expect(health.map((link) => link.status)).toEqual(['unknown', 'unknown']);
    expect(health[0]?.detail).toContain('503');
    expect(await statuses()).toEqual(['active', 'active']);
  });

  it("a revoked admin's refusal still fails over to the next one", async () => {
    const settings = await twoAdmins();
    sandbox.revokeCredential('tokens:ada.admin@acme.test');
    const connector = connectorFor(plugin, settings);
    const created = await connector.handle(chatStarted());
    expect(created).toMatchObject({ outcome: 'created', performer: { id: userId('integration@acme.test') } });
    expect(await statuses()).toEqual(['inactive', 'active']);
  });
});
