import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import {
  createRateBudgetRegistry,
  createRedactor,
  isCrmConnectError,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';
import {
  createMemoryTokenStore,
  type SalesforcePlugin,
  type SalesforceSettingsInput,
  type SalesforceTokenStore,
  salesforce,
} from '@crm-connect/salesforce';
import {
  createSalesforceSandbox,
  type SalesforceSandbox,
  salesforceSandboxSettings,
} from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectorFor, deliver } from './connectors.js';
import { agentAssigned, chatStarted, interactionEnded, platformAgent, voicemailReceived } from './events.js';

/**
 * The real Salesforce plugin, with jsforce's OAuth client, against the Salesforce sandbox: its
 * login URL is the sandbox's URL, and admins are linked the way a platform links them — the
 * authorize URL opened as a browser would, the sign-in form posted, the callback completed.
 */

let sandbox: SalesforceSandbox;
let tokenStore: SalesforceTokenStore;
let plugin: SalesforcePlugin;
beforeEach(async () => {
  sandbox = createSalesforceSandbox();
  await sandbox.start();
  tokenStore = createMemoryTokenStore();
  plugin = salesforce({ tokenStore });
});
afterEach(async () => {
  await sandbox.stop();
});

/** The platform's callback: never contacted, the "browser" stops at the redirect to it. */
const redirectUri = 'http://127.0.0.1:9/settings/crm/salesforce/callback';
const context = (): PluginContext => ({
  redactor: createRedactor(),
  logger: silentLogger,
  audit: () => {},
  rateBudgets: createRateBudgetRegistry(),
  http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
});
const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user?.email === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email };
};
const passwords: Record<string, string> = {
  'ada.admin@acme.test': 'sandbox-ada-7Kq2',
  'integration@acme.test': 'sandbox-ivy-2Hw6',
  'alex.agent@acme.test': 'sandbox-alex-3Vm8',
  'olga.other@acme.test': 'sandbox-olga-9Xr4',
};

interface BrowserAnswer {
  status: number;
  location: string | undefined;
  body: string;
}

