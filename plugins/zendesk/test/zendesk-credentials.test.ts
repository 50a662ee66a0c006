import { inspect } from 'node:util';
import { AuthenticationError, AuthorizationError, type CrmConnectError } from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { apiTokenRetirementWarning, type ZendeskSettingsInput } from '../src/index.js';
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

const tokenSettings = {
  subdomain: 'acme',
  authMode: 'apiToken',
  email: users.admin.email,
  apiToken,
} as const;
const oauthSettings = { subdomain: 'acme', authMode: 'oauthClientCredentials', ...oauthClient } as const;

async function validate(settings: ZendeskSettingsInput) {
  const context = harness().context();
  const result = await plugin
    .validateCredentials(plugin.settings.schema.parse(settings), context)
    .catch((error: unknown) => error);
  return { result, context };
}

function expectError<T extends CrmConnectError>(error: unknown, type: new (...args: never[]) => T): T {
  expect(error).toBeInstanceOf(type);
  return error as T;
}

describe('zendesk credential check, API token mode', () => {
  it('asks GET /api/v2/users/me with Basic {email}/token:{token} and returns the admin with the retirement warning', async () => {
    harness()
      .crm()
      .get('/api/v2/users/me')
      .reply(200, { user: wireUser(users.admin) });
    const { result } = await validate(tokenSettings);
    expect(result).toEqual({
      connectionUser: {
        id: users.admin.id,
        email: users.admin.email,
        name: users.admin.name,
        active: true,
        role: 'admin',
      },
      warnings: [apiTokenRetirementWarning],
    });
    const [request] = harness().requests;
    expect(request).toMatchObject({ method: 'GET', path: '/api/v2/users/me' });
    expect(request?.headers.authorization).toBe(basic(users.admin.email));
    expect(request?.headers.accept).toBe('application/json');
    expect(apiTokenRetirementWarning).toMatch(/2026-10-27.*2027-04-30.*OAuth client credentials/);
  });

  it('a 401 is an authentication error that says where the token is managed, without the token', async () => {
    harness().crm().get('/api/v2/users/me').reply(401, { error: "Couldn't authenticate you" });
    const { result } = await validate({ ...tokenSettings, apiToken: revokedApiToken });
    const error = expectError(result, AuthenticationError);
    expect(error).toMatchObject({ code: 'authentication_failed', status: 401, retryable: false });
    expect(error.message).toContain("Couldn't authenticate you");
    expect(error.message).toContain('Admin Center › Apps and integrations › APIs › Zendesk API');
    expect(harness().requests).toHaveLength(1);
    expect(inspect(error, { depth: 10 }) + JSON.stringify(error)).not.toContain(revokedApiToken);
  });

  it('a 200 with the anonymous user is refused as bad credentials', async () => {
    harness().crm().get('/api/v2/users/me').reply(200, { user: anonymousUser });
    const { result } = await validate({ ...tokenSettings, apiToken: revokedApiToken });
    const error = expectError(result, AuthenticationError);
    expect(error.message).toContain('anonymous user');
    expect(error.retryable).toBe(false);
  });

  it('an agent is refused: the connection and the default user need an admin', async () => {
    harness()
      .crm()
      .get('/api/v2/users/me')
      .reply(200, { user: wireUser(users.agent) });
    const { result } = await validate({ ...tokenSettings, email: users.agent.email });
    const error = expectError(result, AuthorizationError);
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain(`${users.agent.email} is an agent, not an admin`);
    expect(error.message).toContain('email of a Zendesk admin');
  });

  it('a suspended admin is refused', async () => {
    harness()
      .crm()
      .get('/api/v2/users/me')
      .reply(200, { user: wireUser(users.admin, { suspended: true }) });
    const error = expectError((await validate(tokenSettings)).result, AuthorizationError);
    expect(error.message).toContain('suspended');
  });

  it('missing credentials are a configuration error, with no request', async () => {
    const { result } = await validate({ ...tokenSettings, apiToken: '' });
    expect(result).toMatchObject({ code: 'configuration_invalid' });
    expect(harness().requests).toEqual([]);
  });
});

