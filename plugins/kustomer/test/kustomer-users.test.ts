import { type CrmUser, createConnector, createRateBudgetRegistry } from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import {
  bearer,
  kustomerFixture,
  origin,
  plugin,
  userResource,
  users,
  usersPage,
} from './kustomer-fixture.js';

const harness = useHarness(kustomerFixture);
const conversationId = '6c3d4e5f60718293a4b5c6d7';
/** The organization's plan limit at its highest, so a 500-page listing is not spread over minutes. */
const settings = { ...kustomerFixture.settings, rateLimitPerMinute: 10_000 };

/** A connection whose first call reads the key's user (which names the organization's budget). */
function connect() {
  harness().use(kustomerFixture.mocks.connectionUser);
  return plugin.connect(plugin.settings.schema.parse(settings), harness().context());
}

/** The `index`th full user of a large organization (24-hex ids, like Kustomer's). */
function manyUser(index: number): CrmUser {
  return {
    id: `6a00000000000000${index.toString(16).padStart(8, '0')}`,
    email: `agent.${index}@acme.test`,
    name: `Agent ${index}`,
    active: true,
    role: 'user',
  };
}

/**
 * An organization with `total` full users, served as Kustomer pages `GET /v1/users`: 100 a page,
 * `links.next` naming the next page with the listing's filter, null on the last one.
 */
function userPages(total: number, filter: Readonly<Record<string, string>>) {
  const pages = Math.ceil(total / 100);
  harness()
    .crm()
    .get('/v1/users')
    .query((query) => Object.entries(filter).every(([name, value]) => query[name] === value))
    .matchHeader('authorization', bearer)
    .times(pages)
    .reply((uri) => {
      const page = Number(new URL(uri, origin).searchParams.get('page'));
      const start = (page - 1) * 100;
      const list = Array.from({ length: Math.min(100, total - start) }, (_, offset) =>
        manyUser(start + offset),
      );
      return [200, usersPage(list, page, page < pages, filter)];
    });
}

describe('kustomer: every user of a large organization', () => {
  it('a user on the last of 500 pages can own a conversation picked by the random rule', async () => {
    userPages(50_000, { deleted: 'false' });
    harness().use(kustomerFixture.mocks.connectionUser);
    harness().use(kustomerFixture.mocks.createTicket(conversationId));
    const connector = createConnector({
      plugin,
      settings: { ...settings, defaultUser: false },
      rateBudgets: createRateBudgetRegistry(),
      // The very last of the 50,000.
      random: () => 0.999_999,
    });
    const audit = await connector.handle(chatStarted());
    expect(audit).toMatchObject({ reason: 'random-agent', owner: { id: manyUser(49_999).id } });
    // The whole listing was walked: 500 pages, following `links.next` until it is null.
    expect(harness().requests.filter((request) => request.path.startsWith('/v1/users?'))).toHaveLength(500);
    await connector.close();
  });

  it('an agent found only on page 150 of an unfiltered listing is found (the email filter ignored)', async () => {
    const wanted = manyUser(14_999);
    const email = wanted.email ?? '';
    userPages(15_000, { email });
    const connection = connect();
    await expect(connection.findUserByEmail(email)).resolves.toEqual(wanted);
  });

  it('a next link Kustomer names twice ends the walk (no endless listing), keeping the users listed', async () => {
    const again = '/v1/users?deleted=false&page=2&pageSize=100';
    const page = (list: readonly CrmUser[]) => ({
      ...usersPage(list as (typeof users)['agent'][], 2, false, { deleted: 'false' }),
      links: { next: again },
    });
    harness()
      .crm()
      .get('/v1/users')
      .query({ deleted: 'false', page: '1', pageSize: '100' })
      .reply(200, page([users.agent]));
    harness()
      .crm()
      .get('/v1/users')
      .query({ deleted: 'false', page: '2', pageSize: '100' })
      .reply(200, page([users.otherAgent]));
    const connection = connect();
    const pool = await connection.listAssignableUsers();
    expect(pool.map((user) => user.id)).toEqual([users.agent.id, users.otherAgent.id]);
    expect(harness().logs.join('\n')).toContain('repeated');
  });

  it('a next page on another host is not followed: the API key stays on the organization’s host', async () => {
    harness()
      .crm()
      .get('/v1/users')
      .query({ deleted: 'false', page: '1', pageSize: '100' })
      .reply(200, {
        data: [userResource(users.agent)],
        links: { next: 'https://elsewhere.example.com/v1/users?page=2' },
      });
    const connection = connect();
    await expect(connection.listAssignableUsers()).rejects.toMatchObject({ code: 'invalid_response' });
    expect(harness().requests.filter((request) => request.path.startsWith('/v1/users?'))).toHaveLength(1);
  });
});
