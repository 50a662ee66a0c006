import { type CrmUser, createConnector, createRateBudgetRegistry, resolveActor } from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { zendesk } from '../src/index.js';
import {
  assigneeOf,
  basic,
  origin,
  staffListQuery,
  users,
  wireUser,
  zendeskFixture,
} from './zendesk-fixture.js';

const harness = useHarness(zendeskFixture);
const { plugin } = zendeskFixture;
const connect = () =>
  plugin.connect(plugin.settings.schema.parse(zendeskFixture.settings), harness().context());

function searchAnswers(query: string, found: unknown[]) {
  harness()
    .crm()
    .get('/api/v2/users/search')
    .query({ query })
    .matchHeader('authorization', basic(users.admin.email))
    .reply(200, { users: found, next_page: null, previous_page: null, count: found.length });
}

describe('zendesk agent identification', () => {
  it('finds an agent by exact email among partial search matches, ignoring end users', async () => {
    searchAnswers(users.agent.email, [
      wireUser({
        id: '360001234599',
        email: `old.${users.agent.email}`,
        name: 'Partial match',
        active: true,
      }),
      wireUser(
        { id: '360009876501', email: users.agent.email, name: 'Same email, customer', active: true },
        { role: 'end-user' },
      ),
      wireUser(users.agent),
    ]);
    const found = await connect().findUserByEmail(users.agent.email);
    expect(found).toEqual({
      id: users.agent.id,
      email: users.agent.email,
      name: users.agent.name,
      active: true,
      role: 'agent',
    });
    expect(harness().requests[0]?.path).toBe(
      `/api/v2/users/search?query=${encodeURIComponent(users.agent.email)}`,
    );
  });

  it('a suspended agent is found but inactive, so it is never chosen', async () => {
    searchAnswers(users.deactivatedAgent.email, [wireUser(users.deactivatedAgent)]);
    expect(await connect().findUserByEmail(users.deactivatedAgent.email)).toMatchObject({
      id: users.deactivatedAgent.id,
      active: false,
    });
  });

  it('agents whose role cannot take tickets (light agents, contributors) are reported inactive', async () => {
    searchAnswers(users.agent.email, [wireUser(users.agent, { role_type: 1 })]);
    expect(await connect().findUserByEmail(users.agent.email)).toMatchObject({
      active: false,
      role: 'light-agent',
    });
  });

  it('an email no agent has: undefined', async () => {
    searchAnswers('nobody@acme.com', []);
    expect(await connect().findUserByEmail('nobody@acme.com')).toBeUndefined();
  });
});

describe('zendesk agent pool (legacy random rule)', () => {
  it('walks the cursor pages of agents and admins', async () => {
    harness()
      .crm()
      .get('/api/v2/users')
      .query(staffListQuery)
      .matchHeader('authorization', basic(users.admin.email))
      .reply(200, {
        users: [wireUser(users.admin), wireUser(users.agent)],
        meta: {
          has_more: true,
          after_cursor: 'eyJvIjoiaWQiLCJ2IjoiYVFBQUFBQUFBQUFBIn0=',
          before_cursor: null,
        },
        links: { next: `${zendeskFixture.origins[0]}/api/v2/users?page[after]=eyJ...`, prev: null },
      });
    harness()
      .crm()
      .get('/api/v2/users')
      .query({ ...staffListQuery, 'page[after]': 'eyJvIjoiaWQiLCJ2IjoiYVFBQUFBQUFBQUFBIn0=' })
      .reply(200, {
        users: [wireUser(users.otherAgent), wireUser(users.deactivatedAgent)],
        meta: { has_more: false, after_cursor: null, before_cursor: null },
        links: { next: null, prev: null },
      });
    const pool = await connect().listAssignableUsers();
    expect(pool.map((user) => [user.id, user.active])).toEqual([
      [users.admin.id, true],
      [users.agent.id, true],
      [users.otherAgent.id, true],
      [users.deactivatedAgent.id, false],
    ]);
  });
});

const agentIdBase = 361_000_000_000;

/** The `index`th agent of a large account: ids, emails and names that tell them apart. */
function manyAgent(index: number): CrmUser {
  return {
    id: String(agentIdBase + index),
    email: `agent.${index}@acme.com`,
    name: `Agent ${index}`,
    active: true,
    role: 'agent',
  };
}

/**
 * An account with `total` agents, served as Zendesk serves cursor pages: 100 users a page,
 * `meta.has_more` and `meta.after_cursor` (an opaque cursor, here the offset encoded), `links.next`.
 */
function staffPages(total: number) {
  const pageSize = 100;
  harness()
    .crm()
    .get('/api/v2/users')
    .query(true)
    .matchHeader('authorization', basic(users.admin.email))
    .times(Math.ceil(total / pageSize))
    .reply((uri) => {
      const query = new URL(uri, origin).searchParams;
      const after = query.get('page[after]');
      const start = after === null ? 0 : Number(Buffer.from(after, 'base64url').toString('utf8'));
      const end = Math.min(total, start + pageSize);
      const more = end < total;
      const cursor = Buffer.from(String(end)).toString('base64url');
      const page = Array.from({ length: end - start }, (_, offset) => {
        const agent = manyAgent(start + offset);
        // Trimmed to the fields the listing reads (a full user object is ten times the size).
        return {
          id: Number(agent.id),
          name: agent.name,
          email: agent.email,
          role: 'agent',
          role_type: null,
          active: true,
          suspended: false,
        };
      });
      return [
        200,
        {
          users: page,
          meta: { has_more: more, after_cursor: more ? cursor : null, before_cursor: null },
          links: {
            next: more ? `${origin}/api/v2/users?page[after]=${cursor}&page[size]=100` : null,
            prev: null,
          },
        },
      ];
    });
}

