import { isCrmConnectError } from '@crm-connect/core';
import { kustomer } from '@crm-connect/kustomer';
import { createKustomerSandbox, type KustomerSandbox, kustomerSandboxSettings } from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectorFor } from './connectors.js';
import { agentAssigned, chatStarted, interactionEnded, platformAgent, voicemailReceived } from './events.js';

/** The real Kustomer plugin, configured through its normal settings, against the Kustomer sandbox. */

let sandbox: KustomerSandbox;
beforeEach(async () => {
  sandbox = createKustomerSandbox();
  await sandbox.start();
});
afterEach(async () => {
  await sandbox.stop();
});

const plugin = kustomer();
const person = (key: string) => {
  const user = sandbox.seed.users.find((candidate) => candidate.key === key);
  if (user === undefined) throw new Error(`no seeded ${key}`);
  return { ...user, email: user.email ?? '' };
};
const connector = (overrides: Record<string, unknown> = {}, random?: () => number) =>
  connectorFor(plugin, { ...kustomerSandboxSettings(sandbox), defaultUser: true, ...overrides }, random);
const conversationOf = (interactionId: string) => {
  const conversations = sandbox.store.conversations.filter(
    (conversation) => conversation.externalId === interactionId,
  );
  expect(conversations).toHaveLength(1);
  return conversations[0] as (typeof conversations)[number];
};
const notesOf = (conversationId: string) =>
  sandbox.store.notes.filter((note) => note.conversationId === conversationId);

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isCrmConnectError(error)) throw new Error(`expected a crm-connect error, got ${String(error)}`);
  return error;
}

describe('kustomer sandbox: credential validation', () => {
  it("the API key: valid, its machine user is the default user, the key's roles are enough", async () => {
    const check = await connector().validateCredentials();
    expect(check).toEqual({
      connectionUser: expect.objectContaining({
        id: person('apiKeyUser').id,
        name: 'crm-connect',
        role: 'machine',
      }),
      warnings: [],
    });
    expect(sandbox.log.entries().map((entry) => entry.route)).toEqual(['users.current', 'tokens.current']);
  });

  it('a revoked key: 401 in JSON:API shape, reported as refused credentials', async () => {
    sandbox.revokeCredential('apiKey');
    const error = await failure(connector().validateCredentials());
    expect(error.code).toBe('authentication_failed');
    expect(error.status).toBe(401);
    const response = await fetch(`${sandbox.url}/v1/users/current`, {
      headers: { authorization: `Bearer ${sandbox.seed.credentials.apiKey}` },
    });
    expect(await response.json()).toEqual({
      errors: [{ status: 401, code: 'unauthorized', title: 'Unauthorized', detail: 'invalid token' }],
    });
  });

  it('a key without the roles crm-connect needs is refused, naming each missing role', async () => {
    const error = await failure(
      connectorFor(plugin, kustomerSandboxSettings(sandbox, 'limitedApiKey')).validateCredentials(),
    );
    expect(error.code).toBe('permission_denied');
    for (const role of [
      'org.permission.customer.create',
      'org.permission.conversation.create',
      'org.permission.conversation.update',
      'org.permission.note.create',
      'org.permission.user.read',
    ]) {
      expect(error.message).toContain(role);
    }
    expect(error.message).not.toContain('org.permission.customer.read (');
  });
});

