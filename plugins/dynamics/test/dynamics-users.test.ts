import { type CrmUser, createConnector, createRateBudgetRegistry } from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { dynamics } from '../src/index.js';
import { dynamicsFixture, organizationUrl, systemUser, tokenEndpoint, webApi } from './dynamics-fixture.js';

/**
 * The legacy random rule picks among every enabled interactive user of the environment, however
 * many pages Dataverse splits them into (500 a page, in name order): the last name of the
 * alphabet can be picked as well as the first.
 */

const harness = useHarness(dynamicsFixture);
const caseId = 'b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e';
const settings = { ...dynamicsFixture.settings, impersonateAgents: false };

/** The `index`th user of a large environment (systemuserids in a range of their own). */
function manyUser(index: number): CrmUser & { email: string } {
  return {
    id: `7e000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`,
    email: `agent.${index}@contoso.com`,
    name: `Agent ${String(index).padStart(5, '0')}`,
    active: true,
  };
}

/**
 * An environment with `total` assignable users, listed as Dataverse pages them: 500 a page (the
 * `odata.maxpagesize` asked for), each page but the last with an absolute `@odata.nextLink`
 * carrying a `$skiptoken`.
 */
function systemUserPages(total: number) {
  const pageSize = 500;
  harness()
    .crm()
    .get(`${webApi}/systemusers`)
    .query((query) => String(query.$filter).includes('isdisabled eq false'))
    .matchHeader('prefer', 'odata.maxpagesize=500')
    .times(Math.ceil(total / pageSize))
    .reply((uri) => {
      const skip = Number(new URL(uri, organizationUrl).searchParams.get('$skiptoken') ?? '0');
      const end = Math.min(total, skip + pageSize);
      const next = new URL(uri, organizationUrl);
      next.searchParams.set('$skiptoken', String(end));
      return [
        200,
        {
          '@odata.context': `${organizationUrl}${webApi}/$metadata#systemusers`,
          value: Array.from({ length: end - skip }, (_, offset) => systemUser(manyUser(skip + offset))),
          ...(end < total ? { '@odata.nextLink': next.toString() } : {}),
        },
      ];
    });
}

describe('dynamics: every assignable user of a large environment', () => {
  it('a user on the last of 100 pages (50,000 users) can own a case picked by the random rule', async () => {
    tokenEndpoint({ optional: true });
    systemUserPages(50_000);
    harness().use(dynamicsFixture.mocks.connectionUser);
    harness().use(dynamicsFixture.mocks.createTicket(caseId));
    const connector = createConnector({
      plugin: dynamics(),
      settings: { ...settings, defaultUser: false },
      rateBudgets: createRateBudgetRegistry(),
      // The very last of the 50,000.
      random: () => 0.999_999,
    });
    const audit = await connector.handle(chatStarted());
    expect(audit).toMatchObject({ reason: 'random-agent', owner: { id: manyUser(49_999).id } });
    const listed = harness().requests.filter((request) => request.path.startsWith(`${webApi}/systemusers?`));
    expect(listed).toHaveLength(100);
    await connector.close();
  });

  it('a next link Dataverse names twice ends the walk (no endless listing), keeping the users listed', async () => {
    tokenEndpoint({ optional: true });
    const again = `${organizationUrl}${webApi}/systemusers?$skiptoken=2`;
    const page = (user: CrmUser) => ({ value: [systemUser(user)], '@odata.nextLink': again });
    harness()
      .crm()
      .get(`${webApi}/systemusers`)
      .query((query) => query.$skiptoken === undefined)
      .reply(200, page(manyUser(0)));
    harness()
      .crm()
      .get(`${webApi}/systemusers`)
      .query({ $skiptoken: '2' })
      .reply(200, page(manyUser(1)));
    const connection = dynamics().connect(dynamics().settings.schema.parse(settings), harness().context());
    const pool = await connection.listAssignableUsers();
    expect(pool.map((user) => user.id)).toEqual([manyUser(0).id, manyUser(1).id]);
    expect(harness().logs.join('\n')).toContain('repeated');
    await connection.close?.();
  });
});