/** One request as a browser makes it with node:http: no redirect followed, the form posted url-encoded. */
function browse(url: string, form?: Record<string, string>): Promise<BrowserAnswer> {
  return new Promise((resolve, reject) => {
    const body = form === undefined ? undefined : new URLSearchParams(form).toString();
    const outgoing = httpRequest(
      url,
      {
        method: form === undefined ? 'GET' : 'POST',
        headers:
          body === undefined
            ? {}
            : {
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': Buffer.byteLength(body),
              },
      },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => {
          text += chunk;
        });
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, location: incoming.headers.location, body: text }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const unescapeHtml = (text: string) =>
  text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

/** Opens the authorize URL, reads the sign-in form, posts it with the credentials; the answer to the post. */
async function signIn(authorizeUrl: string, username: string, password: string, action = 'login') {
  const page = await browse(authorizeUrl);
  expect(page.status).toBe(200);
  const fields = Object.fromEntries(
    [...page.body.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map(
      ([, name = '', value = '']) => [unescapeHtml(name), unescapeHtml(value)],
    ),
  );
  return browse(`${sandbox.url}/services/oauth2/authorize`, { ...fields, username, password, action });
}

/** Links an admin as a platform does: start, the admin signs in, complete with the callback; the settings to save. */
async function link(settings: SalesforceSettingsInput, email: string): Promise<SalesforceSettingsInput> {
  return (await linkResult(settings, email)).settings;
}

async function linkResult(settings: SalesforceSettingsInput, email: string) {
  const started = plugin.admin.start(settings, { redirectUri });
  const answer = await signIn(started.url, email, passwords[email] ?? '');
  expect(answer.status).toBe(302);
  const callback = new URL(answer.location ?? '');
  expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
  return plugin.admin.complete(settings, {
    callback: callback.searchParams,
    state: started.state,
    codeVerifier: started.codeVerifier,
    redirectUri,
    context: context(),
  });
}

const linkedAdmin = () => link(salesforceSandboxSettings(sandbox), 'ada.admin@acme.test');
const connector = async (overrides: Record<string, unknown> = {}, random?: () => number) =>
  connectorFor(plugin, { ...(await linkedAdmin()), defaultUser: true, ...overrides }, random);
const caseOf = (interactionId: string) => {
  const cases = sandbox.store.cases.filter((record) => record.CrmConnect_Interaction_Id__c === interactionId);
  expect(cases, interactionId).toHaveLength(1);
  return cases[0] as (typeof cases)[number];
};
const commentsOf = (caseId: string) =>
  sandbox.store.caseComments.filter((comment) => comment.ParentId === caseId);

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isCrmConnectError(error)) throw new Error(`expected a crm-connect error, got ${String(error)}`);
  return error;
}

describe('salesforce sandbox: linking an admin and checking credentials', () => {
  it('admin.start → the sign-in page → the callback → admin.complete: the admin is linked and checked', async () => {
    const settings = await linkedAdmin();
    const admin = person('admin');
    expect(settings.adminConnections).toEqual([
      expect.objectContaining({
        userId: admin.id,
        username: 'ada.admin@acme.test',
        orgId: sandbox.seed.credentials.orgId,
        instanceUrl: sandbox.url,
        status: 'active',
      }),
    ]);
    expect(sandbox.log.entries().map((entry) => [entry.route, entry.status])).toEqual([
      ['oauth.authorize', 200],
      ['oauth.login', 302],
      ['oauth.token', 200],
      ['identity', 200],
      // The linked user's rights, read without writing anything.
      ['query', 200],
    ]);
    // jsforce sent the PKCE verifier with the code; the sandbox checked it against the challenge.
    expect(sandbox.log.entries()[2]?.body).toMatchObject({
      grant_type: 'authorization_code',
      code_verifier: '***',
    });
    expect(sandbox.store.authorizationCodes.all()).toEqual([expect.objectContaining({ used: true })]);

    const check = await connectorFor(plugin, settings).validateCredentials();
    expect(check.connectionUser).toMatchObject({ id: admin.id, email: 'ada.admin@acme.test', role: 'admin' });
    expect(check.warnings).toEqual([expect.stringContaining('Only one Salesforce admin is linked')]);
  });

  it('a Standard User is refused as an admin, naming the rights they lack; nothing stored, their grant revoked', async () => {
    const alex = person('agent');
    const error = await failure(linkResult(salesforceSandboxSettings(sandbox), alex.email));
    expect(error).toMatchObject({
      code: 'permission_denied',
      missing: ['Modify All Data', 'View All Users', 'Transfer Cases'],
    });
    expect(error.message).toContain('Setup › Permission Sets');
    expect(await tokenStore.get({ orgId: sandbox.seed.credentials.orgId, userId: alex.id })).toBeUndefined();
    const grants = sandbox.store.refreshTokens.filter((token) => token.userId === alex.id);
    expect(grants.map((grant) => grant.revoked)).toEqual([true]);
    // Nothing was written in the org.
    expect(sandbox.store.cases.count() + sandbox.store.contacts.count()).toBe(0);
  });

  it("Ada (a person's account) links with a warning; Ivy (an integration user) without one", async () => {
    const ada = await linkResult(salesforceSandboxSettings(sandbox), 'ada.admin@acme.test');
    expect(ada.warnings).toEqual([expect.stringContaining("looks like a person's own account")]);
    const ivy = await linkResult(ada.settings, 'integration@acme.test');
    expect(ivy.warnings).toEqual([]);
  });

  it('the code is bound to the PKCE challenge: another verifier is invalid_grant, and the code is single-use', async () => {
    const settings = salesforceSandboxSettings(sandbox);
    const started = plugin.admin.start(settings, { redirectUri });
    const answer = await signIn(started.url, 'ada.admin@acme.test', passwords['ada.admin@acme.test'] ?? '');
    const callback = new URL(answer.location ?? '').searchParams;
    const complete = (codeVerifier: string) =>
      plugin.admin.complete(settings, {
        callback,
        state: started.state,
        codeVerifier,
        redirectUri,
        context: context(),
      });
    const wrong = await failure(complete(randomBytes(64).toString('base64url')));
    expect(wrong.code).toBe('authentication_failed');
    expect(wrong.message).toContain('invalid code verifier');
    await complete(started.codeVerifier);
    expect((await failure(complete(started.codeVerifier))).message).toContain('invalid authorization code');
  });

  it('the sign-in page refuses a wrong password and a deactivated user alike; Deny sends access_denied back', async () => {
    const started = plugin.admin.start(salesforceSandboxSettings(sandbox), { redirectUri });
    const wrong = await signIn(started.url, 'ada.admin@acme.test', 'not-the-password');
    expect(wrong.status).toBe(200);
    expect(wrong.body).toContain('Please check your username and password');
    const gone = await signIn(started.url, 'gus.gone@acme.test', 'sandbox-gus-5Tn1');
    expect(gone.body).toContain('Please check your username and password');
    const denied = await signIn(started.url, '', '', 'deny');
    const callback = new URL(denied.location ?? '').searchParams;
    expect(Object.fromEntries(callback)).toEqual({
      error: 'access_denied',
      error_description: 'end-user denied authorization',
      state: started.state,
    });
    const error = await failure(
      plugin.admin.complete(salesforceSandboxSettings(sandbox), {
        callback,
        state: started.state,
        codeVerifier: started.codeVerifier,
        redirectUri,
      }),
    );
    expect(error.message).toContain('access_denied');
  });

  it('a wrong Consumer Secret: invalid_client on the refresh, with where to copy the right one', async () => {
    const settings = await linkedAdmin();
    const error = await failure(
      connectorFor(plugin, {
        ...settings,
        clientSecret: 'D00DFEEDFACE0B5E55ED0C0FFEE0DECAF',
      }).validateCredentials(),
    );
    expect(error.code).toBe('authentication_failed');
    expect(error.message).toContain('invalid_client');
    expect(error.message).toContain('Manage Consumer Details');
  });

  it('autoApprove signs the login_hint user in at once: the README recipe, with fetch, links without a person', async () => {
    await sandbox.stop();
    sandbox = createSalesforceSandbox({ autoApprove: true });
    await sandbox.start();
    const settings = salesforceSandboxSettings(sandbox);
    const { url, state, codeVerifier } = plugin.admin.start(settings, {
      redirectUri,
      loginHint: 'integration@acme.test',
    });
    const answer = await fetch(url, { redirect: 'manual' });
    expect(answer.status).toBe(302);
    const callback = new URL(answer.headers.get('location') ?? '').searchParams;
    const linked = await plugin.admin.complete(settings, { callback, state, codeVerifier, redirectUri });
    expect(linked.connection).toMatchObject({ userId: person('integrationUser').id, status: 'active' });
    // Without a login_hint the sign-in page still shows.
    expect((await fetch(plugin.admin.start(settings, { redirectUri }).url)).status).toBe(200);
  });
});

describe('salesforce sandbox: who owns the case', () => {
  it('a chat before any agent: the linked admin (default user) owns the Case, made in one composite request with its Contact', async () => {
    const admin = person('admin');
    const event = chatStarted();
    const audit = await (await connector()).handle(event);
    expect(audit).toMatchObject({ outcome: 'created', reason: 'default-user', owner: { id: admin.id } });
    const record = caseOf(event.interactionId);
    expect(record).toMatchObject({
      Id: audit.recordId,
      OwnerId: admin.id,
      CreatedById: admin.id,
      Origin: 'Web',
      Status: 'New',
      SuppliedEmail: 'jane.doe@example.com',
    });
    expect(sandbox.store.contacts.get(record.ContactId ?? '')).toMatchObject({
      CrmConnect_Contact_Key__c: 'jane.doe@example.com',
      FirstName: 'Jane',
      LastName: 'Doe',
      Name: 'Jane Doe',
    });
    expect(sandbox.log.entries().filter((entry) => entry.route === 'composite')).toHaveLength(1);
  });

  it('an identified agent owns the Case; the admin performs the write', async () => {
    const agent = person('agent');
    const event = chatStarted({ agent: platformAgent(agent.email) });
    const audit = await (await connector()).handle(event);
    expect(audit).toMatchObject({
      reason: 'identified-agent',
      owner: { id: agent.id },
      performer: { id: person('admin').id },
    });
    expect(caseOf(event.interactionId)).toMatchObject({ OwnerId: agent.id, CreatedById: person('admin').id });
  });

  it('a deactivated agent is never the owner, and a later assignment to them is skipped', async () => {
    const gone = person('deactivatedAgent');
    const event = chatStarted({ agent: platformAgent(gone.email) });
    const sf = await connector();
    expect(await sf.handle(event)).toMatchObject({ reason: 'default-user', agentStatus: 'deactivated' });
    expect(await sf.handle(agentAssigned(event.interactionId, gone.email))).toMatchObject({
      outcome: 'skipped',
    });
    expect(caseOf(event.interactionId).OwnerId).toBe(person('admin').id);
  });

  it('default user off: the random rule picks an active standard user with the seeded random source', async () => {
    const event = voicemailReceived();
    // Active standard users by name: Ada Admin, Alex Agent, Ivy Integration, Olga Other; 0.3 × 4 → the second.
    const audit = await (await connector({ defaultUser: false }, () => 0.3)).handle(event);
    expect(audit).toMatchObject({ reason: 'random-agent', owner: { id: person('agent').id } });
    const record = caseOf(event.interactionId);
    expect(record).toMatchObject({ OwnerId: person('agent').id, Origin: 'Phone' });
    expect(sandbox.store.contacts.get(record.ContactId ?? '')?.CrmConnect_Contact_Key__c).toBe(
      'phone:+15555550199',
    );
  });

  it('an agent assigned later takes the Case; the end of the interaction adds an internal CaseComment', async () => {
    const agent = person('otherAgent');
    const event = chatStarted();
    const sf = await connector();
    await sf.handle(event);
    expect(await sf.handle(agentAssigned(event.interactionId, agent.email))).toMatchObject({
      outcome: 'updated',
      owner: { id: agent.id },
    });
    const record = caseOf(event.interactionId);
    expect(record).toMatchObject({ OwnerId: agent.id, LastModifiedById: person('admin').id });
    await sf.handle(interactionEnded(event.interactionId, agent.email));
    expect(commentsOf(record.Id)).toEqual([
      expect.objectContaining({
        CommentBody: expect.stringContaining('Agent: Hi, how can I help?'),
        IsPublished: false,
        CreatedById: person('admin').id,
      }),
    ]);
  });

  it('a redelivered chat and a second chat from the same customer: one Case per interaction, one Contact', async () => {
    const event = chatStarted();
    const settings = { ...(await linkedAdmin()), defaultUser: true };
    const first = await connectorFor(plugin, settings).handle(event);
    // A fresh connector (a restart) creates again: the upsert by interaction id finds the same Case.
    const again = await connectorFor(plugin, settings).handle(event);
    expect(again).toMatchObject({ outcome: 'existing', recordId: first.recordId });
    await connectorFor(plugin, settings).handle(chatStarted());
    expect(sandbox.store.cases.count()).toBe(2);
    expect(sandbox.store.contacts.count()).toBe(1);
  });

  it('an agent deactivated after being cached: INACTIVE_OWNER_OR_USER, and the default user takes the Case', async () => {
    const agent = person('agent');
    const sf = await connector();
    await sf.handle(chatStarted({ agent: platformAgent(agent.email) }));
    sandbox.deactivateUser(agent.email);
    const event = chatStarted({ agent: platformAgent(agent.email) });
    expect(await sf.handle(event)).toMatchObject({ outcome: 'created', reason: 'default-user' });
    expect(caseOf(event.interactionId).OwnerId).toBe(person('admin').id);
    expect(sf.audit.events().map((entry) => entry.reason)).toContain('owner-fallback');
  });
});

describe('salesforce sandbox: failover and limits', () => {
  it('a revoked first admin: the second linked admin takes over, reported as a connection failover', async () => {
    const settings = await link(await linkedAdmin(), 'integration@acme.test');
    const sf = connectorFor(plugin, { ...settings, defaultUser: true });
    sandbox.revokeCredential('tokens:ada.admin@acme.test');
    const event = chatStarted();
    const audit = await sf.handle(event);
    const integration = person('integrationUser');
    expect(audit).toMatchObject({ outcome: 'created', owner: { id: integration.id } });
    expect(caseOf(event.interactionId).CreatedById).toBe(integration.id);
    expect(sf.audit.events().find((entry) => entry.reason === 'connection-failover')).toMatchObject({
      performer: { id: integration.id },
      detail: expect.stringContaining('ada.admin@acme.test'),
    });
    expect(
      await tokenStore.get({ orgId: sandbox.seed.credentials.orgId, userId: person('admin').id }),
    ).toMatchObject({
      status: 'inactive',
    });
  });

  it("403 REQUEST_LIMIT_EXCEEDED (Salesforce's rate-limit answer) is a typed error, not retried", async () => {
    const sf = await connector();
    const fault = sandbox.faults.inject({ kind: 'rate-limit', route: 'composite' });
    const event = chatStarted();
    const error = await failure(sf.handle(event));
    expect(error).toMatchObject({ code: 'rate_limited', retryable: false, status: 403 });
    expect(error.message).toContain('REQUEST_LIMIT_EXCEEDED');
    expect(fault.applied()).toBe(1);
    expect(sandbox.log.entries().filter((entry) => entry.route === 'composite')).toHaveLength(1);
    expect(sandbox.store.cases.count()).toBe(0);
    // Once the org has room again, the same event goes through.
    expect(await sf.handle(event)).toMatchObject({ outcome: 'created' });
  });

  it('5xx and a connection dropped after the commit: exactly one Case per interaction', async () => {
    const sf = await connector();
    const agentEmail = person('agent').email;
    const injected = [
      sandbox.faults.inject({ kind: 'server-error', route: 'composite', skip: 1, times: 2, status: 503 }),
      sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'composite', skip: 3 }),
      sandbox.faults.inject({ kind: 'server-error', route: 'query', times: 1, status: 500 }),
    ];
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
      await deliver(sf, event);
    }
    for (const fault of injected) expect(fault.exhausted(), fault.fault.kind).toBe(true);
    expect(sandbox.log.entries().filter((entry) => entry.fault === 'drop')).toEqual([
      expect.objectContaining({ route: 'composite', handled: true, status: undefined }),
    ]);
    const owners = [waiting, withAgent, voicemail].map((event) => caseOf(event.interactionId).OwnerId);
    expect(owners).toEqual([person('agent').id, person('agent').id, person('admin').id]);
    expect(sandbox.store.cases.count()).toBe(3);
    expect(sandbox.store.caseComments.count()).toBe(2);
  });
});

