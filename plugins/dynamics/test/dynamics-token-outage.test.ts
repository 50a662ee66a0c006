import { randomUUID } from 'node:crypto';
import { saveSettings } from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { dynamics } from '../src/index.js';
import { authorityHost, dynamicsFixture, tenantId } from './dynamics-fixture.js';

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

describe('dynamics: a transient token-endpoint error', () => {
  it('the 503 itself and the throttled retries msal refuses without a request are all retryable', async () => {
    const clientId = randomUUID();
    nock(authorityHost)
      .post(`/${tenantId}/oauth2/v2.0/token`, (body: Record<string, string>) => body.client_id === clientId)
      .query(true)
      .reply(503, transientAnswer, { 'Retry-After': '30' });
    const connection = dynamics().connect(settingsFor(clientId), harness().context());
    const errors: unknown[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1)
      errors.push(await connection.connectionUser().catch((caught: unknown) => caught));
    for (const error of errors) {
      expect(error).toMatchObject({ retryable: true, pluginId: 'dynamics' });
      expect((error as { code: string }).code).not.toBe('authentication_failed');
    }
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
