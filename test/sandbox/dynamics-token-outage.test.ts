import { isCrmConnectError, saveSettings } from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { createDynamicsSandbox, type DynamicsSandbox, dynamicsSandboxSettings } from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectorFor } from './connectors.js';
import { chatStarted } from './events.js';

/**
 * The real Dynamics plugin and msal-node against the Dynamics sandbox while its Microsoft Entra
 * token endpoint has a passing outage (a fault on the `oauth.token` route). The endpoint's
 * Retry-After is honoured as sent — fractions of a second and all, which msal's own throttling
 * rounds to a 60-second default — and a save during the outage keeps the credentials unverified.
 */

let sandbox: DynamicsSandbox;
beforeEach(async () => {
  sandbox = createDynamicsSandbox();
  await sandbox.start();
});
afterEach(async () => {
  await sandbox.stop();
});

const tokenRequests = () =>
  sandbox.log
    .entries()
    .filter((entry) => entry.route === 'oauth.token')
    .map((entry) => entry.status);

describe('dynamics sandbox: the token endpoint has a passing outage', () => {
  it('a 503 with Retry-After 0.05 s: the write waits that long, then gets its token and is made', async () => {
    const connector = connectorFor(dynamics(), { ...dynamicsSandboxSettings(sandbox), defaultUser: true });
    sandbox.faults.inject({ kind: 'server-error', route: 'oauth.token', retryAfterSeconds: 0.05 });
    const created = await connector.handle(chatStarted());
    expect(created).toMatchObject({ outcome: 'created' });
    expect(tokenRequests()).toEqual([503, 200]);
  });

  it('a 429 with Retry-After 0.05 s: the same, and the case exists once', async () => {
    const connector = connectorFor(dynamics(), { ...dynamicsSandboxSettings(sandbox), defaultUser: true });
    sandbox.faults.inject({ kind: 'rate-limit', route: 'oauth.token', retryAfterSeconds: 0.05 });
    const event = chatStarted();
    const created = await connector.handle(event);
    expect(created).toMatchObject({ outcome: 'created' });
    expect(tokenRequests()).toEqual([429, 200]);
    expect(sandbox.store.incidents.count()).toBe(1);
  });

  it('a save during the outage keeps the typed credentials, unverified, with a retryable reason', async () => {
    sandbox.faults.inject({ kind: 'server-error', route: 'oauth.token', times: 'always' });
    const plugin = dynamics();
    const submitted = { ...dynamicsSandboxSettings(sandbox), defaultUser: true };
    let reason: unknown;
    const result = await saveSettings(plugin, {
      previous: undefined,
      submitted,
      validate: (settings) =>
        connectorFor(plugin, settings)
          .validateCredentials()
          .catch((error: unknown) => {
            reason = error;
            throw error;
          }),
    });
    expect(result.credentials).toBe('unverified');
    expect(result.settings.clientSecret).toBe(submitted.clientSecret);
    expect(isCrmConnectError(reason) && reason.retryable).toBe(true);
  });
});