describe('salesforce sandbox: a create never changes an existing Case', () => {
  it('a late chat.started on another worker (no link): the agent keeps the Case, its text is untouched, audited as existing with the real owner', async () => {
    const agent = person('agent');
    const settings = { ...(await linkedAdmin()), defaultUser: true };
    const event = chatStarted();
    const workerA = connectorFor(plugin, settings);
    expect(await workerA.handle(event)).toMatchObject({
      outcome: 'created',
      owner: { id: person('admin').id },
    });
    await workerA.handle(agentAssigned(event.interactionId, agent.email));
    const before = { ...caseOf(event.interactionId) };
    expect(before.OwnerId).toBe(agent.id);

    // The same opening event, redelivered late to a worker that shares no record links.
    const workerB = connectorFor(plugin, settings);
    const late = await workerB.handle({ ...event, firstMessage: 'A different first message' });
    expect(late).toMatchObject({ outcome: 'existing', recordId: before.Id, owner: { id: agent.id } });
    expect(caseOf(event.interactionId)).toEqual(before);
    expect(sandbox.store.cases.count()).toBe(1);
    // Still one composite request for the create.
    expect(
      sandbox.log.entries().filter((entry) => entry.route === 'composite' && entry.principal !== undefined),
    ).toHaveLength(2);
  });
});

