import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonSettingsShape, optionalText } from '../src/settings/common-settings.js';
import { saveSettings } from '../src/settings/save-rules.js';
import { SECRET_MASK } from '../src/settings/settings-definition.js';

/**
 * Each field is parsed on its own: a malformed one keeps its previous value (or its default on a
 * first save) and is reported by name; the mask stands for a saved secret, in secret fields only.
 */

const schema = z.object({
  ...commonSettingsShape,
  region: z.enum(['us', 'eu']).default('us'),
  displayName: z.string().default(''),
  email: optionalText(z.email()),
  token: optionalText(z.string().min(8)),
});

const plugin = {
  settings: {
    schema,
    secretFields: ['token'] as const,
    credentialGroups: [
      { id: 'credentials', label: 'Email and token', fields: ['email', 'token'] as const, addressFields: [] },
    ],
  },
  capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
};
const accept = async () => ({ connectionUser: { id: 'admin-1', active: true }, warnings: [] });

const previous = schema.parse({
  region: 'eu',
  displayName: 'Acme support',
  email: 'admin@acme.test',
  token: 'saved-token-123',
  agentEmailAliases: { 'chat@acme.test': 'crm@acme.test' },
});

describe('save rules: field by field', () => {
  it.each([
    ['null', null],
    ['a list', ['region', 'us']],
    ['text', 'nonsense'],
  ])('a submission that is %s is reported at the root and changes nothing', async (_case, submitted) => {
    const result = await saveSettings(plugin, { previous, submitted, validate: accept });
    expect(result.form.errors).toEqual([
      { path: '(root)', message: 'The submitted settings must be an object of field values.' },
    ]);
    expect(result.settings).toEqual({ ...previous, defaultUser: false, alwaysUseAdmin: false });
  });

  it('a field left out keeps its saved value', async () => {
    const { region: _left, ...rest } = previous;
    const result = await saveSettings(plugin, { previous, submitted: rest, validate: accept });
    expect(result.settings.region).toBe('eu');
    expect(result.form.errors).toEqual([]);
  });

  it('a malformed field keeps its saved value, and the message names it once', async () => {
    const result = await saveSettings(plugin, {
      previous,
      submitted: { ...previous, region: 'mars', displayName: 'Acme' },
      validate: accept,
    });
    expect(result.settings).toMatchObject({ region: 'eu', displayName: 'Acme' });
    expect(result.form.errors).toEqual([
      {
        path: 'region',
        message: 'region: Invalid option: expected one of "us"|"eu" The previous value was kept.',
      },
    ]);
  });

  it('a malformed field on a first save gets its default', async () => {
    const result = await saveSettings(plugin, {
      previous: undefined,
      submitted: { region: 'mars' },
      validate: accept,
    });
    expect(result.settings.region).toBe('us');
    expect(result.form.errors.map((error) => error.path)).toEqual(['region']);
  });

  it.each([
    ['ann', 'agentEmailAliases.ann: Invalid key in record The previous value was kept.'],
    [
      'mailto:ann@acme.test',
      'agentEmailAliases.mailto:ann@acme.test: Invalid key in record The previous value was kept.',
    ],
  ])('a bad entry inside a field (alias key %s) is reported at its own path, once', async (key, message) => {
    const result = await saveSettings(plugin, {
      previous,
      submitted: { ...previous, agentEmailAliases: { [key]: 'crm@acme.test' } },
      validate: accept,
    });
    expect(result.settings.agentEmailAliases).toEqual({ 'chat@acme.test': 'crm@acme.test' });
    expect(result.form.errors).toEqual([{ path: `agentEmailAliases.${key}`, message }]);
  });
});

describe('save rules: the mask', () => {
  it('the mask on a first save stands for nothing: the secret is missing', async () => {
    const result = await saveSettings(plugin, {
      previous: undefined,
      submitted: { email: 'admin@acme.test', token: SECRET_MASK },
      validate: accept,
    });
    expect(result.credentials).toBe('missing');
    expect(result.settings.token).toBeUndefined();
    expect(result.form.values.token).toBe('');
  });

  it('the mask in a field that is not secret is ordinary text, saved as typed', async () => {
    const result = await saveSettings(plugin, {
      previous,
      submitted: { ...previous, token: SECRET_MASK, displayName: SECRET_MASK },
      validate: accept,
    });
    expect(result.settings).toMatchObject({ token: 'saved-token-123', displayName: SECRET_MASK });
    expect(result.form.values).toMatchObject({ token: SECRET_MASK, displayName: SECRET_MASK, region: 'eu' });
  });
});
