import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AuthenticationError, TransportError } from '../src/errors.js';
import { commonSettingsShape, optionalText } from '../src/settings/common-settings.js';
import { applySettingsRules, saveSettings } from '../src/settings/save-rules.js';

/**
 * When credentials count as filled, and how several credential groups combine: every group that
 * applies must be complete before anything is checked live (one complete group is not enough),
 * and a group applies only in its mode.
 */

const connectionUser = { id: 'admin-1', active: true };

/** Salesforce-like: a connected app and linked admins, both always required. */
const appSchema = z.object({
  ...commonSettingsShape,
  // Plain text (not `optionalText`): blanks reach the save rules as typed.
  clientId: z.string().default(''),
  clientSecret: optionalText(z.string().min(8)),
  loginHost: z.string().default('login.crm.test'),
  orgNumber: z.number().int().nullable().default(null),
  linkedAdmins: z.array(z.string()).default([]),
});
const appPlugin = {
  settings: {
    schema: appSchema,
    secretFields: ['clientSecret'] as const,
    credentialGroups: [
      {
        id: 'app',
        label: 'Connected app',
        fields: ['clientId', 'clientSecret', 'loginHost', 'orgNumber'] as const,
        addressFields: [],
      },
      { id: 'admins', label: 'A linked admin', fields: ['linkedAdmins'] as const, addressFields: [] },
    ],
  },
  capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
};
const complete = {
  clientId: 'client-1',
  clientSecret: 'app-secret-123',
  loginHost: 'login.crm.test',
  orgNumber: 42,
  linkedAdmins: ['005A'],
  defaultUser: true,
};

/** Zendesk-like: an API-token group and an OAuth group, each applying in its own mode. */
const modeSchema = z.object({
  ...commonSettingsShape,
  authMode: z.enum(['apiToken', 'oauth']).default('apiToken'),
  email: optionalText(z.email()),
  apiToken: optionalText(z.string().min(8)),
  oauthClientId: optionalText(z.string()),
  oauthSecret: optionalText(z.string().min(8)),
});
type ModeSettings = z.output<typeof modeSchema>;
const modePlugin = {
  settings: {
    schema: modeSchema,
    secretFields: ['apiToken', 'oauthSecret'] as const,
    credentialGroups: [
      {
        id: 'apiToken',
        label: 'Email and API token',
        fields: ['email', 'apiToken'] as const,
        addressFields: [],
        appliesWhen: (settings: ModeSettings) => settings.authMode === 'apiToken',
      },
      {
        id: 'oauthClient',
        label: 'OAuth client id and secret',
        fields: ['oauthClientId', 'oauthSecret'] as const,
        addressFields: [],
        appliesWhen: (settings: ModeSettings) => settings.authMode === 'oauth',
      },
    ],
  },
  capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
};

const acceptSpy = () => vi.fn(async () => ({ connectionUser, warnings: [] }));

describe('save rules: what counts as a filled credential', () => {
  it.each([
    ['blanks', '   '],
    ['tabs and newlines', '\t\n'],
    ['empty text', ''],
  ])('a credential of %s is missing: no live check, the box disabled', async (_case, clientId) => {
    const validate = acceptSpy();
    const result = await saveSettings(appPlugin, {
      previous: undefined,
      submitted: { ...complete, clientId },
      validate,
    });
    expect(validate).not.toHaveBeenCalled();
    expect(result.credentials).toBe('missing');
    expect(result.form.checkboxes.defaultUser).toEqual({
      checked: false,
      enabled: false,
      reason: 'Fill in Connected app to enable the default user.',
    });
  });

  it('a null credential is missing', async () => {
    const validate = acceptSpy();
    const result = await saveSettings(appPlugin, {
      previous: undefined,
      submitted: { ...complete, orgNumber: null },
      validate,
    });
    expect(validate).not.toHaveBeenCalled();
    expect(result.credentials).toBe('missing');
  });

  it('a number is filled, zero included, and a non-empty list is filled', async () => {
    const validate = acceptSpy();
    const result = await saveSettings(appPlugin, {
      previous: undefined,
      submitted: { ...complete, orgNumber: 0 },
      validate,
    });
    expect(validate).toHaveBeenCalledOnce();
    expect(result.credentials).toBe('valid');
    expect(result.form.checkboxes.defaultUser).toEqual({ checked: true, enabled: true, reason: undefined });
  });

  it('a secret of blanks is shown empty, not masked', async () => {
    const result = await saveSettings(appPlugin, {
      previous: undefined,
      submitted: { ...complete, clientSecret: '   ' },
      validate: acceptSpy(),
    });
    expect(result.credentials).toBe('missing');
    expect(result.form.values).toMatchObject({ clientSecret: '', clientId: 'client-1', orgNumber: 42 });
  });
});

