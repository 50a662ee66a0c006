import {
  AuthenticationError,
  AuthorizationError,
  ConfigurationError,
  CrmRejectedInputError,
  createRateBudgetRegistry,
  InvalidInputError,
  NotFoundError,
  RateLimitedError,
} from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSunshineClient,
  maxMetadataBytes,
  type SunshineClientOptions,
} from '../../src/messaging/index.js';
import { zendeskFixture } from '../zendesk-fixture.js';
import { sunshineRequestFindings } from './sunshine-openapi-check.js';

/** Switchboard actions against the mocked https://acme.zendesk.com/sc; the harness fails a test that leaves an interceptor unused. */
const harness = useHarness(zendeskFixture);

// Every request the client sent in a test, held against the vendored Sunshine Conversations spec.
afterEach(async () => {
  const findings: string[] = [];
  for (const request of harness().requests) findings.push(...(await sunshineRequestFindings(request)));
  expect(findings, 'switchboard requests that break the Sunshine Conversations spec').toEqual([]);
});

const appId = '5ebee0975ac5304b664a12fa';
const conversationId = 'f52b01137aa6c250bc7251fa';
const keyId = 'app_5ebee1a2b3c4d5e6f7a8b9c0';
const keySecret = 'Xk2mQ7vL4pR8sT1wZ6yB3nC5dF0gH2jK4lM6oP9qR';
const basic = `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}`;
const path = (action: string) => `/sc/v2/apps/${appId}/conversations/${conversationId}/${action}`;

function client(overrides: Partial<SunshineClientOptions> = {}) {
  return createSunshineClient({
    subdomain: 'acme',
    appId,
    keyId,
    keySecret,
    logger: harness().logger,
    rateBudgets: createRateBudgetRegistry(),
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
    ...overrides,
  });
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );

describe('Sunshine client: the switchboard actions', () => {
  it('passControl: POST on the subdomain host, Basic key id and secret, the body as given', async () => {
    harness().crm().post(path('passControl')).reply(200, {});
    const result = await client().passControl(conversationId, {
      switchboardIntegration: 'zd-agentWorkspace',
      metadata: { first_message_id: '5f74c7d84a146f3abd72af1d', priority: 2, vip: true },
    });
    expect(result.attempts).toBe(1);
    const [request] = harness().requests;
    expect(request).toMatchObject({ method: 'POST', path: path('passControl') });
    expect(request?.headers.authorization).toBe(basic);
    expect(request?.headers['content-type']).toContain('application/json');
    expect(request?.body).toEqual({
      switchboardIntegration: 'zd-agentWorkspace',
      metadata: { first_message_id: '5f74c7d84a146f3abd72af1d', priority: 2, vip: true },
    });
  });

  it('offerControl and acceptControl send their bodies; acceptControl without metadata sends {}', async () => {
    harness().crm().post(path('offerControl')).reply(200, {});
    harness().crm().post(path('acceptControl')).reply(200, {});
    await client().offerControl(conversationId, { switchboardIntegration: 'next' });
    await client().acceptControl(conversationId);
    expect(harness().requests.map((request) => request.body)).toEqual([
      { switchboardIntegration: 'next' },
      {},
    ]);
  });

  it('releaseControl works without a body and with metadata', async () => {
    harness().crm().post(path('releaseControl')).times(2).reply(200, {});
    await client().releaseControl(conversationId);
    await client().releaseControl(conversationId, { metadata: { reason: 'resolved' } });
    expect(harness().requests.map((request) => request.body)).toEqual([
      undefined,
      { metadata: { reason: 'resolved' } },
    ]);
  });

  it('accepts the subdomain in the forms the settings accept', async () => {
    harness().crm().post(path('releaseControl')).reply(200, {});
    await client({ subdomain: 'https://acme.zendesk.com/agent/dashboard' }).releaseControl(conversationId);
    expect(harness().requests).toHaveLength(1);
  });
});

