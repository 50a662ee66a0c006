import {
  createRateBudgetRegistry,
  createRedactor,
  type PluginContext,
  type RateBudgetRegistry,
} from '@crm-connect/core';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { currentUserBody, notFound, plugin, users } from './kustomer-fixture.js';

/**
 * Kustomer's rate limit is per organization across all its API keys: every connector to one
 * organization must take from one budget, whatever its key or host. Fake time makes a minute pass
 * in milliseconds.
 */

const orgHost = 'https://acme.api.kustomerapp.com';
const usHost = 'https://api.kustomerapp.com';
const keyA = 'eyJhbGciOiJIUzI1NiJ9.eyJrZXkiOiJhIn0.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const keyB = 'eyJhbGciOiJIUzI1NiJ9.eyJrZXkiOiJiIn0.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const acme = '5e8a7b6c5d4e3f2a1b0c9d8e';
const globex = '5e8a7b6c5d4e3f2a1b0c0000';

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  vi.useRealTimers();
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

/** Advances fake time, letting the mocked sockets (real I/O callbacks) answer between steps. */
async function advance(ms: number, step = 10): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, ms - elapsed));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function connect(
  registry: RateBudgetRegistry,
  apiBaseUrl: string,
  apiKey: string,
  rateLimitPerMinute: number,
  logs: string[] = [],
) {
  const context: PluginContext = {
    redactor: createRedactor(),
    logger: { log: (_level, message) => logs.push(message) },
    audit: () => {},
    rateBudgets: registry,
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5 } },
  };
  const settings = plugin.settings.schema.parse({ apiBaseUrl, apiKey, rateLimitPerMinute });
  return plugin.connect(settings, context);
}

/** Answers GET /v1/users/current for `key` with the key's machine user in `org`, recording when. */
function identity(host: string, key: string, org: string, sentAt: number[]): void {
  nock(host)
    .get('/v1/users/current')
    .matchHeader('authorization', `Bearer ${key}`)
    .reply(() => {
      sentAt.push(Date.now());
      return [200, currentUserBody(users.admin, org)];
    });
}

function lookups(host: string, key: string, times: number, sentAt: number[]): void {
  nock(host)
    .get(/^\/v1\/conversations\/externalId=/)
    .matchHeader('authorization', `Bearer ${key}`)
    .times(times)
    .reply(() => {
      sentAt.push(Date.now());
      return [404, notFound];
    });
}

describe('kustomer: the organization-wide rate budget', () => {
  it('two connectors of one organization (different keys, org host and regional host) share one budget', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const registry = createRateBudgetRegistry();
    const sentAt: number[] = [];
    identity(orgHost, keyA, acme, sentAt);
    identity(usHost, keyB, acme, sentAt);
    lookups(orgHost, keyA, 3, sentAt);
    lookups(usHost, keyB, 3, sentAt);
    const a = connect(registry, orgHost, keyA, 4);
    const b = connect(registry, usHost, keyB, 4);
    const start = Date.now();
    const identities = Promise.all([a.connectionUser(), b.connectionUser()]);
    await advance(100);
    await identities;

    const calls = [1, 2, 3].flatMap((n) => [a.findTicket(`chat-a-${n}`), b.findTicket(`chat-b-${n}`)]);
    await advance(5_000);
    // The two identity calls (charged to the organization once it is known) and two lookups:
    // the organization's 4 requests for this minute, although each key alone sent 2 or 3.
    expect(sentAt).toHaveLength(4);
    const organization = registry.forAccount(`kustomer:org:${acme}`, { requestsPerInterval: 1 });
    expect(organization.options.requestsPerInterval).toBe(4);
    expect(organization.load().waiting).toBe(4);
    await advance(60_000);
    await expect(Promise.all(calls)).resolves.toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(sentAt).toHaveLength(8);
    const first = Math.min(...sentAt);
    expect(sentAt.filter((at) => at < first + 60_000)).toHaveLength(4);
    expect(Math.max(...sentAt) - start).toBeGreaterThanOrEqual(60_000);
  });

  it('two organizations on one regional host keep separate budgets', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const registry = createRateBudgetRegistry();
    const sentAt: number[] = [];
    identity(usHost, keyA, acme, sentAt);
    identity(usHost, keyB, globex, sentAt);
    lookups(usHost, keyA, 1, sentAt);
    lookups(usHost, keyB, 1, sentAt);
    const a = connect(registry, usHost, keyA, 2);
    const b = connect(registry, usHost, keyB, 2);
    const calls = Promise.all([a.findTicket('chat-a'), b.findTicket('chat-b')]);
    await advance(2_000);
    await calls;
    expect(sentAt).toHaveLength(4);
    expect(Math.max(...sentAt) - Math.min(...sentAt)).toBeLessThan(2_000);
  });

  it('a 429 on one key holds every connector of the organization until x-ratelimit-reset', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const registry = createRateBudgetRegistry();
    const sentAt: number[] = [];
    const logs: string[] = [];
    identity(orgHost, keyA, acme, sentAt);
    identity(usHost, keyB, acme, sentAt);
    let limitedAt = 0;
    nock(orgHost)
      .get(/^\/v1\/conversations\/externalId=/)
      .reply(() => {
        limitedAt = Date.now();
        // No Retry-After: the reset header (seconds to wait) is what Kustomer's limiter says.
        return [429, { errors: [{ status: 429, title: 'Too Many Requests' }] }, { 'x-ratelimit-reset': '3' }];
      });
    lookups(orgHost, keyA, 1, sentAt);
    const a = connect(registry, orgHost, keyA, 1_000, logs);
    const b = connect(registry, usHost, keyB, 1_000);
    const identities = Promise.all([a.connectionUser(), b.connectionUser()]);
    await advance(100);
    await identities;
    const first = a.findTicket('chat-a');
    // Fake time runs ahead of the mocked socket: wait until the 429 has been read (its retry is logged).
    while (!logs.includes('crm request retried')) await advance(10);
    const heldAt = Date.now();
    expect(limitedAt).toBeGreaterThan(0);
    let otherAt = 0;
    nock(usHost)
      .get(/^\/v1\/conversations\/externalId=/)
      .reply(() => {
        otherAt = Date.now();
        return [404, notFound];
      });
    const second = b.findTicket('chat-b');
    await advance(4_000);
    await Promise.all([first, second]);
    // The other key, on another host, waited for the reset too: one organization, one budget.
    expect(otherAt - heldAt).toBeGreaterThanOrEqual(2_900);
    expect(Math.max(...sentAt) - heldAt).toBeGreaterThanOrEqual(2_900);
  });
});
