import {
  applySettingsRules,
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
  saveSettings,
  silentLogger,
} from '@crm-connect/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkLoginUrl, salesforceSettingsSchema } from '../src/index.js';
import { adminConnection, clientSecret, plugin, settings, users } from './salesforce-fixture.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  // Clean up first, so one failing test does not leave interceptors to the next.
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending, 'interceptors never called').toEqual([]);
});

describe('salesforce login URL', () => {
  it.each([
    ['https://acme.my.salesforce.com', 'https://acme.my.salesforce.com'],
    ['https://acme.my.salesforce.com/', 'https://acme.my.salesforce.com'],
    ['https://ACME.my.salesforce.com', 'https://acme.my.salesforce.com'],
    ['https://acme--uat.sandbox.my.salesforce.com', 'https://acme--uat.sandbox.my.salesforce.com'],
    ['https://acme-dev-ed.develop.my.salesforce.com', 'https://acme-dev-ed.develop.my.salesforce.com'],
    ['https://agency.my.salesforce.mil', 'https://agency.my.salesforce.mil'],
  ])('accepts the My Domain URL %s', (input, stored) => {
    expect(checkLoginUrl(input)).toEqual({ ok: true, url: stored });
  });

  it.each([
    ['https://acme.lightning.force.com', 'https://acme.my.salesforce.com'],
    ['https://acme.lightning.force.com/lightning/page/home', 'https://acme.my.salesforce.com'],
    ['https://acme--uat.sandbox.lightning.force.com', 'https://acme--uat.sandbox.my.salesforce.com'],
    ['https://acme-dev-ed.develop.lightning.force.com', 'https://acme-dev-ed.develop.my.salesforce.com'],
    ['https://agency.lightning.crmforce.mil', 'https://agency.my.salesforce.mil'],
  ])('refuses the Lightning URL %s and names the exact My Domain URL %s', (input, myDomain) => {
    const result = checkLoginUrl(input);
    expect(result).toMatchObject({ ok: false, corrected: myDomain });
    expect(result.ok === false && result.message).toContain('Lightning domain');
    expect(result.ok === false && result.message).toContain(`enter ${myDomain} instead`);
  });

  it('refuses the Setup domain copied from the browser, with the My Domain URL', () => {
    const result = checkLoginUrl('https://acme.my.salesforce-setup.com/lightning/setup/SetupOneHome/home');
    expect(result).toMatchObject({ ok: false, corrected: 'https://acme.my.salesforce.com' });
  });

  it.each([
    ['http://acme.my.salesforce.com', 'must use https, not http'],
    [
      'https://acme.my.salesforce.com/services/oauth2/authorize',
      'must not have a path (/services/oauth2/authorize)',
    ],
    ['https://acme.my.salesforce.com?startURL=%2Fhome', 'must not have a query string'],
    ['https://acme.my.salesforce.com:8443', 'must not name a port'],
    ['acme.my.salesforce.com', 'must start with https://'],
  ])('refuses %s: "%s", with the URL to enter', (input, problem) => {
    const result = checkLoginUrl(input);
    expect(result).toMatchObject({ ok: false, corrected: 'https://acme.my.salesforce.com' });
    expect(result.ok === false && result.message).toContain(problem);
    expect(result.ok === false && result.message).toContain('enter https://acme.my.salesforce.com instead');
  });

  it.each([
    ['https://login.salesforce.com', 'generic production login page'],
    ['https://test.salesforce.com/', 'generic sandbox login page'],
  ])('refuses the generic login host %s (%s), asking for the My Domain URL', (input, what) => {
    const result = checkLoginUrl(input);
    expect(result).toMatchObject({ ok: false });
    expect(result.ok === false && result.message).toContain(what);
    expect(result.ok === false && result.message).toContain('Setup › My Domain');
  });

  it('refuses other hosts and non-URLs', () => {
    expect(checkLoginUrl('https://acme.example.com')).toMatchObject({ ok: false });
    expect(checkLoginUrl('https://na44.salesforce.com')).toMatchObject({ ok: false });
    expect(checkLoginUrl('not a url')).toMatchObject({ ok: false });
  });
});

