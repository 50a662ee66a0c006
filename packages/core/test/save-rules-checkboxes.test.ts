import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuthenticationError, TransportError } from '../src/errors.js';
import { commonSettingsShape, optionalText } from '../src/settings/common-settings.js';
import { applySettingsRules, saveSettings } from '../src/settings/save-rules.js';

/**
 * What the two checkboxes show after a save: the default-user box and the always-admin box are
 * what the admin left them, unless the rules take them away (missing credentials, a refusal, a
 * plugin that does not offer always-admin). Nothing ever ticks a box the admin left unticked.
 */

/** Zendesk-like: the token mode offers "always use the admin user", the OAuth mode does not. */
const schema = z.object({
  ...commonSettingsShape,
  mode: z.enum(['token', 'oauth']).default('token'),
  email: optionalText(z.email()),
  token: optionalText(z.string().min(8)),
});
type Settings = z.output<typeof schema>;

const plugin = {
  settings: {
    schema,
    secretFields: ['token'] as const,
    credentialGroups: [
      { id: 'credentials', label: 'Email and token', fields: ['email', 'token'] as const, addressFields: [] },
    ],
  },
  capabilities: (settings: Settings) => ({
    performsAsAgent: settings.mode === 'token',
    alwaysUseAdmin: settings.mode === 'token',
  }),
};

/** Kustomer-like: never offers "always use the admin user". */
const withoutAlwaysAdmin = {
  ...plugin,
  capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
};

const accept = async () => ({ connectionUser: { id: 'admin-1', active: true }, warnings: [] });
const refuse = async () => {
  throw new AuthenticationError('The CRM refused the token.');
};
const unreachable = async () => {
  throw new TransportError('The CRM did not answer.');
};

const saved: Settings = schema.parse({
  email: 'admin@acme.test',
  token: 'saved-token-123',
  defaultUser: true,
  alwaysUseAdmin: true,
});
const usable = (checked: boolean) => ({ checked, enabled: true, reason: undefined });

describe('save rules: the checkboxes keep what the admin chose', () => {
  it('a valid save with both boxes left unticked keeps both unticked', async () => {
    const result = await saveSettings(plugin, {
      previous: saved,
      submitted: { ...saved, defaultUser: false, alwaysUseAdmin: false },
      validate: accept,
    });
    expect(result.credentials).toBe('valid');
    expect(result.settings).toMatchObject({ defaultUser: false, alwaysUseAdmin: false });
    expect(result.form.checkboxes).toEqual({ defaultUser: usable(false), alwaysUseAdmin: usable(false) });
  });

  it('a valid save with both boxes ticked keeps both ticked', async () => {
    const result = await saveSettings(plugin, {
      previous: { ...saved, defaultUser: false, alwaysUseAdmin: false },
      submitted: saved,
      validate: accept,
    });
    expect(result.settings).toMatchObject({ defaultUser: true, alwaysUseAdmin: true });
    expect(result.form.checkboxes).toEqual({ defaultUser: usable(true), alwaysUseAdmin: usable(true) });
  });

  it.each([true, false])(
    'an unreachable CRM keeps both boxes as the admin left them (%s), whatever was saved before',
    async (wanted) => {
      const result = await saveSettings(plugin, {
        previous: { ...saved, defaultUser: !wanted, alwaysUseAdmin: !wanted },
        submitted: { ...saved, token: 'typed-token-456', defaultUser: wanted, alwaysUseAdmin: wanted },
        validate: unreachable,
      });
      expect(result.credentials).toBe('unverified');
      expect(result.settings).toMatchObject({ defaultUser: wanted, alwaysUseAdmin: wanted });
      expect(result.form.checkboxes).toEqual({ defaultUser: usable(wanted), alwaysUseAdmin: usable(wanted) });
    },
  );

  it('a refusal with no saved credentials to restore: both boxes unticked and disabled', async () => {
    const result = await saveSettings(plugin, {
      previous: undefined,
      submitted: {
        email: 'admin@acme.test',
        token: 'wrong-token-789',
        defaultUser: true,
        alwaysUseAdmin: true,
      },
      validate: refuse,
    });
    const disabled = {
      checked: false,
      enabled: false,
      reason: 'Fill in Email and token to enable the default user.',
    };
    expect(result.settings).toMatchObject({ defaultUser: false, alwaysUseAdmin: false });
    expect(result.form.checkboxes).toEqual({ defaultUser: disabled, alwaysUseAdmin: disabled });
  });

  it('a missing credential: both boxes unticked and disabled although the admin ticked them', async () => {
    const result = await saveSettings(plugin, {
      previous: saved,
      submitted: { ...saved, email: '' },
      validate: accept,
    });
    expect(result.credentials).toBe('missing');
    expect(result.settings).toMatchObject({ defaultUser: false, alwaysUseAdmin: false });
    expect(result.form.checkboxes.alwaysUseAdmin).toEqual({
      checked: false,
      enabled: false,
      reason: 'Fill in Email and token to enable the default user.',
    });
  });
});

