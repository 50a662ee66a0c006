import { SECRET_MASK, saveSettings } from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import {
  type ZendeskSettings,
  type ZendeskSettingsInput,
  zendeskCapabilities,
  zendeskSettingsSchema,
} from '../src/index.js';
import {
  anonymousUser,
  apiToken,
  basic,
  oauthClient,
  revokedApiToken,
  users,
  wireUser,
  zendeskFixture,
} from './zendesk-fixture.js';

const harness = useHarness(zendeskFixture);
const { plugin } = zendeskFixture;
const schema = plugin.settings.schema;

const tokenSettings = {
  subdomain: 'acme',
  authMode: 'apiToken',
  email: users.admin.email,
  apiToken,
} as const;
const saved = (overrides: Partial<ZendeskSettingsInput> = {}): ZendeskSettings =>
  schema.parse({ ...tokenSettings, ...overrides });

function save(previous: ZendeskSettings | undefined, submitted: Record<string, unknown>) {
  return saveSettings(plugin, {
    previous,
    submitted,
    validate: (settings) => plugin.validateCredentials(settings, harness().context()),
  });
}

function meAnswers(status: number, body: unknown, token = apiToken, email: string = users.admin.email) {
  harness()
    .crm()
    .get('/api/v2/users/me')
    .matchHeader('authorization', basic(email, token))
    .reply(status, body as Record<string, unknown>);
}

describe('zendesk settings schema', () => {
  it.each([
    ['acme', 'acme'],
    ['  ACME ', 'acme'],
    ['acme-support', 'acme-support'],
    ['acme.zendesk.com', 'acme'],
    ['https://acme.zendesk.com', 'acme'],
    ['https://Acme.Zendesk.com/', 'acme'],
    ['https://acme.zendesk.com/agent/tickets/42', 'acme'],
  ])('normalises the subdomain %j to %j', (input, expected) => {
    expect(saved({ subdomain: input }).subdomain).toBe(expected);
  });

  it.each([
    'http://acme.zendesk.com',
    'https://acme.example.com',
    'acme corp',
    '-acme',
    'acme_support',
    // Plain http only reaches a local sandbox on a loopback host: never another machine.
    'http://192.168.1.20:4010',
    'http://127.0.0.1.nip.io:4010',
    'http://localhost.example.com:4010',
    'http://admin:secret@127.0.0.1:4010',
    'ftp://127.0.0.1:4010',
  ])('refuses %j as a subdomain, saying what is expected', (input) => {
    const result = schema.safeParse({ ...tokenSettings, subdomain: input });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('https://acme.zendesk.com');
    expect(JSON.stringify(result.error?.issues)).toContain('http://127.0.0.1:4010');
  });

  it.each([
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
    [' HTTP://127.0.0.1:4010/api/v2/ ', 'http://127.0.0.1:4010'],
    ['http://localhost:4010', 'http://localhost:4010'],
    ['http://[::1]:4010', 'http://[::1]:4010'],
    ['https://127.0.0.1:4443', 'https://127.0.0.1:4443'],
  ])('accepts the local sandbox URL %j, kept as the origin %j', (input, expected) => {
    expect(saved({ subdomain: input }).subdomain).toBe(expected);
  });

  it('treats empty fields as not set, lowercases the email and reads the ticket field id', () => {
    const settings = saved({
      email: 'Ada.Admin@ACME.com',
      oauthClientId: ' ',
      interactionFieldId: '360012345678',
    });
    expect(settings).toMatchObject({ email: 'ada.admin@acme.com', interactionFieldId: 360012345678 });
    expect(settings.oauthClientId).toBeUndefined();
    expect(saved({ interactionFieldId: '' }).interactionFieldId).toBeUndefined();
    expect(schema.safeParse({ ...tokenSettings, interactionFieldId: 'Interaction id' }).success).toBe(false);
    expect(schema.safeParse({ ...tokenSettings, apiToken: 'short' }).success).toBe(false);
  });

  it('token mode writes as the agent and offers "always use the admin"; OAuth mode does neither', () => {
    expect(zendeskCapabilities(saved())).toEqual({
      performsAsAgent: true,
      alwaysUseAdmin: true,
    });
    expect(zendeskCapabilities(saved({ authMode: 'oauthClientCredentials', ...oauthClient }))).toEqual({
      performsAsAgent: false,
      alwaysUseAdmin: false,
    });
  });
});

