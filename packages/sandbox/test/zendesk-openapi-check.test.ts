import { createZendeskSandbox, type ZendeskSandbox } from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { zendeskSpecFindings } from './zendesk-openapi-check.js';

/** The spec check itself: it finds what breaks the file, and lets through what the file allows. */

let sandbox: ZendeskSandbox;
beforeEach(async () => {
  sandbox = createZendeskSandbox();
  await sandbox.start();
});
afterEach(async () => {
  await sandbox.stop();
});

const admin = () => sandbox.seed.users.find((user) => user.key === 'admin');
const auth = () =>
  `Basic ${Buffer.from(`${admin()?.email}/token:${sandbox.seed.credentials.apiToken}`).toString('base64')}`;

describe('the Zendesk OpenAPI check', () => {
  it('a conforming exchange has no finding; the answer is checked too', async () => {
    const response = await fetch(`${sandbox.url}/api/v2/tickets`, {
      method: 'POST',
      headers: { authorization: auth(), 'content-type': 'application/json' },
      body: JSON.stringify({
        ticket: { subject: 'Order 123', comment: { body: 'Where is it?', public: false } },
      }),
    });
    expect(response.status).toBe(201);
    expect(sandbox.answers.entries()).toHaveLength(1);
    expect(await zendeskSpecFindings(sandbox)).toEqual([]);
  });

  it('a request body of the wrong type, an unknown query parameter and an unknown path are findings', async () => {
    await fetch(`${sandbox.url}/api/v2/tickets`, {
      method: 'POST',
      headers: { authorization: auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ ticket: { subject: 42, comment: { body: 'x' } } }),
    });
    await fetch(`${sandbox.url}/api/v2/tickets/1/audits?sort=oldest`, { headers: { authorization: auth() } });
    await fetch(`${sandbox.url}/api/v2/nothing-here`, { headers: { authorization: auth() } });
    const findings = await zendeskSpecFindings(sandbox);
    expect(findings).toEqual([
      expect.stringMatching(
        /request #1 POST \/api\/v2\/tickets \(CreateTicket\): \/requestBody\/ticket\/subject must be string/,
      ),
      expect.stringMatching(
        /request #2 GET \/api\/v2\/tickets\/1\/audits\?sort=oldest \(ListAuditsForTicket\): .*additional properties/,
      ),
      expect.stringMatching(/request #3 GET \/api\/v2\/nothing-here: no operation/),
    ]);
  });

  it('an answer that breaks the file is a finding (a ticket id as a string, JSON said and text sent)', async () => {
    const fake = {
      log: { entries: () => [] },
      answers: {
        entries: () => [
          {
            sequence: 1,
            route: 'tickets.show',
            method: 'GET',
            path: '/api/v2/tickets/1',
            query: '',
            requestHeaders: {},
            requestBody: undefined,
            status: 200,
            headers: {},
            body: { ticket: { id: 'one', requester_id: 1 } },
          },
          {
            sequence: 2,
            route: 'users.me',
            method: 'GET',
            path: '/api/v2/users/me',
            query: '',
            requestHeaders: {},
            requestBody: undefined,
            status: 200,
            headers: {},
            body: 'Anonymous',
          },
        ],
      },
    } as unknown as ZendeskSandbox;
    expect(await zendeskSpecFindings(fake)).toEqual([
      expect.stringMatching(
        /answer #1 200 to GET \/api\/v2\/tickets\/1 \(ShowTicket\): \/ticket\/id must be integer/,
      ),
      expect.stringMatching(
        /answer #2 200 to GET \/api\/v2\/users\/me \(ShowCurrentUser\): answered text\/plain, the file says application\/json/,
      ),
    ]);
  });
});
