import { createDynamicsSandbox, type DynamicsSandbox } from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * The Dynamics sandbox over plain HTTPS, requests written from the Microsoft identity platform's
 * and the Dataverse Web API's documentation: what the sandbox does by itself, checked without any
 * plugin or msal-node. The plugin's runs against it are in test/sandbox/ at the repository root.
 */

let sandbox: DynamicsSandbox;
beforeEach(async () => {
  sandbox = createDynamicsSandbox();
  await sandbox.start();
});
afterEach(async () => {
  await sandbox.stop();
});

const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email ?? '' };
};

/** Which tenant and app to ask a token for; each defaults to the seeded `crm-connect` app's. */
interface TokenRequest {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
}

/** The tenant's token endpoint, client credentials grant, as msal-node posts it. */
function requestToken(overrides: TokenRequest = {}) {
  const { credentials } = sandbox.seed;
  const tenantId = overrides.tenantId ?? credentials.tenantId;
  return fetch(`${sandbox.url}/${tenantId}/oauth2/v2.0/token?client-request-id=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: overrides.clientId ?? credentials.clientId,
      client_secret: overrides.clientSecret ?? credentials.clientSecret,
      scope: `${sandbox.url}/.default`,
    }),
  });
}

/** An access token from the token endpoint, its answer checked against Entra's shape. */
async function token(overrides: TokenRequest = {}): Promise<string> {
  const response = await requestToken(overrides);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toEqual({
    token_type: 'Bearer',
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
  });
  return String(body.access_token);
}

const api = (path: string) => `${sandbox.url}/api/data/v9.2/${path}`;

describe('dynamics sandbox: the Web API itself', () => {
  it('creates with 204 + OData-EntityId, or 201 with the record; a repeated key is 412 0x80040237', async () => {
    const headers = {
      authorization: `Bearer ${await token()}`,
      'content-type': 'application/json',
      accept: 'application/json',
    };
    const incidentid = '5e5e5e5e-1111-4222-8333-444444444444';
    const body = JSON.stringify({
      incidentid,
      title: 'Printer on fire',
      customerid_contact: { lastname: 'Doe', emailaddress1: 'jo@example.com' },
    });
    const plain = await fetch(api('incidents'), { method: 'POST', headers, body });
    expect(plain.status).toBe(204);
    expect(plain.headers.get('odata-entityid')).toBe(api(`incidents(${incidentid})`));
    const again = await fetch(api('incidents'), {
      method: 'POST',
      headers: { ...headers, prefer: 'return=representation' },
      body,
    });
    expect(again.status).toBe(412);
    expect(await again.json()).toEqual({
      error: { code: '0x80040237', message: 'A record with matching key values already exists.' },
    });
    // The refused deep insert left no second contact behind.
    expect(sandbox.store.contacts.count()).toBe(1);
    const represented = await fetch(api('incidents?$select=incidentid,title'), {
      method: 'POST',
      headers: { ...headers, prefer: 'return=representation' },
      body: JSON.stringify({
        title: 'Second',
        'customerid_contact@odata.bind': `/contacts(${sandbox.store.contacts.all()[0]?.contactid})`,
      }),
    });
    expect(represented.status).toBe(201);
    expect(await represented.json()).toEqual({
      '@odata.context': expect.stringContaining('$metadata#incidents(incidentid,title)/$entity'),
      '@odata.etag': expect.stringMatching(/^W\/"\d+"$/),
      incidentid: expect.any(String),
      title: 'Second',
    });
  });

  it('a PATCH honours If-None-Match: * (never updates an existing case: 412) and If-Match (an etag or *)', async () => {
    const headers = {
      authorization: `Bearer ${await token()}`,
      'content-type': 'application/json',
      accept: 'application/json',
    };
    const incidentid = '5e5e5e5e-2222-4333-8444-555555555555';
    const created = await fetch(api('incidents'), {
      method: 'POST',
      headers,
      body: JSON.stringify({ incidentid, title: 'Kept', customerid_contact: { lastname: 'Doe' } }),
    });
    expect(created.status).toBe(204);
    const before = { ...sandbox.store.incidents.get(incidentid) };
    // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
    const refused = await fetch(api(`incidents(${incidentid})`), {
      method: 'PATCH',
      headers: { ...headers, 'if-none-match': '*' },
      body: JSON.stringify({ title: 'Overwritten' }),
    });
    expect(refused.status).toBe(412);
    expect(await refused.json()).toEqual({
      error: { code: '0x80040237', message: 'A record with matching key values already exists.' },
    });
    expect(sandbox.store.incidents.get(incidentid)).toEqual(before);
    const stale = await fetch(api(`incidents(${incidentid})`), {
      method: 'PATCH',
      headers: { ...headers, 'if-match': 'W/"1"' },
      body: JSON.stringify({ title: 'Stale' }),
    });
    expect(stale.status).toBe(412);
    const current = await fetch(api(`incidents(${incidentid})`), {
      method: 'PATCH',
      headers: { ...headers, 'if-match': `W/"${before.versionnumber}"` },
      body: JSON.stringify({ title: 'Updated' }),
    });
    expect(current.status).toBe(204);
    expect(sandbox.store.incidents.get(incidentid)?.title).toBe('Updated');
  });

  it('refuses unknown attributes and tokens: OData error bodies and an empty 401', async () => {
    const authorization = `Bearer ${await token()}`;
    const filtered = await fetch(api("systemusers?$filter=nickname eq 'x'"), { headers: { authorization } });
    expect(filtered.status).toBe(400);
    expect(await filtered.json()).toEqual({
      error: {
        code: '0x80060888',
        message: "Could not find a property named 'nickname' on type 'Microsoft.Dynamics.CRM.systemuser'.",
      },
    });
    const refused = await fetch(api('WhoAmI'), { headers: { authorization: 'Bearer not-a-token' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('authorization_uri=');
    sandbox.revokeCredential('accessTokens');
    expect((await fetch(api('WhoAmI'), { headers: { authorization } })).status).toBe(401);
  });

  it('pages a query with Prefer: odata.maxpagesize and @odata.nextLink', async () => {
    const headers = { authorization: `Bearer ${await token()}`, prefer: 'odata.maxpagesize=2' };
    const first = await fetch(
      api('systemusers?$select=fullname&$filter=applicationid eq null&$orderby=fullname asc'),
      {
        headers,
      },
    );
    expect(first.headers.get('preference-applied')).toBe('odata.maxpagesize=2');
    const page = (await first.json()) as { value: { fullname: string }[]; '@odata.nextLink': string };
    expect(page.value.map((user) => user.fullname)).toEqual(['Ada Admin', 'Alex Agent']);
    const second = (await (await fetch(page['@odata.nextLink'], { headers })).json()) as {
      value: { fullname: string }[];
      '@odata.nextLink'?: string;
    };
    expect(second.value.map((user) => user.fullname)).toEqual(['Gus Gone', 'Olga Other']);
    expect(second['@odata.nextLink']).toBeUndefined();
  });
});

describe('dynamics sandbox: the tenant token endpoint', () => {
  it('an unknown tenant, an unknown app, a wrong or deleted secret: the Entra error with its AADSTS code', async () => {
    const errorOf = async (response: Response) => {
      const body = (await response.json()) as {
        error: string;
        error_codes: number[];
        error_description: string;
      };
      return {
        status: response.status,
        error: body.error,
        codes: body.error_codes,
        description: body.error_description,
      };
    };
    expect(
      await errorOf(await requestToken({ tenantId: '11111111-2222-4333-8444-555555555555' })),
    ).toMatchObject({
      status: 400,
      error: 'invalid_request',
      codes: [90002],
    });
    expect(
      await errorOf(await requestToken({ clientId: '0f0f0f0f-1e1e-4d2d-8c3c-4b4b4b4b4b4b' })),
    ).toMatchObject({
      status: 400,
      error: 'unauthorized_client',
      codes: [700016],
      description: expect.stringContaining('was not found in the directory'),
    });
    const wrongSecret = await errorOf(
      await requestToken({ clientSecret: 'Wrong8Q~notTheSecretValue.0000000' }),
    );
    expect(wrongSecret).toMatchObject({ status: 401, error: 'invalid_client', codes: [7000215] });
    expect(wrongSecret.description).toMatch(/^AADSTS7000215: Invalid client secret provided\./);
    expect((await requestToken()).status).toBe(200);
    sandbox.revokeCredential('clientSecret');
    expect(await errorOf(await requestToken())).toMatchObject({ status: 401, codes: [7000215] });
  });

  it("faults aimed at the token endpoint answer as Microsoft Entra does, not with Dataverse's OData errors", async () => {
    sandbox.faults.inject({ kind: 'server-error', route: 'oauth.token', retryAfterSeconds: 3 });
    const unavailable = await requestToken();
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('3');
    expect(await unavailable.json()).toMatchObject({
      error: 'temporarily_unavailable',
      error_codes: [90033],
      error_description: expect.stringMatching(/^AADSTS90033: /),
    });
    sandbox.faults.inject({ kind: 'rate-limit', route: 'oauth.token', retryAfterSeconds: 5 });
    const limited = await requestToken();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('5');
    expect(await limited.json()).toMatchObject({ error_codes: [90055] });
    expect((await requestToken()).status).toBe(200);
    // The Web API keeps Dataverse's own answers.
    sandbox.faults.inject({ kind: 'server-error', route: 'whoAmI' });
    const authorization = `Bearer ${await token()}`;
    const whoAmI = await fetch(api('WhoAmI'), { headers: { authorization } });
    expect(whoAmI.status).toBe(503);
    expect(await whoAmI.json()).toMatchObject({ error: { code: expect.stringMatching(/^0x/) } });
  });

  it('an app without an application user gets a token, and Dataverse refuses it: 403 0x80072560', async () => {
    const { unlinkedClientId, unlinkedClientSecret } = sandbox.seed.credentials;
    const authorization = `Bearer ${await token({ clientId: unlinkedClientId, clientSecret: unlinkedClientSecret })}`;
    const whoAmI = await fetch(api('WhoAmI'), { headers: { authorization } });
    expect(whoAmI.status).toBe(403);
    expect(await whoAmI.json()).toEqual({
      error: { code: '0x80072560', message: 'The user is not a member of the organization.' },
    });
  });
});

describe('dynamics sandbox: the application user and impersonation', () => {
  it("WhoAmI is the app's application user, who holds the Delegate role's prvActOnBehalfOfAnotherUser", async () => {
    const authorization = `Bearer ${await token()}`;
    const appUser = person('applicationUser');
    const whoAmI = (await (await fetch(api('WhoAmI'), { headers: { authorization } })).json()) as {
      UserId: string;
    };
    expect(whoAmI.UserId).toBe(appUser.id);
    const privilege = await fetch(
      api(
        `systemusers(${appUser.id})/Microsoft.Dynamics.CRM.RetrieveUserPrivilegeByPrivilegeName(PrivilegeName='prvActOnBehalfOfAnotherUser')`,
      ),
      { headers: { authorization } },
    );
    expect(((await privilege.json()) as { RolePrivileges: unknown[] }).RolePrivileges).toEqual([
      expect.objectContaining({ PrivilegeName: 'prvActOnBehalfOfAnotherUser' }),
    ]);
  });

  it('CallerObjectId: the agent writes the case on behalf of the application user; a disabled owner is refused', async () => {
    const headers = {
      authorization: `Bearer ${await token()}`,
      'content-type': 'application/json',
    };
    const agent = person('agent');
    const agentObjectId = sandbox.store.systemUsers.get(agent.id)?.azureactivedirectoryobjectid ?? '';
    const impersonated = await fetch(api('incidents'), {
      method: 'POST',
      headers: { ...headers, callerobjectid: agentObjectId },
      body: JSON.stringify({ title: 'Printer on fire', customerid_contact: { lastname: 'Doe' } }),
    });
    expect(impersonated.status).toBe(204);
    expect(sandbox.store.incidents.all()).toEqual([
      expect.objectContaining({
        _ownerid_value: agent.id,
        _createdby_value: agent.id,
        _createdonbehalfby_value: person('applicationUser').id,
      }),
    ]);
    expect(sandbox.log.entries().at(-1)).toMatchObject({ route: 'incidents.create', principal: agent.id });

    sandbox.deactivateUser(agent.email);
    const refused = await fetch(api('incidents'), {
      method: 'POST',
      headers,
      body: JSON.stringify({
        title: 'Second',
        customerid_contact: { lastname: 'Roe' },
        'ownerid@odata.bind': `/systemusers(${agent.id})`,
      }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: '0x80040225' } });
    expect([sandbox.store.incidents.count(), sandbox.store.contacts.count()]).toEqual([1, 1]);
  });
});
