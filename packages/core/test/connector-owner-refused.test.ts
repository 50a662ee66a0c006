import { describe, expect, it } from 'vitest';
import { OwnerRejectedError, TransportError } from '../src/errors.js';
import {
  admin,
  alex,
  bea,
  chatStarted,
  connectTo,
  platformAgent,
  recordingCrm,
} from './support/recording-plugin.js';

/**
 * The CRM refuses the owner the connector chose (deactivated since the directory cached them):
 * with the default user on, the default user takes the record and the audit says so; otherwise
 * the refusal reaches the caller.
 */

const withAlex = { ...chatStarted, agent: platformAgent(alex) };

describe('connector: an owner the CRM refuses', () => {
  it('gives the record to the default user, who also writes it, with the same idempotency key', async () => {
    const crm = recordingCrm({ refusedOwners: [alex.id] });
    const { connector } = connectTo(crm);
    const audit = await connector.handle(withAlex);
    expect(crm.records.get('i-1')).toMatchObject({ owner: admin.id, performer: admin.id });
    expect(
      crm.creates.map(({ owner, performer, ownerReason, idempotencyKey }) => [
        owner.id,
        performer.id,
        ownerReason,
        idempotencyKey,
      ]),
    ).toEqual([
      [alex.id, admin.id, 'identified-agent', 'crm-connect:i-1:create-ticket'],
      [admin.id, admin.id, 'default-user', 'crm-connect:i-1:create-ticket'],
    ]);
    expect(audit).toMatchObject({
      operation: 'create-ticket',
      recordId: 'T-1',
      owner: { id: admin.id, name: admin.name },
      performer: { id: admin.id, name: admin.name },
      reason: 'default-user',
      outcome: 'created',
    });
  });

  it('audits the refusal first: whose ownership was refused, the error, and who takes the record', async () => {
    const crm = recordingCrm({ refusedOwners: [alex.id] });
    const { connector, events } = connectTo(crm);
    await connector.handle(withAlex);
    expect(events()).toHaveLength(2);
    expect(events()[0]).toEqual({
      at: expect.any(String),
      crm: 'recording',
      interactionId: 'i-1',
      eventType: 'chat.started',
      operation: 'create-ticket',
      owner: { id: alex.id, name: alex.name },
      reason: 'owner-fallback',
      attempts: 1,
      outcome: 'failed',
      error: { code: 'owner_rejected', message: 'user u-alex is deactivated' },
      detail: 'Recording CRM refused owner u-alex; the default user u-admin takes the record.',
    });
    expect(events()[1]).toMatchObject({ reason: 'default-user', outcome: 'created' });
  });

  it('audits the attempts the refused write took', async () => {
    const crm = recordingCrm();
    crm.override('createTicket', async (original, input) => {
      if (input.owner.id === alex.id) {
        throw new OwnerRejectedError('no', { pluginId: 'recording', ownerId: alex.id, attempts: 3 });
      }
      return original(input);
    });
    const { connector, events } = connectTo(crm);
    await connector.handle(withAlex);
    expect(events()[0]).toMatchObject({ reason: 'owner-fallback', attempts: 3 });
  });

  it('looks the agent up again afterwards: the cached lookup is what was out of date', async () => {
    const crm = recordingCrm({ refusedOwners: [alex.id] });
    const { connector } = connectTo(crm);
    await connector.handle(withAlex);
    await connector.handle({ ...withAlex, interactionId: 'i-2' });
    expect(crm.count('findUserByEmail')).toBe(2);
  });

  it('reaches the caller when the default user is off, and nothing is written', async () => {
    const crm = recordingCrm({ refusedOwners: [alex.id] });
    const { connector, events } = connectTo(crm, { defaultUser: false });
    await expect(connector.handle(withAlex)).rejects.toBeInstanceOf(OwnerRejectedError);
    expect(crm.count('createTicket')).toBe(1);
    expect(crm.records.size).toBe(0);
    expect(events()).toEqual([
      expect.objectContaining({
        operation: 'create-ticket',
        reason: 'error',
        attempts: 0,
        outcome: 'failed',
        error: { code: 'owner_rejected', message: 'user u-alex is deactivated' },
      }),
    ]);
  });

  it('reaches the caller when the refused owner is the default user itself (no second try)', async () => {
    const crm = recordingCrm({ refusedOwners: [admin.id] });
    const { connector, events } = connectTo(crm);
    await expect(connector.handle(chatStarted)).rejects.toMatchObject({ code: 'owner_rejected' });
    expect(crm.count('createTicket')).toBe(1);
    expect(events().map((event) => event.reason)).toEqual(['error']);
  });

  it('reaches the caller when the default user is refused too', async () => {
    const crm = recordingCrm({ refusedOwners: [alex.id, admin.id] });
    const { connector, events } = connectTo(crm);
    await expect(connector.handle(withAlex)).rejects.toMatchObject({
      code: 'owner_rejected',
      message: 'user u-admin is deactivated',
    });
    expect(crm.count('createTicket')).toBe(2);
    expect(events().map((event) => event.reason)).toEqual(['owner-fallback', 'error']);
  });

  it('is never offered again by the random rule until the CRM lists them again', async () => {
    const crm = recordingCrm({ refusedOwners: [bea.id] });
    const { connector } = connectTo(crm, { defaultUser: false }, { random: () => 0.99 });
    await expect(connector.handle(chatStarted)).rejects.toMatchObject({ code: 'owner_rejected' });
    await connector.handle({ ...chatStarted, interactionId: 'i-2' });
    expect(crm.creates.map((input) => input.owner.id)).toEqual([bea.id, alex.id]);
    expect(crm.records.get('i-2')?.owner).toBe(alex.id);
  });

  it('is told apart by its code: another failure of the create is not a refusal', async () => {
    const crm = recordingCrm();
    crm.override('createTicket', async () => {
      throw new TransportError('connection reset', { pluginId: 'recording', attempts: 2 });
    });
    const { connector, events } = connectTo(crm);
    await expect(connector.handle(withAlex)).rejects.toMatchObject({ code: 'transport_failed' });
    expect(crm.count('findUserByEmail')).toBe(1);
    expect(events()).toEqual([
      expect.objectContaining({
        reason: 'error',
        attempts: 2,
        outcome: 'failed',
        error: { code: 'transport_failed', message: 'connection reset' },
      }),
    ]);
    // The agent was not forgotten: the next interaction is theirs without a new lookup.
    crm.override('createTicket', (original, input) => original(input));
    await connector.handle({ ...withAlex, interactionId: 'i-2' });
    expect(crm.records.get('i-2')?.owner).toBe(alex.id);
    expect(crm.count('findUserByEmail')).toBe(1);
  });
});