describe('salesforce: a local sandbox on a loopback address', () => {
  it.each([
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
    ['http://127.0.0.1:4010/', 'http://127.0.0.1:4010'],
    ['https://LOCALHOST:4010', 'https://localhost:4010'],
    ['http://[::1]:4010', 'http://[::1]:4010'],
  ])('accepts the login URL %s, stored as its origin %s', (input, stored) => {
    expect(checkLoginUrl(input)).toEqual({ ok: true, url: stored });
    expect(salesforceSettingsSchema.parse({ ...settings, loginUrl: input }).loginUrl).toBe(stored);
  });

  it.each(['127.0.0.1:4010', 'http://10.0.0.8:4010', 'http://user:pass@127.0.0.1:4010'])(
    'refuses %s: not a loopback URL with its scheme written out',
    (input) => {
      expect(checkLoginUrl(input)).toMatchObject({ ok: false });
    },
  );

  it('an admin connection may name a loopback instance URL; plain http elsewhere is refused', () => {
    const local = { ...adminConnection(users.admin), instanceUrl: 'http://127.0.0.1:4010' };
    expect(
      salesforceSettingsSchema.parse({ ...settings, adminConnections: [local] }).adminConnections?.[0]
        ?.instanceUrl,
    ).toBe('http://127.0.0.1:4010');
    const plain = { ...adminConnection(users.admin), instanceUrl: 'http://acme.my.salesforce.com' };
    expect(salesforceSettingsSchema.safeParse({ ...settings, adminConnections: [plain] }).success).toBe(
      false,
    );
  });
});

describe('salesforce settings schema', () => {
  it('stores an 18-character org ID as 15 characters and fills the defaults', () => {
    const parsed = salesforceSettingsSchema.parse({ ...settings, orgId: '00Dxx0000001gPLEAY' });
    expect(parsed).toMatchObject({
      orgId: '00Dxx0000001gPL',
      loginUrl: 'https://acme.my.salesforce.com',
      apiVersion: '62.0',
      caseExternalIdField: 'CrmConnect_Interaction_Id__c',
      contactExternalIdField: 'CrmConnect_Contact_Key__c',
      caseOrigins: { chat: 'Web', voice: 'Phone', email: 'Email' },
    });
  });

  it('a refused org ID and login URL name the value to enter', () => {
    const result = salesforceSettingsSchema.safeParse({
      ...settings,
      orgId: '00dxx0000001gpleay',
      loginUrl: 'https://acme.lightning.force.com',
    });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];
    expect(messages.join('\n')).toContain('orgId: "00dxx0000001gpleay" does not match its own case checksum');
    expect(messages.join('\n')).toContain('The org ID is 00Dxx0000001gPL');
    expect(messages.join('\n')).toContain(
      'loginUrl: This is the Lightning domain (acme.lightning.force.com), not the My Domain login URL',
    );
    expect(messages.join('\n')).toContain('enter https://acme.my.salesforce.com instead');
  });

  it('refuses the same Salesforce user linked twice', () => {
    const result = salesforceSettingsSchema.safeParse({
      ...settings,
      adminConnections: [adminConnection(users.admin), adminConnection(users.admin)],
    });
    expect(result.error?.issues[0]?.message).toContain('different user');
  });

  it('an empty connection list means no admin is linked', () => {
    expect(
      salesforceSettingsSchema.parse({ ...settings, adminConnections: [] }).adminConnections,
    ).toBeUndefined();
  });
});