describe('save rules: two credential groups that both apply', () => {
  it('one complete group is not enough: the other one is named, nothing is checked', async () => {
    const validate = acceptSpy();
    const result = await saveSettings(appPlugin, {
      previous: undefined,
      submitted: { ...complete, linkedAdmins: [] },
      validate,
    });
    expect(validate).not.toHaveBeenCalled();
    expect(result.credentials).toBe('missing');
    expect(result.settings.defaultUser).toBe(false);
    expect(result.form.checkboxes.defaultUser).toEqual({
      checked: false,
      enabled: false,
      reason: 'Fill in A linked admin to enable the default user.',
    });
  });

  it('both incomplete: the reason names both', async () => {
    const result = await saveSettings(appPlugin, {
      previous: undefined,
      submitted: { ...complete, clientId: ' ', linkedAdmins: [] },
      validate: acceptSpy(),
    });
    expect(result.form.checkboxes.defaultUser.reason).toBe(
      'Fill in Connected app and A linked admin to enable the default user.',
    );
  });

  it('the last admin unlinked outside the form: the complete connected app is not enough, the box is unticked', () => {
    const saved = appSchema.parse(complete);
    const { settings, form } = applySettingsRules(appPlugin, { ...saved, linkedAdmins: [] });
    expect(settings.defaultUser).toBe(false);
    expect(form.checkboxes.defaultUser).toEqual({
      checked: false,
      enabled: false,
      reason: 'Fill in A linked admin to enable the default user.',
    });
  });

  it('a refusal restores each group, reports each, and leaves the box disabled if a restored group is empty', async () => {
    const previous = appSchema.parse({ ...complete, linkedAdmins: [], defaultUser: false });
    const result = await saveSettings(appPlugin, {
      previous,
      submitted: { ...complete, clientSecret: 'wrong-secret-789', linkedAdmins: ['005B'] },
      validate: async () => {
        throw new AuthenticationError('The CRM refused the client.');
      },
    });
    expect(result.credentials).toBe('invalid');
    expect(result.settings).toMatchObject({
      clientSecret: 'app-secret-123',
      linkedAdmins: [],
      defaultUser: false,
    });
    expect(result.form.errors).toEqual([
      {
        path: 'app',
        message: 'Connected app: The CRM refused the client. The previous values were restored.',
      },
      {
        path: 'admins',
        message: 'A linked admin: The CRM refused the client. The previous values were restored.',
      },
    ]);
    expect(result.form.checkboxes.defaultUser).toEqual({
      checked: false,
      enabled: false,
      reason: 'Fill in A linked admin to enable the default user.',
    });
  });

  it('a refused first save restores each field to its schema default, never a hole', async () => {
    const result = await saveSettings(appPlugin, {
      previous: undefined,
      submitted: { ...complete, loginHost: 'login.other.test' },
      validate: async () => {
        throw new AuthenticationError('Unknown client.');
      },
    });
    expect(result.settings).toMatchObject({
      clientId: '',
      clientSecret: undefined,
      loginHost: 'login.crm.test',
      orgNumber: null,
      linkedAdmins: [],
    });
  });

  it('an unreachable CRM: the warning names every group that could not be checked', async () => {
    const result = await saveSettings(appPlugin, {
      previous: undefined,
      submitted: complete,
      validate: async () => {
        throw new TransportError('The CRM did not answer.');
      },
    });
    expect(result.form.warnings).toEqual([
      'Connected app and A linked admin could not be checked (The CRM did not answer.); they were saved unverified. Save again when the CRM is reachable to check them.',
    ]);
  });

  it('a check failing with an untyped error (a plugin bug) fails the save instead of reverting', async () => {
    await expect(
      saveSettings(appPlugin, {
        previous: undefined,
        submitted: complete,
        validate: async () => {
          throw new Error('plugin bug');
        },
      }),
    ).rejects.toThrow('plugin bug');
  });
});

describe('save rules: credential groups of alternative modes', () => {
  it("only the chosen mode's group is required: a complete OAuth group is checked, the token group left empty", async () => {
    const validate = acceptSpy();
    const result = await saveSettings(modePlugin, {
      previous: undefined,
      submitted: {
        authMode: 'oauth',
        oauthClientId: 'client-9',
        oauthSecret: 'oauth-secret-123',
        defaultUser: true,
      },
      validate,
    });
    expect(validate).toHaveBeenCalledOnce();
    expect(result.credentials).toBe('valid');
    expect(result.form.checkboxes.defaultUser).toEqual({ checked: true, enabled: true, reason: undefined });
  });

  it("the other mode's complete group does not stand in for the chosen one", async () => {
    const validate = acceptSpy();
    const result = await saveSettings(modePlugin, {
      previous: undefined,
      submitted: {
        authMode: 'oauth',
        email: 'admin@acme.test',
        apiToken: 'api-token-123',
        defaultUser: true,
      },
      validate,
    });
    expect(validate).not.toHaveBeenCalled();
    expect(result.credentials).toBe('missing');
    expect(result.form.checkboxes.defaultUser).toEqual({
      checked: false,
      enabled: false,
      reason: 'Fill in OAuth client id and secret to enable the default user.',
    });
  });
});
