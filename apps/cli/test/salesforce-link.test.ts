import { readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { exitCodes, run } from '@crm-connect/cli';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io.js';
import { temporaryFolder } from './temporary-folder.js';

const origin = 'https://acme.my.salesforce.com';
const loginOrigin = 'https://login.salesforce.com';
const orgId18 = '00Dxx0000001gPLEAY';
const adminId = '005xx000001SwiUAAS';
const clientSecret = 'C8A2F07B3E9D4C16A5B0E7F2D9C3B8A14E6F0D2C7B9A3E5F1D8C4B6A0E2F9D7C';
const refreshToken =
  '5Aep861KIwKdekr90I5pVgsHc2Quf6gXtRTiyoMKvQZK0sGNgTYzz4cJfZd8lA2Jc2t4o7V0PbNhu6WObPVWeYz';
const accessToken = '00Dxx0000001gPL!AQ4AQLinkFromTheTerminal1x2y3z4a5b6c7d8e9f0g1h2i3j4k5l6';

beforeAll(() => {
  nock.disableNetConnect();
  // The browser's redirect to the CLI's own loopback callback is real traffic on this machine.
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

/** Plays the admin's browser: follows the redirect Salesforce would send to the callback. */
function browserCallback(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

async function waitFor(predicate: () => boolean): Promise<void> {
  for (let tries = 0; tries < 200 && !predicate(); tries += 1)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Salesforce's side of a link: the code exchange, the identity and the admin's rights; returns what the exchange received. */
function mockSalesforceSignIn(): () => Record<string, string> {
  let exchange: Record<string, string> = {};
  nock(origin)
    .post('/services/oauth2/token', (body: Record<string, string>) => {
      exchange = body;
      return body.grant_type === 'authorization_code';
    })
    .reply(200, {
      access_token: accessToken,
      refresh_token: refreshToken,
      instance_url: origin,
      id: `${loginOrigin}/id/${orgId18}/${adminId}`,
      token_type: 'Bearer',
      issued_at: '1763719200000',
      scope: 'id api refresh_token',
      signature: 'c2lnbmF0dXJl',
    });
  nock(loginOrigin)
    .get(`/id/${orgId18}/${adminId}`)
    .matchHeader('authorization', `Bearer ${accessToken}`)
    .reply(200, {
      id: `${loginOrigin}/id/${orgId18}/${adminId}`,
      user_id: adminId,
      organization_id: orgId18,
      username: 'ada.admin@acme.com',
      display_name: 'Ada Admin',
      email: 'ada.admin@acme.com',
      active: true,
      user_type: 'STANDARD',
    });
  // The admin's rights, read without writing anything.
  nock(origin)
    .get('/services/data/v62.0/query')
    .query((query) => String(query.q).endsWith('FROM UserPermissionAccess'))
    .matchHeader('authorization', `Bearer ${accessToken}`)
    .reply(200, {
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
  return () => exchange;
}

/** The config file a link starts from. */
async function salesforceConfig(folder: string): Promise<string> {
  const config = join(folder, 'salesforce.json');
  await writeFile(
    config,
    JSON.stringify({
      orgId: '00Dxx0000001gPL',
      loginUrl: origin,
      clientId: '3MVG9rZjd7MXFdLhZ4yRk1Vq7Qb8uW3n2Jm5pS6tX0aC9eD1fG2hI3',
      apiVersion: '62.0',
    }),
  );
  return config;
}

/** Plays the admin at the browser: approves the authorize URL the CLI printed (on stdout, or stderr with --json). */
async function approve(printed: () => string): Promise<{ status: number; body: string }> {
  await waitFor(() => printed().includes('Waiting for Salesforce'));
  const authorize = new URL(/https:\/\/\S+/.exec(printed())?.[0] ?? '');
  const callback = new URL(
    (authorize.searchParams.get('redirect_uri') ?? '').replace('localhost', '127.0.0.1'),
  );
  callback.searchParams.set('code', 'aPrxbOND3gL_2LbSR7rKPdmH4qQp1lS1gD9Uu9YBn3qGhuKbL7kqAOoS');
  callback.searchParams.set('state', authorize.searchParams.get('state') ?? '');
  return browserCallback(callback.toString());
}

describe('crm-connect salesforce link', () => {
  it('prints the authorize URL, takes the callback, stores the token owner-only and the connection in the config', async () => {
    const folder = await temporaryFolder('crm-connect-link-');
    const config = join(folder, 'salesforce.json');
    const tokens = join(folder, 'secrets', 'salesforce-tokens.json');
    await writeFile(
      config,
      JSON.stringify({
        orgId: '00Dxx0000001gPL',
        loginUrl: origin,
        clientId: '3MVG9rZjd7MXFdLhZ4yRk1Vq7Qb8uW3n2Jm5pS6tX0aC9eD1fG2hI3',
        apiVersion: '62.0',
      }),
    );
    const exchanged = mockSalesforceSignIn();

    const terminal = memoryIo({ env: { CRM_CONNECT_CLIENT_SECRET: clientSecret } });
    const linking = run(
      ['salesforce', 'link', '--config', config, '--port', '0', '--token-store', tokens, '--timeout', '20'],
      terminal.io,
    );
    await waitFor(() => terminal.out().includes('Waiting for Salesforce'));
    const authorize = new URL(/https:\/\/\S+/.exec(terminal.out())?.[0] ?? '');
    expect(authorize.origin + authorize.pathname).toBe(`${origin}/services/oauth2/authorize`);
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    const redirect = authorize.searchParams.get('redirect_uri') ?? '';
    const callback = new URL(redirect.replace('localhost', '127.0.0.1'));
    callback.searchParams.set('code', 'aPrxbOND3gL_2LbSR7rKPdmH4qQp1lS1gD9Uu9YBn3qGhuKbL7kqAOoS');
    callback.searchParams.set('state', authorize.searchParams.get('state') ?? '');
    const answer = await browserCallback(callback.toString());

    expect(await linking).toBe(exitCodes.ok);
    expect(answer).toMatchObject({ status: 200 });
    const exchange = exchanged();
    expect(exchange).toMatchObject({ grant_type: 'authorization_code', redirect_uri: redirect });
    // jsforce sends base64url of 128 random bytes (171 characters).
    expect(exchange.code_verifier).toMatch(/^[\w-]{43,}$/);
    expect(terminal.out()).toContain('✔ Linked ada.admin@acme.com');
    // Ada's own account: linked, with the advice to prefer an integration user.
    expect(terminal.out()).toContain("⚠ ada.admin@acme.com looks like a person's own account");

    const saved = JSON.parse(await readFile(config, 'utf8'));
    expect(saved.adminConnections).toEqual([expect.objectContaining({ userId: adminId, status: 'active' })]);
    expect(JSON.stringify(saved)).not.toContain(clientSecret);
    expect(JSON.stringify(saved)).not.toContain(refreshToken);
    expect(await readFile(tokens, 'utf8')).toContain(refreshToken);
    expect((await stat(tokens)).mode & 0o777).toBe(0o600);
    expect(terminal.out() + terminal.err()).not.toContain(refreshToken);
  });

  it('a refusal on the callback is reported and nothing is stored', async () => {
    const folder = await temporaryFolder('crm-connect-link-');
    const config = join(folder, 'salesforce.json');
    await writeFile(
      config,
      JSON.stringify({
        orgId: '00Dxx0000001gPL',
        loginUrl: origin,
        clientId: '3MVG9rZjd7MXFdLhZ4yRk1Vq7Qb8uW3n2Jm5pS6tX0aC9eD1fG2hI3',
      }),
    );
    const terminal = memoryIo({ env: { CRM_CONNECT_CLIENT_SECRET: clientSecret } });
    const linking = run(
      ['salesforce', 'link', '--config', config, '--port', '0', '--token-store', join(folder, 't.json')],
      terminal.io,
    );
    await waitFor(() => terminal.out().includes('Waiting for Salesforce'));
    const authorize = new URL(/https:\/\/\S+/.exec(terminal.out())?.[0] ?? '');
    const callback = new URL(
      (authorize.searchParams.get('redirect_uri') ?? '').replace('localhost', '127.0.0.1'),
    );
    callback.searchParams.set('error', 'access_denied');
    callback.searchParams.set('error_description', 'end-user denied authorization');
    callback.searchParams.set('state', authorize.searchParams.get('state') ?? '');
    const answer = await browserCallback(callback.toString());
    expect(await linking).not.toBe(exitCodes.ok);
    expect(answer.status).toBe(400);
    expect(terminal.err()).toMatch(/^✖ /);
    expect(JSON.parse(await readFile(config, 'utf8')).adminConnections).toBeUndefined();
  });

  it('--json: one document with the connection, the URL and the waiting on stderr, no secret anywhere', async () => {
    const folder = await temporaryFolder('crm-connect-link-');
    const config = await salesforceConfig(folder);
    const tokens = join(folder, 'tokens.json');
    mockSalesforceSignIn();
    const terminal = memoryIo({ env: { CRM_CONNECT_CLIENT_SECRET: clientSecret } });
    const linking = run(
      ['salesforce', 'link', '--config', config, '--port', '0', '--token-store', tokens, '--json'],
      terminal.io,
    );
    expect((await approve(terminal.err)).status).toBe(200);
    expect(await linking).toBe(exitCodes.ok);

    const document = JSON.parse(terminal.out());
    expect(document).toEqual({
      command: 'salesforce link',
      ok: true,
      exitCode: 0,
      config,
      connection: {
        userId: adminId,
        username: 'ada.admin@acme.com',
        name: 'Ada Admin',
        email: 'ada.admin@acme.com',
        orgId: '00Dxx0000001gPL',
        instanceUrl: origin,
        status: 'active',
        linkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      defaultUserCheckbox: { enabled: true },
      warnings: [expect.stringContaining("looks like a person's own account")],
    });
    const printed = terminal.out() + terminal.err();
    for (const secret of [clientSecret, refreshToken, accessToken]) expect(printed).not.toContain(secret);
  });

  it('--json: a refusal is a JSON error document', async () => {
    const folder = await temporaryFolder('crm-connect-link-');
    const config = await salesforceConfig(folder);
    const terminal = memoryIo({ env: { CRM_CONNECT_CLIENT_SECRET: clientSecret } });
    const linking = run(
      [
        'salesforce',
        'link',
        '--config',
        config,
        '--port',
        '0',
        '--token-store',
        join(folder, 't.json'),
        '--json',
      ],
      terminal.io,
    );
    await waitFor(() => terminal.err().includes('Waiting for Salesforce'));
    const authorize = new URL(/https:\/\/\S+/.exec(terminal.err())?.[0] ?? '');
    const callback = new URL(
      (authorize.searchParams.get('redirect_uri') ?? '').replace('localhost', '127.0.0.1'),
    );
    callback.searchParams.set('error', 'access_denied');
    callback.searchParams.set('state', authorize.searchParams.get('state') ?? '');
    await browserCallback(callback.toString());
    const code = await linking;
    const document = JSON.parse(terminal.out());
    expect(document).toMatchObject({
      command: 'salesforce link',
      ok: false,
      exitCode: code,
      config,
      error: { code: expect.any(String), message: expect.any(String), hint: expect.any(String) },
    });
    expect(code).not.toBe(exitCodes.ok);
    expect(terminal.out() + terminal.err()).not.toContain(clientSecret);
  });
});
