import { describe, expect, it } from 'vitest';
import { TransportError } from '../src/errors.js';
import {
  abandonedCall,
  admin,
  alex,
  assignedTo,
  bea,
  chatStarted,
  connectTo,
  ended,
  platformAgent,
  recordingCrm,
  voicemail,
} from './support/recording-plugin.js';

/**
 * Events arrive late, early, twice and at once: one record per interaction, one note per text,
 * and the owner the latest assignment chose.
 */

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ['chat.started', chatStarted],
  ['voicemail.received', voicemail],
  ['call.abandoned', abandonedCall],
] as const)('connector: %s delivered twice', (type, event) => {
  it('opens one record; the second is answered from the link without asking the CRM', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm, { defaultUser: true, abandonedCallTickets: true });
    await connector.handle(event);
    const calls = crm.calls.length;
    const audit = await connector.handle({ ...event, agent: platformAgent(alex) });
    expect(crm.calls.slice(calls)).toEqual([]);
    expect(crm.records.size).toBe(1);
    expect(audit).toEqual({
      at: expect.any(String),
      crm: 'recording',
      interactionId: 'i-1',
      eventType: type,
      operation: 'create-ticket',
      recordId: 'T-1',
      reason: 'already-linked',
      attempts: 0,
      outcome: 'existing',
    });
  });
});

describe('connector: redelivered assignments and ends', () => {
  it('an assignment delivered twice leaves one record owned by its agent', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle(chatStarted);
    await connector.handle(assignedTo(alex, '2026-12-01T10:05:00Z'));
    // The same moment again is not "earlier": applying it again is harmless.
    const audit = await connector.handle(assignedTo(alex, '2026-12-01T10:05:00Z'));
    expect(audit).toMatchObject({ outcome: 'updated', owner: { id: alex.id } });
    expect(crm.records.size).toBe(1);
    expect(crm.records.get('i-1')?.owner).toBe(alex.id);
  });

  it('an end delivered twice leaves one note', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle(chatStarted);
    await connector.handle(ended);
    await connector.handle(ended);
    expect(crm.records.get('i-1')?.notes).toHaveLength(1);
  });
});

describe('connector: a late assignment', () => {
  it('is skipped with the record, the owner it would have set and the reason, and costs no call', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle(chatStarted);
    await connector.handle(assignedTo(alex, '2026-12-01T10:09:00Z'));
    const calls = crm.calls.length;
    const audit = await connector.handle(assignedTo(bea, '2026-12-01T10:05:00Z'));
    expect(crm.calls.slice(calls)).toEqual(['findUserByEmail bea@acme.test', 'connectionUser']);
    expect(crm.records.get('i-1')?.owner).toBe(alex.id);
    expect(audit).toEqual({
      at: expect.any(String),
      crm: 'recording',
      interactionId: 'i-1',
      eventType: 'agent.assigned',
      operation: 'change-owner',
      recordId: 'T-1',
      owner: { id: bea.id, name: bea.name },
      reason: 'superseded-assignment',
      agentStatus: 'identified',
      attempts: 0,
      outcome: 'skipped',
    });
  });

  it('takes a record the worker found existing on the CRM: its owner’s history is unknown here', async () => {
    const crm = recordingCrm();
    await connectTo(crm).connector.handle({ ...chatStarted, agent: platformAgent(alex) });
    // Another worker sees the opening event again (the record exists), then an earlier assignment.
    const other = connectTo(crm);
    const opened = await other.connector.handle({
      ...chatStarted,
      occurredAt: '2026-12-01T10:10:00Z',
      agent: platformAgent(alex),
    });
    expect(opened).toMatchObject({ outcome: 'existing', owner: { id: alex.id } });
    await other.connector.handle(assignedTo(bea, '2026-12-01T10:05:00Z'));
    expect(crm.records.get('i-1')?.owner).toBe(bea.id);
  });
});

