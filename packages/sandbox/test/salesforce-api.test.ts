import { createSalesforceSandbox, type SalesforceSandbox } from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  authorizeUrl,
  passwordOf,
  pkcePair,
  redirectUri,
  requestToken,
  signIn,
} from './salesforce-sign-in.js';

/**
 * The Salesforce sandbox over plain HTTP, requests written from Salesforce's OAuth and REST API
 * documentation: what the sandbox does by itself, checked without any plugin or jsforce. The
 * plugin's runs against it are in test/sandbox/ at the repository root.
 */

let sandbox: SalesforceSandbox;
beforeEach(async () => {
  sandbox = createSalesforceSandbox();
  await sandbox.start();
});
afterEach(async () => {
  await sandbox.stop();
});

const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user?.email === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email };
};
const caseOf = (interactionId: string) => {
  const cases = sandbox.store.cases.filter((record) => record.CrmConnect_Interaction_Id__c === interactionId);
  expect(cases, interactionId).toHaveLength(1);
  return cases[0] as (typeof cases)[number];
};

/** What the token endpoint answers the code exchange and a refresh with. */
interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  instance_url: string;
  id: string;
}

/** A code from the sign-in page for this seeded user, and the PKCE verifier it is bound to. */
async function authorizationCode(email = 'ada.admin@acme.test') {
  const { verifier, challenge } = pkcePair();
  const answer = await signIn(sandbox, authorizeUrl(sandbox, { challenge }), {
    username: email,
    password: passwordOf(email),
  });
  return { code: new URL(answer.location ?? '').searchParams.get('code') ?? '', verifier };
}

const exchange = (code: string, verifier: string) =>
  requestToken(sandbox, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });

/** A session by hand: PKCE pair, the sign-in form, the code exchange (no jsforce involved). */
async function session(
  email = 'ada.admin@acme.test',
): Promise<{ token: string; data: string; answer: TokenAnswer }> {
  const { code, verifier } = await authorizationCode(email);
  const response = await exchange(code, verifier);
  expect(response.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/\d+$/);
  const answer = (await response.json()) as TokenAnswer;
  return { token: answer.access_token, data: `${answer.instance_url}/services/data/v62.0`, answer };
}

const jsonHeaders = (token: string) => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  'sforce-auto-assign': 'FALSE',
});

