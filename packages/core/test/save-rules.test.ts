import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuthenticationError, TransportError } from '../src/errors.js';
import type { CredentialCheck } from '../src/plugin.js';
import { commonSettingsShape, optionalText } from '../src/settings/common-settings.js';
import { settingsJsonSchema } from '../src/settings/json-schema.js';
import { applySettingsRules, saveSettings } from '../src/settings/save-rules.js';
import { SECRET_MASK } from '../src/settings/settings-definition.js';

/** A settings definition shaped like Salesforce's: credentials plus linked admin connections. */
const schema = z.object({
  ...commonSettingsShape,
  region: z.enum(['us', 'eu']).default('us'),
  email: optionalText(z.email()),
  token: optionalText(z.string().min(8)),
  linkedAdmins: z.array(z.string()).default([]),
});
type Settings = z.output<typeof schema>;

const plugin = {
  settings: {
    schema,
    secretFields: ['token'] as const,
    credentialGroups: [
      { id: 'credentials', label: 'Email and token', fields: ['email', 'token'] as const, addressFields: [] },
    ],
    defaultUserAvailability: (settings: Settings) =>
      settings.linkedAdmins.length > 0
        ? { enabled: true }
        : { enabled: false, reason: 'Link an admin first.' },
  },
  capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: true }),
};

const valid: CredentialCheck = {
  connectionUser: { id: 'admin-1', active: true },
  warnings: ['Tokens retire soon.'],
};
const accept = async () => valid;
const refuse = async () => {
  throw new AuthenticationError('The CRM refused the token.');
};
const unreachable = async () => {
  throw new TransportError('The CRM did not answer.');
};

const saved: Settings = schema.parse({
  email: 'old@acme.test',
  token: 'old-token-123',
  linkedAdmins: ['005A'],
  defaultUser: true,
  alwaysUseAdmin: true,
});

