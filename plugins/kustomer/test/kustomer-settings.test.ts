import {
  applySettingsRules,
  createConnector,
  isCrmConnectError,
  settingsJsonSchema,
} from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { defaultRateLimitPerMinute, kustomerSettingsSchema, parseKustomerHost } from '../src/index.js';
import { apiKey, plugin } from './kustomer-fixture.js';

describe('kustomer: the API base URL', () => {
  it.each([
    ['https://acme.api.kustomerapp.com', 'https://acme.api.kustomerapp.com'],
    ['acme.api.kustomerapp.com', 'https://acme.api.kustomerapp.com'],
    ['  HTTPS://Acme.API.KustomerApp.com/v1/  ', 'https://acme.api.kustomerapp.com'],
    // The agent web app URL an admin copies from the browser.
    ['https://acme.kustomerapp.com/app/customers', 'https://acme.api.kustomerapp.com'],
    ['acme', 'https://acme.api.kustomerapp.com'],
    ['https://api.kustomerapp.com', 'https://api.kustomerapp.com'],
    ['https://api.prod2.kustomerapp.com/v1', 'https://api.prod2.kustomerapp.com'],
    ['api.prod4.kustomerapp.com', 'https://api.prod4.kustomerapp.com'],
  ])('%s is normalised to %s', (input, origin) => {
    expect(kustomerSettingsSchema.shape.apiBaseUrl.parse(input)).toBe(origin);
  });

  it.each([
    'http://acme.api.kustomerapp.com',
    'https://acme.api.kustomerapp.com:8443',
    'https://user:secret@acme.api.kustomerapp.com',
    'https://acme.api.kustomerapp.com.evil.test',
    'https://kustomerapp.com',
    'https://www.kustomerapp.com',
    'https://acme.zendesk.com',
    'api',
    'not a url',
    // Plain http only reaches a local sandbox on a loopback host: never another machine.
    'http://192.168.1.20:4010',
    'http://127.0.0.1.nip.io:4010',
    'http://localhost.example.com:4010',
    'http://admin:secret@127.0.0.1:4010',
    'ftp://127.0.0.1:4010',
    // Without its scheme, a loopback address is not taken for a sandbox.
    '127.0.0.1:4010',
  ])('%s is refused with a message naming every accepted form', (input) => {
    const result = kustomerSettingsSchema.shape.apiBaseUrl.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('https://{org}.api.kustomerapp.com');
    expect(result.error?.issues[0]?.message).toContain('https://api.prod2.kustomerapp.com');
    expect(result.error?.issues[0]?.message).toContain('http://127.0.0.1:4010');
  });

  it.each([
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
    [' HTTP://127.0.0.1:4010/v1/ ', 'http://127.0.0.1:4010'],
    ['http://localhost:4010', 'http://localhost:4010'],
    ['http://[::1]:4010', 'http://[::1]:4010'],
    ['https://127.0.0.1:4443', 'https://127.0.0.1:4443'],
  ])('the local sandbox URL %s is accepted as %s', (input, origin) => {
    expect(kustomerSettingsSchema.shape.apiBaseUrl.parse(input)).toBe(origin);
    expect(parseKustomerHost(input)).toEqual({ kind: 'sandbox', origin });
  });

  it('tells an organization host from a regional one', () => {
    expect(parseKustomerHost('acme.api.kustomerapp.com')).toEqual({
      kind: 'organization',
      origin: 'https://acme.api.kustomerapp.com',
      org: 'acme',
    });
    expect(parseKustomerHost('api.prod2.kustomerapp.com')).toEqual({
      kind: 'regional',
      origin: 'https://api.prod2.kustomerapp.com',
      pod: 'prod2',
    });
  });
});

describe('kustomer: settings', () => {
  it('empty fields mean "not set"; the rate limit defaults to the lowest plan', () => {
    const settings = kustomerSettingsSchema.parse({ apiBaseUrl: ' ', apiKey: '' });
    expect(settings).toMatchObject({
      apiBaseUrl: undefined,
      apiKey: undefined,
      rateLimitPerMinute: defaultRateLimitPerMinute,
      defaultUser: false,
    });
    expect(defaultRateLimitPerMinute).toBe(300);
  });

  it('refuses a truncated key, a key with spaces and an impossible rate limit', () => {
    const issues = (input: Record<string, unknown>) =>
      kustomerSettingsSchema
        .safeParse({ apiBaseUrl: 'acme', apiKey, ...input })
        .error?.issues.map((issue) => issue.path[0]);
    expect(issues({ apiKey: 'eyJhbGci' })).toEqual(['apiKey']);
    expect(issues({ apiKey: `${apiKey.slice(0, 30)} ${apiKey.slice(30)}` })).toEqual(['apiKey']);
    expect(issues({ rateLimitPerMinute: 0 })).toEqual(['rateLimitPerMinute']);
    expect(issues({ rateLimitPerMinute: 2.5 })).toEqual(['rateLimitPerMinute']);
    expect(issues({ rateLimitPerMinute: 2000 })).toBeUndefined();
  });

  it('exports a form: the key write-only, the default-user checkbox described as in the seed', () => {
    const schema = settingsJsonSchema(plugin.settings) as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema.properties.apiKey).toMatchObject({ writeOnly: true, format: 'password' });
    expect(String(schema.properties.defaultUser?.description)).toContain(
      'cannot be attributed to a specific agent',
    );
    expect(schema.properties.rateLimitPerMinute).toMatchObject({ default: 300 });
  });

  it('without a key the default user is disabled, and "always use the admin user" is not offered', () => {
    const saved = kustomerSettingsSchema.parse({
      apiBaseUrl: 'acme',
      defaultUser: true,
      alwaysUseAdmin: true,
    });
    const { settings, form } = applySettingsRules(plugin, saved);
    expect(form.checkboxes.defaultUser).toMatchObject({ enabled: false, checked: false });
    expect(form.checkboxes.defaultUser.reason).toContain('API key');
    expect(form.checkboxes.alwaysUseAdmin).toBeUndefined();
    expect(settings.defaultUser).toBe(false);
  });

  it('a connector cannot be created without credentials: a configuration error naming the field', () => {
    const error = (() => {
      try {
        createConnector({ plugin, settings: { apiBaseUrl: 'acme' } });
      } catch (caught) {
        return caught;
      }
    })();
    expect(isCrmConnectError(error) && error.code).toBe('configuration_invalid');
    expect(String((error as Error).message)).toContain('apiKey');
  });

  it('declares that the key user performs every write', () => {
    expect(plugin.capabilities(kustomerSettingsSchema.parse({}))).toEqual({
      performsAsAgent: false,
      alwaysUseAdmin: false,
    });
  });
});
