import { AuthenticationError, isCrmConnectError, type PluginContext, saveSettings } from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { zendesk } from '../src/index.js';
import { oauthClient, users, wireUser, zendeskFixture } from './zendesk-fixture.js';

const harness = useHarness(zendeskFixture);
const { plugin } = zendeskFixture;
const settings = plugin.settings.schema.parse({
  subdomain: 'acme',
  authMode: 'oauthClientCredentials',
  ...oauthClient,
});

afterEach(() => {
  vi.useRealTimers();
});

function connect(context: PluginContext = harness().context()) {
  return plugin.connect(settings, context);
}

function tokenAnswers(accessToken: string, extra: Record<string, unknown> = {}) {
  harness()
    .crm()
    .post('/oauth/tokens', (body) => body.grant_type === 'client_credentials')
    .reply(200, { access_token: accessToken, token_type: 'bearer', scope: 'read write', ...extra });
}

function searchAnswers(accessToken: string, status = 200, times = 1, delayMs = 0) {
  harness()
    .crm()
    .get('/api/v2/users/search')
    .query(true)
    .matchHeader('authorization', `Bearer ${accessToken}`)
    .times(times)
    .delay(delayMs)
    .reply(
      status,
      status === 200
        ? { users: [wireUser(users.agent)], next_page: null, previous_page: null, count: 1 }
        : { error: "Couldn't authenticate you" },
    );
}

const tokenRequests = () => harness().requests.filter((request) => request.path === '/oauth/tokens');

describe('zendesk OAuth client credentials', () => {
  it('fetches one token for requests made at the same moment (single flight)', async () => {
    tokenAnswers('token-a-0000000000000000', { expires_in: 1800 });
    searchAnswers('token-a-0000000000000000', 200, 3);
    const connection = connect();
    const found = await Promise.all([
      connection.findUserByEmail(users.agent.email),
      connection.findUserByEmail(users.agent.email),
      connection.findUserByEmail(users.agent.email),
    ]);
    expect(found.map((user) => user?.id)).toEqual([users.agent.id, users.agent.id, users.agent.id]);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('reuses the token until shortly before it expires, then fetches a new one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2026-11-21T10:00:00Z').getTime();
    vi.setSystemTime(start);
    const connection = connect();
    tokenAnswers('token-a-0000000000000000', { expires_in: 600 });
    searchAnswers('token-a-0000000000000000', 200, 2);
    await connection.findUserByEmail(users.agent.email);
    vi.setSystemTime(start + 500_000); // 100 s left: still used
    await connection.findUserByEmail(users.agent.email);
    expect(tokenRequests()).toHaveLength(1);

    vi.setSystemTime(start + 545_000); // 55 s left: inside the refresh margin
    tokenAnswers('token-b-0000000000000000', { expires_in: 600 });
    searchAnswers('token-b-0000000000000000');
    await connection.findUserByEmail(users.agent.email);
    expect(tokenRequests()).toHaveLength(2);
  });

  it('keeps a token Zendesk gave no lifetime until Zendesk refuses it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-21T10:00:00Z'));
    const connection = connect();
    tokenAnswers('token-a-0000000000000000', { expires_in: null });
    searchAnswers('token-a-0000000000000000', 200, 2);
    await connection.findUserByEmail(users.agent.email);
    vi.setSystemTime(new Date('2026-11-23T10:00:00Z'));
    await connection.findUserByEmail(users.agent.email);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('after a 401 the failed token is replaced once, even for requests failing together', async () => {
    tokenAnswers('token-a-0000000000000000');
    searchAnswers('token-a-0000000000000000', 401);
    // The second failure arrives after the replacement token is already cached: it must reuse it.
    searchAnswers('token-a-0000000000000000', 401, 1, 100);
    tokenAnswers('token-b-0000000000000000');
    searchAnswers('token-b-0000000000000000', 200, 2);
    const connection = connect();
    const found = await Promise.all([
      connection.findUserByEmail(users.agent.email),
      connection.findUserByEmail(users.agent.email),
    ]);
    expect(found.map((user) => user?.id)).toEqual([users.agent.id, users.agent.id]);
    expect(tokenRequests()).toHaveLength(2);
    const searches = harness().requests.filter((request) => request.path.startsWith('/api/v2/users/search'));
    expect(searches.map((request) => request.headers.authorization)).toEqual([
      'Bearer token-a-0000000000000000',
      'Bearer token-a-0000000000000000',
      'Bearer token-b-0000000000000000',
      'Bearer token-b-0000000000000000',
    ]);
  });

  it('a fresh token refused too is an authentication error, with no further token request', async () => {
    tokenAnswers('token-a-0000000000000000');
    searchAnswers('token-a-0000000000000000', 401);
    tokenAnswers('token-b-0000000000000000');
    searchAnswers('token-b-0000000000000000', 401);
    const error = await connect()
      .findUserByEmail(users.agent.email)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain('OAuth client still exists');
    expect(tokenRequests()).toHaveLength(2);
  });

  it('a token endpoint server error is retried (asking again only mints another token)', async () => {
    harness().crm().post('/oauth/tokens').reply(503, { error: 'ServiceUnavailable' });
    tokenAnswers('token-a-0000000000000000');
    searchAnswers('token-a-0000000000000000');
    expect(await connect().findUserByEmail(users.agent.email)).toMatchObject({ id: users.agent.id });
    expect(tokenRequests()).toHaveLength(2);
  });

  it('registers every token it receives with the redactor', async () => {
    const context = harness().context();
    tokenAnswers('token-a-0000000000000000', { refresh_token: 'refresh-a-000000000000000' });
    searchAnswers('token-a-0000000000000000');
    await connect(context).findUserByEmail(users.agent.email);
    const line = context.redactor.redact('token-a-0000000000000000 refresh-a-000000000000000');
    expect(line).toBe('[REDACTED] [REDACTED]');
    expect(context.redactor.redact(oauthClient.oauthClientSecret)).toBe('[REDACTED]');
  });
});

