import {
  applySettingsRules,
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
  saveSettings,
  settingsJsonSchema,
  silentLogger,
} from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { dynamics, dynamicsSettingsSchema, normaliseOrganizationUrl } from '../src/index.js';
import { clientId, clientSecret, organizationUrl, tenantId } from './dynamics-fixture.js';

const valid = { organizationUrl, tenantId, clientId, clientSecret };
const parse = (overrides: Record<string, unknown>) =>
  dynamicsSettingsSchema.safeParse({ ...valid, ...overrides });
const messageOf = (overrides: Record<string, unknown>) => {
  const result = parse(overrides);
  return result.success ? undefined : result.error.issues.map((issue) => issue.message).join('; ');
};

describe('dynamics: organization URL', () => {
  it.each([
    ['contoso.crm4.dynamics.com', 'https://contoso.crm4.dynamics.com'],
    ['https://contoso.crm.dynamics.com/', 'https://contoso.crm.dynamics.com'],
    [
      '  https://Contoso.CRM4.dynamics.com/main.aspx?appid=1a2b&pagetype=dashboard  ',
      'https://contoso.crm4.dynamics.com',
    ],
    ['https://contoso.api.crm4.dynamics.com/api/data/v9.2/', 'https://contoso.crm4.dynamics.com'],
    ['https://contoso-dev.crm19.dynamics.com', 'https://contoso-dev.crm19.dynamics.com'],
    ['https://contoso.crm.microsoftdynamics.us', 'https://contoso.crm.microsoftdynamics.us'],
    ['https://contoso.crm.dynamics.cn', 'https://contoso.crm.dynamics.cn'],
  ])('%s is normalised to %s', (input, expected) => {
    expect(normaliseOrganizationUrl(input)).toBe(expected);
    expect(parse({ organizationUrl: input }).data?.organizationUrl).toBe(expected);
  });

  it.each([
    'http://contoso.crm4.dynamics.com',
    'https://contoso.crm4.dynamics.com:8443',
    'https://contoso.sharepoint.com',
    'https://dynamics.com',
    'https://contoso.crm4.dynamics.com.evil.test',
    'not a url',
  ])('%s is refused with where to find the right value', (input) => {
    expect(normaliseOrganizationUrl(input)).toBeUndefined();
    expect(messageOf({ organizationUrl: input })).toContain('Environment URL');
  });
});

describe('dynamics: a local sandbox on a loopback address', () => {
  it.each([
    ['https://127.0.0.1:4010', 'https://127.0.0.1:4010'],
    ['https://127.0.0.1:4010/api/data/v9.2/', 'https://127.0.0.1:4010'],
    ['https://LOCALHOST:4010/', 'https://localhost:4010'],
    ['https://[::1]:4010', 'https://[::1]:4010'],
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
  ])('the organization URL %s is kept as its origin %s', (input, expected) => {
    expect(normaliseOrganizationUrl(input)).toBe(expected);
    expect(parse({ organizationUrl: input }).data?.organizationUrl).toBe(expected);
  });

  it.each([
    '127.0.0.1:4010',
    'https://10.0.0.8:4010',
    'https://127.0.0.2:4010',
    'https://user:pass@127.0.0.1:4010',
  ])('%s is not a loopback sandbox: refused', (input) => {
    expect(normaliseOrganizationUrl(input)).toBeUndefined();
    expect(messageOf({ organizationUrl: input })).toContain('loopback address');
  });

  it('the authority host accepts a loopback sandbox over https only, since msal-node accepts no other', () => {
    expect(parse({ authorityHost: 'https://127.0.0.1:4010/' }).data?.authorityHost).toBe(
      'https://127.0.0.1:4010',
    );
    expect(parse({ authorityHost: 'https://[::1]:4010' }).data?.authorityHost).toBe('https://[::1]:4010');
    expect(messageOf({ authorityHost: 'http://127.0.0.1:4010' })).toContain('msal-node accepts only https');
    expect(messageOf({ authorityHost: 'not a url' })).toContain('https://');
  });

  it.each([
    ['https://login.microsoftonline.com', 'public cloud'],
    ['https://login.microsoftonline.us/', 'US Government'],
    ['https://login.chinacloudapi.cn', 'China (21Vianet)'],
    ['https://login.partner.microsoftonline.cn', 'China (21Vianet), its other name'],
  ])('accepts Microsoft’s own authority host %s (%s)', (host) => {
    expect(parse({ authorityHost: host }).data?.authorityHost).toBe(host.replace(/\/$/, ''));
  });

  it.each([
    'https://login.attacker.test',
    'https://login.microsoftonline.com.attacker.test',
    'https://evil.login.microsoftonline.com',
    'https://login.microsoftonline.com:8443',
  ])('refuses any other authority host (%s): the client secret would be sent there', (host) => {
    expect(messageOf({ authorityHost: host })).toContain('login.microsoftonline.us');
  });
});

