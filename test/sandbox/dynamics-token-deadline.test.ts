import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { sandboxTls } from '@crm-connect/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { type DripServer, startDripServer } from './token-drip-server.js';

/**
 * msal-node's token requests, as the Dynamics plugin makes them, against real loopback https
 * servers: one that answers its headers at once and then drips its body (the request must end at
 * the configured timeout and let go of its socket, not keep reading), and one that answers with a
 * redirect to another server (never followed: the client secret is in the form body).
 */

const timeoutMs = 400;
const slackMs = 1_000;
const tenantId = '7d1e5a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b';
const clientSecret = 'Dq58Q~DripTest.Secret0123456789abcdef';

const context = (): PluginContext => ({
  redactor: createRedactor(),
  logger: silentLogger,
  audit: () => {},
  rateBudgets: createRateBudgetRegistry(),
  http: { retry: { initialDelayMs: 1, maxDelayMs: 5, maxRetries: 0 }, timeoutMs },
});

/** Settings pointing both the environment and the authority at a loopback https server (msal trusts it through NODE_EXTRA_CA_CERTS). */
function settingsAt(url: string) {
  return dynamics().settings.schema.parse({
    organizationUrl: url,
    authorityHost: url,
    tenantId,
    // A fresh app each time: msal's clients (and their caches) are process-wide per tenant and app.
    clientId: randomUUID(),
    clientSecret,
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('dynamics: the token endpoint drips its answer', () => {
  let server: DripServer;

  it('the token request (the live check on save) ends at the deadline and lets go of the socket', async () => {
    server = await startDripServer({ tls: true });
    cleanups.push(() => server.stop());
    const started = Date.now();
    const error = await dynamics()
      .validateCredentials(settingsAt(server.url), context())
      .catch((caught: unknown) => caught);
    const endedAt = Date.now();
    expect(server.requests.map((request) => [request.path, request.body.grant_type])).toEqual([
      [`/${tenantId}/oauth2/v2.0/token`, 'client_credentials'],
    ]);
    expect(isCrmConnectError(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'transport_failed', retryable: true });
    expect((error as Error).message).toContain(`${timeoutMs} ms`);
    expect((error as Error).message).not.toContain(clientSecret);
    expect(endedAt - started).toBeLessThan(timeoutMs + slackMs);
    expect(await server.allClosed(slackMs), 'the dripping connection is still open').toBe(true);
    for (const request of server.requests)
      expect((request.closedAt ?? Number.POSITIVE_INFINITY) - endedAt).toBeLessThan(slackMs);
  });

  it('a token request made for a write ends at the deadline too', async () => {
    server = await startDripServer({ tls: true });
    cleanups.push(() => server.stop());
    const connection = dynamics().connect(settingsAt(server.url), context());
    const started = Date.now();
    const error = await connection.connectionUser().catch((caught: unknown) => caught);
    const endedAt = Date.now();
    expect(error).toMatchObject({ code: 'transport_failed', retryable: true });
    expect(endedAt - started).toBeLessThan(timeoutMs + slackMs);
    expect(await server.allClosed(slackMs), 'the dripping connection is still open').toBe(true);
  });
});

describe('dynamics: a redirect from the token endpoint', () => {
  it('is not followed: the form with the client secret goes to no other server', async () => {
    const collected: string[] = [];
    const collector = await listen((incoming, outgoing) => {
      let body = '';
      incoming.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      incoming.on('end', () => {
        collected.push(body);
        outgoing.writeHead(200, { 'Content-Type': 'application/json' });
        outgoing.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: 'stolen' }));
      });
    });
    const authority = await listen((incoming, outgoing) => {
      incoming.resume();
      incoming.on('end', () => {
        outgoing.writeHead(307, { Location: `${collector.url}/collect` });
        outgoing.end();
      });
    });
    const error = await dynamics()
      .validateCredentials(settingsAt(authority.url), context())
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error), String(error)).toBe(true);
    expect(collected, 'the redirect was followed with the client secret').toEqual([]);
  });
});

async function listen(handler: (incoming: IncomingMessage, outgoing: ServerResponse) => void) {
  const server = createServer(sandboxTls(), handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