/** What the token endpoint may answer while it (or the network) is having a bad moment. */
const transientAnswers: [string, number, string | Record<string, unknown>, Record<string, string>][] = [
  [
    '429 JSON',
    429,
    { error: 'TooManyRequests', description: 'Rate limit exceeded' },
    { 'Retry-After': '0.01' },
  ],
  [
    '429 text/plain, as Zendesk answers rate limits',
    429,
    'Too Many Requests',
    { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '0.01' },
  ],
  ['500 JSON', 500, { error: 'InternalServerError' }, {}],
  ['502 HTML from a proxy', 502, '<html><body>Bad Gateway</body></html>', { 'Content-Type': 'text/html' }],
  [
    '503 temporarily_unavailable',
    503,
    { error: 'temporarily_unavailable', error_description: 'try later' },
    { 'Retry-After': '0.01' },
  ],
  [
    '400 temporarily_unavailable (RFC 6749 code)',
    400,
    { error: 'temporarily_unavailable', error_description: 'The server is temporarily unavailable' },
    { 'Retry-After': '0.01' },
  ],
  ['400 server_error (RFC 6749 code)', 400, { error: 'server_error', error_description: 'Unexpected' }, {}],
  [
    '401 temporarily_unavailable',
    401,
    { error: 'temporarily_unavailable', error_description: 'try later' },
    {},
  ],
  [
    '200 maintenance page without a token',
    200,
    '<html><body>Zendesk is down for maintenance</body></html>',
    { 'Content-Type': 'text/html' },
  ],
];

