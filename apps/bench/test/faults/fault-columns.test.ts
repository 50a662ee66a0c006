import { crmIds, type RunningSandboxCrm, sandboxCrm, seededRandom } from '@crm-connect/sandbox-crms';
import { afterEach, describe, expect, it } from 'vitest';
import { type ColumnId, cellHttp, faultColumns } from '../../src/faults/fault-columns.js';
import { renderMatrix } from '../../src/faults/matrix-report.js';

/**
 * The definitions of the token-endpoint columns and of the dripping answer, checked against a
 * real Zendesk sandbox in OAuth mode: where their faults land and when.
 */

function column(id: ColumnId) {
  const found = faultColumns.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no column ${id}`);
  return found;
}

let crm: RunningSandboxCrm | undefined;
afterEach(async () => {
  await crm?.stop();
  crm = undefined;
});

async function zendeskInOAuthMode(): Promise<RunningSandboxCrm> {
  crm = await sandboxCrm('zendesk').start({ oauth: true });
  return crm;
}

/** A token request as the plugin makes it (client credentials, with the plugin's settings). */
function postToken(running: RunningSandboxCrm): Promise<Response> {
  return fetch(`${running.sandbox.url}/oauth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: running.settings.oauthClientId,
      client_secret: running.settings.oauthClientSecret,
      scope: 'read write',
    }),
  });
}

/** The status of a token request, or `dropped` when the connection closed without an answer. */
async function tokenRequest(running: RunningSandboxCrm): Promise<number | 'dropped'> {
  try {
    return (await postToken(running)).status;
  } catch {
    return 'dropped';
  }
}

async function newToken(running: RunningSandboxCrm): Promise<string> {
  const response = await postToken(running);
  expect(response.status).toBe(200);
  const { access_token } = (await response.json()) as { access_token: string };
  return access_token;
}

async function me(running: RunningSandboxCrm, authorization: string): Promise<number> {
  return (await fetch(`${running.sandbox.url}/api/v2/users/me`, { headers: { authorization } })).status;
}

const tokenColumns: readonly [ColumnId, number | 'dropped'][] = [
  ['token-rate-limit', 429],
  ['token-unavailable', 503],
  ['token-dropped', 'dropped'],
];

describe('fault matrix: the token endpoint columns', () => {
  it('apply to each CRM with a token endpoint (Zendesk in OAuth mode), not to Kustomer, and expect every event to succeed', () => {
    for (const [id] of tokenColumns) {
      const definition = column(id);
      expect(crmIds.filter((crmId) => definition.notApplicable(crmId) === undefined)).toEqual([
        'zendesk',
        'salesforce',
        'dynamics',
      ]);
      expect(definition.notApplicable('kustomer')).toMatch(/^n\/a: .*no token endpoint$/);
      expect(definition.crmOptions).toEqual({ oauth: true });
      for (const crmId of crmIds) expect(definition.cannotSucceed(crmId)).toEqual([]);
      expect(definition.interactionShare ?? 1).toBe(1);
      expect(definition.delivery).toBeUndefined();
    }
  });

  it.each(tokenColumns)(
    '%s: the first 3 token requests of the run and the first 3 after each expiry get the fault (%s)',
    async (id, faulty) => {
      const running = await zendeskInOAuthMode();
      const run = column(id).start(running, seededRandom(1));
      const requests = async (count: number) => {
        const answers: (number | 'dropped')[] = [];
        for (let request = 0; request < count; request += 1) answers.push(await tokenRequest(running));
        return answers;
      };
      expect(await requests(4)).toEqual([faulty, faulty, faulty, 200]);
      const token = await newToken(running);
      expect(await me(running, `Bearer ${token}`)).toBe(200);
      // The API itself takes no fault.
      expect(await me(running, await running.bareAuthorization())).toBe(200);
      expect(run.applied()).toBe(3);

      run.progress(0.12);
      expect(await me(running, `Bearer ${token}`)).toBe(200);
      run.progress(0.125);
      // Every access token expired: the plugin must ask for a new one, and meets the fault.
      expect(await me(running, `Bearer ${token}`)).toBe(401);
      expect(await requests(4)).toEqual([faulty, faulty, faulty, 200]);
      expect(run.applied()).toBe(6);

      // The other six expiries, all at once here, each arm three more.
      run.progress(1);
      expect(await requests(3 * 6 + 1)).toEqual([...Array<number | 'dropped'>(18).fill(faulty), 200]);
      expect(run.applied()).toBe(24);
      run.stop();
      expect(running.sandbox.faults.active()).toEqual([]);
    },
  );

  it('show the reason on a not-applicable row', () => {
    const table = renderMatrix([
      {
        kind: 'not-applicable',
        column: column('token-unavailable'),
        crm: { id: 'kustomer', displayName: 'Kustomer' },
        reason: column('token-unavailable').notApplicable('kustomer') ?? '',
      },
    ]);
    expect(table).toContain('| token endpoint 503 | Kustomer |');
    expect(table).toContain('there is no token endpoint');
  });
});

describe('fault matrix: the dripping answer', () => {
  it('replays half the interactions and expects every event to succeed', () => {
    const definition = column('dripping-answer');
    expect(definition.interactionShare).toBe(0.5);
    for (const id of crmIds) {
      expect(definition.notApplicable(id)).toBeUndefined();
      expect(definition.cannotSucceed(id)).toEqual([]);
    }
  });

  it("drips the API's answers, processed first, fast enough for no idle timer to fire within the timeout; never the token endpoint's", async () => {
    const running = await zendeskInOAuthMode();
    const run = column('dripping-answer').start(running, seededRandom(1));
    // The injector arms each route it sees in the log.
    expect(await me(running, await running.bareAuthorization())).toBe(200);
    expect(await tokenRequest(running)).toBe(200);
    const armed = running.sandbox.faults.active().map((injected) => injected.fault);
    expect(armed).toEqual([
      expect.objectContaining({ kind: 'drip', route: 'users.me', when: 'after-handling' }),
    ]);
    const [drip] = armed;
    if (drip?.kind !== 'drip') throw new Error('no drip armed');
    // At least 20 bytes arrive before the connector's deadline: the connection never goes idle.
    expect(drip.byteIntervalMs * 20).toBeLessThanOrEqual(cellHttp.timeoutMs);
    run.stop();
    expect(running.sandbox.faults.active()).toEqual([]);
  });
});