describe('zendesk save rules, API token mode', () => {
  it('valid admin credentials: saved, default user checked, the token retirement warning names 2027-04-30 and OAuth', async () => {
    meAnswers(200, { user: wireUser(users.admin) });
    const result = await save(undefined, { ...tokenSettings, defaultUser: true });
    expect(result.credentials).toBe('valid');
    expect(result.connectionUser).toMatchObject({ id: users.admin.id, email: users.admin.email });
    expect(result.form.checkboxes.defaultUser).toEqual({ checked: true, enabled: true, reason: undefined });
    expect(result.form.values.apiToken).toBe(SECRET_MASK);
    expect(result.settings.apiToken).toBe(apiToken);
    expect(result.form.warnings).toHaveLength(1);
    expect(result.form.warnings[0]).toContain('2027-04-30');
    expect(result.form.warnings[0]).toContain('OAuth client credentials');
  });

  it.each([
    ['email', { email: '' }],
    ['API token', { apiToken: '' }],
    ['subdomain', { subdomain: '' }],
  ])(
    'an empty %s: no live check, checkbox disabled and unchecked, other settings saved',
    async (_, emptied) => {
      const result = await save(saved({ defaultUser: true }), {
        ...tokenSettings,
        ...emptied,
        defaultUser: true,
        abandonedCallTickets: true,
      });
      expect(result.credentials).toBe('missing');
      expect(result.form.checkboxes.defaultUser.checked).toBe(false);
      expect(result.form.checkboxes.defaultUser.enabled).toBe(false);
      expect(result.form.checkboxes.defaultUser.reason).toContain('email and API token');
      expect(result.settings).toMatchObject({ defaultUser: false, abandonedCallTickets: true });
      expect(harness().requests).toEqual([]);
    },
  );

  it('a 401: error shown, email and token back to their saved values, the rest saved, checkbox unchecked', async () => {
    meAnswers(401, { error: "Couldn't authenticate you" }, revokedApiToken, 'new.admin@acme.com');
    const previous = saved({ defaultUser: true });
    const result = await save(previous, {
      ...tokenSettings,
      email: 'new.admin@acme.com',
      apiToken: revokedApiToken,
      defaultUser: true,
      abandonedCallTickets: true,
    });
    expect(result.credentials).toBe('invalid');
    expect(result.settings).toMatchObject({
      email: users.admin.email,
      apiToken,
      subdomain: 'acme',
      abandonedCallTickets: true,
      defaultUser: false,
    });
    expect(result.form.checkboxes.defaultUser).toMatchObject({ checked: false, enabled: true });
    expect(result.form.errors).toHaveLength(1);
    expect(result.form.errors[0]?.path).toBe('apiToken');
    expect(result.form.errors[0]?.message).toContain("Couldn't authenticate you");
    expect(result.form.errors[0]?.message).toContain('The previous values were restored');
    expect(JSON.stringify(result.form)).not.toContain(revokedApiToken);
  });

  it('a 200 with the anonymous user is refused like a 401; on a first save the fields are empty again', async () => {
    meAnswers(200, { user: anonymousUser }, revokedApiToken);
    const result = await save(undefined, { ...tokenSettings, apiToken: revokedApiToken, defaultUser: true });
    expect(result.credentials).toBe('invalid');
    expect(result.settings.email).toBeUndefined();
    expect(result.settings.apiToken).toBeUndefined();
    expect(result.form.values.apiToken).toBe('');
    expect(result.form.checkboxes.defaultUser).toMatchObject({ checked: false, enabled: false });
    expect(result.form.errors[0]?.message).toContain('anonymous user');
  });

  it('an agent (not an admin) is refused with a message that says so', async () => {
    meAnswers(200, { user: wireUser(users.agent) }, apiToken, users.agent.email);
    const previous = saved({ defaultUser: true });
    const result = await save(previous, { ...tokenSettings, email: users.agent.email, defaultUser: true });
    expect(result.credentials).toBe('invalid');
    expect(result.settings.email).toBe(users.admin.email);
    expect(result.settings.defaultUser).toBe(false);
    expect(result.form.errors[0]?.message).toContain(`${users.agent.email} is an agent, not an admin`);
  });

  it('Zendesk unreachable: the credentials cannot be checked, so the new ones are kept unverified, never reverted', async () => {
    harness().crm().get('/api/v2/users/me').times(5).reply(503, 'Service Unavailable');
    const previous = saved({ defaultUser: true });
    const result = await save(previous, { ...tokenSettings, apiToken: revokedApiToken, defaultUser: true });
    expect(result.credentials).toBe('unverified');
    expect(result.settings).toMatchObject({ apiToken: revokedApiToken, defaultUser: true });
    expect(result.form.warnings.join(' ')).toContain('could not be checked');
  });
});