describe('zendesk OAuth token endpoint: transient answers are retryable, never refused credentials', () => {
  it.each(transientAnswers)(
    '%s, then a token: retried, and the call succeeds',
    async (_case, status, body, headers) => {
      harness().crm().post('/oauth/tokens').reply(status, body, headers);
      tokenAnswers('token-a-0000000000000000');
      searchAnswers('token-a-0000000000000000');
      expect(await connect().findUserByEmail(users.agent.email)).toMatchObject({ id: users.agent.id });
      expect(tokenRequests()).toHaveLength(2);
    },
  );

  it.each(transientAnswers)(
    '%s every time: a retryable typed error, not authentication_failed; a save keeps the credentials unverified',
    async (_case, status, body, headers) => {
      // An HTTP error answer is retried by the HTTP layer (5 attempts); a 200 without a token is
      // an answer, so the error goes to the caller at once (a write's redelivery asks again).
      const attempts = status === 200 ? 1 : 5;
      harness().crm().post('/oauth/tokens').times(attempts).reply(status, body, headers);
      const context = harness().context();
      const error = await plugin.validateCredentials(settings, context).catch((caught: unknown) => caught);
      expect(isCrmConnectError(error)).toBe(true);
      expect(error).not.toBeInstanceOf(AuthenticationError);
      expect(error).toMatchObject({ retryable: true });
      expect(tokenRequests()).toHaveLength(attempts);

      harness().crm().post('/oauth/tokens').times(attempts).reply(status, body, headers);
      const saved = await saveSettings(plugin, {
        previous: undefined,
        submitted: {
          subdomain: 'acme',
          authMode: 'oauthClientCredentials',
          ...oauthClient,
          defaultUser: true,
        },
        validate: (candidate) => plugin.validateCredentials(candidate, harness().context()),
      });
      expect(saved.credentials).toBe('unverified');
      expect(saved.settings).toMatchObject({ oauthClientId: oauthClient.oauthClientId });
    },
  );

  it('a network failure is a retryable transport error', async () => {
    harness()
      .crm()
      .post('/oauth/tokens')
      .times(5)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const error = await plugin
      .validateCredentials(settings, harness().context())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'transport_failed', retryable: true });
  });

  it('Retry-After is honoured: the next token request waits for it', async () => {
    harness()
      .crm()
      .post('/oauth/tokens')
      .reply(400, { error: 'temporarily_unavailable' }, { 'Retry-After': '0.3' });
    tokenAnswers('token-a-0000000000000000');
    searchAnswers('token-a-0000000000000000');
    const started = performance.now();
    await connect().findUserByEmail(users.agent.email);
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('a Retry-After too long to wait for is not waited: the error carries it', async () => {
    harness()
      .crm()
      .post('/oauth/tokens')
      .reply(503, { error: 'temporarily_unavailable' }, { 'Retry-After': '3600' });
    const error = await plugin
      .validateCredentials(settings, harness().context())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 3_600_000 });
    expect(tokenRequests()).toHaveLength(1);
  });

  it('refusals stay refusals: invalid_client is authentication_failed, not retried', async () => {
    harness().crm().post('/oauth/tokens').reply(401, { error: 'invalid_client' });
    const error = await plugin
      .validateCredentials(settings, harness().context())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'authentication_failed', retryable: false });
    expect(tokenRequests()).toHaveLength(1);
  });
});

describe('zendesk OAuth: the token request never waits behind the requests that need it', () => {
  it('20 requests at once on a cold token (more than the 16 the budget runs at once) all complete', async () => {
    tokenAnswers('token-a-0000000000000000', { expires_in: 1800 });
    searchAnswers('token-a-0000000000000000', 200, 20);
    const connection = connect();
    const found = await Promise.race([
      Promise.all(Array.from({ length: 20 }, () => connection.findUserByEmail(users.agent.email))),
      new Promise((_, reject) => setTimeout(() => reject(new Error('deadlocked')), 4_000)),
    ]);
    expect(found).toHaveLength(20);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('with a budget of one request a minute, the first request still gets its token', async () => {
    tokenAnswers('token-a-0000000000000000', { expires_in: 1800 });
    searchAnswers('token-a-0000000000000000');
    const tight = zendesk({ requestsPerMinute: 1 });
    const slow = tight.connect(tight.settings.schema.parse({ ...settings }), harness().context());
    const found = await Promise.race([
      slow.findUserByEmail(users.agent.email),
      new Promise((_, reject) => setTimeout(() => reject(new Error('deadlocked')), 4_000)),
    ]);
    expect(found).toMatchObject({ id: users.agent.id });
  });
});