describe('Sunshine client: bad input never reaches the network', () => {
  it.each([
    [
      'nested metadata',
      { switchboardIntegration: 'next', metadata: { customer: { tier: 'gold' } } },
      'metadata.customer',
    ],
    [
      'an array in metadata',
      { switchboardIntegration: 'next', metadata: { tags: ['vip'] } },
      'metadata.tags',
    ],
    ['null in metadata', { switchboardIntegration: 'next', metadata: { note: null } }, 'metadata.note'],
    [
      'metadata over 4 KB',
      { switchboardIntegration: 'next', metadata: { note: 'x'.repeat(4096 - 11 + 1) } },
      'metadata',
    ],
    ['no switchboard integration', { switchboardIntegration: '' }, 'switchboardIntegration'],
    [
      'a switchboard integration with spaces',
      { switchboardIntegration: 'agent workspace' },
      'switchboardIntegration',
    ],
  ])('passControl with %s: InvalidInputError naming the field', async (_case, body, field) => {
    const error = await failure(client().passControl(conversationId, body as never));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path)).toContain(field);
    expect(harness().requests).toHaveLength(0);
  });

  it('metadata of exactly 4 KB once serialised is accepted', async () => {
    harness().crm().post(path('passControl')).reply(200, {});
    const metadata = { note: 'x'.repeat(4096 - 11) };
    expect(Buffer.byteLength(JSON.stringify(metadata))).toBe(4096);
    expect(maxMetadataBytes).toBe(4096);
    await client().passControl(conversationId, { switchboardIntegration: 'next', metadata });
  });

  it('a conversation id that is not one never becomes a path', async () => {
    await expect(client().releaseControl('../../switchboards')).rejects.toThrow(InvalidInputError);
    expect(harness().requests).toHaveLength(0);
  });

  it.each([
    ['no key secret', { keySecret: '' }],
    ['a key id with a colon', { keyId: 'app:1' }],
    ['another host', { subdomain: 'https://evil.example.com' }],
    ['no app id', { appId: '' }],
  ])('options with %s: ConfigurationError without the secret', (_case, overrides) => {
    let error: unknown;
    try {
      client(overrides);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).not.toContain(keySecret);
  });
});

describe('Sunshine client: error answers', () => {
  it('404 conversation_not_found → NotFoundError', async () => {
    harness()
      .crm()
      .post(path('passControl'))
      .reply(404, { errors: [{ code: 'conversation_not_found', title: 'Conversation not found' }] });
    const error = await failure(client().passControl(conversationId, { switchboardIntegration: 'next' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain('conversation_not_found: Conversation not found');
  });

  it('403 for an integration key that is not active → AuthorizationError', async () => {
    harness()
      .crm()
      .post(path('releaseControl'))
      .reply(403, { errors: [{ code: 'forbidden', title: 'Forbidden' }] });
    const error = await failure(client().releaseControl(conversationId));
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error.message).toMatch(
      /integration-scoped key may release control only while its integration is active/,
    );
  });

  it('401 → AuthenticationError; neither the secret nor the Basic credential appears in the error or the logs', async () => {
    harness()
      .crm()
      .post(path('passControl'))
      .reply(401, { errors: [{ code: 'unauthorized', title: `Invalid key ${keySecret}` }] });
    const error = await failure(client().passControl(conversationId, { switchboardIntegration: 'next' }));
    expect(error).toBeInstanceOf(AuthenticationError);
    const everything = [error.message, JSON.stringify(error), ...harness().logs].join('\n');
    expect(everything).toContain('[REDACTED]');
    expect(everything).not.toContain(keySecret);
    expect(everything).not.toContain(basic.slice('Basic '.length));
  });

  it('400 switchboard_invalid_target → CrmRejectedInputError', async () => {
    harness()
      .crm()
      .post(path('offerControl'))
      .reply(400, {
        errors: [
          {
            code: 'switchboard_invalid_target',
            title: 'Cannot offer control to the active switchboard integration.',
          },
        ],
      });
    const error = await failure(client().offerControl(conversationId, { switchboardIntegration: 'bot' }));
    expect(error).toBeInstanceOf(CrmRejectedInputError);
    expect(error.message).toContain('switchboard_invalid_target');
  });

  it('429 on releaseControl (repeating it is harmless) is retried after Retry-After', async () => {
    harness()
      .crm()
      .post(path('releaseControl'))
      .reply(429, { errors: [{ code: 'too_many_requests' }] }, { 'Retry-After': '0' });
    harness().crm().post(path('releaseControl')).reply(200, {});
    const result = await client().releaseControl(conversationId);
    expect(result.attempts).toBe(2);
  });

  it('429 on passControl is not repeated blindly (with "next" a repeat would move control twice)', async () => {
    harness()
      .crm()
      .post(path('passControl'))
      .reply(429, { errors: [{ code: 'too_many_requests' }] }, { 'Retry-After': '0' });
    const error = await failure(client().passControl(conversationId, { switchboardIntegration: 'next' }));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(harness().requests).toHaveLength(1);
  });
});

describe('Sunshine client: closing', () => {
  it("the account's Sunshine budget is held by its open clients only; a closed client sends nothing", async () => {
    // A platform serving tenants for months creates a client per tenant: a budget kept after its
    // tenant left would add up, one per Zendesk account ever served.
    const rateBudgets = createRateBudgetRegistry();
    const first = client({ rateBudgets });
    const second = client({ rateBudgets });
    expect(rateBudgets.size()).toBe(1);
    first.close();
    first.close();
    expect(rateBudgets.size()).toBe(1);
    await expect(first.releaseControl(conversationId)).rejects.toMatchObject({
      code: 'connector_closed',
      retryable: true,
    });
    expect(harness().requests).toEqual([]);

    harness().crm().post(path('releaseControl')).matchHeader('authorization', basic).reply(200, {});
    await expect(second.releaseControl(conversationId)).resolves.toMatchObject({ attempts: 1 });
    second.close();
    expect(rateBudgets.size()).toBe(0);
  });
});
