import { randomUUID } from 'node:crypto';
import { saveSettings } from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { dynamics } from '../src/index.js';
import {
  applicationUserRecord,
  authorityHost,
  dynamicsFixture,
  organizationUrl,
  tenantId,
  users,
  webApi,
  whoAmI,
} from './dynamics-fixture.js';

const harness = useHarness(dynamicsFixture);

/**
 * A passing outage of Microsoft Entra's token endpoint. One `503 temporarily_unavailable`
 * (AADSTS90033) makes msal-node throttle that client for a while: during it msal answers from its
 * throttling cache, with an error that carries no HTTP status. Both must be retryable typed
 * errors: a platform gives up non-retryable ones, and a save would call valid credentials invalid.
 */
const transientAnswer = {
  error: 'temporarily_unavailable',
  error_description:
    'AADSTS90033: A transient error has occurred. Please try again. Trace ID: 0 Correlation ID: 0 Timestamp: 2026-12-01 10:00:00Z',
  error_codes: [90033],
};

function settingsFor(clientId: string) {
  return dynamics().settings.schema.parse({
    ...dynamicsFixture.settings,
    clientId,
    impersonateAgents: false,
  });
}

/**
 * A context whose HTTP layer does not wait out a long Retry-After (it throws the error instead),
 * so a test sees each error as a platform would.
 */
function impatient(maxRetryAfterMs = 1_000) {
  const context = harness().context();
  return { ...context, http: { ...context.http, retry: { ...context.http.retry, maxRetryAfterMs } } };
}

const tokenPath = `/${tenantId}/oauth2/v2.0/token`;
const forClient = (clientId: string) => (body: Record<string, string>) => body.client_id === clientId;
const tokenAnswer = {
  token_type: 'Bearer',
  expires_in: 3599,
  ext_expires_in: 3599,
  access_token: 'eyJ0.after.outage',
};

describe('dynamics: a transient token-endpoint error', () => {
  it('the 503 itself and the throttled retries msal refuses without a request are all retryable', async () => {
    const clientId = randomUUID();
    nock(authorityHost)
      .post(tokenPath, forClient(clientId))
      .query(true)
      .reply(503, transientAnswer, { 'Retry-After': '30' });
    const connection = dynamics().connect(settingsFor(clientId), impatient());
    const errors: unknown[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1)
      errors.push(await connection.connectionUser().catch((caught: unknown) => caught));
    for (const error of errors) {
      expect(error).toMatchObject({ retryable: true, pluginId: 'dynamics' });
      expect((error as { code: string }).code).not.toBe('authentication_failed');
    }
    // Microsoft Entra's Retry-After is kept: in full on the answer, then what is left of it.
    expect(errors[0]).toMatchObject({ status: 503, retryAfterMs: 30_000 });
    for (const error of errors.slice(1)) {
      const left = (error as { retryAfterMs?: number }).retryAfterMs ?? 0;
      expect(left).toBeGreaterThan(25_000);
      expect(left).toBeLessThanOrEqual(30_000);
    }
  });

  it('a 429 with Retry-After: rate_limited with it, and no token request is sent before it has passed', async () => {
    const clientId = randomUUID();
    let requests = 0;
    nock(authorityHost)
      .post(tokenPath, (body: Record<string, string>) => {
        requests += 1;
        return forClient(clientId)(body);
      })
      .query(true)
      .reply(
        429,
        {
          error: 'invalid_request',
          error_description:
            'AADSTS50196: The server terminated an operation because it encountered a client request loop.',
          error_codes: [50196],
        },
        { 'Retry-After': '12' },
      );
    const connection = dynamics().connect(settingsFor(clientId), impatient());
    const first = await connection.connectionUser().catch((caught: unknown) => caught);
    const second = await connection.connectionUser().catch((caught: unknown) => caught);
    expect(first).toMatchObject({ code: 'rate_limited', retryable: true, status: 429, retryAfterMs: 12_000 });
    expect(second).toMatchObject({ code: 'rate_limited', retryable: true });
    expect((second as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(10_000);
    expect(requests).toBe(1);
  });

  it("an outage page (not JSON) with an HTTP-date Retry-After: honoured to the second, msal's own 60 s throttle does not outlast it", async () => {
    const clientId = randomUUID();
    const retryAt = new Date(Math.ceil((Date.now() + 1_200) / 1_000) * 1_000);
    nock(authorityHost)
      .post(tokenPath, forClient(clientId))
      .query(true)
      .reply(503, '<html><body>Service Unavailable</body></html>', {
        'Content-Type': 'text/html',
        'Retry-After': retryAt.toUTCString(),
      });
    const connection = dynamics().connect(settingsFor(clientId), impatient(5_000));
    nock(authorityHost).post(tokenPath, forClient(clientId)).query(true).reply(200, tokenAnswer);
    nock(organizationUrl).get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    nock(organizationUrl)
      .get(new RegExp(`^${webApi}/systemusers\\(${users.admin.id}\\)`))
      .query(true)
      .reply(200, applicationUserRecord());
    // The HTTP layer waits for the Retry-After (within its limit), then the token comes.
    const started = Date.now();
    const user = await connection.connectionUser();
    expect(user).toMatchObject({ id: users.admin.id });
    expect(Date.now()).toBeGreaterThanOrEqual(retryAt.getTime() - 5);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("a 503 without Retry-After: retried with the HTTP layer's backoff, not held for msal's own 60 s", async () => {
    const clientId = randomUUID();
    nock(authorityHost).post(tokenPath, forClient(clientId)).query(true).reply(503, transientAnswer);
    nock(authorityHost).post(tokenPath, forClient(clientId)).query(true).reply(200, tokenAnswer);
    nock(organizationUrl).get(`${webApi}/WhoAmI`).reply(200, whoAmI);
    nock(organizationUrl)
      .get(new RegExp(`^${webApi}/systemusers\\(${users.admin.id}\\)`))
      .query(true)
      .reply(200, applicationUserRecord());
    const started = Date.now();
    const user = await dynamics().connect(settingsFor(clientId), impatient()).connectionUser();
    expect(user).toMatchObject({ id: users.admin.id });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a save during the outage keeps the new credentials, unverified, instead of calling them invalid', async () => {
    const clientId = randomUUID();
    nock(authorityHost)
      .post(`/${tenantId}/oauth2/v2.0/token`, (body: Record<string, string>) => body.client_id === clientId)
      .query(true)
      .reply(503, transientAnswer);
    const submitted = { ...dynamicsFixture.settings, clientId, defaultUser: true };
    const plugin = dynamics();
    for (let save = 0; save < 2; save += 1) {
      const result = await saveSettings(plugin, {
        previous: undefined,
        submitted,
        validate: (settings) => plugin.validateCredentials(settings, harness().context()),
      });
      expect(result.credentials).toBe('unverified');
      expect(result.settings.clientId).toBe(clientId);
    }
  });
});