describe('zendesk save rules, OAuth client credentials mode', () => {
  const oauthSettings = {
    subdomain: 'acme',
    authMode: 'oauthClientCredentials',
    ...oauthClient,
  } as const;

  it('valid: the token request and the admin check, no token retirement warning', async () => {
    harness()
      .crm()
      .post('/oauth/tokens', {
        grant_type: 'client_credentials',
        client_id: oauthClient.oauthClientId,
        client_secret: oauthClient.oauthClientSecret,
        scope: 'read write',
      })
      .reply(200, {
        access_token: 'gErypPlm4dOVgGRvA1ZzMH5MQ3nLo8bo',
        token_type: 'bearer',
        scope: 'read write',
      });
    harness()
      .crm()
      .get('/api/v2/users/me')
      .matchHeader('authorization', 'Bearer gErypPlm4dOVgGRvA1ZzMH5MQ3nLo8bo')
      .reply(200, { user: wireUser(users.admin) });
    const result = await save(undefined, { ...oauthSettings, defaultUser: true });
    expect(result.credentials).toBe('valid');
    expect(result.connectionUser?.id).toBe(users.admin.id);
    expect(result.form.warnings).toEqual([]);
    expect(result.form.checkboxes.defaultUser).toMatchObject({ checked: true, enabled: true });
    expect(result.form.values.oauthClientSecret).toBe(SECRET_MASK);
    // OAuth mode offers no "always use the admin": the admin performs every write anyway.
    expect(result.form.checkboxes.alwaysUseAdmin).toBeUndefined();
  });

  it('an empty client secret disables the checkbox without a live check', async () => {
    const result = await save(undefined, { ...oauthSettings, oauthClientSecret: '', defaultUser: true });
    expect(result.credentials).toBe('missing');
    expect(result.form.checkboxes.defaultUser.enabled).toBe(false);
    expect(result.form.checkboxes.defaultUser.reason).toContain('OAuth client identifier and secret');
    expect(harness().requests).toEqual([]);
  });

  it('a refused client: the identifier and secret revert, the error says how to fix it', async () => {
    harness()
      .crm()
      .post('/oauth/tokens')
      .reply(401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
    const previous = schema.parse({ ...oauthSettings, defaultUser: true });
    const result = await save(previous, {
      ...oauthSettings,
      oauthClientSecret: 'wrong-secret-0000000000000000',
      defaultUser: true,
    });
    expect(result.credentials).toBe('invalid');
    expect(result.settings.oauthClientSecret).toBe(oauthClient.oauthClientSecret);
    expect(result.settings.defaultUser).toBe(false);
    expect(result.form.errors[0]?.path).toBe('oauthClient');
    expect(result.form.errors[0]?.message).toContain('invalid_client');
    expect(result.form.errors[0]?.message).toContain('OAuth clients');
  });
});

describe('zendesk secrets too short to be real', () => {
  it.each(['abc', 'short-secret', ' 0123456789abcde '])('refuses the OAuth client secret %j', (secret) => {
    const parsed = zendeskSettingsSchema.safeParse({
      subdomain: 'acme',
      authMode: 'oauthClientCredentials',
      oauthClientId: 'crm_connect',
      oauthClientSecret: secret,
    });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('OAuth Clients');
  });
});
