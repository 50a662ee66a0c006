import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loopbackOrigin } from '../src/loopback.js';
import { commonSettingsShape, isOptionalText, optionalText } from '../src/settings/common-settings.js';
import { settingsJsonSchema } from '../src/settings/json-schema.js';
import { anyCase, loopbackUrlPattern, trimmedPattern } from '../src/settings/json-schema-patterns.js';
import { SECRET_MASK } from '../src/settings/settings-definition.js';
import { formValidator, zodAccepts } from './settings-agreement.js';

/**
 * A settings definition with what the four plugins have between them: two credential modes, an
 * address field shared by both, secrets, trimmed and untrimmed optional text, a field with a
 * default inside a group. The cross-plugin table is in the workspace's test/settings-json-schema.test.ts.
 */
const schema = z.object({
  ...commonSettingsShape,
  mode: z.enum(['key', 'login']).default('key').meta({ title: 'Mode', description: 'Key or login.' }),
  host: optionalText(
    z
      .string()
      .trim()
      .regex(/^[a-z]+\.example$/),
  ).meta({ title: 'Host', description: 'The host, such as acme.example.' }),
  region: z.string().trim().min(2).default('eu').meta({ title: 'Region', description: 'Two letters.' }),
  apiKey: optionalText(z.string().trim().min(12)).meta({ title: 'API key', description: 'Twelve or more.' }),
  user: optionalText(z.email()).meta({ title: 'User', description: 'An email address.' }),
  password: optionalText(z.string().min(8)).meta({ title: 'Password', description: 'Eight or more.' }),
  limit: z.number().int().min(1).default(10).meta({ title: 'Limit', description: 'Per minute.' }),
});
type Settings = z.output<typeof schema>;

const settings = {
  schema,
  secretFields: ['apiKey', 'password'] as const,
  credentialGroups: [
    {
      id: 'key',
      label: 'Host, region and API key',
      fields: ['host', 'region', 'apiKey'] as const,
      addressFields: ['host', 'region'] as const,
      appliesWhen: (value: Settings) => value.mode === 'key',
    },
    {
      id: 'login',
      label: 'Host, user and password',
      fields: ['host', 'user', 'password'] as const,
      addressFields: ['host'] as const,
      appliesWhen: (value: Settings) => value.mode === 'login',
    },
  ],
};
const offering = { settings, capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: true }) };
const notOffering = { settings, capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }) };

const json = settingsJsonSchema(notOffering);
const properties = json.properties as Record<string, Record<string, unknown>>;
const formAccepts = formValidator(json);
const savedSecrets = { apiKey: 'saved-key-0123456789', password: 'saved-password' };

const key = { host: 'acme.example', apiKey: 'key-0123456789' };
const login = { mode: 'login', host: 'acme.example', user: 'ada@acme.example', password: 'password-1' };

/** [what, settings, valid]: a form (ajv) and the server (zod and the group rule) must both say `valid`. */
const table: readonly [string, unknown, boolean][] = [
  ['nothing filled in', {}, true],
  ['every text field emptied', { host: '', apiKey: '', user: '', password: '', region: '' }, false],
  ['every optional text field emptied', { host: '', apiKey: '', user: '', password: '' }, true],
  ['white space only', { host: '  ', apiKey: ' \t ', user: ' ', password: '\n' }, true],
  ['key mode complete', key, true],
  ['key mode, the key masked', { ...key, apiKey: SECRET_MASK }, true],
  ['key mode, the key padded', { ...key, apiKey: '  key-0123456789  ' }, true],
  ['key mode, the host padded', { ...key, host: ' acme.example ' }, true],
  ['key mode, the key too short', { ...key, apiKey: 'key-1' }, false],
  ['key mode, the key only padded to length', { ...key, apiKey: '   key-1    ' }, false],
  ['key mode, the key emptied', { ...key, apiKey: '' }, false],
  ['key mode, the host emptied', { ...key, host: '   ' }, false],
  ['key mode, only the region (it has a default)', { region: 'us' }, true],
  ['key mode, a region too short', { ...key, region: 'u' }, false],
  ['login mode complete', login, true],
  ['login mode, the password masked', { ...login, password: SECRET_MASK }, true],
  ['login mode, the password emptied', { ...login, password: '' }, false],
  ['login mode, the user not an email', { ...login, user: 'ada' }, false],
  ['login mode, the user padded (not trimmed)', { ...login, user: ' ada@acme.example ' }, false],
  ['login mode, key fields half filled (not applicable)', { ...login, apiKey: 'key-0123456789' }, true],
  ['switched to login, only the key group filled', { ...key, mode: 'login' }, false],
  ['switched to login, the key group filled but no host', { apiKey: 'key-0123456789', mode: 'login' }, true],
  ['unknown mode', { ...key, mode: 'token' }, false],
  ['unknown field', { ...key, colour: 'blue' }, true],
  ['alwaysUseAdmin, not offered but a boolean', { ...key, alwaysUseAdmin: true }, true],
  ['alwaysUseAdmin, not a boolean', { ...key, alwaysUseAdmin: 'yes' }, false],
  ['a secret of the wrong type', { ...key, apiKey: 123456789012345 }, false],
  ['a limit as text', { limit: '10' }, false],
  ['a limit out of range', { limit: 0 }, false],
  ['null text', { host: null }, false],
  ['aliases', { agentEmailAliases: { 'Old@Acme.example': 'new@acme.example' } }, true],
  ['aliases keyed by a name', { agentEmailAliases: { ada: 'new@acme.example' } }, false],
  ['not an object', 'settings', false],
  ['null', null, false],
];