describe('salesforce sandbox: the REST API itself', () => {
  it('errors are JSON arrays: a bad session, an unknown column; every answer carries Sforce-Limit-Info', async () => {
    const { token, data } = await session();
    const refused = await fetch(`${data}/query?q=SELECT+Id+FROM+Case`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual([
      { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' },
    ]);
    const query = await fetch(
      `${data}/query?q=${encodeURIComponent("SELECT Id FROM Case WHERE Interaction_Id__c = 'x'")}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(query.status).toBe(400);
    expect(await query.json()).toEqual([
      expect.objectContaining({
        errorCode: 'INVALID_FIELD',
        message: expect.stringContaining("No such column 'Interaction_Id__c' on entity 'Case'"),
      }),
    ]);
    expect(query.headers.get('sforce-limit-info')).toBe('api-usage=1/15000');
  });

  it('composite: @{ref} references; allOrNone rolls every write back when one part fails', async () => {
    const { token, data } = await session();
    const path = new URL(data).pathname;
    const composite = (allOrNone: boolean, last: object) =>
      fetch(`${data}/composite`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'sforce-auto-assign': 'FALSE',
        },
        body: JSON.stringify({
          allOrNone,
          compositeRequest: [
            {
              method: 'POST',
              url: `${path}/sobjects/Contact`,
              referenceId: 'contact',
              body: { LastName: 'Roe', CrmConnect_Contact_Key__c: 'jo@example.com' },
            },
            {
              method: 'POST',
              url: `${path}/sobjects/Case`,
              referenceId: 'case',
              body: { Subject: 'Hi', ContactId: '@{contact.id}' },
            },
            { referenceId: 'last', ...last },
          ],
        }),
      }).then(
        (response) =>
          response.json() as Promise<{
            compositeResponse: { referenceId: string; httpStatusCode: number; body: unknown }[];
          }>,
      );

    const rolledBack = await composite(true, {
      method: 'POST',
      url: `${path}/sobjects/Task`,
      body: { Nope__c: 1 },
    });
    expect(rolledBack.compositeResponse.map((result) => [result.referenceId, result.httpStatusCode])).toEqual(
      [
        ['contact', 400],
        ['case', 400],
        ['last', 400],
      ],
    );
    expect(JSON.stringify(rolledBack.compositeResponse[0]?.body)).toContain('PROCESSING_HALTED');
    expect(JSON.stringify(rolledBack.compositeResponse[2]?.body)).toContain('INVALID_FIELD');
    expect([sandbox.store.contacts.count(), sandbox.store.cases.count()]).toEqual([0, 0]);

    const kept = await composite(false, { method: 'GET', url: `${path}/sobjects/Case/@{case.id}` });
    expect(kept.compositeResponse.map((result) => result.httpStatusCode)).toEqual([201, 201, 200]);
    const [record] = sandbox.store.cases.all();
    expect(record?.ContactId).toBe(sandbox.store.contacts.all()[0]?.Id);
    expect(kept.compositeResponse[2]?.body).toMatchObject({ Id: record?.Id, attributes: { type: 'Case' } });
    // The contact key is unique: the same Contact again is DUPLICATE_VALUE, as the plugin expects.
    const again = await composite(false, { method: 'GET', url: `${path}/query?q=SELECT+Id+FROM+Contact` });
    expect(again.compositeResponse[0]?.body).toEqual([
      expect.objectContaining({
        errorCode: 'DUPLICATE_VALUE',
        message: expect.stringContaining('duplicates value on record with id'),
      }),
    ]);
  });

  it('without Sforce-Auto-Assign: FALSE, the assignment rule gives a new Case to the Support queue', async () => {
    const { token, data } = await session();
    const response = await fetch(`${data}/sobjects/Case/CrmConnect_Interaction_Id__c/chat-1`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Subject: 'Hi', OwnerId: person('agent').id }),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ success: true, created: true });
    expect(caseOf('chat-1').OwnerId).toBe(sandbox.store.supportQueueId);
  });

  it('the 24-hour allocation used up: 403 REQUEST_LIMIT_EXCEEDED', async () => {
    await sandbox.stop();
    sandbox = createSalesforceSandbox({ apiRequestsPerDay: 1 });
    await sandbox.start();
    const { token, data } = await session();
    const ask = () =>
      fetch(`${data}/query?q=SELECT+Id+FROM+User`, { headers: { authorization: `Bearer ${token}` } });
    expect((await ask()).status).toBe(200);
    const refused = await ask();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual([
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    expect(refused.headers.get('sforce-limit-info')).toBe('api-usage=1/1');
  });
});

describe('salesforce sandbox: record ids', () => {
  it('are 18 characters, the 15-character id and its case suffix; a 15-character id finds the same record', async () => {
    const { token, data, answer } = await session();
    expect(sandbox.store.orgId).toBe('00DSb0000000001MAA');
    expect(person('admin').id).toBe('005Sb0000000001IAA');
    expect(answer.id).toBe(`${sandbox.url}/id/00DSb0000000001MAA/005Sb0000000001IAA`);
    const created = await fetch(`${data}/sobjects/Contact`, {
      method: 'POST',
      headers: jsonHeaders(token),
      body: JSON.stringify({ LastName: 'Roe' }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: '003Sb0000000001IAA', success: true, errors: [] });
    expect(created.headers.get('location')).toBe('/services/data/v62.0/sobjects/Contact/003Sb0000000001IAA');
    const shown = await fetch(`${data}/sobjects/Contact/003Sb0000000001`, { headers: jsonHeaders(token) });
    expect(shown.status).toBe(200);
    expect(await shown.json()).toMatchObject({ Id: '003Sb0000000001IAA', LastName: 'Roe' });
    // The 15-character form is case-sensitive: another case is another record.
    expect(
      (await fetch(`${data}/sobjects/Contact/003sb0000000001`, { headers: jsonHeaders(token) })).status,
    ).toBe(404);
  });
});

describe('salesforce sandbox: sign-in and tokens', () => {
  it('the sign-in page refuses a wrong password and a deactivated user alike; Deny sends access_denied back', async () => {
    const { challenge } = pkcePair();
    const url = authorizeUrl(sandbox, { challenge, state: 'state-1' });
    const wrong = await signIn(sandbox, url, {
      username: 'ada.admin@acme.test',
      password: 'not-the-password',
    });
    expect(wrong.status).toBe(200);
    expect(wrong.body).toContain('Please check your username and password');
    const gone = await signIn(sandbox, url, {
      username: 'gus.gone@acme.test',
      password: passwordOf('gus.gone@acme.test'),
    });
    expect(gone.body).toContain('Please check your username and password');
    const denied = await signIn(sandbox, url, { username: '', password: '', action: 'deny' });
    expect(denied.status).toBe(302);
    const callback = new URL(denied.location ?? '');
    expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'end-user denied authorization',
      state: 'state-1',
    });
  });

  it('the code is bound to the PKCE challenge and single-use; a wrong Consumer Secret is invalid_client', async () => {
    const { code, verifier } = await authorizationCode();
    const wrongVerifier = await exchange(code, pkcePair().verifier);
    expect(wrongVerifier.status).toBe(400);
    expect(await wrongVerifier.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'invalid code verifier',
    });
    const wrongSecret = await requestToken(sandbox, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_secret: 'D00DFEEDFACE0B5E55ED0C0FFEE0DECAF',
    });
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });
    expect((await exchange(code, verifier)).status).toBe(200);
    const reused = await exchange(code, verifier);
    expect(await reused.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'invalid authorization code',
    });
  });

  it("revoking one user's grants ends their refresh and access tokens, not another user's", async () => {
    const ada = await session('ada.admin@acme.test');
    const ivy = await session('integration@acme.test');
    const refresh = (answer: TokenAnswer) =>
      requestToken(sandbox, { grant_type: 'refresh_token', refresh_token: answer.refresh_token ?? '' });
    expect((await refresh(ada.answer)).status).toBe(200);
    sandbox.revokeCredential('tokens:ada.admin@acme.test');
    const refused = await refresh(ada.answer);
    expect(await refused.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'expired access/refresh token',
    });
    const query = (token: string) =>
      fetch(`${ada.data}/query?q=SELECT+Id+FROM+User`, { headers: { authorization: `Bearer ${token}` } });
    expect((await query(ada.token)).status).toBe(401);
    expect((await refresh(ivy.answer)).status).toBe(200);
    expect((await query(ivy.token)).status).toBe(200);
  });

  it("faults aimed at the token endpoint answer as an OAuth endpoint does, not with the REST API's answers", async () => {
    const ada = await session('ada.admin@acme.test');
    const refresh = () =>
      requestToken(sandbox, { grant_type: 'refresh_token', refresh_token: ada.answer.refresh_token ?? '' });
    sandbox.faults.inject({ kind: 'rate-limit', route: 'oauth.token', retryAfterSeconds: 2 });
    const limited = await refresh();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await limited.json()).toMatchObject({ error: 'rate_limit_exceeded' });

    sandbox.faults.inject({ kind: 'server-error', route: 'oauth.token', retryAfterSeconds: 30 });
    const unavailable = await refresh();
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('30');
    // An outage page, not a JSON error: nothing in it names an OAuth error.
    expect(unavailable.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await unavailable.text()).toContain('Service Unavailable');

    sandbox.faults.inject({ kind: 'server-error', route: 'oauth.revoke', status: 500 });
    const failed = await fetch(`${sandbox.url}/services/oauth2/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: ada.answer.refresh_token ?? '' }),
    });
    expect(failed.status).toBe(500);
    expect(failed.headers.get('content-type')).toMatch(/^text\/html/);
    // None of it touched the grant: the refresh works once the faults are used up.
    expect((await refresh()).status).toBe(200);

    // The REST API keeps its own answers to the same faults.
    sandbox.faults.inject({ kind: 'server-error', route: 'query' });
    const rest = await fetch(`${ada.data}/query?q=SELECT+Id+FROM+User`, {
      headers: { authorization: `Bearer ${ada.token}` },
    });
    expect(rest.status).toBe(503);
    expect(await rest.json()).toEqual([expect.objectContaining({ errorCode: 'SERVER_UNAVAILABLE' })]);
  });

  it('autoApprove signs the login_hint user in at once; without a hint the sign-in page still shows', async () => {
    await sandbox.stop();
    sandbox = createSalesforceSandbox({ autoApprove: true });
    await sandbox.start();
    const { challenge } = pkcePair();
    const approved = await fetch(authorizeUrl(sandbox, { challenge, loginHint: 'integration@acme.test' }), {
      redirect: 'manual',
    });
    expect(approved.status).toBe(302);
    expect(new URL(approved.headers.get('location') ?? '').searchParams.get('code')).toEqual(
      expect.any(String),
    );
    expect(sandbox.log.entries().at(-1)).toMatchObject({
      route: 'oauth.authorize',
      principal: person('integrationUser').id,
    });
    expect((await fetch(authorizeUrl(sandbox, { challenge }), { redirect: 'manual' })).status).toBe(200);
  });
});