describe('salesforce save rules: the default-user checkbox follows the linked admins', () => {
  const noAdmin = { ...settings, adminConnections: undefined };

  it('first save before any admin is linked: everything is saved, no live check, checkbox disabled', async () => {
    const result = await saveSettings(plugin, {
      previous: undefined,
      submitted: { ...noAdmin, orgId: '00Dxx0000001gPLEAY', defaultUser: true, abandonedCallTickets: true },
      validate: () => Promise.reject(new Error('no live check without a linked admin')),
    });
    expect(result.credentials).toBe('missing');
    expect(result.settings).toMatchObject({
      orgId: '00Dxx0000001gPL',
      loginUrl: 'https://acme.my.salesforce.com',
      clientSecret,
      abandonedCallTickets: true,
      defaultUser: false,
    });
    expect(result.form.checkboxes.defaultUser).toMatchObject({ enabled: false, checked: false });
    expect(result.form.checkboxes.defaultUser.reason).toContain('linked Salesforce admin');
    expect(result.form.checkboxes.alwaysUseAdmin).toMatchObject({ enabled: false, checked: false });
  });

  it('a bad org ID keeps the previous one and says what to enter', async () => {
    const previous = salesforceSettingsSchema.parse(noAdmin);
    const result = await saveSettings(plugin, {
      previous,
      submitted: { ...noAdmin, orgId: '00Dxx0000001gPLEAA' },
      validate: () => Promise.reject(new Error('not called')),
    });
    expect(result.settings.orgId).toBe('00Dxx0000001gPL');
    expect(result.form.errors.map((error) => error.path)).toEqual(['orgId']);
    expect(result.form.errors[0]?.message).toContain('not the case checksum');
  });

  it('linked → enabled; checked then the last admin unlinked → unchecked and disabled', () => {
    const linked = salesforceSettingsSchema.parse({ ...settings, defaultUser: true, alwaysUseAdmin: true });
    const withAdmin = applySettingsRules(plugin, linked);
    expect(withAdmin.form.checkboxes.defaultUser).toMatchObject({ enabled: true, checked: true });
    expect(withAdmin.form.checkboxes.alwaysUseAdmin).toMatchObject({ enabled: true, checked: true });

    const unlinked = applySettingsRules(plugin, { ...withAdmin.settings, adminConnections: undefined });
    expect(unlinked.settings).toMatchObject({ defaultUser: false, alwaysUseAdmin: false });
    expect(unlinked.form.checkboxes.defaultUser).toMatchObject({ enabled: false, checked: false });

    const relinked = applySettingsRules(plugin, {
      ...unlinked.settings,
      adminConnections: linked.adminConnections,
    });
    expect(relinked.form.checkboxes.defaultUser).toMatchObject({ enabled: true, checked: false });
  });

  it('only inactive admins left: disabled, with the reason', () => {
    const inactive = salesforceSettingsSchema.parse({
      ...settings,
      defaultUser: true,
      adminConnections: [adminConnection(users.admin, 'inactive')],
    });
    const { form, settings: saved } = applySettingsRules(plugin, inactive);
    expect(saved.defaultUser).toBe(false);
    expect(form.checkboxes.defaultUser).toMatchObject({ enabled: false, checked: false });
    expect(form.checkboxes.defaultUser.reason).toContain('No active Salesforce admin is linked');
  });

  it('a connection attempt without settings is a typed configuration error', async () => {
    const error = await plugin
      .validateCredentials(salesforceSettingsSchema.parse({ adminConnections: settings.adminConnections }), {
        redactor: createRedactor(),
        logger: silentLogger,
        audit: () => {},
        rateBudgets: createRateBudgetRegistry(),
        http: {},
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('configuration_invalid');
    expect(String((error as Error).message)).toContain('the org ID, the My Domain login URL');
  });
});

describe('salesforce secrets too short to be real', () => {
  it.each(['abc', 'secret12', '123456789012345'])('refuses the Consumer Secret %j', (secret) => {
    const parsed = salesforceSettingsSchema.safeParse({ clientSecret: secret });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('Consumer Secret');
  });
});