describe('save rules: a plugin without "always use the admin user"', () => {
  it('offers no always-admin box and saves it off, even when submitted ticked', async () => {
    const result = await saveSettings(withoutAlwaysAdmin, {
      previous: saved,
      submitted: saved,
      validate: accept,
    });
    expect(result.form.checkboxes.alwaysUseAdmin).toBeUndefined();
    expect(result.form.checkboxes.defaultUser).toEqual(usable(true));
    expect(result.settings.alwaysUseAdmin).toBe(false);
    expect(result.form.values.alwaysUseAdmin).toBe(false);
  });

  it('switching to a mode without the capability takes the box away and turns it off', async () => {
    const result = await saveSettings(plugin, {
      previous: saved,
      submitted: { ...saved, mode: 'oauth' },
      validate: accept,
    });
    expect(result.form.checkboxes.alwaysUseAdmin).toBeUndefined();
    expect(result.settings).toMatchObject({ mode: 'oauth', alwaysUseAdmin: false, defaultUser: true });
  });
});

describe('applySettingsRules: the boxes recomputed for saved settings', () => {
  it('complete credentials: both boxes stay as saved, ticked or not, with no errors or warnings', () => {
    for (const checked of [true, false]) {
      const { settings, form } = applySettingsRules(plugin, {
        ...saved,
        defaultUser: checked,
        alwaysUseAdmin: checked,
      });
      expect(settings).toMatchObject({ defaultUser: checked, alwaysUseAdmin: checked });
      expect(form.checkboxes).toEqual({ defaultUser: usable(checked), alwaysUseAdmin: usable(checked) });
      expect(form.errors).toEqual([]);
      expect(form.warnings).toEqual([]);
      expect(form.values).toMatchObject({ email: 'admin@acme.test', token: '********' });
    }
  });

  it('a credential emptied outside the form: both boxes unticked and disabled, saying what to fill in', () => {
    const { settings, form } = applySettingsRules(plugin, { ...saved, token: undefined });
    const disabled = {
      checked: false,
      enabled: false,
      reason: 'Fill in Email and token to enable the default user.',
    };
    expect(settings).toMatchObject({ defaultUser: false, alwaysUseAdmin: false });
    expect(form.checkboxes).toEqual({ defaultUser: disabled, alwaysUseAdmin: disabled });
    expect(form.values.token).toBe('');
  });

  it('a plugin without the capability gets no always-admin box, and the setting is turned off as on a save', () => {
    const { settings, form } = applySettingsRules(withoutAlwaysAdmin, saved);
    expect(form.checkboxes.alwaysUseAdmin).toBeUndefined();
    expect(settings.alwaysUseAdmin).toBe(false);
    expect(form.checkboxes.defaultUser).toEqual(usable(true));
  });
});