describe('salesforce sandbox: owners', () => {
  it('a deactivated user cannot own a record: INACTIVE_OWNER_OR_USER, nothing written', async () => {
    const { token, data } = await session();
    const agent = person('agent');
    sandbox.deactivateUser(agent.email);
    const response = await fetch(`${data}/sobjects/Case`, {
      method: 'POST',
      headers: jsonHeaders(token),
      body: JSON.stringify({ Subject: 'Hi', OwnerId: agent.id }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual([
      expect.objectContaining({
        errorCode: 'INACTIVE_OWNER_OR_USER',
        message: expect.stringContaining(`inactive user [${agent.id}] as owner of case`),
      }),
    ]);
    expect(sandbox.store.cases.count()).toBe(0);
  });
});

describe('salesforce sandbox: unique external ids and lookups in queries', () => {
  it('a second Case with the same interaction id is DUPLICATE_VALUE (HTTP 400), in a composite too, where the other parts still run', async () => {
    const { token, data } = await session();
    const path = new URL(data).pathname;
    const create = () =>
      fetch(`${data}/sobjects/Case`, {
        method: 'POST',
        headers: jsonHeaders(token),
        body: JSON.stringify({ Subject: 'First', CrmConnect_Interaction_Id__c: 'chat-1' }),
      });
    expect((await create()).status).toBe(201);
    const existing = caseOf('chat-1');
    const again = await create();
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual([
      {
        message: `duplicate value found: CrmConnect_Interaction_Id__c duplicates value on record with id: ${existing.Id}`,
        errorCode: 'DUPLICATE_VALUE',
        fields: [],
      },
    ]);

    const query = `SELECT Id, OwnerId, Owner.Name, Owner.IsActive FROM Case WHERE CrmConnect_Interaction_Id__c = 'chat-1' LIMIT 1`;
    const composite = await fetch(`${data}/composite`, {
      method: 'POST',
      headers: jsonHeaders(token),
      body: JSON.stringify({
        allOrNone: false,
        compositeRequest: [
          {
            method: 'POST',
            url: `${path}/sobjects/Contact`,
            referenceId: 'contact',
            body: { LastName: 'Roe', CrmConnect_Contact_Key__c: 'jo@example.com' },
          },
          {
            method: 'POST',
            url: `${path}/sobjects/Case`,
            referenceId: 'case',
            body: { Subject: 'Late', CrmConnect_Interaction_Id__c: 'chat-1' },
          },
          { method: 'GET', url: `${path}/query?q=${encodeURIComponent(query)}`, referenceId: 'caseRecord' },
        ],
      }),
    }).then(
      (response) =>
        response.json() as Promise<{ compositeResponse: { httpStatusCode: number; body: unknown }[] }>,
    );
    expect(composite.compositeResponse.map((result) => result.httpStatusCode)).toEqual([201, 400, 200]);
    expect(composite.compositeResponse[1]?.body).toEqual([
      expect.objectContaining({ errorCode: 'DUPLICATE_VALUE', fields: [] }),
    ]);
    // allOrNone false: the Contact stays, the existing Case is untouched.
    expect(sandbox.store.contacts.count()).toBe(1);
    expect(caseOf('chat-1')).toEqual(existing);
    const admin = person('admin');
    expect(composite.compositeResponse[2]?.body).toMatchObject({
      records: [
        {
          Id: existing.Id,
          OwnerId: admin.id,
          Owner: {
            attributes: { type: 'Name', url: `/services/data/v62.0/sobjects/User/${admin.id}` },
            Name: 'Ada Admin',
            IsActive: true,
          },
        },
      ],
    });
  });

  it('Owner of a Case given to a queue: Type Queue; an unknown relationship is INVALID_FIELD', async () => {
    const { token, data } = await session();
    const created = await fetch(`${data}/sobjects/Case`, {
      method: 'POST',
      // No Sforce-Auto-Assign: FALSE, so the assignment rule gives the Case to the Support queue.
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Subject: 'Queued', CrmConnect_Interaction_Id__c: 'chat-2' }),
    });
    expect(created.status).toBe(201);
    const ask = (soql: string) =>
      fetch(`${data}/query?q=${encodeURIComponent(soql)}`, { headers: { authorization: `Bearer ${token}` } });
    const queued = await ask(
      "SELECT Owner.Type, Owner.Name, Owner.Email FROM Case WHERE CrmConnect_Interaction_Id__c = 'chat-2'",
    );
    expect(await queued.json()).toMatchObject({
      records: [{ Owner: { Type: 'Queue', Name: 'Support Queue', Email: null } }],
    });
    const unknown = await ask('SELECT Boss.Name FROM Case');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual([expect.objectContaining({ errorCode: 'INVALID_FIELD' })]);
  });
});

describe('salesforce sandbox: profiles and effective permissions', () => {
  const permissions =
    'SELECT PermissionsApiEnabled, PermissionsModifyAllData, PermissionsViewAllUsers, PermissionsTransferAnyCase FROM UserPermissionAccess';
  const ask = async (token: string, data: string, soql = permissions) =>
    fetch(`${data}/query?q=${encodeURIComponent(soql)}`, { headers: { authorization: `Bearer ${token}` } });
  const row = async (token: string, data: string) =>
    ((await (await ask(token, data)).json()) as { records: unknown[] }).records[0];

  it("UserPermissionAccess answers the requesting user's rights: an administrator has them, a Standard User does not", async () => {
    const ada = await session('ada.admin@acme.test');
    expect(await (await ask(ada.token, ada.data)).json()).toEqual({
      totalSize: 1,
      done: true,
      records: [
        {
          attributes: { type: 'UserPermissionAccess' },
          PermissionsApiEnabled: true,
          PermissionsModifyAllData: true,
          PermissionsViewAllUsers: true,
          PermissionsTransferAnyCase: true,
        },
      ],
    });
    const alex = await session('alex.agent@acme.test');
    expect(await row(alex.token, alex.data)).toMatchObject({
      PermissionsApiEnabled: true,
      PermissionsModifyAllData: false,
      PermissionsViewAllUsers: false,
      PermissionsTransferAnyCase: false,
    });
  });

  it('a permission set changes them; an unknown permission is INVALID_FIELD', async () => {
    const ada = await session('ada.admin@acme.test');
    sandbox.store.users.update(person('admin').id, { permissionSets: { TransferAnyCase: false } });
    expect(await row(ada.token, ada.data)).toMatchObject({
      PermissionsModifyAllData: true,
      PermissionsTransferAnyCase: false,
    });
    const unknown = await ask(
      ada.token,
      ada.data,
      'SELECT PermissionsFlyToTheMoon FROM UserPermissionAccess',
    );
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual([expect.objectContaining({ errorCode: 'INVALID_FIELD' })]);
  });
});
