import { randomUUID } from 'node:crypto';
import { type CrmConnection, isCrmConnectError } from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { dynamics } from '../src/index.js';
import {
  authorityHost,
  dynamicsFixture,
  organizationUrl,
  tenantId,
  users,
  webApi,
} from './dynamics-fixture.js';

const harness = useHarness(dynamicsFixture);
const caseId = '92684375-46c5-5b2a-81fc-4c7dcafe0d11';

/**
 * Each test gets its own app registration (client id), hence its own msal client and an empty
 * token cache, as a freshly started process would have.
 */
function freshApp(...tokens: string[]) {
  const client = randomUUID();
  let requests = 0;
  // Persisted, so that a second token request is answered (and counted) rather than failing and
  // being hidden by a retry.
  nock(authorityHost)
    .post(`/${tenantId}/oauth2/v2.0/token`, (body: Record<string, string>) => body.client_id === client)
    .query(true)
    .reply(() => {
      const token = tokens[Math.min(requests, tokens.length - 1)];
      requests += 1;
      return [200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token }];
    })
    .persist();
  const connection = (): CrmConnection => {
    const settings = dynamics().settings.schema.parse({
      ...dynamicsFixture.settings,
      clientId: client,
      impersonateAgents: false,
    });
    return dynamics().connect(settings, harness().context());
  };
  return { connection, tokenRequests: () => requests };
}

const assign = (connection: CrmConnection) =>
  connection.changeOwner({
    interactionId: 'chat-2026-0001',
    ticket: { id: caseId },
    owner: users.agent,
    performer: users.admin,
  });

describe('dynamics: application tokens', () => {
  it('1,000 concurrent writes on a cold cache make one token request; later ones make none', async () => {
    const h = harness();
    const app = freshApp('eyJ.cold-cache-token.sig');
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .matchHeader('authorization', 'Bearer eyJ.cold-cache-token.sig')
      .times(1_050)
      .reply(204, '');
    const connection = app.connection();

    const results = await Promise.all(Array.from({ length: 1_000 }, () => assign(connection)));
    expect(results).toHaveLength(1_000);
    expect(results.every((result) => result.attempts === 1)).toBe(true);
    expect(app.tokenRequests()).toBe(1);

    // Steady traffic afterwards, from another connection of the same app: msal's cache serves it.
    await Promise.all(Array.from({ length: 50 }, () => assign(app.connection())));
    expect(app.tokenRequests()).toBe(1);
  }, 30_000);

  it('a 401 gets one forced token refresh, then the request is sent again with the new token', async () => {
    const h = harness();
    const app = freshApp('eyJ.revoked.sig', 'eyJ.renewed.sig');
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .matchHeader('authorization', 'Bearer eyJ.revoked.sig')
      .reply(401, '', {
        'WWW-Authenticate': `Bearer authorization_uri=${authorityHost}/${tenantId}/oauth2/authorize`,
      });
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .matchHeader('authorization', 'Bearer eyJ.renewed.sig')
      .reply(204, '');

    await expect(assign(app.connection())).resolves.toEqual({ attempts: 2 });
    expect(app.tokenRequests()).toBe(2);
  });

  it('a second 401 after the refresh is an authentication error, with no further refresh', async () => {
    const h = harness();
    const app = freshApp('eyJ.first.sig', 'eyJ.second.sig');
    h.crm().patch(`${webApi}/incidents(${caseId})`).times(2).reply(401, '');

    const error = await assign(app.connection()).catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('authentication_failed');
    expect(String((error as Error).message)).toContain(organizationUrl);
    expect(app.tokenRequests()).toBe(2);
  });

  it('a burst of 401s (a revoked token) refreshes once for all of them', async () => {
    const h = harness();
    const app = freshApp('eyJ.revoked-burst.sig', 'eyJ.renewed-burst.sig');
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .matchHeader('authorization', 'Bearer eyJ.revoked-burst.sig')
      .reply(401, '')
      .persist();
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .matchHeader('authorization', 'Bearer eyJ.renewed-burst.sig')
      .reply(204, '')
      .persist();
    const connection = app.connection();

    const results = await Promise.all(Array.from({ length: 20 }, () => assign(connection)));
    expect(results).toHaveLength(20);
    expect(app.tokenRequests()).toBe(2);
  });

  it('a changed application key gets its own msal client: no token issued to the old key is reused', async () => {
    const h = harness();
    const client = randomUUID();
    const secrets = ['Aa1~first-secret-value-0123456789', 'Bb2~second-secret-value-9876543210'];
    const issuedTo: string[] = [];
    nock(authorityHost)
      .post(`/${tenantId}/oauth2/v2.0/token`, (body: Record<string, string>) => body.client_id === client)
      .query(true)
      .times(2)
      .reply((_uri, body) => {
        issuedTo.push(new URLSearchParams(String(body)).get('client_secret') ?? '');
        return [
          200,
          { token_type: 'Bearer', expires_in: 3599, access_token: `eyJ.key-${issuedTo.length}.sig` },
        ];
      });
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .matchHeader('authorization', 'Bearer eyJ.key-1.sig')
      .reply(204, '');
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .matchHeader('authorization', 'Bearer eyJ.key-2.sig')
      .reply(204, '');
    for (const clientSecret of secrets) {
      const settings = dynamics().settings.schema.parse({
        ...dynamicsFixture.settings,
        clientId: client,
        clientSecret,
        impersonateAgents: false,
      });
      await assign(dynamics().connect(settings, harness().context()));
    }
    expect(issuedTo).toEqual(secrets);
  });

  it('access tokens never reach the logs', async () => {
    const h = harness();
    const app = freshApp('eyJ.secret-token-value.sig');
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .reply(500, { error: { code: '0x80040216', message: 'boom' } });
    h.crm().patch(`${webApi}/incidents(${caseId})`).reply(204, '');
    await assign(app.connection());
    expect(h.logs.length).toBeGreaterThan(0);
    expect(h.logs.join('\n')).not.toContain('secret-token-value');
  });
});