describe('kustomer sandbox: who owns the conversation', () => {
  it("a chat before any agent: the conversation is assigned to the key's user, who also wrote it and its first note", async () => {
    const keyUser = person('apiKeyUser');
    const event = chatStarted();
    const audit = await connector().handle(event);
    expect(audit).toMatchObject({ outcome: 'created', reason: 'default-user', owner: { id: keyUser.id } });
    const conversation = conversationOf(event.interactionId);
    expect(conversation).toMatchObject({
      id: audit.recordId,
      assignedUsers: [keyUser.id],
      createdBy: keyUser.id,
      status: 'open',
      direction: 'in',
      replyChannel: 'chat',
    });
    expect(sandbox.store.customers.get(conversation.customerId)?.emails).toEqual([
      { type: 'home', email: 'jane.doe@example.com', verified: false },
    ]);
    expect(notesOf(conversation.id)).toEqual([
      expect.objectContaining({ createdBy: keyUser.id, body: expect.stringContaining('#123') }),
    ]);
  });

  it("an identified agent owns the conversation; the key's user still performs the write", async () => {
    const agent = person('agent');
    const event = chatStarted({ agent: platformAgent(agent.email) });
    const audit = await connector().handle(event);
    expect(audit).toMatchObject({
      reason: 'identified-agent',
      owner: { id: agent.id },
      performer: { id: person('apiKeyUser').id },
    });
    expect(conversationOf(event.interactionId)).toMatchObject({
      assignedUsers: [agent.id],
      createdBy: person('apiKeyUser').id,
    });
  });

  it('a deactivated (deleted) agent is never the owner, and a later assignment to them is skipped', async () => {
    const gone = person('deactivatedAgent');
    const event = chatStarted({ agent: platformAgent(gone.email) });
    const ku = connector();
    expect(await ku.handle(event)).toMatchObject({ reason: 'default-user', agentStatus: 'deactivated' });
    expect(await ku.handle(agentAssigned(event.interactionId, gone.email))).toMatchObject({
      outcome: 'skipped',
    });
    expect(conversationOf(event.interactionId).assignedUsers).toEqual([person('apiKeyUser').id]);
  });

  it('default user off: the random rule picks a full, active user with the seeded random source', async () => {
    const event = voicemailReceived();
    // Full active users in listing order: Ada, Alex, Olga (Gus is deleted; machine users are never picked).
    const audit = await connector({ defaultUser: false }, () => 0.5).handle(event);
    expect(audit).toMatchObject({ reason: 'random-agent', owner: { id: person('agent').id } });
    const conversation = conversationOf(event.interactionId);
    expect(conversation).toMatchObject({ assignedUsers: [person('agent').id], replyChannel: 'voice' });
    expect(sandbox.store.customers.get(conversation.customerId)?.phones).toEqual([
      { type: 'mobile', phone: '+15555550199', verified: false },
    ]);
  });

  it('an agent assigned later takes the conversation; the end of the interaction adds the transcript as a note', async () => {
    const agent = person('otherAgent');
    const event = chatStarted();
    const ku = connector();
    await ku.handle(event);
    expect(await ku.handle(agentAssigned(event.interactionId, agent.email))).toMatchObject({
      outcome: 'updated',
      owner: { id: agent.id },
    });
    const conversation = conversationOf(event.interactionId);
    expect(conversation).toMatchObject({ assignedUsers: [agent.id], modifiedBy: person('apiKeyUser').id });
    await ku.handle(interactionEnded(event.interactionId, agent.email));
    const notes = notesOf(conversation.id);
    expect(notes).toHaveLength(2);
    expect(notes[1]?.body).toContain('Agent: Hi, how can I help?');
    expect(notes[1]?.externalId).toMatch(/^crm-connect:.+:add-note:/);
  });

  it('a redelivered chat and a second chat from the same customer: one conversation per interaction, one customer', async () => {
    const event = chatStarted();
    const ku = connector();
    await ku.handle(event);
    const again = await connector().handle(event);
    expect(again.outcome).toBe('existing');
    await ku.handle(chatStarted());
    expect(sandbox.store.conversations.count()).toBe(2);
    expect(sandbox.store.customers.count()).toBe(1);
    expect(notesOf(conversationOf(event.interactionId).id)).toHaveLength(1);
  });

  it('an agent deleted after being cached: Kustomer refuses the assignee (400 on assignedUsers), the default user takes it', async () => {
    const agent = person('agent');
    const ku = connector();
    await ku.handle(chatStarted({ agent: platformAgent(agent.email) }));
    sandbox.deactivateUser(agent.email);
    const event = chatStarted({ agent: platformAgent(agent.email) });
    expect(await ku.handle(event)).toMatchObject({ outcome: 'created', reason: 'default-user' });
    expect(conversationOf(event.interactionId).assignedUsers).toEqual([person('apiKeyUser').id]);
    expect(ku.audit.events().map((entry) => entry.reason)).toContain('owner-fallback');
    const refused = sandbox.log
      .entries()
      .find((entry) => entry.route === 'conversations.create' && entry.status === 400);
    expect(refused).toBeDefined();
  });
});