describe('save rules', () => {
  it('valid credentials: saved, checkboxes as submitted, warnings passed on, secret masked', async () => {
    const result = await saveSettings(plugin, {
      previous: saved,
      submitted: { ...saved, token: 'new-token-456', region: 'eu' },
      validate: accept,
    });
    expect(result.credentials).toBe('valid');
    expect(result.settings).toMatchObject({
      token: 'new-token-456',
      region: 'eu',
      defaultUser: true,
      alwaysUseAdmin: true,
    });
    expect(result.form.values.token).toBe(SECRET_MASK);
    expect(result.form.warnings).toEqual(['Tokens retire soon.']);
    expect(result.connectionUser?.id).toBe('admin-1');
  });

  it('invalid credentials: the group reverts, the rest is saved; the default-user box is unchecked, the always-admin box keeps its choice, both usable', async () => {
    const result = await saveSettings(plugin, {
      previous: saved,
      submitted: { ...saved, email: 'new@acme.test', token: 'wrong-token-789', region: 'eu' },
      validate: refuse,
    });
    expect(result.credentials).toBe('invalid');
    expect(result.settings).toMatchObject({
      email: 'old@acme.test',
      token: 'old-token-123',
      region: 'eu',
      defaultUser: false,
      alwaysUseAdmin: true,
    });
    expect(result.form.checkboxes.defaultUser).toEqual({ checked: false, enabled: true, reason: undefined });
    expect(result.form.checkboxes.alwaysUseAdmin).toEqual({
      checked: true,
      enabled: true,
      reason: undefined,
    });
    expect(result.form.errors).toEqual([
      {
        path: 'credentials',
        message: 'Email and token: The CRM refused the token. The previous values were restored.',
      },
    ]);
  });

  it('invalid credentials where none were saved: empty stays empty, both checkboxes unchecked and disabled', async () => {
    const result = await saveSettings(plugin, {
      previous: undefined,
      submitted: {
        email: 'new@acme.test',
        token: 'wrong-token-789',
        linkedAdmins: ['005A'],
        defaultUser: true,
        alwaysUseAdmin: true,
      },
      validate: refuse,
    });
    expect(result.settings.email).toBeUndefined();
    expect(result.settings.token).toBeUndefined();
    expect(result.form.values.token).toBe('');
    expect(result.form.checkboxes.defaultUser).toMatchObject({ checked: false, enabled: false });
    expect(result.form.checkboxes.alwaysUseAdmin).toMatchObject({ checked: false, enabled: false });
  });

  it.each([true, false])(
    'an unreachable CRM: the new credentials are saved unverified, never reverted; the checkbox as the admin left it (%s)',
    async (wanted) => {
      const result = await saveSettings(plugin, {
        previous: { ...saved, defaultUser: !wanted },
        submitted: { ...saved, token: 'new-token-456', defaultUser: wanted },
        validate: unreachable,
      });
      expect(result.credentials).toBe('unverified');
      expect(result.settings).toMatchObject({ token: 'new-token-456', defaultUser: wanted });
      expect(result.form.checkboxes.defaultUser).toMatchObject({ checked: wanted, enabled: true });
      expect(result.form.errors).toEqual([]);
      expect(result.form.warnings.join(' ')).toContain('could not be checked');
      expect(result.form.warnings.join(' ')).toContain('saved unverified');
    },
  );

  it('an empty credential: no live check, the checkbox is disabled and says what to fill in', async () => {
    let called = false;
    const result = await saveSettings(plugin, {
      previous: saved,
      submitted: { ...saved, token: '  ' },
      validate: async () => {
        called = true;
        return valid;
      },
    });
    expect(called).toBe(false);
    expect(result.credentials).toBe('missing');
    expect(result.form.checkboxes.defaultUser).toEqual({
      checked: false,
      enabled: false,
      reason: 'Fill in Email and token to enable the default user.',
    });
  });

  it('an empty list counts as an empty credential (no admin connection linked yet)', async () => {
    const listPlugin = {
      ...plugin,
      settings: {
        ...plugin.settings,
        credentialGroups: [
          { id: 'admins', label: 'A linked admin', fields: ['linkedAdmins'] as const, addressFields: [] },
        ],
        defaultUserAvailability: undefined,
      },
    };
    const result = await saveSettings(listPlugin, {
      previous: saved,
      submitted: { ...saved, linkedAdmins: [] },
      validate: accept,
    });
    expect(result.credentials).toBe('missing');
    expect(result.form.checkboxes.defaultUser).toMatchObject({
      enabled: false,
      reason: 'Fill in A linked admin to enable the default user.',
    });
  });

  it("the plugin's own rule: no linked admin → disabled and unchecked even with valid credentials", async () => {
    const result = await saveSettings(plugin, {
      previous: saved,
      submitted: { ...saved, linkedAdmins: [] },
      validate: accept,
    });
    expect(result.form.checkboxes.defaultUser).toEqual({
      checked: false,
      enabled: false,
      reason: 'Link an admin first.',
    });
    expect(result.form.checkboxes.alwaysUseAdmin).toMatchObject({ checked: false, enabled: false });
  });

  it('a malformed non-credential field keeps its previous value and is reported; the rest is saved', async () => {
    const result = await saveSettings(plugin, {
      previous: saved,
      submitted: { ...saved, region: 'mars', abandonedCallTickets: true },
      validate: accept,
    });
    expect(result.settings).toMatchObject({ region: 'us', abandonedCallTickets: true });
    expect(result.form.errors.map((error) => error.path)).toEqual(['region']);
    expect(result.form.errors[0]?.message).toContain('previous value was kept');
  });

  it('a submission that is not an object is reported and changes nothing', async () => {
    const result = await saveSettings(plugin, { previous: saved, submitted: 'nonsense', validate: accept });
    expect(result.form.errors[0]?.path).toBe('(root)');
    expect(result.settings.token).toBe('old-token-123');
  });

  it('unlinking the last admin outside the form unchecks and disables the checkbox', () => {
    const { settings, form } = applySettingsRules(plugin, { ...saved, linkedAdmins: [] });
    expect(settings.defaultUser).toBe(false);
    expect(form.checkboxes.defaultUser).toMatchObject({ checked: false, enabled: false });
    const relinked = applySettingsRules(plugin, { ...settings, linkedAdmins: ['005B'] });
    expect(relinked.form.checkboxes.defaultUser).toMatchObject({ checked: false, enabled: true });
  });

  it('exports JSON Schema with secrets write-only and the common checkboxes described', () => {
    const json = settingsJsonSchema(plugin.settings) as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(json.properties.token).toMatchObject({ writeOnly: true, format: 'password' });
    expect(json.properties.defaultUser).toMatchObject({ type: 'boolean', default: false });
    expect(String(json.properties.defaultUser?.description)).toContain('default user');
  });
});
