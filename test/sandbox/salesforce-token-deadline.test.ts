import {
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';
import { createMemoryTokenStore, salesforce } from '@crm-connect/salesforce';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DripServer, startDripServer } from './token-drip-server.js';

/**
 * Every attempt of every call ends by its deadline, body included: jsforce's OAuth requests (the
 * refresh, the code exchange, the revocation) against a real loopback token endpoint that answers
 * its headers at once and then drips its body. The call must give up at the configured timeout,
 * and the socket must be let go of then — not kept reading until the server stops dripping.
 */

const timeoutMs = 400;
/** How late past the deadline a call may end, and its socket close, on a busy test machine. */
const slackMs = 1_000;
const orgId = '00DSb0000000001';
const adminId = '005Sb0000000001IAA';
const refreshToken = '5Aep861DripTestRefreshTokenOfAdaAdmin0123456789abcdefghijklmnopqrstuvwxyz';

let server: DripServer;
beforeEach(async () => {
  server = await startDripServer();
});
afterEach(async () => {
  await server.stop();
});

const context = (): PluginContext => ({
  redactor: createRedactor(),
  logger: silentLogger,
  audit: () => {},
  rateBudgets: createRateBudgetRegistry(),
  http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs },
});

function settings() {
  return {
    orgId,
    loginUrl: server.url,
    clientId: '3MVG9DripTestConsumerKey0123456789',
    clientSecret: 'DripTestConsumerSecret0123456789ABCDEF',
    adminConnections: [
      {
        userId: adminId,
        username: 'ada.admin@acme.test',
        orgId,
        instanceUrl: server.url,
        status: 'active' as const,
        linkedAt: '2026-11-20T09:30:00.000Z',
      },
    ],
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; endedAt: number }> {
  const started = Date.now();
  const result = await work();
  const endedAt = Date.now();
  return { result, ms: endedAt - started, endedAt };
}

/** The socket the request used was closed by the client near the deadline, not at the end of the drip. */
async function expectSocketReleased(endedAt: number) {
  expect(await server.allClosed(slackMs), 'the dripping connection is still open').toBe(true);
  for (const request of server.requests) {
    expect(request.closedAt).toBeDefined();
    expect((request.closedAt ?? 0) - endedAt).toBeLessThan(slackMs);
  }
}

describe('salesforce: the token endpoint drips its answer', () => {
  it('a refresh (the link health check) ends at the deadline and lets go of the socket', async () => {
    const tokenStore = createMemoryTokenStore();
    await tokenStore.set(
      { orgId, userId: adminId },
      { refreshToken, status: 'active', updatedAt: '2026-11-20T09:30:00.000Z' },
    );
    const plugin = salesforce({ tokenStore });
    const { result, ms, endedAt } = await timed(() => plugin.admin.check(settings(), { context: context() }));
    expect(server.requests.map((request) => request.body.grant_type)).toEqual(['refresh_token']);
    expect(result).toEqual([expect.objectContaining({ status: 'unknown', stored: 'active' })]);
    expect(result[0]?.detail).toMatch(/timed out after 400 ms/);
    expect(ms).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(ms).toBeLessThan(timeoutMs + slackMs);
    await expectSocketReleased(endedAt);
  });

  it('the code exchange ends at the deadline with a retryable error and lets go of the socket', async () => {
    const plugin = salesforce({ tokenStore: createMemoryTokenStore() });
    const unlinked = { ...settings(), adminConnections: undefined };
    const redirectUri = 'http://127.0.0.1:9/callback';
    const started = plugin.admin.start(unlinked, { redirectUri });
    const {
      result: error,
      ms,
      endedAt,
    } = await timed(() =>
      plugin.admin
        .complete(unlinked, {
          callback: { code: 'aPrxDripTestAuthorizationCode', state: started.state },
          state: started.state,
          codeVerifier: started.codeVerifier,
          redirectUri,
          context: context(),
        })
        .catch((caught: unknown) => caught),
    );
    expect(server.requests.map((request) => request.body.grant_type)).toEqual(['authorization_code']);
    expect(isCrmConnectError(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'transport_failed', retryable: true });
    expect(ms).toBeLessThan(timeoutMs + slackMs);
    await expectSocketReleased(endedAt);
  });

  it('the revocation on unlink ends at the deadline (a warning) and lets go of the socket', async () => {
    const tokenStore = createMemoryTokenStore();
    await tokenStore.set(
      { orgId, userId: adminId },
      { refreshToken, status: 'active', updatedAt: '2026-11-20T09:30:00.000Z' },
    );
    const plugin = salesforce({ tokenStore });
    const { result, ms, endedAt } = await timed(() =>
      plugin.admin.unlink(settings(), adminId, { context: context() }),
    );
    expect(server.requests.map((request) => request.path)).toEqual(['/services/oauth2/revoke']);
    expect(result.warnings).toEqual([expect.stringContaining('timed out after 400 ms')]);
    expect(ms).toBeLessThan(timeoutMs + slackMs);
    await expectSocketReleased(endedAt);
  });
});
