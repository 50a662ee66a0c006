import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryAuditSink } from '../src/audit.js';
import { createConnector } from '../src/connector.js';
import { OwnerRejectedError, TransportError } from '../src/errors.js';
import { type AddNoteInput, type CreateTicketInput, definePlugin, type TicketRef } from '../src/plugin.js';
import { createMemoryRecordLinkStore, type RecordLinkStore } from '../src/record-links.js';
import { commonSettingsShape } from '../src/settings/common-settings.js';
import type { CrmUser } from '../src/users.js';

/**
 * The connector's delivery guarantees, against a CRM kept in memory by this test: whatever order
 * and however often events arrive, one record, one note, the right owner — and the audit tells
 * what happened on the CRM.
 */

const admin: CrmUser = { id: 'admin', email: 'admin@acme.test', active: true, name: 'Ada Admin' };
const agent: CrmUser = { id: 'agent', email: 'alex@acme.test', active: true, name: 'Alex Agent' };

interface FakeRecord {
  id: string;
  owner: string;
  notes: { key: string; body: string }[];
}

/** A CRM in memory: creates never change an existing record, notes can be looked up by key. */
function fakeCrm(options: { loseNextNoteAnswer?: boolean; refuseOwner?: string; landAfterMs?: number } = {}) {
  const records = new Map<string, FakeRecord>();
  const calls = { creates: 0, noteWrites: 0, noteLookups: 0, finds: 0 };
  let loseNextNoteAnswer = options.loseNextNoteAnswer ?? false;
  const createInputs: CreateTicketInput[] = [];
  const noteInputs: AddNoteInput[] = [];
  const plugin = definePlugin({
    id: 'fake',
    displayName: 'Fake CRM',
    settings: {
      schema: z.object({ ...commonSettingsShape }),
      secretFields: [],
      credentialGroups: [],
    },
    capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
    validateCredentials: async () => ({ connectionUser: admin, warnings: [] }),
    connect: () => ({
      connectionUser: async () => admin,
      findUserByEmail: async (email) => [admin, agent].find((user) => user.email === email),
      listAssignableUsers: async () => [agent],
      async createTicket(input) {
        calls.creates += 1;
        createInputs.push(input);
        if (input.owner.id === options.refuseOwner) {
          throw new OwnerRejectedError('refused', { pluginId: 'fake', ownerId: input.owner.id });
        }
        const existing = records.get(input.event.interactionId);
        if (existing !== undefined) {
          return { ticket: { id: existing.id }, created: false, attempts: 1, owner: userOf(existing.owner) };
        }
        const record = { id: `T-${records.size + 1}`, owner: input.owner.id, notes: [] };
        records.set(input.event.interactionId, record);
        return { ticket: { id: record.id }, created: true, attempts: 1 };
      },
      async findTicket(interactionId): Promise<TicketRef | undefined> {
        calls.finds += 1;
        const record = records.get(interactionId);
        return record === undefined ? undefined : { id: record.id };
      },
      async changeOwner(input) {
        const record = [...records.values()].find((candidate) => candidate.id === input.ticket.id);
        if (record !== undefined) record.owner = input.owner.id;
        return { attempts: 1 };
      },
      async addNote(input) {
        noteInputs.push(input);
        const record = [...records.values()].find((candidate) => candidate.id === input.ticket.id);
        if (record === undefined) throw new Error('no such record');
        if (input.mayExist) {
          calls.noteLookups += 1;
          if (record.notes.some((note) => note.key === input.idempotencyKey))
            return { attempts: 1, written: false };
        }
        calls.noteWrites += 1;
        if (loseNextNoteAnswer && options.landAfterMs !== undefined) {
          // The client gives up (timeout) while the CRM is still processing: the note lands later.
          loseNextNoteAnswer = false;
          setTimeout(
            () => record.notes.push({ key: input.idempotencyKey, body: input.body }),
            options.landAfterMs,
          );
          throw new TransportError('timed out after 50 ms', { pluginId: 'fake' });
        }
        record.notes.push({ key: input.idempotencyKey, body: input.body });
        if (loseNextNoteAnswer) {
          loseNextNoteAnswer = false;
          throw new TransportError('connection reset after the write', { pluginId: 'fake' });
        }
        return { attempts: 1, written: true };
      },
    }),
  });
  return { plugin, records, calls, createInputs, noteInputs };
}

function userOf(id: string): CrmUser {
  return id === admin.id ? admin : agent;
}

const endUser = { name: 'Jane Doe', email: 'jane@example.com' };
const at = '2026-12-01T10:00:00Z';
const chatStarted = { type: 'chat.started', interactionId: 'i-1', channel: 'chat', occurredAt: at, endUser };
const assigned = {
  type: 'agent.assigned',
  interactionId: 'i-1',
  channel: 'chat',
  occurredAt: at,
  endUser,
  agent: { id: 'p-alex', emails: [agent.email] },
};
const ended = {
  type: 'interaction.ended',
  interactionId: 'i-1',
  channel: 'chat',
  occurredAt: at,
  endUser,
  transcript: 'Jane: hello\nAlex: hi',
};

