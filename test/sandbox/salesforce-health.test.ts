import {
  createRateBudgetRegistry,
  createRedactor,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';
import {
  checkAdminLinks,
  createMemoryTokenStore,
  type SalesforcePlugin,
  type SalesforceSettingsInput,
  type SalesforceTokenStore,
  salesforce,
  salesforceSettingsSchema,
} from '@crm-connect/salesforce';
import {
  createSalesforceSandbox,
  type SalesforceSandbox,
  salesforceSandboxSettings,
} from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** The health check of linked admins against the sandbox: one admin per status, nothing written. */

let sandbox: SalesforceSandbox;
let tokenStore: SalesforceTokenStore;
let plugin: SalesforcePlugin;
const redirectUri = 'http://127.0.0.1:9/settings/crm/salesforce/callback';
const context = (): PluginContext => ({
  redactor: createRedactor(),
  logger: silentLogger,
  audit: () => {},
  rateBudgets: createRateBudgetRegistry(),
  http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
});
const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user?.email === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email };
};

/** Links `email` as an admin; the sandbox's auto-approve stands in for the admin at the browser. */
async function link(settings: SalesforceSettingsInput, email: string): Promise<SalesforceSettingsInput> {
  const { url, state, codeVerifier } = plugin.admin.start(settings, { redirectUri, loginHint: email });
  const answer = await fetch(url, { redirect: 'manual' });
  const callback = new URL(answer.headers.get('location') ?? redirectUri).searchParams;
  const linked = await plugin.admin.complete(settings, {
    callback,
    state,
    codeVerifier,
    redirectUri,
    context: context(),
  });
  return linked.settings;
}

beforeEach(async () => {
  sandbox = createSalesforceSandbox({ autoApprove: true });
  await sandbox.start();
  tokenStore = createMemoryTokenStore();
  plugin = salesforce({ tokenStore });
});
afterEach(async () => {
  await sandbox.stop();
});

describe('salesforce sandbox: the health of linked admins', () => {
  it('active, missing rights, revoked, deactivated, no token: each named, and nothing written or marked', async () => {
    const [ada, ivy, alex, olga] = ['admin', 'integrationUser', 'agent', 'otherAgent'].map(person);
    if (ada === undefined || ivy === undefined || alex === undefined || olga === undefined)
      throw new Error('seed');
    // Two Standard Users made admins with a permission set, so that they can be linked.
    const adminRights = { ModifyAllData: true, ViewAllUsers: true, TransferAnyCase: true };
    sandbox.store.users.update(alex.id, { permissionSets: adminRights });
    sandbox.store.users.update(olga.id, { permissionSets: adminRights });
    let settings: SalesforceSettingsInput = salesforceSandboxSettings(sandbox);
    for (const user of [ada, ivy, alex, olga]) settings = await link(settings, user.email);
    // Then: Ada loses Transfer Cases, Alex's grant is revoked, Olga is deactivated.
    sandbox.store.users.update(ada.id, { permissionSets: { TransferAnyCase: false } });
    sandbox.revokeCredential(`tokens:${alex.email}`);
    sandbox.deactivateUser(olga.email);
    // And one more link whose token the store lost.
    const ghost = {
      userId: person('deactivatedAgent').id,
      username: 'gus.gone@acme.test',
      orgId: String(settings.orgId),
      instanceUrl: sandbox.url,
      status: 'active' as const,
      linkedAt: '2026-11-20T09:30:00.000Z',
    };
    settings = {
      ...settings,
      adminConnections: [...(salesforceSettingsSchema.parse(settings).adminConnections ?? []), ghost],
    };
    sandbox.log.clear();
    const storedBefore = await Promise.all(
      [ada, ivy, alex, olga].map((user) =>
        tokenStore.get({ orgId: String(settings.orgId), userId: user.id }),
      ),
    );

    const health = await plugin.admin.check(settings, { context: context() });
    expect(health.map((link) => [link.username, link.status, link.missing])).toEqual([
      [ada.email, 'missing-rights', ['Transfer Cases']],
      [ivy.email, 'active', undefined],
      [alex.email, 'revoked', undefined],
      [olga.email, 'deactivated', undefined],
      ['gus.gone@acme.test', 'no-token', undefined],
    ]);
    expect(health[0]?.detail).toContain('Permission Sets');
    expect(health.every((link) => link.detail !== '')).toBe(true);

    // Nothing written: only token refreshes, identities and queries; nothing marked inactive.
    expect(
      sandbox.log
        .entries()
        .map((entry) => entry.route)
        .filter((route) => route !== 'oauth.token' && route !== 'identity' && route !== 'query'),
    ).toEqual([]);
    expect(sandbox.store.cases.count() + sandbox.store.contacts.count() + sandbox.store.tasks.count()).toBe(
      0,
    );
    expect(
      await Promise.all(
        [ada, ivy, alex, olga].map((user) =>
          tokenStore.get({ orgId: String(settings.orgId), userId: user.id }),
        ),
      ),
    ).toEqual(storedBefore);

    // The same through the exported function, as a platform's scheduled check calls it.
    const direct = await checkAdminLinks(salesforceSettingsSchema.parse(settings), context(), tokenStore);
    expect(direct.map((link) => link.status)).toEqual(health.map((link) => link.status));
  });
});