describe('settingsJsonSchema: a form can render it', () => {
  it('gives every field a title and a description, common fields included', () => {
    for (const [field, property] of Object.entries(properties)) {
      expect(property.title, field).toEqual(expect.any(String));
      expect(property.description, field).toEqual(expect.any(String));
    }
    expect(properties.defaultUser).toMatchObject({ title: 'Use the default user', type: 'boolean' });
  });

  it('marks secrets write-only passwords that take the mask and blank text', () => {
    for (const field of ['apiKey', 'password']) {
      const property = properties[field] ?? {};
      expect(property).toMatchObject({ type: 'string', writeOnly: true, format: 'password' });
      const fieldAccepts = formValidator(property);
      for (const value of [SECRET_MASK, '', '   ']) expect(fieldAccepts(value), value).toBe(true);
      expect(fieldAccepts('short')).toBe(false);
    }
  });

  it('keeps each field one plain field: constraints apply only to a value that is set', () => {
    expect(properties.host).toMatchObject({ type: 'string', if: { pattern: '\\S' } });
    expect(properties.host).not.toHaveProperty('anyOf');
    expect(properties.apiKey?.if).toEqual({ pattern: '\\S', not: { const: SECRET_MASK } });
  });

  it('leaves alwaysUseAdmin out for a plugin that never offers it, keeps it otherwise', () => {
    expect(properties).not.toHaveProperty('alwaysUseAdmin');
    expect(settingsJsonSchema(offering).properties).toHaveProperty('alwaysUseAdmin');
    // A bare definition says nothing about capabilities: the field stays.
    expect(settingsJsonSchema(settings).properties).toHaveProperty('alwaysUseAdmin');
  });

  it('writes each credential group under the mode it applies in', () => {
    const rules = json.allOf as Record<string, unknown>[];
    expect(rules[0]).toMatchObject({ if: { properties: { mode: { enum: ['key'] } } } });
    expect(rules[0]).not.toHaveProperty('if.required');
    // Login is not the default: left out, the mode is "key".
    expect(rules[1]).toMatchObject({ if: { properties: { mode: { enum: ['login'] } }, required: ['mode'] } });
    const keyRule = rules[0]?.then as Record<string, unknown>;
    expect(keyRule.then).toMatchObject({ required: ['host', 'apiKey'] });
  });

  it('does not forbid unknown fields, which zod accepts and drops', () => {
    expect(json).not.toHaveProperty('additionalProperties');
  });
});

describe('settingsJsonSchema: ajv and zod agree', () => {
  it.each(table)('%s', (_, value, valid) => {
    expect(zodAccepts(settings, value, savedSecrets), 'zod').toBe(valid);
    expect(formAccepts(value), 'ajv').toBe(valid);
  });
});

describe('optionalText marker', () => {
  it('survives .meta() and .describe(), which copy the schema', () => {
    const field = optionalText(z.string());
    expect(isOptionalText(field)).toBe(true);
    expect(isOptionalText(field.meta({ title: 'Field' }).describe('A field'))).toBe(true);
    expect(isOptionalText(z.string().optional())).toBe(false);
  });
});

describe('pattern building blocks', () => {
  const matches = (pattern: string, value: string) => new RegExp(pattern, 'u').test(value);

  it('anyCase matches the text in any case and nothing else', () => {
    expect(matches(`^${anyCase('a.zendesk.com/x')}$`, 'A.ZenDesk.COM/x')).toBe(true);
    expect(matches(`^${anyCase('a.zendesk.com')}$`, 'a-zendesk.com')).toBe(false);
  });

  it('trimmedPattern allows the surrounding white space zod trims', () => {
    expect(matches(trimmedPattern('a|b'), '  b\t')).toBe(true);
    expect(matches(trimmedPattern('a|b'), 'ab')).toBe(false);
  });

  it.each([
    'http://127.0.0.1:4010',
    'http://127.0.0.1:4010/',
    'HTTP://LOCALHOST:4010/api',
    'http://[::1]:4010',
    'https://127.0.0.1:4011',
    'http://localhost',
    'http://user:password@127.0.0.1:4010',
    '127.0.0.1:4010',
    'http://127.0.0.1:99999',
    'http://example.com',
    'http://localhost.example:4010',
  ])('loopbackUrlPattern agrees with loopbackOrigin on %j', (url) => {
    expect(matches(`^${loopbackUrlPattern()}$`, url)).toBe(loopbackOrigin(url) !== undefined);
    expect(matches(`^${loopbackUrlPattern({ httpsOnly: true })}$`, url)).toBe(
      loopbackOrigin(url)?.startsWith('https://') === true,
    );
  });
});