describe('connector: an assignment that overtakes its opening event', () => {
  it('opens the record, owned by the agent; the opening event then finds it linked', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    const audit = await connector.handle(assignedTo(alex, '2026-12-01T10:02:00Z'));
    expect(crm.count('findTicket')).toBe(1);
    expect(crm.creates).toEqual([
      expect.objectContaining({
        // The plugin is asked to open a chat's record, as for the opening event it overtook.
        event: { ...assignedTo(alex, '2026-12-01T10:02:00Z'), type: 'chat.started' },
        owner: alex,
        ownerReason: 'identified-agent',
        subject: 'Chat with Jane Doe',
        idempotencyKey: 'crm-connect:i-1:create-ticket',
      }),
    ]);
    expect(audit).toMatchObject({
      operation: 'create-ticket',
      recordId: 'T-1',
      owner: { id: alex.id },
      reason: 'identified-agent',
      outcome: 'created',
    });
    await expect(connector.handle(chatStarted)).resolves.toMatchObject({ reason: 'already-linked' });
    expect(crm.records.size).toBe(1);
    expect(crm.records.get('i-1')?.owner).toBe(alex.id);
  });

  it('keeps the agent against an assignment that happened before it', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle(assignedTo(alex, '2026-12-01T10:02:00Z'));
    await expect(connector.handle(assignedTo(bea, '2026-12-01T10:01:00Z'))).resolves.toMatchObject({
      reason: 'superseded-assignment',
    });
    expect(crm.records.get('i-1')?.owner).toBe(alex.id);
  });

  it('changes the owner of a record another worker opened, found on the CRM once and remembered', async () => {
    const crm = recordingCrm();
    await connectTo(crm).connector.handle(chatStarted);
    const { connector } = connectTo(crm);
    await connector.handle(assignedTo(alex, '2026-12-01T10:02:00Z'));
    await connector.handle(assignedTo(bea, '2026-12-01T10:03:00Z'));
    expect(crm.count('createTicket')).toBe(1);
    expect(crm.count('findTicket')).toBe(1);
    expect(crm.ownerChanges.map((input) => [input.ticket.id, input.owner.id])).toEqual([
      ['T-1', alex.id],
      ['T-1', bea.id],
    ]);
  });
});

describe('connector: events of one interaction delivered at once', () => {
  it('are handled in order: the assignment waits for the record its opening event creates', async () => {
    const crm = recordingCrm();
    crm.override('createTicket', async (original, input) => {
      await pause(20);
      return original(input);
    });
    const { connector } = connectTo(crm);
    const [opened, assigned] = await Promise.all([
      connector.handle(chatStarted),
      connector.handle(assignedTo(alex)),
    ]);
    expect(opened).toMatchObject({ outcome: 'created', owner: { id: admin.id } });
    expect(assigned).toMatchObject({ outcome: 'updated', recordId: 'T-1', owner: { id: alex.id } });
    expect(crm.count('findTicket')).toBe(0);
    expect(crm.records.size).toBe(1);
  });

  it('the next event is handled even when the one before it failed', async () => {
    const crm = recordingCrm();
    crm.override('createTicket', async (original, input) => {
      if (crm.count('createTicket') === 1) throw new TransportError('reset', { pluginId: 'recording' });
      return original(input);
    });
    const { connector } = connectTo(crm);
    const [opened, assigned] = await Promise.allSettled([
      connector.handle(chatStarted),
      connector.handle(assignedTo(alex)),
    ]);
    expect(opened.status).toBe('rejected');
    expect(assigned).toMatchObject({
      status: 'fulfilled',
      value: { outcome: 'created', owner: { id: alex.id } },
    });
  });

  it('an event arriving while an earlier one is still under way waits for it', async () => {
    const crm = recordingCrm();
    const log: string[] = [];
    crm.override('createTicket', async (original, input) => {
      await pause(10);
      return original(input);
    });
    crm.override('changeOwner', async (original, input) => {
      log.push('change owner started');
      await pause(30);
      log.push('change owner done');
      return original(input);
    });
    crm.override('addNote', async (original, input) => {
      log.push('note');
      return original(input);
    });
    const { connector } = connectTo(crm);
    const opening = connector.handle(chatStarted);
    const assignment = connector.handle(assignedTo(alex));
    await opening;
    // The opening is done; the assignment is under way when the end arrives.
    await connector.handle(ended);
    await assignment;
    expect(log).toEqual(['change owner started', 'change owner done', 'note']);
  });

  it('events of different interactions do not wait for each other', async () => {
    const crm = recordingCrm();
    const log: string[] = [];
    crm.override('createTicket', async (original, input) => {
      log.push(`start ${input.event.interactionId}`);
      await pause(input.event.interactionId === 'i-1' ? 30 : 0);
      log.push(`end ${input.event.interactionId}`);
      return original(input);
    });
    const { connector } = connectTo(crm);
    await Promise.all([
      connector.handle(chatStarted),
      connector.handle({ ...chatStarted, interactionId: 'i-2' }),
    ]);
    expect(log).toEqual(['start i-1', 'start i-2', 'end i-2', 'end i-1']);
  });
});
