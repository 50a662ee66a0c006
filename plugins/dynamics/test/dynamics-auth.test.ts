import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { type CrmConnection, isCrmConnectError } from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import nock from 'nock';
import { describe, expect, it, vi } from 'vitest';
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

  it('steady traffic reuses the token without asking msal again (its cache lookup costs ~0.15 ms a call)', async () => {
    const h = harness();
    const app = freshApp('eyJ.memo-token.sig');
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .matchHeader('authorization', 'Bearer eyJ.memo-token.sig')
      .times(50)
      .reply(204, '');
    const msal = vi.spyOn(ConfidentialClientApplication.prototype, 'acquireTokenByClientCredential');
    const connection = app.connection();

    for (let write = 0; write < 50; write += 1) await assign(connection);
    expect(msal).toHaveBeenCalledTimes(1);
    expect(app.tokenRequests()).toBe(1);
  });

  it('a new token is requested when msal would renew it, five minutes before it expires', async () => {
    const h = harness();
    const app = freshApp('eyJ.first-lifetime.sig', 'eyJ.second-lifetime.sig');
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .matchHeader('authorization', 'Bearer eyJ.first-lifetime.sig')
      .reply(204, '');
    h.crm()
      .patch(`${webApi}/incidents(${caseId})`)
      .matchHeader('authorization', 'Bearer eyJ.second-lifetime.sig')
      .reply(204, '');
    const connection = app.connection();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      await assign(connection);
      // The token lives 3,599 s: 56 minutes later it is within msal's five-minute renewal offset.
      vi.setSystemTime(Date.now() + 56 * 60_000);
      await assign(connection);
    } finally {
      vi.useRealTimers();
    }
    expect(app.tokenRequests()).toBe(2);
  });

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

  it('a token revoked again moments after a refresh is refreshed again (not served as "just refreshed")', async () => {
    // Found by the fault matrix: with refreshes coalesced by time (10 s), a second revocation within
    // that window resent the revoked token and failed every write with an authentication error.
    const h = harness();
    const app = freshApp('eyJ.first-revoked.sig', 'eyJ.second-revoked.sig', 'eyJ.third.sig');
    // Interceptors of one token answer in order: the second token works once, then is revoked too.
    const answers: [string, number][] = [
      ['eyJ.first-revoked.sig', 401],
      ['eyJ.second-revoked.sig', 204],
      ['eyJ.second-revoked.sig', 401],
      ['eyJ.third.sig', 204],
    ];
    for (const [token, status] of answers) {
      h.crm()
        .patch(`${webApi}/incidents(${caseId})`)
        .matchHeader('authorization', `Bearer ${token}`)
        .reply(status, '');
    }
    const connection = app.connection();

    await expect(assign(connection)).resolves.toEqual({ attempts: 2 });
    await expect(assign(connection)).resolves.toEqual({ attempts: 2 });
    expect(app.tokenRequests()).toBe(3);
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