describe('salesforce sandbox: the default user is the admin who writes', () => {
  it('Ada revoked after a first write: Ivy writes the next Case, owns it, and the audit names Ivy', async () => {
    const settings = await link(await linkedAdmin(), 'integration@acme.test');
    const sf = connectorFor(plugin, { ...settings, defaultUser: true });
    const ada = person('admin');
    const ivy = person('integrationUser');
    const first = chatStarted();
    expect(await sf.handle(first)).toMatchObject({ owner: { id: ada.id }, performer: { id: ada.id } });

    sandbox.revokeCredential('tokens:ada.admin@acme.test');
    const second = chatStarted();
    const audit = await sf.handle(second);
    expect(caseOf(second.interactionId)).toMatchObject({ OwnerId: ivy.id, CreatedById: ivy.id });
    expect(audit).toMatchObject({
      outcome: 'created',
      reason: 'default-user',
      owner: { id: ivy.id },
      performer: { id: ivy.id },
    });
    // The default user is now Ivy for the next decision too.
    const third = chatStarted();
    expect(await sf.handle(third)).toMatchObject({ owner: { id: ivy.id }, performer: { id: ivy.id } });
    expect(caseOf(third.interactionId)).toMatchObject({ OwnerId: ivy.id, CreatedById: ivy.id });
  });
});

