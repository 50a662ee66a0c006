import { describe, expect, it } from 'vitest';
import {
  admin,
  alex,
  assignedTo,
  bea,
  chatStarted,
  connectTo,
  recordingCrm,
} from './support/recording-plugin.js';

/**
 * An assignment whose agent the CRM refuses as owner (deactivated since the directory cached
 * them): as on a create, the default user takes the record instead of the event failing for good
 * with the record left to whoever held it; with the default user off, the refusal reaches the caller.
 */
describe('connector: an assigned agent the CRM refuses as owner', () => {
  it('gives the record to the default user, audits the refusal first, and supersedes older assignments', async () => {
    const crm = recordingCrm({ refusedOwners: [bea.id] });
    const { connector, events } = connectTo(crm);
    await connector.handle(chatStarted);
    await connector.handle(assignedTo(alex, '2026-12-01T10:01:00Z'));
    const audit = await connector.handle(assignedTo(bea, '2026-12-01T10:02:00Z'));
    expect(crm.records.get('i-1')?.owner).toBe(admin.id);
    expect(crm.ownerChanges.map((change) => [change.owner.id, change.performer.id])).toEqual([
      [alex.id, expect.any(String)],
      [bea.id, expect.any(String)],
      [admin.id, admin.id],
    ]);
    expect(audit).toMatchObject({
      operation: 'change-owner',
      recordId: 'T-1',
      owner: { id: admin.id, name: admin.name },
      performer: { id: admin.id },
      reason: 'default-user',
      outcome: 'updated',
    });
    const refusal = events().at(-2);
    expect(refusal).toMatchObject({
      operation: 'change-owner',
      recordId: 'T-1',
      owner: { id: bea.id },
      reason: 'owner-fallback',
      outcome: 'failed',
      error: { code: 'owner_rejected' },
    });
    // Alex's assignment, delivered again late, does not take the record back.
    const late = await connector.handle(assignedTo(alex, '2026-12-01T10:01:00Z'));
    expect(late).toMatchObject({ reason: 'superseded-assignment', outcome: 'skipped' });
    expect(crm.records.get('i-1')?.owner).toBe(admin.id);
  });

  it('reaches the caller with the default user off, and the owner is left as it was', async () => {
    const crm = recordingCrm({ refusedOwners: [bea.id] });
    const { connector } = connectTo(crm, { defaultUser: false }, { random: () => 0 });
    await connector.handle(chatStarted);
    const ownerBefore = crm.records.get('i-1')?.owner;
    await expect(connector.handle(assignedTo(bea))).rejects.toMatchObject({ code: 'owner_rejected' });
    expect(crm.records.get('i-1')?.owner).toBe(ownerBefore);
  });
});
