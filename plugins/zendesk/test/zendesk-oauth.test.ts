import { AuthenticationError, type PluginContext } from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
