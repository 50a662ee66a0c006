import { dynamics } from '@crm-connect/dynamics';
import { createDynamicsSandbox, type DynamicsSandbox, dynamicsSandboxSettings } from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectorFor } from './connectors.js';
import { agentAssigned, chatStarted, interactionEnded } from './events.js';

/**
 * Issue 13 through the real Dynamics plugin and the Dynamics sandbox: a create never changes an
 * existing case and reports its real owner; a note found whole is reported as not written, and
 * the happy path makes no extra call. Workers are separate connectors (separate link stores).
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
const worker = () => connectorFor(plugin, { ...dynamicsSandboxSettings(sandbox), defaultUser: true });
const routes = (from: number) =>
  sandbox.log
    .entries()
    .slice(from)
    .map((entry) => entry.route)
    .filter((route) => route !== 'oauth.token');

describe('dynamics sandbox: a create never changes an existing case', () => {
  it('worker A: chat.started then agent.assigned; worker B gets chat.started again: the case is untouched and B reports the agent as owner', async () => {
    const agent = person('agent');
    const opened = chatStarted();
    const a = worker();
    const created = await a.handle(opened);
    await a.handle(agentAssigned(opened.interactionId, agent.email));
    const before = { ...sandbox.store.incidents.get(created.recordId ?? '') };
    expect(before._ownerid_value).toBe(agent.id);

    const b = worker();
    const from = sandbox.log.entries().length;
    const audit = await b.handle({ ...opened, firstMessage: 'A different first message, redelivered late.' });

    expect(audit).toMatchObject({
      operation: 'create-ticket',
      outcome: 'existing',
      recordId: created.recordId,
      owner: { id: agent.id, name: agent.name },
    });
    expect(sandbox.store.incidents.get(created.recordId ?? '')).toEqual(before);
    expect(sandbox.store.incidents.count()).toBe(1);
    // The refused create, the case read back, its owner read: no PATCH, no upsert.
    expect(routes(from).filter((route) => route !== 'contacts.list')).toEqual([
      'whoAmI',
      'systemusers.show',
      'incidents.create',
      'incidents.show',
      'systemusers.show',
    ]);
    expect(
      sandbox.log
        .entries()
        .slice(from)
        .find((entry) => entry.route === 'incidents.create'),
    ).toMatchObject({ status: 412 });
  });
});

describe('dynamics sandbox: notes written, or found', () => {
  it('the happy path: one create per note, nothing looked up', async () => {
    const a = worker();
    const opened = chatStarted();
    await a.handle(opened);
    const from = sandbox.log.entries().length;
    expect(await a.handle(interactionEnded(opened.interactionId))).toMatchObject({ outcome: 'updated' });
    expect(routes(from)).toEqual(['annotations.create']);
  });

  it('redelivered to a worker that never saw the interaction: one note, reported as found', async () => {
    const a = worker();
    const opened = chatStarted();
    const created = await a.handle(opened);
    const ended = interactionEnded(opened.interactionId);
    await a.handle(ended);

    const b = worker();
    expect(await b.handle(ended)).toMatchObject({ outcome: 'existing', reason: 'already-written' });
    expect(
      sandbox.store.annotations.filter((note) => note._objectid_value === created.recordId),
    ).toHaveLength(1);
  });
});