describe('dynamics: application credentials', () => {
  it.each(['common', 'organizations', 'Consumers'])(
    'refuses the shared authority %s as the tenant',
    (tenant) => {
      expect(messageOf({ tenantId: tenant })).toContain("not 'common'");
    },
  );

  it('accepts a tenant GUID or verified domain, lowercased', () => {
    expect(parse({ tenantId: tenantId.toUpperCase() }).data?.tenantId).toBe(tenantId);
    expect(parse({ tenantId: 'Contoso.onmicrosoft.com' }).data?.tenantId).toBe('contoso.onmicrosoft.com');
    expect(messageOf({ tenantId: 'contoso' })).toContain('Directory (tenant) ID');
  });

  it('the application id must be a GUID', () => {
    expect(messageOf({ clientId: 'crm-connect' })).toContain('Application (client) ID');
  });

  it("a secret's ID pasted instead of its Value is caught before any request", () => {
    expect(messageOf({ clientSecret: '0f4e9a2b-7c1d-4e8f-9a3b-5c7d9e1f2a4b' })).toContain('Secret ID');
    expect(messageOf({ clientSecret: 'short' })).toContain('Value of a client secret');
  });

  it('empty credentials mean "not set"; the authority host defaults to Microsoft Entra ID', () => {
    const settings = dynamicsSettingsSchema.parse({
      organizationUrl: '',
      tenantId: ' ',
      clientId: '',
      clientSecret: '',
    });
    expect(settings).toMatchObject({
      organizationUrl: undefined,
      tenantId: undefined,
      clientId: undefined,
      clientSecret: undefined,
      authorityHost: 'https://login.microsoftonline.com',
      impersonateAgents: false,
      defaultUser: false,
    });
    expect(parse({ authorityHost: 'https://login.microsoftonline.us/' }).data?.authorityHost).toBe(
      'https://login.microsoftonline.us',
    );
    expect(messageOf({ authorityHost: 'http://localhost:8080' })).toContain('https://');
  });

  it('the form shows the secret as a password and the default-user label of the specification', () => {
    const schema = settingsJsonSchema(dynamics().settings) as {
      properties: Record<string, { writeOnly?: boolean; format?: string; description?: string }>;
    };
    expect(schema.properties.clientSecret).toMatchObject({ writeOnly: true, format: 'password' });
    expect(schema.properties.defaultUser?.description).toContain(
      'Use the default user for all record creation/modification',
    );
  });
});

describe('dynamics: capabilities and save rules', () => {
  it('requires an owner on every case; impersonation decides who performs', () => {
    const off = dynamicsSettingsSchema.parse(valid);
    const on = dynamicsSettingsSchema.parse({ ...valid, impersonateAgents: true });
    expect(dynamics().capabilities(off)).toEqual({
      performsAsAgent: false,
      alwaysUseAdmin: false,
    });
    expect(dynamics().capabilities(on).performsAsAgent).toBe(true);
  });

  it('an empty application key disables the default user without asking anyone', async () => {
    let asked = false;
    const result = await saveSettings(dynamics(), {
      previous: dynamicsSettingsSchema.parse({ ...valid, defaultUser: true }),
      submitted: { ...valid, clientSecret: '', defaultUser: true },
      validate: async () => {
        asked = true;
        throw new Error('not expected');
      },
    });
    expect(asked).toBe(false);
    expect(result.credentials).toBe('missing');
    expect(result.form.checkboxes.defaultUser).toMatchObject({ enabled: false, checked: false });
    expect(result.form.checkboxes.defaultUser.reason).toContain('application key');
    expect(result.form.checkboxes.alwaysUseAdmin).toBeUndefined();
  });

  it('a malformed field keeps its previous value and names the field', async () => {
    const previous = dynamicsSettingsSchema.parse(valid);
    const result = await saveSettings(dynamics(), {
      previous,
      submitted: { ...valid, organizationUrl: 'https://contoso.sharepoint.com' },
      validate: async () => ({ connectionUser: { id: 'x', active: true }, warnings: [] }),
    });
    expect(result.settings.organizationUrl).toBe(organizationUrl);
    expect(result.form.errors[0]?.path).toBe('organizationUrl');
  });

  it('settings saved without a key show the default user disabled', () => {
    const { form } = applySettingsRules(
      dynamics(),
      dynamicsSettingsSchema.parse({ ...valid, clientSecret: undefined, defaultUser: true }),
    );
    expect(form.checkboxes.defaultUser).toMatchObject({ enabled: false, checked: false });
  });

  it('connecting without credentials is a configuration error naming what is missing', () => {
    const context = {
      redactor: createRedactor(),
      logger: silentLogger,
      audit: () => {},
      rateBudgets: createRateBudgetRegistry(),
      http: {},
    };
    const error = (() => {
      try {
        dynamics().connect(dynamicsSettingsSchema.parse({ organizationUrl }), context);
      } catch (caught) {
        return caught;
      }
    })();
    expect(isCrmConnectError(error) && error.code).toBe('configuration_invalid');
    expect(String((error as Error).message)).toContain('tenantId, clientId, clientSecret missing');
  });
});
