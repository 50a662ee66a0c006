import { type DemoPassResult, runDemoPass } from '@crm-connect/cli';
import { type RunningSandboxCrm, sandboxCrms, seededRandom } from '@crm-connect/sandbox-crms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The demo's scenario end to end, through the public packages: real plugins, real HTTP, local
 * sandbox CRMs. Every record is checked in the sandbox's own store, not through the connector.
 */

const expectedWithDefaultUser = [
  ['chat started, no agent yet', 'default-user'],
  ['voicemail before its callback', 'default-user'],
  ['abandoned call (tickets on)', 'default-user'],
  ['abandoned call (tickets off)', 'abandoned-call-tickets-disabled'],
  ['chat later assigned to an agent', 'identified-agent'],
  ['agent known by an old address', 'identified-agent'],
  ['agent deactivated in the CRM', 'default-user'],
];

const running: RunningSandboxCrm[] = [];
beforeAll(async () => {
  for (const crm of sandboxCrms) running.push(await crm.start());
});
afterAll(async () => {
  await Promise.all(running.map((crm) => crm.stop()));
});

const pass = (crm: RunningSandboxCrm, defaultUser: boolean, seed = 7): Promise<DemoPassResult> =>
  runDemoPass(crm, defaultUser, { random: seededRandom(seed), progress: () => {} });

const namesOf = (crm: RunningSandboxCrm) =>
  new Map(crm.sandbox.seed.users.map((user) => [user.key, user.name]));

describe.each(sandboxCrms.map((crm) => crm.id))('%s: the demo scenario', (id) => {
  const crm = () => running.find((candidate) => candidate.id === id) as RunningSandboxCrm;

  it('default user on: each record owned by the default user or the identified agent, for the right reason', async () => {
    const result = await pass(crm(), true);
    expect(result.rows.map((row) => row.problem)).toEqual(result.rows.map(() => undefined));
    expect(result.rows.map((row) => [row.interaction, row.reason])).toEqual(expectedWithDefaultUser);
    const alex = namesOf(crm()).get('agent');
    const owners = result.rows.map((row) => row.owner);
    expect(owners[3]).toBe('—');
    expect([owners[4], owners[5]]).toEqual([alex, alex]);
    // Every default-user record has the same owner: the identity the credentials act as.
    expect(new Set([owners[0], owners[1], owners[2], owners[6]]).size).toBe(1);
    expect(owners[0]).not.toBe(alex);
  });

  it('default user off: the legacy random active agent, reproducible from the seed', async () => {
    const first = await pass(crm(), false, 11);
    const again = await pass(crm(), false, 11);
    expect(first.rows.map((row) => row.problem)).toEqual(first.rows.map(() => undefined));
    const reasons = first.rows.map((row) => row.reason);
    expect(reasons).toEqual([
      'random-agent',
      'random-agent',
      'random-agent',
      'abandoned-call-tickets-disabled',
      'identified-agent',
      'identified-agent',
      'random-agent',
    ]);
    const active = crm()
      .sandbox.seed.users.filter((user) => user.active)
      .map((user) => user.name);
    for (const index of [0, 1, 2, 6]) expect(active).toContain(first.rows[index]?.owner);
    expect(first.rows.map((row) => row.owner)).not.toContain(namesOf(crm()).get('deactivatedAgent'));
    expect(again.rows.map((row) => row.owner)).toEqual(first.rows.map((row) => row.owner));
  });

  it('with 429s, 5xx and a connection dropped after the write, every interaction still yields exactly one record', async () => {
    for (const route of crm().createRoutes) {
      const { faults } = crm().sandbox;
      if (crm().rateLimitRetryable) faults.inject({ kind: 'rate-limit', route, retryAfterSeconds: 0.05 });
      faults.inject({ kind: 'server-error', route, status: 503, skip: 1 });
      faults.inject({ kind: 'drop', route, when: 'after-handling', skip: 2 });
    }
    const result = await pass(crm(), true);
    expect(result.rows.map((row) => row.problem)).toEqual(result.rows.map(() => undefined));
    expect(result.rows.filter((row) => row.record !== 'none')).toHaveLength(6);
    for (const row of result.rows) expect(row.record).not.toContain(',');
  });
});
