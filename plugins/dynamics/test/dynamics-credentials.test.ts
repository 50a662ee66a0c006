import { inspect } from 'node:util';
import { type CredentialCheck, isCrmConnectError, saveSettings } from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { dynamics } from '../src/index.js';
import {
  accessToken,
  applicationUserRecord,
  authorityHost,
  clientId,
  clientSecret,
  delegatePrivilege,
  dynamicsFixture,
  organizationUrl,
  privilegePath,
  tenantId,
  tokenEndpoint,
  users,
  webApi,
  whoAmI,
  wrongSecret,
  wrongSecretAnswer,
} from './dynamics-fixture.js';

const harness = useHarness(dynamicsFixture);
const appUserPath = `${webApi}/systemusers(${users.admin.id})`;

function validate(overrides: Record<string, unknown> = {}): Promise<CredentialCheck> {
  const settings = dynamics().settings.schema.parse({ ...dynamicsFixture.settings, ...overrides });
  return dynamics().validateCredentials(settings, harness().context());
}

async function failure(overrides: Record<string, unknown> = {}) {
  const error = await validate(overrides).catch((caught: unknown) => caught);
  if (!isCrmConnectError(error)) throw new Error(`expected a crm-connect error, got ${String(error)}`);
  return error;
}

/** Microsoft Entra ID answering the token request with an error. */
function aadError(status: number, error: string, code: number, description: string) {
  nock(authorityHost)
    .post(`/${tenantId}/oauth2/v2.0/token`)
    .query(true)
    .reply(status, {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: 1f2e3d4c-0000-4000-8000-000000000001 Correlation ID: 5a6b7c8d-0000-4000-8000-000000000002 Timestamp: 2026-11-21 10:00:00Z`,
      error_codes: [code],
      timestamp: '2026-11-21 10:00:00Z',
    });
}

describe('dynamics: live check of the application user', () => {
  it('acquires a new token with the client-credentials grant, then WhoAmI and the user with its roles', async () => {
    const h = harness();
    let tokenForm: Record<string, string> = {};
    nock(authorityHost)
      .post(`/${tenantId}/oauth2/v2.0/token`, (body: Record<string, string>) => {
        tokenForm = body;
        return true;
      })
      .query((query) => typeof query['client-request-id'] === 'string')
      .reply(200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: accessToken,
      });
    h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    h.crm()
      .get(appUserPath)
      .query({
        $select:
          'systemuserid,fullname,internalemailaddress,isdisabled,accessmode,applicationid,azureactivedirectoryobjectid',
        $expand: 'systemuserroles_association($select=roleid,name)',
      })
      .reply(200, applicationUserRecord());
    h.crm().get(privilegePath).reply(200, delegatePrivilege);

    const check = await validate();

    expect(check).toEqual({
      connectionUser: {
        id: users.admin.id,
        name: '# CRM Connect',
        email: undefined,
        active: true,
        role: 'application',
      },
      warnings: [],
    });
    expect(tokenForm).toMatchObject({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: `${organizationUrl}/.default`,
    });
    const [who] = h.requests;
    expect(who?.headers).toMatchObject({
      authorization: `Bearer ${accessToken}`,
      accept: 'application/json',
      'odata-version': '4.0',
      'odata-maxversion': '4.0',
      'if-none-match': 'null',
    });
  });

  it('proves the key on every save: each check asks Microsoft Entra ID for a new token', async () => {
    const h = harness();
    for (let round = 0; round < 2; round += 1) {
      tokenEndpoint();
      h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
      h.crm().get(appUserPath).query(true).reply(200, applicationUserRecord());
      h.crm().get(privilegePath).reply(200, delegatePrivilege);
    }
    await validate();
    await validate();
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a wrong application key: authentication error saying to paste the Value, no Dataverse call, no secret', async () => {
    const h = harness();
    nock(authorityHost).post(`/${tenantId}/oauth2/v2.0/token`).query(true).reply(401, wrongSecretAnswer());
    const error = await failure({ clientSecret: wrongSecret });
    expect(error.code).toBe('authentication_failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('AADSTS7000215');
    expect(error.message).toContain('Value, not its Secret ID');
    expect(h.requests).toEqual([]);
    const everything = `${error.message} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`;
    expect(everything).not.toContain(wrongSecret);
    expect(everything).not.toContain(clientSecret);
  });

  it('an expired application key says to create a new one', async () => {
    aadError(
      401,
      'invalid_client',
      7000222,
      `The provided client secret keys for app '${clientId}' are expired.`,
    );
    const error = await failure();
    expect(error.code).toBe('authentication_failed');
    expect(error.message).toContain('has expired');
  });

  it('an application unknown to the tenant names both ids to check', async () => {
    aadError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`,
    );
    const error = await failure();
    expect(error.code).toBe('authentication_failed');
    expect(error.message).toContain(`application ${clientId} was not found in tenant ${tenantId}`);
  });

  it('an organization URL that is not in the tenant is a configuration error on that field', async () => {
    aadError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${organizationUrl} was not found in the tenant named Contoso.`,
    );
    const error = await failure();
    expect(error.code).toBe('configuration_invalid');
    expect(error.message).toContain('Environment URL');
  });

  it('an unknown tenant is a configuration error', async () => {
    aadError(400, 'invalid_request', 90002, `Tenant '${tenantId}' not found.`);
    const error = await failure();
    expect(error.code).toBe('configuration_invalid');
    expect(error.message).toContain(`tenant ${tenantId} was not found`);
  });

  it('Microsoft Entra ID unreachable: retryable, so a save keeps the new credentials, unverified', async () => {
    nock(authorityHost)
      .post(`/${tenantId}/oauth2/v2.0/token`)
      .query(true)
      .replyWithError(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    const previous = dynamics().settings.schema.parse({ ...dynamicsFixture.settings, defaultUser: true });
    const result = await saveSettings(dynamics(), {
      previous,
      submitted: { ...dynamicsFixture.settings, defaultUser: true },
      validate: (settings) => dynamics().validateCredentials(settings, harness().context()),
    });
    expect(result.credentials).toBe('unverified');
    expect(result.form.checkboxes.defaultUser).toMatchObject({ checked: true, enabled: true });
    expect(result.form.warnings.join(' ')).toContain('could not be checked');
  });

  it('an app registration without an application user: says so and how to create one', async () => {
    const h = harness();
    tokenEndpoint();
    h.crm()
      .get(`${webApi}/WhoAmI`)
      .reply(403, {
        error: { code: '0x80072560', message: 'The user is not a member of the organization.' },
      });
    const error = await failure();
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain(`application ${clientId} has no application user in ${organizationUrl}`);
    expect(error.message).toContain('Application users › + New app user');
  });

  it('a disabled application user (as read back) says to activate it', async () => {
    const h = harness();
    tokenEndpoint();
    h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    h.crm()
      .get(appUserPath)
      .query(true)
      .reply(200, applicationUserRecord({ isdisabled: true }));
    const error = await failure();
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain('is disabled');
    expect(error.message).toContain('Activate');
  });

  it('a disabled application user (refused by WhoAmI) says the same', async () => {
    const h = harness();
    tokenEndpoint();
    h.crm()
      .get(`${webApi}/WhoAmI`)
      .reply(403, {
        error: { code: '0x80040225', message: `The user with SystemUserId=${users.admin.id} is disabled.` },
      });
    const error = await failure();
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain('application user of application');
    expect(error.message).toContain('is disabled');
  });

  it('an application user without a security role says to assign one', async () => {
    const h = harness();
    tokenEndpoint();
    h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    h.crm()
      .get(appUserPath)
      .query(true)
      .reply(200, applicationUserRecord({ roles: 0 }));
    const error = await failure();
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain('has no security role');
    expect(error.message).toContain('Edit security roles');
  });

  it('a role-less application user refused its own record gets the same advice', async () => {
    const h = harness();
    tokenEndpoint();
    h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    h.crm()
      .get(appUserPath)
      .query(true)
      .reply(403, {
        error: {
          code: '0x80040220',
          message: `Principal user (Id=${users.admin.id}, type=8) is missing prvReadUser privilege`,
        },
      });
    const error = await failure();
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain('has no security role');
  });

  it('a failed check unchecks the default user and restores the previous credentials', async () => {
    const h = harness();
    tokenEndpoint();
    h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    h.crm()
      .get(appUserPath)
      .query(true)
      .reply(200, applicationUserRecord({ roles: 0 }));
    const previous = dynamics().settings.schema.parse({
      ...dynamicsFixture.settings,
      clientId: undefined,
      defaultUser: true,
    });
    const result = await saveSettings(dynamics(), {
      previous,
      submitted: { ...dynamicsFixture.settings, defaultUser: true },
      validate: (settings) => dynamics().validateCredentials(settings, harness().context()),
    });
    expect(result.credentials).toBe('invalid');
    expect(result.settings.clientId).toBeUndefined();
    expect(result.settings.defaultUser).toBe(false);
    expect(result.form.errors).toEqual([
      expect.objectContaining({
        path: 'application',
        message: expect.stringContaining('has no security role'),
      }),
    ]);
  });
});

describe('dynamics: impersonation privilege', () => {
  it('warns, without refusing the save, when the Delegate privilege is missing', async () => {
    const h = harness();
    tokenEndpoint();
    h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    h.crm().get(appUserPath).query(true).reply(200, applicationUserRecord());
    h.crm().get(privilegePath).reply(200, { RolePrivileges: [] });
    const check = await validate();
    expect(check.connectionUser.id).toBe(users.admin.id);
    expect(check.warnings).toEqual([expect.stringContaining('Delegate security role')]);
  });

  it('warns when the privilege cannot be checked', async () => {
    const h = harness();
    tokenEndpoint();
    h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    h.crm().get(appUserPath).query(true).reply(200, applicationUserRecord());
    h.crm()
      .get(privilegePath)
      .reply(404, {
        error: {
          code: '0x8006088a',
          message: "Resource not found for the segment 'RetrieveUserPrivilegeByPrivilegeName'.",
        },
      });
    const check = await validate();
    expect(check.warnings).toEqual([expect.stringContaining('could not be checked')]);
  });

  it('does not ask when impersonation is off', async () => {
    const h = harness();
    tokenEndpoint();
    h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    h.crm().get(appUserPath).query(true).reply(200, applicationUserRecord());
    const check = await validate({ impersonateAgents: false });
    expect(check.warnings).toEqual([]);
    expect(h.requests).toHaveLength(2);
  });
});

describe('dynamics: sign-in authority', () => {
  it('a sovereign-cloud authority host (US Government) needs no discovery request: msal knows it', async () => {
    const h = harness();
    const sandbox = 'https://login.microsoftonline.us';
    nock(sandbox)
      .post(
        `/${tenantId}/oauth2/v2.0/token`,
        (body: Record<string, string>) => body.scope === `${organizationUrl}/.default`,
      )
      .query(true)
      .reply(200, { token_type: 'Bearer', expires_in: 3599, access_token: accessToken });
    h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    h.crm().get(appUserPath).query(true).reply(200, applicationUserRecord());
    // disableNetConnect turns any discovery call (to this host or to login.microsoftonline.com) into a failure.
    const check = await validate({ authorityHost: `${sandbox}/`, impersonateAgents: false });
    expect(check.connectionUser.id).toBe(users.admin.id);
  });

  it('a loopback authority on a port (the local sandbox) makes no discovery request either', async () => {
    const h = harness();
    // msal matches known authorities by host and port: a bare hostname would send it to
    // login.microsoftonline.com for instance discovery, which disableNetConnect refuses.
    const sandbox = 'https://127.0.0.1:4010';
    nock(sandbox)
      .post(`/${tenantId}/oauth2/v2.0/token`)
      .query(true)
      .reply(200, { token_type: 'Bearer', expires_in: 3599, access_token: accessToken });
    h.crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    h.crm().get(appUserPath).query(true).reply(200, applicationUserRecord());
    const check = await validate({ authorityHost: sandbox, impersonateAgents: false });
    expect(check.connectionUser.id).toBe(users.admin.id);
  });
});
