import { isCrmConnectError } from '@crm-connect/core';
import { useHarness } from '@crm-connect/testkit';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { dynamics } from '../src/index.js';
import {
  dynamicsFixture,
  organizationUrl,
  systemUser,
  tokenEndpoint,
  users,
  webApi,
} from './dynamics-fixture.js';

/**
 * The access token goes to the organization URL only. Dataverse pages a listing with an absolute
 * `@odata.nextLink`: one that names another host is not followed (it would carry the token there).
 */

const harness = useHarness(dynamicsFixture);

function connection() {
  const settings = dynamics().settings.schema.parse({
    ...dynamicsFixture.settings,
    impersonateAgents: false,
  });
  return dynamics().connect(settings, harness().context());
}

const page = (people: (typeof users)['agent'][], nextLink?: string) => ({
  '@odata.context': `${organizationUrl}${webApi}/$metadata#systemusers`,
  value: people.map((person) => systemUser(person)),
  ...(nextLink === undefined ? {} : { '@odata.nextLink': nextLink }),
});

describe('dynamics: @odata.nextLink', () => {
  it('a next page on the same environment is followed', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.crm()
      .get(`${webApi}/systemusers`)
      .query((query) => query.$skiptoken === undefined)
      .reply(200, page([users.agent], `${organizationUrl}${webApi}/systemusers?$skiptoken=2`));
    h.crm()
      .get(`${webApi}/systemusers`)
      .query({ $skiptoken: '2' })
      .reply(200, page([users.otherAgent]));
    const pool = await connection().listAssignableUsers();
    expect(pool.map((user) => user.id)).toEqual([users.agent.id, users.otherAgent.id]);
  });

  it('a next page on another host is not followed: the token stays on the environment', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.crm()
      .get(`${webApi}/systemusers`)
      .query(true)
      .reply(200, page([users.agent], `https://collector.example.net${webApi}/systemusers?$skiptoken=2`));
    const elsewhere = nock('https://collector.example.net').get(/.*/).query(true).reply(200, page([]));
    const error = await connection()
      .listAssignableUsers()
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'invalid_response', retryable: false });
    expect((error as Error).message).toContain('collector.example.net');
    expect(elsewhere.pendingMocks(), 'the next link was followed').toHaveLength(1);
    nock.cleanAll();
  });
});
