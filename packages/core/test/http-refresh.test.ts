import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../src/errors.js';
import { type AuthProvider, createHttpClient } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import { createRedactor } from '../src/redaction.js';

/** A 401 triggers at most one credentials refresh per request, then one resend. */

const origin = 'https://refresh.crm.test';

function tokenAuth(refreshed: boolean | (() => Promise<boolean>)) {
  let token = 'stale-token-0001';
  const refresh = vi.fn(
    typeof refreshed === 'function'
      ? refreshed
      : async () => {
          token = 'fresh-token-0002';
          return refreshed;
        },
  );
  const auth: AuthProvider = { headers: async () => ({ Authorization: `Bearer ${token}` }), refresh };
  return { auth, refresh };
}

function client(auth: AuthProvider) {
  return createHttpClient({
    pluginId: 'testcrm',
    baseUrl: origin,
    auth,
    budget: createRateBudgetRegistry().forAccount('refresh', { requestsPerInterval: 1_000 }),
    redactor: createRedactor(),
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
  });
}

const read = (auth: AuthProvider, requestAuth?: AuthProvider) =>
  client(auth)
    .request({ method: 'GET', path: '/me', operation: 'who am i', auth: requestAuth })
    .catch((error: unknown) => error);

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('the refresh-once limit', () => {
  it('a 401 after a refresh and a retried 5xx is not refreshed again: it is an authentication error', async () => {
    const { auth, refresh } = tokenAuth(true);
    nock(origin)
      .get('/me')
      .matchHeader('authorization', 'Bearer stale-token-0001')
      .reply(401, {})
      .get('/me')
      .matchHeader('authorization', 'Bearer fresh-token-0002')
      .reply(503, '')
      .get('/me')
      .matchHeader('authorization', 'Bearer fresh-token-0002')
      .reply(401, {});
    await expect(read(auth)).resolves.toMatchObject({
      code: 'authentication_failed',
      status: 401,
      attempts: 3,
    });
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('a refresh that says it got nothing new ends the request: no resend', async () => {
    const { auth, refresh } = tokenAuth(false);
    nock(origin).get('/me').reply(401, {});
    await expect(read(auth)).resolves.toMatchObject({ code: 'authentication_failed', attempts: 1 });
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('without a refresh, a 401 is an authentication error after one attempt', async () => {
    nock(origin).get('/me').reply(401, {});
    await expect(read({ headers: async () => ({}) })).resolves.toMatchObject({
      code: 'authentication_failed',
      retryable: false,
      attempts: 1,
    });
  });

  it('a 403 is a refusal, not an expired credential: no refresh', async () => {
    const { auth, refresh } = tokenAuth(true);
    nock(origin).get('/me').reply(403, {});
    await expect(read(auth)).resolves.toMatchObject({ code: 'permission_denied', attempts: 1 });
    expect(refresh).not.toHaveBeenCalled();
  });

  it('a refresh that fails for good ends the request with its own error, nothing resent', async () => {
    const failure = new ConfigurationError('the refresh token was revoked');
    const { auth, refresh } = tokenAuth(async () => {
      throw failure;
    });
    nock(origin).get('/me').reply(401, {});
    await expect(read(auth)).resolves.toBe(failure);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('the credentials given for one request are the ones refreshed and resent', async () => {
    const own = tokenAuth(true);
    const connection = tokenAuth(true);
    nock(origin)
      .get('/me')
      .reply(401, {})
      .get('/me')
      .matchHeader('authorization', 'Bearer fresh-token-0002')
      .reply(200, { id: 'agent-7' });
    await expect(read(connection.auth, own.auth)).resolves.toMatchObject({
      data: { id: 'agent-7' },
      attempts: 2,
    });
    expect(own.refresh).toHaveBeenCalledTimes(1);
    expect(connection.refresh).not.toHaveBeenCalled();
  });
});
