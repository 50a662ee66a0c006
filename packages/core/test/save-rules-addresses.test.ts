import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { commonSettingsShape, optionalText } from '../src/settings/common-settings.js';
import { saveSettings } from '../src/settings/save-rules.js';
import { SECRET_MASK } from '../src/settings/settings-definition.js';

/**
 * A saved secret is only ever sent to the address it was validated against: when an address
 * field of its credential group changes, the saved secret is not used (masked or left out), the
 * admin is told to re-enter it, and nothing is sent anywhere.
 */

const schema = z.object({
  ...commonSettingsShape,
  host: optionalText(z.string()),
  clientId: optionalText(z.string()),
  clientSecret: optionalText(z.string().min(8)),
  note: optionalText(z.string()),
});

const plugin = {
  settings: {
    schema,
    secretFields: ['clientSecret'] as const,
    credentialGroups: [
      {
        id: 'app',
        label: 'The host, client id and client secret',
        fields: ['host', 'clientId', 'clientSecret'] as const,
        addressFields: ['host'] as const,
      },
    ],
  },
  capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
};

const previous = schema.parse({
  host: 'https://login.crm.test',
  clientId: 'client-1',
  clientSecret: 'the-real-secret-123',
  defaultUser: true,
});
const connectionUser = { id: 'admin', active: true };

describe('save rules: a saved secret stays with the address it was checked against', () => {
  it.each([
    ['masked', { clientSecret: SECRET_MASK }],
    ['left out', {}],
  ])('address changed, secret %s: refused, the secret is not sent anywhere', async (_case, secret) => {
    const validate = vi.fn(async () => ({ connectionUser, warnings: [] }));
    const { clientSecret: _omitted, ...rest } = previous;
    const result = await saveSettings(plugin, {
      previous,
      submitted: { ...rest, ...secret, host: 'https://attacker.test', note: 'hello' },
      validate,
    });
    expect(validate).not.toHaveBeenCalled();
    expect(result.settings.clientSecret).toBeUndefined();
    expect(result.credentials).toBe('missing');
    expect(result.form.errors).toEqual([
      expect.objectContaining({ path: 'clientSecret', message: expect.stringMatching(/re-enter/i) }),
    ]);
    expect(result.form.errors[0]?.message).toContain('host');
    expect(JSON.stringify(result)).not.toContain('the-real-secret-123');
    // The rest of the form is still saved.
    expect(result.settings.note).toBe('hello');
    expect(result.form.checkboxes.defaultUser).toMatchObject({ checked: false, enabled: false });
  });

  it('address changed, secret re-entered: checked live against the new address', async () => {
    const validate = vi.fn(async () => ({ connectionUser, warnings: [] }));
    const result = await saveSettings(plugin, {
      previous,
      submitted: { ...previous, host: 'https://login.other.test', clientSecret: 'a-new-secret-456' },
      validate,
    });
    expect(validate).toHaveBeenCalledOnce();
    expect(result.credentials).toBe('valid');
    expect(result.settings).toMatchObject({
      host: 'https://login.other.test',
      clientSecret: 'a-new-secret-456',
    });
  });

  it('address unchanged: the masked secret keeps the saved one (another field of the group may change)', async () => {
    const validate = vi.fn(async () => ({ connectionUser, warnings: [] }));
    const result = await saveSettings(plugin, {
      previous,
      submitted: { ...previous, clientId: 'client-2', clientSecret: SECRET_MASK },
      validate,
    });
    expect(validate).toHaveBeenCalledOnce();
    expect(result.settings.clientSecret).toBe('the-real-secret-123');
  });

  it('an address that only changes its spelling (the schema normalises it) is the same address', async () => {
    const validate = vi.fn(async () => ({ connectionUser, warnings: [] }));
    const result = await saveSettings(plugin, {
      previous,
      submitted: { ...previous, host: '  https://login.crm.test  '.trim(), clientSecret: SECRET_MASK },
      validate,
    });
    expect(validate).toHaveBeenCalledOnce();
    expect(result.credentials).toBe('valid');
  });
});

describe('save rules: what the address rule leaves alone', () => {
  const accept = () => vi.fn(async () => ({ connectionUser, warnings: [] }));

  it('a first save has no address to compare with: everything typed is checked', async () => {
    const validate = accept();
    const result = await saveSettings(plugin, { previous: undefined, submitted: previous, validate });
    expect(validate).toHaveBeenCalledOnce();
    expect(result.credentials).toBe('valid');
    expect(result.form.errors).toEqual([]);
  });

  it('address changed: a field of the group that is not secret, left out, keeps its saved value', async () => {
    const { clientId: _left, ...rest } = previous;
    const result = await saveSettings(plugin, {
      previous,
      submitted: { ...rest, host: 'https://login.other.test', clientSecret: SECRET_MASK },
      validate: accept(),
    });
    expect(result.settings.clientId).toBe('client-1');
    expect(result.form.errors.map((error) => error.path)).toEqual(['clientSecret']);
  });

  it('address changed with no secret saved before: nothing to re-enter, the secret is just missing', async () => {
    const { clientSecret: _none, ...withoutSecret } = previous;
    const result = await saveSettings(plugin, {
      previous: withoutSecret,
      submitted: { ...withoutSecret, host: 'https://login.other.test' },
      validate: accept(),
    });
    expect(result.credentials).toBe('missing');
    expect(result.form.errors).toEqual([]);
  });

  it("address changed and the same secret typed again: the admin's choice, checked at the new address", async () => {
    const validate = accept();
    const result = await saveSettings(plugin, {
      previous,
      submitted: { ...previous, host: 'https://login.other.test' },
      validate,
    });
    expect(validate).toHaveBeenCalledWith(
      expect.objectContaining({ host: 'https://login.other.test', clientSecret: 'the-real-secret-123' }),
    );
    expect(result.form.errors).toEqual([]);
  });

  it('two addresses changed: the message names both', async () => {
    const twoAddresses = z.object({
      ...commonSettingsShape,
      tenant: optionalText(z.string()),
      host: optionalText(z.string()),
      secret: optionalText(z.string()),
    });
    const tenantPlugin = {
      settings: {
        schema: twoAddresses,
        secretFields: ['secret'] as const,
        credentialGroups: [
          {
            id: 'app',
            label: 'Tenant, host and secret',
            fields: ['tenant', 'host', 'secret'] as const,
            addressFields: ['tenant', 'host'] as const,
          },
        ],
      },
      capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
    };
    const saved = twoAddresses.parse({ tenant: 'acme', host: 'login.crm.test', secret: 'saved-secret' });
    const result = await saveSettings(tenantPlugin, {
      previous: saved,
      submitted: { ...saved, tenant: 'other', host: 'login.other.test', secret: SECRET_MASK },
      validate: accept(),
    });
    expect(result.form.errors).toEqual([
      {
        path: 'secret',
        message:
          'secret: re-enter it. tenant and host changed, and a saved secret is only sent to the address it was checked against; nothing was sent.',
      },
    ]);
  });
});
