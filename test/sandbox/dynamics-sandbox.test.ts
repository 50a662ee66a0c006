import { type Connector, isCrmConnectError } from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import {
  createDynamicsSandbox,
  type DynamicsSandbox,
  dynamicsSandboxSettings,
  type InjectedFault,
} from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectorFor, deliver } from './connectors.js';
import { agentAssigned, chatStarted, interactionEnded, platformAgent, voicemailReceived } from './events.js';

/**
 * The real Dynamics plugin, with the real msal-node, configured through its normal settings
 * (organization URL and authority host: the sandbox's https URL) against the Dynamics sandbox.
 */

let sandbox: DynamicsSandbox;
beforeEach(async () => {
  sandbox = createDynamicsSandbox();
  await sandbox.start();
});
afterEach(async () => {
  await sandbox.stop();
});

const plugin = dynamics();
const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email ?? '' };
};
const connector = (overrides: Record<string, unknown> = {}, random?: () => number) =>
  connectorFor(plugin, { ...dynamicsSandboxSettings(sandbox), defaultUser: true, ...overrides }, random);
const incidentOf = (interactionId: string, audit: { recordId?: string | undefined }) => {
  const incident = sandbox.store.incidents.get(audit.recordId ?? '');
  expect(incident, interactionId).toBeDefined();
  return incident as NonNullable<typeof incident>;
};
const notesOf = (incidentId: string) =>
  sandbox.store.annotations.filter((note) => note._objectid_value === incidentId);

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isCrmConnectError(error)) throw new Error(`expected a crm-connect error, got ${String(error)}`);
  return error;
}

