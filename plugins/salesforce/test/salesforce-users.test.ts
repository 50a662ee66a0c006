import { type CrmUser, createConnector, createRateBudgetRegistry } from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import {
  adminAccessToken,
  adminRefreshToken,
  dataPath,
  mockRefresh,
  plugin,
  salesforceFixture,
  settings,
  userRecord,
  users,
} from './salesforce-fixture.js';

/**
 * The legacy random rule picks among every active standard user of the org, however many
 * batches of 2,000 the SOQL query is split into (in name order): the end of the alphabet can be
 * picked as well as its start.
 */

const harness = useHarness(salesforceFixture);
const caseId = '500xx000003DgQaAAK';

/** The `index`th user of a large org (005 ids of their own). */
function manyUser(index: number): CrmUser {
  return {
    id: `005xx${index.toString(36).padStart(10, '0')}AAA`,
    email: `agent.${index}@acme.example.com`,
    name: `Agent ${String(index).padStart(5, '0')}`,
    active: true,
  };
}

/**
 * An org with `total` active users, queried as Salesforce answers SOQL: 2,000 records a batch,
 * each but the last with `done: false` and a `nextRecordsUrl` under `/query/`.
 */
function userBatches(total: number) {
  const batch = 2_000;
  const locator = '01gxx0000004pVTAAY';
  const answer = (start: number) => {
    const end = Math.min(total, start + batch);
    return {
      totalSize: total,
      done: end >= total,
      ...(end < total ? { nextRecordsUrl: `${dataPath}/query/${locator}-${end}` } : {}),
      records: Array.from({ length: end - start }, (_, offset) => userRecord(manyUser(start + offset))),
    };
  };
  harness()
    .crm()
    .get(`${dataPath}/query`)
    .query((query) => String(query.q).includes('FROM User WHERE IsActive = true'))
    .reply(200, answer(0));
  harness()
    .crm()
    .get(new RegExp(`^${dataPath}/query/${locator}-\\d+$`))
    .times(Math.ceil(total / batch) - 1)
    .reply((uri) => [200, answer(Number(uri.split('-').at(-1)))]);
}

describe('salesforce: every assignable user of a large org', () => {
  it('a user in the last of 25 batches (50,000 users) can own a case picked by the random rule', async () => {
    harness().use(salesforceFixture.mocks.connectionUser);
    userBatches(50_000);
    harness().use(salesforceFixture.mocks.createTicket(caseId));
    const connector = createConnector({
      plugin,
      settings: { ...settings, defaultUser: false },
      rateBudgets: createRateBudgetRegistry(),
      // The very last of the 50,000.
      random: () => 0.999_999,
    });
    const audit = await connector.handle(chatStarted());
    expect(audit).toMatchObject({ reason: 'random-agent', owner: { id: manyUser(49_999).id } });
    const listed = harness().requests.filter((request) => request.path.startsWith(`${dataPath}/query`));
    expect(listed).toHaveLength(25);
    await connector.close();
  });

  it('a next batch Salesforce names twice ends the walk (no endless listing), keeping the users listed', async () => {
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    const again = `${dataPath}/query/01gxx0000004pVTAAY-1`;
    const answer = (user: CrmUser) => ({
      totalSize: 3,
      done: false,
      nextRecordsUrl: again,
      records: [userRecord(user)],
    });
    harness()
      .crm()
      .get(`${dataPath}/query`)
      .query(true)
      .reply(200, answer(manyUser(0)));
    harness()
      .crm()
      .get(again)
      .reply(200, answer(manyUser(1)));
    const connection = plugin.connect(plugin.settings.schema.parse(settings), harness().context());
    const pool = await connection.listAssignableUsers();
    expect(pool.map((user) => user.id)).toEqual([manyUser(0).id, manyUser(1).id]);
    expect(harness().logs.join('\n')).toContain('repeated');
  });
});
