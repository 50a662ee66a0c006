import {
  type AuditEvent,
  type Connector,
  createConnector,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  isCrmConnectError,
  type MemoryAuditSink,
} from '@crm-connect/core';
import { kustomer } from '@crm-connect/kustomer';
import { createKustomerSandbox, type KustomerSandbox, kustomerSandboxSettings } from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliver } from './connectors.js';
import { agentAssigned, chatStarted, interactionEnded } from './events.js';

/**
 * Issue 13 through the real Kustomer plugin and the Kustomer sandbox: each note exactly once
 * (a lost answer, a redelivery to another worker, a long note that partly landed), an answer
 * that does not parse losing nothing, and an existing conversation never changed by a create.
 * Workers are separate connectors: each has its own record-link store, as separate processes do.
 */

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

/** A worker: its own connector and link store, fast retries, and a short per-attempt timeout (a lost answer costs that long). */
function worker(): Connector & { audit: MemoryAuditSink } {
  const audit = createMemoryAuditSink();
  const connector = createConnector({
    plugin,
    settings: { ...kustomerSandboxSettings(sandbox), defaultUser: true },
    audit: audit.sink,
    rateBudgets: createRateBudgetRegistry(),
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5, maxRetries: 2 }, timeoutMs: 300 },
  });
  return Object.assign(connector, { audit });
}

const conversationOf = (interactionId: string) => {
  const found = sandbox.store.conversations.filter((candidate) => candidate.externalId === interactionId);
  expect(found).toHaveLength(1);
  return found[0] as (typeof found)[number];
};
const notesOf = (conversationId: string) =>
  sandbox.store.notes.filter((note) => note.conversationId === conversationId);
const endNotesOf = (conversationId: string) =>
  notesOf(conversationId).filter((note) => note.externalId?.includes(':add-note:') === true);
const routes = (from: number) =>
  sandbox.log
    .entries()
    .slice(from)
    .map((entry) => entry.route);

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isCrmConnectError(error)) throw new Error(`expected a crm-connect error, got ${String(error)}`);
  return error;
}

describe('kustomer sandbox: each note exactly once', () => {
  it('the answer of the note was lost and its lookup failed: the redelivery finds it, writes nothing, and says so', async () => {
    const a = worker();
    const opened = chatStarted();
    await a.handle(opened);
    const ended = interactionEnded(opened.interactionId, person('agent').email);
    const lost = sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'notes.create' });
    const unlisted = sandbox.faults.inject({ kind: 'server-error', route: 'notes.list', times: 'always' });
    const error = await failure(a.handle(ended));
    expect(error.retryable).toBe(true);
    expect(lost.exhausted()).toBe(true);
    unlisted.cancel();

    const from = sandbox.log.entries().length;
    const audit = await a.handle(ended);
    expect(audit).toMatchObject({ operation: 'add-note', outcome: 'existing', reason: 'already-written' });
    expect(routes(from)).toEqual(['notes.list']);
    expect(endNotesOf(conversationOf(opened.interactionId).id)).toHaveLength(1);
  });

  it('redelivered to a worker that never saw the interaction: one note, no write', async () => {
    const opened = chatStarted();
    const a = worker();
    await a.handle(opened);
    const ended = interactionEnded(opened.interactionId);
    expect(await a.handle(ended)).toMatchObject({ outcome: 'updated' });

    const b = worker();
    const from = sandbox.log.entries().length;
    expect(await b.handle(ended)).toMatchObject({ outcome: 'existing', reason: 'already-written' });
    expect(routes(from)).toEqual(['users.current', 'conversations.byExternalId', 'notes.list']);
    expect(endNotesOf(conversationOf(opened.interactionId).id)).toHaveLength(1);
  });

  it('the happy path lists no notes: the note cannot be there yet', async () => {
    const a = worker();
    const opened = chatStarted();
    await a.handle(opened);
    const from = sandbox.log.entries().length;
    await a.handle(interactionEnded(opened.interactionId));
    expect(routes(from)).toEqual(['notes.create']);
  });

  it('a long note that partly landed: the redelivery lists once and writes only the missing part', async () => {
    const a = worker();
    const opened = chatStarted();
    await a.handle(opened);
    const line = 'Customer: my parcel is still not here, can you check again please?\n';
    // Three notes of at most 10,240 characters (Kustomer's limit).
    const transcript = line.repeat(Math.ceil(25_000 / line.length));
    const ended = { ...interactionEnded(opened.interactionId), transcript };
    // Part 1 is answered; part 2 lands but its answer is lost, and the lookup fails: part 3 is never sent.
    sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'notes.create', skip: 1 });
    const unlisted = sandbox.faults.inject({ kind: 'server-error', route: 'notes.list', times: 'always' });
    await failure(a.handle(ended));
    unlisted.cancel();
    const conversation = conversationOf(opened.interactionId);
    expect(endNotesOf(conversation.id)).toHaveLength(2);

    const from = sandbox.log.entries().length;
    expect(await a.handle(ended)).toMatchObject({ outcome: 'updated', attempts: 1 });
    expect(routes(from)).toEqual(['notes.list', 'notes.create']);
    const parts = endNotesOf(conversation.id);
    expect(parts.map((note) => /^\(part (\d) of 3\)/.exec(note.body)?.[1])).toEqual(['1', '2', '3']);
  });
});

describe('kustomer sandbox: an answer that does not parse loses nothing', () => {
  it('a conversation created but answered 200 with an unexpected body: looked up by its external id, its first message written once', async () => {
    const fault = sandbox.faults.inject({
      kind: 'malformed-answer',
      route: 'conversations.create',
      status: 200,
      body: { ok: true },
    });
    const a = worker();
    const opened = chatStarted();
    const audit = await deliver(a, opened);
    expect(fault.exhausted()).toBe(true);
    const conversation = conversationOf(opened.interactionId);
    expect(audit).toMatchObject({ outcome: 'created', recordId: conversation.id });
    const notes = notesOf(conversation.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body).toContain('Hello, my order #123 has not arrived.');
  });

  it('a note answered with a page that is not JSON: looked up, written once', async () => {
    const a = worker();
    const opened = chatStarted();
    await a.handle(opened);
    sandbox.faults.inject({ kind: 'malformed-answer', route: 'notes.create', body: '<html>OK</html>' });
    expect(await deliver(a, interactionEnded(opened.interactionId))).toMatchObject({ outcome: 'updated' });
    expect(endNotesOf(conversationOf(opened.interactionId).id)).toHaveLength(1);
  });
});

describe('kustomer sandbox: a create never changes an existing conversation', () => {
  it('worker A: chat.started then agent.assigned; worker B gets chat.started again: the agent keeps it, and B reports the agent as owner', async () => {
    const agent = person('agent');
    const opened = chatStarted();
    const a = worker();
    await a.handle(opened);
    await a.handle(agentAssigned(opened.interactionId, agent.email));
    const before = { ...conversationOf(opened.interactionId) };

    const b = worker();
    const audit: AuditEvent = await b.handle(opened);

    expect(audit).toMatchObject({
      operation: 'create-ticket',
      outcome: 'existing',
      recordId: before.id,
      owner: { id: agent.id, name: agent.name },
    });
    expect(conversationOf(opened.interactionId)).toEqual(before);
    expect(sandbox.store.conversations.count()).toBe(1);
    expect(notesOf(before.id)).toHaveLength(1);
  });
});
