import { describe, expect, it } from 'vitest';
import { idempotencyKey } from '../src/connector.js';
import { TransportError } from '../src/errors.js';
import { createMemoryRecordLinkStore, type NoteState } from '../src/record-links.js';
import {
  admin,
  alex,
  chatStarted,
  connectTo,
  ended,
  platformAgent,
  recordingCrm,
} from './support/recording-plugin.js';

/** The note written when an interaction ends: what is written, exactly once, and what the audit says. */

const transcriptNote = 'Transcript:\nJane: hello\nAlex: hi';

describe('connector: the end of an interaction', () => {
  it('writes disposition, notes and transcript as one note, keyed by the interaction and the text', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle(chatStarted);
    await connector.handle({ ...ended, disposition: 'Refund', notes: 'Sent a voucher' });
    const body = 'Disposition: Refund\n\nNotes:\nSent a voucher\n\nTranscript:\nJane: hello\nAlex: hi';
    expect(crm.noteWrites).toEqual([
      {
        interactionId: 'i-1',
        ticket: { id: 'T-1' },
        body,
        performer: admin,
        idempotencyKey: idempotencyKey('i-1', 'add-note', body),
        mayExist: false,
      },
    ]);
  });

  it('keys a note by the interaction and a digest of its text, the same key release after release', async () => {
    // Keys are stored (record links, CRM markers): a changed format would write a redelivered note twice.
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle(chatStarted);
    await connector.handle(ended);
    expect(crm.noteWrites[0]?.idempotencyKey).toBe('crm-connect:i-1:add-note:5441e6fdbc16d535');
  });

  it('writes nothing, and asks the CRM nothing, when there is nothing to write', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle(chatStarted);
    const before = crm.calls.length;
    const audit = await connector.handle({ ...ended, transcript: undefined, agent: platformAgent(alex) });
    expect(crm.calls.slice(before)).toEqual([]);
    expect(audit).toEqual({
      at: expect.any(String),
      crm: 'recording',
      interactionId: 'i-1',
      eventType: 'interaction.ended',
      operation: 'add-note',
      reason: 'nothing-to-write',
      attempts: 0,
      outcome: 'skipped',
    });
  });

  it('with no record yet is a retryable not-found error: deliver the opening event first', async () => {
    const crm = recordingCrm();
    const { connector, events } = connectTo(crm);
    const failure = connector.handle(ended);
    await expect(failure).rejects.toMatchObject({
      code: 'not_found',
      retryable: true,
      pluginId: 'recording',
      message:
        'Recording CRM has no record for interaction i-1: deliver its opening event (chat.started, voicemail.received or call.abandoned) first, then this one again.',
    });
    expect(crm.count('findTicket')).toBe(1);
    expect(crm.count('addNote')).toBe(0);
    expect(events()).toEqual([
      expect.objectContaining({
        operation: 'add-note',
        eventType: 'interaction.ended',
        reason: 'error',
        attempts: 0,
        outcome: 'failed',
        error: expect.objectContaining({ code: 'not_found' }),
      }),
    ]);
  });

  it('a note already written is answered from the store: no call, and the audit names record and performer', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle(chatStarted);
    await connector.handle(ended);
    const calls = crm.calls.length;
    const audit = await connector.handle(ended);
    expect(crm.calls.slice(calls).filter((call) => call === 'addNote' || call.startsWith('find'))).toEqual(
      [],
    );
    expect(crm.records.get('i-1')?.notes).toHaveLength(1);
    expect(audit).toEqual({
      at: expect.any(String),
      crm: 'recording',
      interactionId: 'i-1',
      eventType: 'interaction.ended',
      operation: 'add-note',
      recordId: 'T-1',
      performer: { id: admin.id, name: admin.name },
      performerReason: 'connection-user',
      agentStatus: 'none',
      reason: 'already-written',
      attempts: 0,
      outcome: 'existing',
    });
  });

  it('a note the plugin found already on the record is audited as existing, and not looked up again', async () => {
    const crm = recordingCrm();
    crm.override('addNote', async () => ({ attempts: 2, written: false }));
    const { connector } = connectTo(crm);
    await connector.handle(chatStarted);
    const audit = await connector.handle(ended);
    expect(audit).toMatchObject({ reason: 'already-written', outcome: 'existing', attempts: 2 });
    await connector.handle(ended);
    expect(crm.count('addNote')).toBe(1);
  });

  it('the audit keeps the decided performer when the plugin reports that same user wrote it', async () => {
    const crm = recordingCrm();
    crm.override('addNote', async (original, input) => ({ ...(await original(input)), performer: admin }));
    const { connector } = connectTo(crm);
    await connector.handle(chatStarted);
    const audit = await connector.handle(ended);
    expect(audit).toMatchObject({ performer: { id: admin.id }, performerReason: 'connection-user' });
  });
});

describe('connector: a note is marked before it is written', () => {
  const key = idempotencyKey('i-1', 'add-note', transcriptNote);

  it('pending while the write runs, written once the CRM confirmed it', async () => {
    const crm = recordingCrm();
    const store = createMemoryRecordLinkStore();
    const during: (NoteState | undefined)[] = [];
    crm.override('addNote', async (original, input) => {
      during.push(await store.noteState('recording', 'i-1', key));
      return original(input);
    });
    const { connector } = connectTo(crm, { defaultUser: true }, { recordLinks: store });
    await connector.handle(chatStarted);
    const started = Date.now();
    await connector.handle(ended);
    expect(during).toEqual([{ status: 'pending', at: expect.any(Number) }]);
    const at = during[0]?.status === 'pending' ? during[0].at : 0;
    expect(at).toBeGreaterThanOrEqual(started);
    expect(at).toBeLessThanOrEqual(Date.now());
    await expect(store.noteState('recording', 'i-1', key)).resolves.toEqual({ status: 'written' });
  });

  it('a failed write stays pending from when it failed: the redelivery gives it a whole timeout from then', async () => {
    const crm = recordingCrm();
    const starts: number[] = [];
    let failedAt = 0;
    crm.override('addNote', async (original, input) => {
      starts.push(Date.now());
      if (starts.length === 1) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        failedAt = Date.now();
        throw new TransportError('timed out', { pluginId: 'recording' });
      }
      return original(input);
    });
    const { connector } = connectTo(crm, { defaultUser: true }, { http: { timeoutMs: 50 } });
    await connector.handle(chatStarted);
    await expect(connector.handle(ended)).rejects.toMatchObject({ code: 'transport_failed' });
    await connector.handle(ended);
    expect((starts[1] ?? 0) - failedAt).toBeGreaterThanOrEqual(45);
    expect(crm.noteWrites.map((input) => input.mayExist)).toEqual([false, true]);
  });

  it('without an HTTP timeout setting, a pending note waits out the default 30 s since its last attempt', async () => {
    const crm = recordingCrm();
    const store = createMemoryRecordLinkStore();
    const { connector } = connectTo(crm, { defaultUser: true }, { recordLinks: store });
    await connector.handle(chatStarted);
    // Its last attempt ended 29.9 s ago.
    await store.setNoteState('recording', 'i-1', key, { status: 'pending', at: Date.now() - 29_900 });
    const redelivered = Date.now();
    let writtenAt = 0;
    crm.override('addNote', async (original, input) => {
      writtenAt = Date.now();
      return original(input);
    });
    await connector.handle(ended);
    expect(writtenAt - redelivered).toBeGreaterThanOrEqual(90);
    expect(crm.noteWrites.map((input) => input.mayExist)).toEqual([true]);
  });
});