describe('salesforce sandbox: notes exactly once', () => {
  it('a CaseComment whose answer was lost: the redelivered end of the interaction finds it and writes nothing', async () => {
    const sf = await connector();
    const event = chatStarted();
    await sf.handle(event);
    const fault = sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'sobjects.create' });
    const ended = interactionEnded(event.interactionId);
    const audit = await deliver(sf, ended);
    expect(fault.applied()).toBe(1);
    expect(audit).toMatchObject({ operation: 'add-note', outcome: 'existing', reason: 'already-written' });
    expect(commentsOf(caseOf(event.interactionId).Id)).toHaveLength(1);
  });

  it('a long note found partly written (a Case found on the CRM): only the missing Tasks are written', async () => {
    const settings = { ...(await linkedAdmin()), defaultUser: true };
    const event = chatStarted();
    await connectorFor(plugin, settings).handle(event);
    const ended = {
      ...interactionEnded(event.interactionId),
      transcript: Array.from({ length: 2_500 }, (_, index) => `Customer: line ${index}`).join('\n'),
    };
    // The first delivery writes the Tasks; then one is lost, as if that request had never landed.
    await connectorFor(plugin, settings).handle(ended);
    const record = caseOf(event.interactionId);
    const tasks = () => sandbox.store.tasks.filter((task) => task.WhatId === record.Id);
    const written = tasks();
    expect(written.length).toBeGreaterThan(1);
    const lost = written[1];
    if (lost === undefined) throw new Error('no second part');
    sandbox.store.tasks.delete(lost.id);

    // A worker with no link finds the Case on the CRM, so the note may exist: it writes only part 2.
    const audit = await connectorFor(plugin, settings).handle(ended);
    expect(audit).toMatchObject({ outcome: 'updated' });
    expect(
      tasks()
        .map((task) => task.Subject)
        .sort(),
    ).toEqual(written.map((task) => task.Subject).sort());
    expect(
      tasks()
        .map((task) => task.Description)
        .join('').length,
    ).toBe(written.map((task) => task.Description).join('').length);
    // Everything there: nothing more is written.
    expect(await connectorFor(plugin, settings).handle(ended)).toMatchObject({
      outcome: 'existing',
      reason: 'already-written',
    });
    expect(tasks()).toHaveLength(written.length);
  });
});