describe('zendesk credential check, OAuth client credentials mode', () => {
  const accessToken = 'gErypPlm4dOVgGRvA1ZzMH5MQ3nLo8bo';

  it('gets a token with the client credentials grant, then checks the admin with it', async () => {
    harness()
      .crm()
      .post('/oauth/tokens')
      .reply(200, { access_token: accessToken, token_type: 'bearer', scope: 'read write', expires_in: 1800 });
    harness()
      .crm()
      .get('/api/v2/users/me')
      .reply(200, { user: wireUser(users.admin) });
    const { result, context } = await validate(oauthSettings);
    expect(result).toMatchObject({ connectionUser: { id: users.admin.id, role: 'admin' }, warnings: [] });
    const [tokenRequest, meRequest] = harness().requests;
    expect(tokenRequest).toMatchObject({
      method: 'POST',
      path: '/oauth/tokens',
      body: {
        grant_type: 'client_credentials',
        client_id: oauthClient.oauthClientId,
        client_secret: oauthClient.oauthClientSecret,
        scope: 'read write',
      },
    });
    expect(tokenRequest?.headers.authorization).toBeUndefined();
    expect(tokenRequest?.headers['content-type']).toContain('application/json');
    expect(meRequest?.headers.authorization).toBe(`Bearer ${accessToken}`);
    // The token is a secret from the moment it arrives.
    expect(context.redactor.redact(`token ${accessToken}`)).not.toContain(accessToken);
  });

  it('a token acting as an agent is refused', async () => {
    harness().crm().post('/oauth/tokens').reply(200, { access_token: accessToken, token_type: 'bearer' });
    harness()
      .crm()
      .get('/api/v2/users/me')
      .reply(200, { user: wireUser(users.agent) });
    const error = expectError((await validate(oauthSettings)).result, AuthorizationError);
    expect(error.message).toContain('OAuth client created by a Zendesk admin');
  });

  it('a client limited to read scopes is refused before any write can fail', async () => {
    harness()
      .crm()
      .post('/oauth/tokens')
      .reply(200, { access_token: accessToken, token_type: 'bearer', scope: 'read' });
    const error = expectError((await validate(oauthSettings)).result, AuthorizationError);
    expect(error.message).toContain('"read write"');
    expect(harness().requests).toHaveLength(1);
  });

  it('resource scopes without the global read are refused: ticket audits (the note lookup) accept only "read"', async () => {
    harness().crm().post('/oauth/tokens').reply(200, {
      access_token: accessToken,
      token_type: 'bearer',
      scope: 'users:read tickets:read tickets:write',
    });
    const error = expectError((await validate(oauthSettings)).result, AuthorizationError);
    expect(error.message).toContain('"read write"');
    expect(harness().requests).toHaveLength(1);
  });

  it.each([
    ['invalid_client', 401, 'identifier (not its numeric id) and secret'],
    ['unauthorized_client', 400, 'kind "Confidential"'],
    ['invalid_scope', 400, 'Allow the read and write scopes'],
  ])('a token endpoint %s answer says how to fix it', async (code, status, fix) => {
    harness()
      .crm()
      .post('/oauth/tokens')
      .reply(status, { error: code, error_description: 'Client authentication failed.' });
    const { result } = await validate(oauthSettings);
    expect(result).toMatchObject({ retryable: false, pluginId: 'zendesk' });
    expect(String((result as Error).message)).toContain(fix);
    expect(inspect(result, { depth: 10 })).not.toContain(oauthClient.oauthClientSecret);
  });

  it('an email that is not the OAuth admin’s gives a warning naming the real default user', async () => {
    harness().crm().post('/oauth/tokens').reply(200, { access_token: accessToken, token_type: 'bearer' });
    harness()
      .crm()
      .get('/api/v2/users/me')
      .reply(200, { user: wireUser(users.admin) });
    const { result } = await validate({ ...oauthSettings, email: 'someone.else@acme.com' });
    expect(result).toMatchObject({ connectionUser: { id: users.admin.id } });
    const { warnings } = result as { warnings: string[] };
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`acts as ${users.admin.email}, not someone.else@acme.com`);
  });
});
