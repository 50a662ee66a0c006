import { useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { basic, staffListQuery, users, wireUser, zendeskFixture } from './zendesk-fixture.js';

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
