import { type Connector, createConnector, createMemoryAuditSink } from '@crm-connect/core';
import {
  type CrmId,
  crmIds,
  demoSteps,
  portableCrmSchema,
  type RunningSandboxCrm,
  restorePlugin,
  sandboxCrm,
  sandboxCrms,
} from '@crm-connect/sandbox-crms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Each CRM's wiring against its running sandbox: the plugin configured, the store read back, the portable form. */

const running = new Map<CrmId, RunningSandboxCrm>();
beforeAll(async () => {
  for (const crm of sandboxCrms) running.set(crm.id, await crm.start());
});
afterAll(async () => {
  await Promise.all([...running.values()].map((crm) => crm.stop()));
});

const chatStarted = demoSteps.find((step) => step.label === 'chat started, no agent yet');

function connector(crm: RunningSandboxCrm, plugin = crm.plugin): Connector {
  return createConnector({
    plugin,
    settings: { ...crm.settings, defaultUser: true },
    audit: createMemoryAuditSink().sink,
  });
}

async function startChat(target: Connector, interactionId: string): Promise<void> {
  for (const event of chatStarted?.events(interactionId) ?? []) await target.handle(event);
}

it('wires the four CRMs, in table order', () => {
  expect(sandboxCrms.map((crm) => crm.id)).toEqual([...crmIds]);
});

function started(id: CrmId): RunningSandboxCrm {
  const crm = running.get(id);
  if (crm === undefined) throw new Error(`${id} did not start`);
  return crm;
}

describe.each(crmIds)('%s against its sandbox', (id) => {
  const crm = () => started(id);

  it('configures the plugin through its normal settings: the credentials check passes', async () => {
    const check = await connector(crm()).validateCredentials();
    expect(check.connectionUser.id).not.toBe('');
  });

  it('reads a record back from the store, once, with its owner', async () => {
    const interactionId = `wiring-${id}-record`;
    await startChat(connector(crm()), interactionId);
    const [record, ...others] = crm().recordsFor(interactionId);
    expect(others).toEqual([]);
    expect(record?.ownerId).toBeDefined();
    expect(crm().recordCounts().get(interactionId)).toBe(1);
    expect(crm().duplicateNotes()).toBe(0);
  });

  it('reads the owner, the notes and the users back from the store; notes go through its note routes', async () => {
    const interactionId = `wiring-${id}-assigned`;
    const target = connector(crm());
    const assigned = demoSteps.find((step) => step.label === 'chat later assigned to an agent');
    const before = crm().sandbox.log.entries().length;
    for (const event of assigned?.events(interactionId) ?? []) await target.handle(event);
    const users = crm().users();
    const byEmail = (email: string) => users.find((user) => user.email === email);
    expect(byEmail('alex.agent@acme.test')?.active).toBe(true);
    expect(byEmail('gus.gone@acme.test')?.active).toBe(false);
    expect(users.some((user) => user.email?.startsWith('jane'))).toBe(false);
    const [record, ...others] = crm()
      .records()
      .filter((candidate) => candidate.interactionId === interactionId);
    expect(others).toEqual([]);
    expect(record?.ownerId).toBe(byEmail('alex.agent@acme.test')?.id);
    // The transcript's note, once (a Zendesk ticket's first comment and a Kustomer conversation's first note hold the opening text).
    const transcript = crm()
      .notes()
      .filter((note) => note.recordId === record?.id && note.text.includes('let me check your order'));
    expect(transcript).toHaveLength(1);
    const routes = crm()
      .sandbox.log.entries()
      .slice(before)
      .map((entry) => entry.route);
    expect(routes.some((route) => route !== undefined && crm().noteRoutes.includes(route))).toBe(true);
  });

  it('gives a bare client a credential the sandbox knows as a secret', async () => {
    const authorization = await crm().bareAuthorization();
    const credential = authorization.replace(/^(Basic|Bearer) /, '');
    expect(
      crm()
        .secrets()
        .map((secret) => secret.value),
    ).toContain(credential);
  });

  it('rebuilds the same plugin in another process from its portable form', async () => {
    const portable = portableCrmSchema.parse(JSON.parse(JSON.stringify(await crm().portable())));
    expect(portable.adminTokens).toHaveLength(id === 'salesforce' ? 2 : 0);
    const interactionId = `wiring-${id}-restored`;
    await startChat(connector(crm(), await restorePlugin(portable)), interactionId);
    expect(crm().recordsFor(interactionId)).toHaveLength(1);
  });
});

it('refuses to expire the access tokens of an API key', () => {
  expect(() => started('kustomer').expireAccessTokens()).toThrow(/no access tokens/);
});

describe('options', () => {
  it('Zendesk with OAuth client credentials: the plugin gets a token from the sandbox', async () => {
    const crm = await sandboxCrm('zendesk').start({ oauth: true });
    try {
      expect(crm.settings.authMode).toBe('oauthClientCredentials');
      await connector(crm).validateCredentials();
      expect(crm.sandbox.log.entries().some((entry) => entry.route === 'oauth.token')).toBe(true);
    } finally {
      await crm.stop();
    }
  });

  it('a per-minute budget reaches Kustomer as its setting', async () => {
    const crm = await sandboxCrm('kustomer').start({ requestsPerMinute: 120 });
    try {
      expect(crm.settings.rateLimitPerMinute).toBe(120);
      expect((await crm.portable()).requestsPerMinute).toBe(120);
    } finally {
      await crm.stop();
    }
  });
});