/** A plugin whose budget lets a 500-page listing through at once (the default is 200 requests a minute). */
const unthrottled = zendesk({ requestsPerMinute: 100_000 });
const connectUnthrottled = () =>
  unthrottled.connect(unthrottled.settings.schema.parse(zendeskFixture.settings), harness().context());

/** A seeded source of numbers in [0, 1) (mulberry32): the same draws on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The random rule's pick over `pool`, as the connector makes it when the default user is off. */
function pick(pool: readonly CrmUser[], random: () => number): CrmUser | undefined {
  const decision = resolveActor({
    eventType: 'chat.started',
    agent: { status: 'none' },
    connectionUser: users.admin,
    defaultUserEnabled: false,
    abandonedCallTickets: true,
    alwaysUseAdmin: false,
    performsAsAgent: false,
    agentPool: pool,
    random,
  });
  return decision.action === 'write' ? decision.owner : undefined;
}

describe('zendesk agent pool: every agent of a large account', () => {
  it('an agent on the last of 500 cursor pages can own a record picked by the random rule', async () => {
    staffPages(50_000);
    harness().use(zendeskFixture.mocks.connectionUser);
    harness().use(zendeskFixture.mocks.createTicket('35436'));
    const connector = createConnector({
      plugin: unthrottled,
      settings: { ...zendeskFixture.settings, defaultUser: false },
      rateBudgets: createRateBudgetRegistry(),
      // The very last of the 50,000.
      random: () => 0.999_999,
    });
    const audit = await connector.handle(chatStarted());
    expect(audit).toMatchObject({ outcome: 'created', reason: 'random-agent' });
    const created = harness()
      .writes()
      .find((request) => request.path === '/api/v2/tickets');
    expect(created === undefined ? undefined : assigneeOf(created)).toBe(manyAgent(49_999).id);
    // The whole listing was walked: 500 pages, past the 10,000 users offset pagination stops at.
    expect(harness().requests.filter((request) => request.path.startsWith('/api/v2/users?'))).toHaveLength(
      500,
    );
    await connector.close();
  });

  it('the pick is uniform over the whole listing: each of its 10 pages is picked as often (chi-square)', async () => {
    const total = 1_000;
    staffPages(total);
    const pool = await connectUnthrottled().listAssignableUsers();
    const random = seededRandom(15);
    const draws = 10_000;
    const pages = Array.from({ length: 10 }, () => 0);
    for (let draw = 0; draw < draws; draw += 1) {
      const owner = pick(pool, random);
      if (owner === undefined) throw new Error('the rule picked no agent');
      const page = Math.floor((Number(owner.id) - agentIdBase) / 100);
      pages[page] = (pages[page] ?? 0) + 1;
    }
    const expected = draws / 10;
    const chiSquare = pages.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 27.88 is the 0.1 % critical value with 9 degrees of freedom: "always the first agent", or
    // "the first page only", scores 90,000; a pick limited to the first half, 10,000.
    expect(chiSquare).toBeLessThan(27.88);
  });

  it('a cursor Zendesk answers twice ends the walk (no endless listing), keeping the agents listed', async () => {
    const repeated = 'eyJvIjoiaWQiLCJ2IjoiYVFBQUFBQUFBQUFBIn0';
    harness()
      .crm()
      .get('/api/v2/users')
      .query(staffListQuery)
      .reply(200, {
        users: [wireUser(users.admin)],
        meta: { has_more: true, after_cursor: repeated, before_cursor: null },
      });
    harness()
      .crm()
      .get('/api/v2/users')
      .query({ ...staffListQuery, 'page[after]': repeated })
      .reply(200, {
        users: [wireUser(users.agent)],
        meta: { has_more: true, after_cursor: repeated, before_cursor: null },
      });
    const pool = await connect().listAssignableUsers();
    expect(pool.map((user) => user.id)).toEqual([users.admin.id, users.agent.id]);
    expect(harness().requests).toHaveLength(2);
    expect(harness().logs.join('\n')).toContain('repeated');
  });
});

describe('zendesk connection user', () => {
  it('is checked once and cached; a failure is not cached', async () => {
    harness().crm().get('/api/v2/users/me').reply(503, 'Service Unavailable');
    const connection = plugin.connect(plugin.settings.schema.parse(zendeskFixture.settings), {
      ...harness().context(),
      http: { retry: { maxRetries: 0 }, timeoutMs: 5_000 },
    });
    await expect(connection.connectionUser()).rejects.toMatchObject({ code: 'transport_failed' });
    harness()
      .crm()
      .get('/api/v2/users/me')
      .reply(200, { user: wireUser(users.admin) });
    const [first, second] = await Promise.all([connection.connectionUser(), connection.connectionUser()]);
    expect(first).toMatchObject({ id: users.admin.id });
    expect(second).toBe(first);
    expect(await connection.connectionUser()).toBe(first);
    expect(harness().requests).toHaveLength(2);
  });
});
