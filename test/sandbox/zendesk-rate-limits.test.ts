import { isCrmConnectError } from '@crm-connect/core';
import { createZendeskSandbox, type ZendeskSandbox, zendeskSandboxSettings } from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import { afterEach, describe, expect, it } from 'vitest';
import { useZendeskSpecCheck } from '../../packages/sandbox/test/zendesk-openapi-check.js';
import { connectorFor } from './connectors.js';
import { chatStarted } from './events.js';

/**
 * Zendesk's 429 in each shape it is reported in (text/plain, the documented text/html example,
 * and JSON), against the real plugin: the wait in Retry-After is honoured, the write is made once,
 * and a wait too long to make is a typed, retryable rate-limit error, never a parse failure.
 */

let sandbox: ZendeskSandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});
useZendeskSpecCheck(() => [sandbox]);

async function start(rateLimitAnswer: 'text/plain' | 'text/html' | 'json') {
  const started = createZendeskSandbox({ rateLimitAnswer });
  sandbox = started;
  await started.start();
  return started;
}

const shapes = ['text/plain', 'text/html', 'json'] as const;

describe.each(shapes)('zendesk 429 answered as %s', (shape) => {
  it.each(['apiToken', 'oauthClientCredentials'] as const)(
    '%s: two 429s on ticket creation, then one ticket; the waits follow Retry-After',
    async (authMode) => {
      const zd = await start(shape);
      zd.faults.inject({ kind: 'rate-limit', route: 'tickets.create', times: 2, retryAfterSeconds: 0.1 });
      const connector = connectorFor(zendesk(), {
        ...zendeskSandboxSettings(zd, authMode),
        defaultUser: true,
      });
      const event = chatStarted();
      const started = performance.now();
      const audit = await connector.handle(event);
      expect(performance.now() - started).toBeGreaterThanOrEqual(180);
      expect(audit.outcome).toBe('created');
      expect(zd.store.tickets.filter((ticket) => ticket.external_id === event.interactionId)).toHaveLength(1);
      const creates = zd.log.entries().filter((entry) => entry.route === 'tickets.create');
      expect(creates.map((entry) => [entry.status, entry.fault])).toEqual([
        [429, 'rate-limit'],
        [429, 'rate-limit'],
        [201, undefined],
      ]);
    },
  );

  it('the OAuth token endpoint rate limited: the token is asked for again after Retry-After', async () => {
    const zd = await start(shape);
    zd.faults.inject({ kind: 'rate-limit', route: 'oauth.token', times: 1, retryAfterSeconds: 0.05 });
    const connector = connectorFor(zendesk(), zendeskSandboxSettings(zd, 'oauthClientCredentials'));
    const check = await connector.validateCredentials();
    expect(check.connectionUser.email).toBe('ada.admin@acme.test');
    const tokens = zd.log.entries().filter((entry) => entry.route === 'oauth.token');
    expect(tokens.map((entry) => entry.status)).toEqual([429, 200]);
  });

  it('a Retry-After too long to wait for: a retryable rate_limited error carrying the wait; nothing written', async () => {
    const zd = await start(shape);
    zd.faults.inject({ kind: 'rate-limit', route: 'tickets.create', retryAfterSeconds: 600 });
    const connector = connectorFor(zendesk(), { ...zendeskSandboxSettings(zd), defaultUser: true });
    const error = await connector.handle(chatStarted()).catch((caught: unknown) => caught);
    if (!isCrmConnectError(error)) throw new Error(`expected a typed error, got ${String(error)}`);
    expect(error).toMatchObject({
      code: 'rate_limited',
      retryable: true,
      status: 429,
      retryAfterMs: 600_000,
    });
    expect(zd.store.tickets.count()).toBe(0);
  });
});