function connectorOver(crm: ReturnType<typeof fakeCrm>, recordLinks?: RecordLinkStore, timeoutMs = 50) {
  const audit = createMemoryAuditSink();
  const connector = createConnector({
    plugin: crm.plugin,
    settings: { defaultUser: true },
    audit: audit.sink,
    recordLinks,
    http: { timeoutMs },
  });
  return { connector, audit };
}

describe('connector: delivery order and redelivery', () => {
  it('tells the plugin why the owner owns a new record', async () => {
    const crm = fakeCrm();
    await connectorOver(crm).connector.handle(chatStarted);
    expect(crm.createInputs[0]?.ownerReason).toBe('default-user');
  });

  it('a late opening event on a worker that never saw the interaction leaves the agent owner, and the audit says so', async () => {
    const crm = fakeCrm();
    const workerA = connectorOver(crm);
    await workerA.connector.handle(chatStarted);
    await workerA.connector.handle(assigned);
    expect(crm.records.get('i-1')?.owner).toBe(agent.id);

    const workerB = connectorOver(crm);
    const audit = await workerB.connector.handle(chatStarted);
    expect(crm.records.get('i-1')?.owner).toBe(agent.id);
    expect(audit).toMatchObject({ outcome: 'existing', owner: { id: agent.id } });
  });

  it('an existing record whose owner the plugin cannot tell is audited with no owner, never a guessed one', async () => {
    const crm = fakeCrm();
    crm.records.set('i-1', { id: 'T-9', owner: agent.id, notes: [] });
    const original = crm.plugin.connect;
    crm.plugin.connect = (settings, context) => {
      const connection = original(settings, context);
      return {
        ...connection,
        createTicket: async (input) => ({ ...(await connection.createTicket(input)), owner: undefined }),
      };
    };
    const audit = await connectorOver(crm).connector.handle(chatStarted);
    expect(audit.outcome).toBe('existing');
    expect(audit.owner).toBeUndefined();
  });

  it('an assignment delivered after a later one does not take the record back', async () => {
    const crm = fakeCrm();
    const { connector, audit } = connectorOver(crm);
    const other: CrmUser = { id: 'agent', email: 'alex@acme.test', active: true };
    await connector.handle(chatStarted);
    // Alex at 10:05, then the admin (also an agent of the platform) at 10:09; delivered the other way round.
    const toAdmin = {
      ...assigned,
      occurredAt: '2026-12-01T10:09:00Z',
      agent: { id: 'p-ada', emails: [admin.email] },
    };
    const toAlex = { ...assigned, occurredAt: '2026-12-01T10:05:00Z' };
    await connector.handle(toAdmin);
    await expect(connector.handle(toAlex)).resolves.toMatchObject({
      outcome: 'skipped',
      reason: 'superseded-assignment',
    });
    expect(crm.records.get('i-1')?.owner).toBe(admin.id);
    // A later assignment still applies.
    await connector.handle({ ...toAlex, occurredAt: '2026-12-01T10:12:00Z' });
    expect(crm.records.get('i-1')?.owner).toBe(other.id);
    expect(audit.events().filter((event) => event.reason === 'superseded-assignment')).toHaveLength(1);
  });

  it('a record opened for the default user takes an assignment that happened before the opening', async () => {
    const crm = fakeCrm();
    const { connector } = connectorOver(crm);
    await connector.handle({ ...chatStarted, occurredAt: '2026-12-01T10:10:00Z' });
    await connector.handle({ ...assigned, occurredAt: '2026-12-01T10:09:59Z' });
    expect(crm.records.get('i-1')?.owner).toBe(agent.id);
  });

  it('an assignment older than the agent the chat opened with is not applied', async () => {
    const crm = fakeCrm();
    const { connector } = connectorOver(crm);
    await connector.handle({ ...chatStarted, occurredAt: '2026-12-01T10:10:00Z', agent: assigned.agent });
    await connector.handle({
      ...assigned,
      occurredAt: '2026-12-01T10:01:00Z',
      agent: { id: 'p-ada', emails: [admin.email] },
    });
    expect(crm.records.get('i-1')?.owner).toBe(agent.id);
  });

  it('a note redelivered to the same worker is not written again, and costs no call', async () => {
    const crm = fakeCrm();
    const { connector } = connectorOver(crm);
    await connector.handle(chatStarted);
    await connector.handle(ended);
    const audit = await connector.handle(ended);
    expect(crm.records.get('i-1')?.notes).toHaveLength(1);
    expect(audit).toMatchObject({ outcome: 'existing', reason: 'already-written', attempts: 0 });
    expect(crm.calls.noteLookups).toBe(0);
  });

  it('on the happy path the plugin is told the note cannot exist yet (no lookup call)', async () => {
    const crm = fakeCrm();
    const { connector } = connectorOver(crm);
    await connector.handle(chatStarted);
    await connector.handle(ended);
    expect(crm.noteInputs.map((input) => input.mayExist)).toEqual([false]);
  });

  it('a note whose answer was lost is looked up, not written twice, when redelivered', async () => {
    const crm = fakeCrm({ loseNextNoteAnswer: true });
    const { connector } = connectorOver(crm);
    await connector.handle(chatStarted);
    await expect(connector.handle(ended)).rejects.toMatchObject({ code: 'transport_failed' });
    const audit = await connector.handle(ended);
    expect(crm.records.get('i-1')?.notes).toHaveLength(1);
    expect(crm.noteInputs.map((input) => input.mayExist)).toEqual([false, true]);
    expect(audit).toMatchObject({ outcome: 'existing', reason: 'already-written' });
  });

  it('a note whose write timed out is looked up only once the CRM has had as long again to land it', async () => {
    const crm = fakeCrm({ loseNextNoteAnswer: true, landAfterMs: 30 });
    const { connector } = connectorOver(crm, undefined, 50);
    await connector.handle(chatStarted);
    await expect(connector.handle(ended)).rejects.toMatchObject({ code: 'transport_failed' });
    // Redelivered at once, while the first write is still landing.
    const audit = await connector.handle(ended);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(crm.records.get('i-1')?.notes).toHaveLength(1);
    expect(audit).toMatchObject({ outcome: 'existing', reason: 'already-written' });
  });

  it('a note redelivered to a worker that found the record on the CRM is looked up first', async () => {
    const crm = fakeCrm();
    const workerA = connectorOver(crm);
    await workerA.connector.handle(chatStarted);
    await workerA.connector.handle(ended);

    const workerB = connectorOver(crm);
    const audit = await workerB.connector.handle(ended);
    expect(crm.records.get('i-1')?.notes).toHaveLength(1);
    expect(crm.noteInputs.map((input) => input.mayExist)).toEqual([false, true]);
    expect(audit.outcome).toBe('existing');
  });

  it('workers sharing one store know each other’s notes without asking the CRM', async () => {
    const crm = fakeCrm();
    const shared = createMemoryRecordLinkStore();
    await connectorOver(crm, shared).connector.handle(chatStarted);
    await connectorOver(crm, shared).connector.handle(ended);
    const audit = await connectorOver(crm, shared).connector.handle(ended);
    expect(crm.records.get('i-1')?.notes).toHaveLength(1);
    expect(crm.calls).toMatchObject({ noteLookups: 0, finds: 0 });
    expect(audit.reason).toBe('already-written');
  });

  it('a different note for the same interaction is written', async () => {
    const crm = fakeCrm();
    const { connector } = connectorOver(crm);
    await connector.handle(chatStarted);
    await connector.handle(ended);
    await connector.handle({ ...ended, transcript: 'Jane: one more thing' });
    expect(crm.records.get('i-1')?.notes).toHaveLength(2);
  });

  it('the audit names the user the plugin reports as having made the write, with the reason', async () => {
    const crm = fakeCrm();
    const original = crm.plugin.connect;
    crm.plugin.connect = (settings, context) => {
      const connection = original(settings, context);
      return {
        ...connection,
        changeOwner: async (input) => ({ ...(await connection.changeOwner(input)), performer: admin }),
        addNote: async (input) => ({ ...(await connection.addNote(input)), performer: admin }),
      };
    };
    // The agent could write as themselves, so the rule picks them; the plugin reports the admin wrote.
    crm.plugin.capabilities = () => ({ performsAsAgent: true, alwaysUseAdmin: false });
    const { connector } = connectorOver(crm);
    await connector.handle(chatStarted);
    const assignment = await connector.handle(assigned);
    const note = await connector.handle({ ...ended, agent: assigned.agent });
    for (const audit of [assignment, note]) {
      expect(audit).toMatchObject({
        performer: { id: admin.id },
        performerReason: 'connection-user-fallback',
      });
    }
  });

  it('an owner the CRM refuses falls back to the default user, decided by error code', async () => {
    const crm = fakeCrm({ refuseOwner: agent.id });
    const audit = await connectorOver(crm).connector.handle({
      ...chatStarted,
      agent: { id: 'p-alex', emails: [agent.email] },
    });
    expect(audit).toMatchObject({ outcome: 'created', owner: { id: admin.id }, reason: 'default-user' });
    expect(crm.createInputs.map((input) => input.ownerReason)).toEqual(['identified-agent', 'default-user']);
  });
});
