import { inspect } from 'node:util';
import {
  createConnector,
  createRateBudgetRegistry,
  isCrmConnectError,
  saveSettings,
} from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import {
  allRoles,
  apiKey,
  bearer,
  conversationBody,
  conversationLookup,
  currentTokenBody,
  currentUserBody,
  customerBody,
  janeByEmail,
  kustomerFixture,
  noteBody,
  notFound,
  plugin,
  users,
} from './kustomer-fixture.js';

const harness = useHarness(kustomerFixture);
const euOrigin = 'https://api.prod2.kustomerapp.com';
const settings = (overrides: Record<string, unknown> = {}) =>
  plugin.settings.schema.parse({ ...kustomerFixture.settings, ...overrides });

describe('kustomer: the live credential check', () => {
  it('uses the EU host when configured, for the check and for every write', async () => {
    const h = harness();
    h.crm(euOrigin)
      .get('/v1/users/current')
      .matchHeader('authorization', bearer)
      .reply(200, currentUserBody());
    h.crm(euOrigin)
      .get('/v1/auth/tokens/current')
      .matchHeader('authorization', bearer)
      .reply(200, currentTokenBody());
    const check = await plugin.validateCredentials(
      settings({ apiBaseUrl: 'api.prod2.kustomerapp.com/v1' }),
      h.context(),
    );
    expect(check).toEqual({ connectionUser: users.admin, warnings: [] });

    const eu = () => h.crm(euOrigin).matchHeader('authorization', bearer);
    eu().get('/v1/users/current').reply(200, currentUserBody());
    eu().get(conversationLookup).reply(404, notFound);
    eu().get(janeByEmail).reply(200, customerBody());
    eu().post('/v1/conversations').reply(201, conversationBody('6c3d4e5f60718293a4b5c6e9'));
    eu()
      .post('/v1/conversations/6c3d4e5f60718293a4b5c6e9/notes')
      .reply(201, noteBody('n1', '6c3d4e5f60718293a4b5c6e9'));
    const audit = await h.connector({ apiBaseUrl: euOrigin, defaultUser: true }).handle(chatStarted());
    expect(audit).toMatchObject({ outcome: 'created', recordId: '6c3d4e5f60718293a4b5c6e9' });
    expect(h.requests.every((request) => request.headers.host === 'api.prod2.kustomerapp.com')).toBe(true);
  });

  it('a key missing roles is refused, naming every missing role and how to fix it', async () => {
    const h = harness();
    const roles = allRoles.filter(
      (role) => role !== 'org.permission.conversation.create' && role !== 'org.permission.note.create',
    );
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm().get('/v1/auth/tokens/current').reply(200, currentTokenBody(roles, 'read-only reporting'));
    const error = await plugin
      .validateCredentials(settings(), h.context())
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('permission_denied');
    expect(isCrmConnectError(error) && error.retryable).toBe(false);
    const message = String((error as Error).message);
    expect(message).toContain('"read-only reporting"');
    expect(message).toContain('org.permission.conversation.create (or legacy org.user.conversation.write)');
    expect(message).toContain('org.permission.note.create');
    expect(message).not.toContain('org.permission.customer.read');
    expect(message).toContain('create a new API key');
  });

  it('on save, a key missing roles reverts the credentials and unchecks the default user; the rest is saved', async () => {
    const h = harness();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm()
      .get('/v1/auth/tokens/current')
      .reply(200, currentTokenBody(['org.permission.customer.read', 'org.permission.conversation.read']));
    const previous = settings({ apiKey: `${apiKey}-previous`, defaultUser: true });
    const result = await saveSettings(plugin, {
      previous,
      submitted: {
        ...kustomerFixture.settings,
        defaultUser: true,
        abandonedCallTickets: true,
        rateLimitPerMinute: 1000,
      },
      // As the README shows: a connector over the candidate settings checks them.
      validate: (candidate) =>
        createConnector({
          plugin,
          settings: candidate,
          rateBudgets: createRateBudgetRegistry(),
        }).validateCredentials(),
    });
    expect(result.credentials).toBe('invalid');
    expect(result.settings).toMatchObject({
      apiKey: `${apiKey}-previous`,
      defaultUser: false,
      abandonedCallTickets: true,
      rateLimitPerMinute: 1000,
    });
    expect(result.form.errors[0]?.path).toBe('credentials');
    expect(result.form.errors[0]?.message).toContain('org.permission.customer.create');
    expect(result.form.checkboxes.defaultUser.checked).toBe(false);
    expect(result.form.checkboxes.alwaysUseAdmin).toBeUndefined();
  });

  it('legacy roles and broad roles are accepted', async () => {
    const h = harness();
    const legacy = [
      'org.user.customer.read',
      'org.user.customer.write',
      'org.user.conversation.read',
      'org.user.conversation.write',
      'org.user.note.write',
      'org.admin.user.read',
    ];
    for (const roles of [
      legacy,
      ['org.user', 'org.admin'],
      [...allRoles.slice(0, 6), 'org.user.user.read'],
    ]) {
      h.use(kustomerFixture.mocks.connectionUser);
      h.crm().get('/v1/auth/tokens/current').reply(200, currentTokenBody(roles));
      const check = await plugin.validateCredentials(settings(), h.context());
      expect(check.connectionUser.id).toBe(users.admin.id);
    }
  });

  it('roles Kustomer does not list are a warning, not a refusal', async () => {
    const h = harness();
    h.crm()
      .get('/v1/users/current')
      .reply(200, {
        data: { type: 'user', id: users.admin.id, attributes: { name: 'crm-connect', userType: 'machine' } },
      });
    h.crm()
      .get('/v1/auth/tokens/current')
      .reply(403, { errors: [{ status: 403, title: 'Forbidden' }] });
    const check = await plugin.validateCredentials(settings(), h.context());
    expect(check.connectionUser).toMatchObject({ id: users.admin.id, active: true, role: 'machine' });
    expect(check.warnings).toHaveLength(1);
    expect(check.warnings[0]).toContain('org.permission.note.create');
  });

  it('a key of another region than the host: a configuration error naming the host to use', async () => {
    const h = harness();
    h.crm(`https://api.kustomerapp.com`)
      .get('/v1/users/current')
      .reply(401, {
        errors: [
          {
            status: 401,
            code: 'unauthorized',
            title: 'Auth token associated with pod prod2 but request is being handled by prod1',
          },
        ],
      });
    const error = await plugin
      .validateCredentials(settings({ apiBaseUrl: 'https://api.kustomerapp.com' }), h.context())
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('configuration_invalid');
    expect(String((error as Error).message)).toContain('https://api.prod2.kustomerapp.com');
  });

  it('a user token rather than an API key is accepted with a warning: its user can be deactivated', async () => {
    const h = harness();
    h.crm().get('/v1/users/current').reply(200, currentUserBody(users.agent));
    h.crm().get('/v1/auth/tokens/current').reply(200, currentTokenBody());
    const check = await plugin.validateCredentials(settings(), h.context());
    expect(check.connectionUser.id).toBe(users.agent.id);
    expect(check.warnings.join(' ')).toContain('machine user');
  });

  it('the API key never appears in errors or logs, even when Kustomer echoes it', async () => {
    const h = harness();
    h.crm()
      .get('/v1/users/current')
      .reply(401, { errors: [{ status: 401, title: `invalid token ${apiKey}` }] });
    const context = h.context();
    const error = await plugin.validateCredentials(settings(), context).catch((caught: unknown) => caught);
    const haystack = [String((error as Error).message), inspect(error, { depth: 10 }), ...h.logs].join('\n');
    expect(haystack).not.toContain(apiKey);
    expect(haystack).toContain('[REDACTED]');
  });
});