describe('dynamics sandbox: credential validation through msal-node', () => {
  it('the crm-connect app: a token from the tenant endpoint, WhoAmI, the application user with its roles', async () => {
    const check = await connector().validateCredentials();
    expect(check).toEqual({
      connectionUser: expect.objectContaining({
        id: person('applicationUser').id,
        name: '# crm-connect',
        role: 'application',
        active: true,
      }),
      warnings: [],
    });
    expect(sandbox.log.entries().map((entry) => [entry.route, entry.status])).toEqual([
      ['oauth.token', 200],
      ['whoAmI', 200],
      ['systemusers.show', 200],
    ]);
    // msal-node posts the client-credentials form with its query string; the secret never reaches the log.
    const token = sandbox.log.entries()[0];
    expect(token?.query).toContain('client-request-id=');
    expect(token?.body).toMatchObject({ grant_type: 'client_credentials', client_secret: '***' });
  });

  it('with impersonation on, the Delegate role is found: no warning', async () => {
    const check = await connector({ impersonateAgents: true }).validateCredentials();
    expect(check.warnings).toEqual([]);
    expect(sandbox.log.entries().at(-1)).toMatchObject({ route: 'systemusers.privilege', status: 200 });
  });

  it('a wrong client secret: AADSTS7000215 from the token endpoint, in the shape msal-node reads', async () => {
    const error = await failure(
      connector({ clientSecret: 'Wrong8Q~notTheSecretValue.0000000' }).validateCredentials(),
    );
    expect(error.code).toBe('authentication_failed');
    expect(error.message).toContain('AADSTS7000215');
    expect(error.message).toContain('Value, not its Secret ID');
    const { credentials } = sandbox.seed;
    const response = await fetch(`${sandbox.url}/${credentials.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credentials.clientId,
        client_secret: 'wrong',
        scope: `${sandbox.url}/.default`,
      }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      error: 'invalid_client',
      error_description: expect.stringMatching(/^AADSTS7000215: Invalid client secret provided\./),
      error_codes: [7000215],
      trace_id: expect.any(String),
      correlation_id: expect.any(String),
    });
  });

  it('an app unknown to the tenant, an unknown tenant, a deleted secret: each says what to fix', async () => {
    const unknownApp = await failure(
      connector({ clientId: '0f0f0f0f-1e1e-4d2d-8c3c-4b4b4b4b4b4b' }).validateCredentials(),
    );
    expect(unknownApp.message).toContain('was not found in tenant');
    const unknownTenant = await failure(
      connector({ tenantId: '11111111-2222-4333-8444-555555555555' }).validateCredentials(),
    );
    expect(unknownTenant.code).toBe('configuration_invalid');
    expect(unknownTenant.message).toContain('was not found');
    sandbox.revokeCredential('clientSecret');
    expect((await failure(connector().validateCredentials())).message).toContain('AADSTS7000215');
  });

  it('an app registration without an application user: 0x80072560 on WhoAmI, with how to create one', async () => {
    const error = await failure(
      connectorFor(plugin, dynamicsSandboxSettings(sandbox, 'unlinked')).validateCredentials(),
    );
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain('0x80072560');
    expect(error.message).toContain('+ New app user');
  });
});

describe('dynamics sandbox: who owns the case', () => {
  it('a chat before any agent: the application user (default user) owns the case and its new contact (deep insert)', async () => {
    const appUser = person('applicationUser');
    const event = chatStarted();
    const audit = await connector().handle(event);
    expect(audit).toMatchObject({ outcome: 'created', reason: 'default-user', owner: { id: appUser.id } });
    const incident = incidentOf(event.interactionId, audit);
    expect(incident).toMatchObject({
      title: expect.stringContaining('Chat'),
      caseorigincode: 3,
      _ownerid_value: appUser.id,
      _createdby_value: appUser.id,
      _createdonbehalfby_value: null,
    });
    expect(sandbox.store.contacts.get(incident._customerid_value)).toMatchObject({
      firstname: 'Jane',
      lastname: 'Doe',
      emailaddress1: 'jane.doe@example.com',
      _ownerid_value: appUser.id,
    });
    expect(sandbox.store.incidents.count()).toBe(1);
  });

  it('an identified agent owns the case; the application user performs the write', async () => {
    const agent = person('agent');
    const event = chatStarted({ agent: platformAgent(agent.email) });
    const audit = await connector().handle(event);
    expect(audit).toMatchObject({ reason: 'identified-agent', owner: { id: agent.id } });
    expect(incidentOf(event.interactionId, audit)).toMatchObject({
      _ownerid_value: agent.id,
      _createdby_value: person('applicationUser').id,
    });
  });

  it('impersonation on: the agent writes the case (CallerObjectId), on behalf of the application user', async () => {
    const agent = person('agent');
    const event = chatStarted({ agent: platformAgent(agent.email) });
    const audit = await connector({ impersonateAgents: true }).handle(event);
    expect(audit).toMatchObject({ performer: { id: agent.id }, owner: { id: agent.id } });
    expect(incidentOf(event.interactionId, audit)).toMatchObject({
      _createdby_value: agent.id,
      _createdonbehalfby_value: person('applicationUser').id,
    });
    const create = sandbox.log.entries().find((entry) => entry.route === 'incidents.create');
    expect(create).toMatchObject({
      principal: agent.id,
      headers: expect.objectContaining({ callerobjectid: expect.any(String) }),
    });
  });

  it('a disabled agent is never the owner, and a later assignment to them is skipped', async () => {
    const gone = person('deactivatedAgent');
    const event = chatStarted({ agent: platformAgent(gone.email) });
    const dy = connector();
    const audit = await dy.handle(event);
    expect(audit).toMatchObject({ reason: 'default-user', agentStatus: 'deactivated' });
    expect(await dy.handle(agentAssigned(event.interactionId, gone.email))).toMatchObject({
      outcome: 'skipped',
    });
    expect(incidentOf(event.interactionId, audit)._ownerid_value).toBe(person('applicationUser').id);
  });

  it('default user off: the random rule picks an enabled Read-Write user with the seeded random source', async () => {
    const event = voicemailReceived();
    // Enabled interactive users by full name: Ada, Alex, Olga (Gus is disabled; the application user is never picked).
    const audit = await connector({ defaultUser: false }, () => 0.5).handle(event);
    expect(audit).toMatchObject({ reason: 'random-agent', owner: { id: person('agent').id } });
    const incident = incidentOf(event.interactionId, audit);
    expect(incident).toMatchObject({ _ownerid_value: person('agent').id, caseorigincode: 1 });
    expect(sandbox.store.contacts.get(incident._customerid_value)).toMatchObject({
      mobilephone: '+15555550199',
    });
  });

  it('an agent assigned later takes the case; the end of the interaction adds the transcript as a note', async () => {
    const agent = person('otherAgent');
    const event = chatStarted();
    const dy = connector();
    const opened = await dy.handle(event);
    expect(await dy.handle(agentAssigned(event.interactionId, agent.email))).toMatchObject({
      outcome: 'updated',
      owner: { id: agent.id },
    });
    const incident = incidentOf(event.interactionId, opened);
    expect(incident).toMatchObject({
      _ownerid_value: agent.id,
      _modifiedby_value: person('applicationUser').id,
    });
    await dy.handle(interactionEnded(event.interactionId, agent.email));
    const notes = notesOf(incident.incidentid);
    // Notes belong to whoever performs the write: the application user, as impersonation is off.
    expect(notes).toEqual([
      expect.objectContaining({
        notetext: expect.stringContaining('Agent: Hi, how can I help?'),
        _ownerid_value: person('applicationUser').id,
      }),
    ]);
  });

  it('a redelivered chat and a second chat from the same customer: one case per interaction, one contact', async () => {
    const event = chatStarted();
    const first = await connector().handle(event);
    // A fresh connector (a restart) creates again: the client-chosen incidentid makes it a duplicate key.
    const again = await connector().handle(event);
    expect(again).toMatchObject({ outcome: 'existing', recordId: first.recordId });
    expect(
      sandbox.log
        .entries()
        .filter((entry) => entry.route === 'incidents.create')
        .map((entry) => entry.status),
    ).toEqual([201, 412]);
    await connector().handle(chatStarted());
    expect(sandbox.store.incidents.count()).toBe(2);
    expect(sandbox.store.contacts.count()).toBe(1);
  });

  it('an agent disabled after being cached: Dataverse refuses the owner, the default user takes the case', async () => {
    const agent = person('agent');
    const dy = connector();
    await dy.handle(chatStarted({ agent: platformAgent(agent.email) }));
    sandbox.deactivateUser(agent.email);
    const event = chatStarted({ agent: platformAgent(agent.email) });
    const audit = await dy.handle(event);
    expect(audit).toMatchObject({ outcome: 'created', reason: 'default-user' });
    expect(incidentOf(event.interactionId, audit)._ownerid_value).toBe(person('applicationUser').id);
    expect(dy.audit.events().map((entry) => entry.reason)).toContain('owner-fallback');
    expect(
      sandbox.log.entries().some((entry) => entry.route === 'incidents.create' && entry.status === 400),
    ).toBe(true);
  });
});

describe('dynamics sandbox: faults', () => {
  const agentEmail = 'alex.agent@acme.test';

  /** A chat before any agent (later assigned, then ended), a chat with an agent, a voicemail. */
  async function runScenario(dy: Connector): Promise<string[]> {
    const waiting = chatStarted();
    const withAgent = chatStarted({ agent: platformAgent(agentEmail) });
    const voicemail = voicemailReceived();
    for (const event of [
      waiting,
      withAgent,
      voicemail,
      agentAssigned(waiting.interactionId, agentEmail),
      interactionEnded(waiting.interactionId, agentEmail),
      interactionEnded(withAgent.interactionId, agentEmail),
    ]) {
      await deliver(dy, event);
    }
    return [waiting.interactionId, withAgent.interactionId, voicemail.interactionId];
  }

  it('429s, 5xx and a connection dropped after the commit: exactly one case per interaction', async () => {
    const injected: InjectedFault[] = [
      sandbox.faults.inject({
        kind: 'rate-limit',
        path: '/api/data/v9.2/*',
        times: 2,
        retryAfterSeconds: 0.02,
      }),
      sandbox.faults.inject({ kind: 'server-error', route: 'incidents.create', skip: 1, times: 2 }),
      sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'incidents.create', skip: 3 }),
      sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'annotations.create' }),
    ];
    const dy = connector();
    const interactions = await runScenario(dy);
    for (const fault of injected) expect(fault.exhausted(), fault.fault.kind).toBe(true);
    expect(sandbox.log.entries().filter((entry) => entry.fault === 'drop')).toEqual([
      expect.objectContaining({ route: 'incidents.create', handled: true, status: undefined }),
      expect.objectContaining({ route: 'annotations.create', handled: true, status: undefined }),
    ]);
    const { incidents, annotations } = sandbox.store;
    const owners = interactions.map((id) => {
      const audit = dy.audit
        .events()
        .find(
          (event) =>
            event.interactionId === id && event.operation === 'create-ticket' && event.recordId !== undefined,
        );
      return incidents.get(audit?.recordId ?? '')?._ownerid_value;
    });
    expect(incidents.count()).toBe(3);
    expect(owners).toEqual([person('agent').id, person('agent').id, person('applicationUser').id]);
    // Two transcripts, each written once although one answer was lost.
    expect(annotations.count()).toBe(2);
  });
});
