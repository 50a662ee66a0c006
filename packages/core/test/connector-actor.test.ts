import { describe, expect, it } from 'vitest';
import {
  abandonedCall,
  admin,
  alex,
  assignedTo,
  bea,
  chatStarted,
  connectTo,
  ended,
  gus,
  platformAgent,
  recordingCrm,
  voicemail,
} from './support/recording-plugin.js';

/**
 * The actor rule as the connector applies it to each event kind: which operation, who owns the
 * record and who performs the write, for an identified agent, the default user, a random active
 * agent (default user off) and no assignable agent.
 */

const openingEvents = [
  ['chat.started', chatStarted],
  ['voicemail.received', voicemail],
  ['call.abandoned', abandonedCall],
] as const;

const adminSummary = { id: admin.id, name: admin.name };
const alexSummary = { id: alex.id, name: alex.name };
const beaSummary = { id: bea.id, name: bea.name };

describe.each(openingEvents)('connector: %s opens a record', (type, event) => {
  const settings = { defaultUser: true, abandonedCallTickets: true };

  it('owned by the identified agent, written by the connection user', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm, settings);
    const audit = await connector.handle({ ...event, agent: platformAgent(alex) });
    expect(crm.records.get('i-1')).toMatchObject({ owner: alex.id, performer: admin.id });
    expect(audit).toEqual({
      at: expect.any(String),
      crm: 'recording',
      interactionId: 'i-1',
      eventType: type,
      operation: 'create-ticket',
      recordId: 'T-1',
      performer: adminSummary,
      performerReason: 'connection-user',
      owner: alexSummary,
      reason: 'identified-agent',
      agentStatus: 'identified',
      attempts: 1,
      outcome: 'created',
    });
  });

  it('owned and written by the default user when no agent is known', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm, settings);
    const audit = await connector.handle(event);
    expect(crm.records.get('i-1')).toMatchObject({ owner: admin.id, performer: admin.id });
    expect(audit).toMatchObject({
      operation: 'create-ticket',
      owner: adminSummary,
      performer: adminSummary,
      reason: 'default-user',
      performerReason: 'connection-user',
      agentStatus: 'none',
      outcome: 'created',
    });
    // The pool of agents is only listed for the legacy random rule.
    expect(crm.count('listAssignableUsers')).toBe(0);
  });

  it('owned by a random active agent when the default user is off', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm, { ...settings, defaultUser: false }, { random: () => 0.99 });
    const audit = await connector.handle(event);
    expect(crm.records.get('i-1')).toMatchObject({ owner: bea.id, performer: admin.id });
    expect(audit).toMatchObject({
      owner: beaSummary,
      performer: adminSummary,
      reason: 'random-agent',
      performerReason: 'connection-user',
      outcome: 'created',
    });
  });

  it('refused with a configuration error, and nothing written, when no agent can be assigned', async () => {
    const crm = recordingCrm({ assignable: [] });
    const { connector, events } = connectTo(crm, { ...settings, defaultUser: false });
    await expect(connector.handle(event)).rejects.toMatchObject({
      code: 'configuration_invalid',
      pluginId: 'recording',
      message:
        'Recording CRM has no active agent to assign interaction i-1 to. Enable the default user, or activate at least one agent in Recording CRM.',
    });
    expect(crm.count('createTicket')).toBe(0);
    expect(events()).toEqual([
      expect.objectContaining({
        operation: 'create-ticket',
        eventType: type,
        reason: 'error',
        outcome: 'failed',
        error: expect.objectContaining({ code: 'configuration_invalid' }),
      }),
    ]);
  });
});

describe('connector: the random rule', () => {
  const ten = Array.from({ length: 10 }, (_, index) => ({ id: `u-${index}`, active: true }));

  it.each([
    [0, 'u-0'],
    [0.95, 'u-9'],
  ])('draws from the injected random source (%s picks %s)', async (draw, owner) => {
    const crm = recordingCrm({ assignable: ten });
    const { connector } = connectTo(crm, { defaultUser: false }, { random: () => draw });
    await connector.handle(chatStarted);
    expect(crm.records.get('i-1')?.owner).toBe(owner);
  });
});

describe('connector: abandoned calls', () => {
  it('open no record while abandoned-call tickets are off, and the audit says why', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm, { defaultUser: true });
    const audit = await connector.handle({ ...abandonedCall, agent: platformAgent(alex) });
    expect(crm.count('createTicket')).toBe(0);
    expect(audit).toMatchObject({
      operation: 'create-ticket',
      eventType: 'call.abandoned',
      reason: 'abandoned-call-tickets-disabled',
      agentStatus: 'identified',
      attempts: 0,
      outcome: 'skipped',
    });
    expect(audit.recordId).toBeUndefined();
  });
});

describe('connector: agent.assigned changes the owner', () => {
  it('to the identified agent, written by the connection user', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle(chatStarted);
    const audit = await connector.handle(assignedTo(alex));
    expect(crm.ownerChanges).toEqual([
      { interactionId: 'i-1', ticket: { id: 'T-1' }, owner: alex, performer: admin },
    ]);
    expect(crm.records.get('i-1')?.owner).toBe(alex.id);
    expect(audit).toEqual({
      at: expect.any(String),
      crm: 'recording',
      interactionId: 'i-1',
      eventType: 'agent.assigned',
      operation: 'change-owner',
      recordId: 'T-1',
      performer: adminSummary,
      performerReason: 'connection-user',
      owner: alexSummary,
      reason: 'identified-agent',
      agentStatus: 'identified',
      attempts: 1,
      outcome: 'updated',
    });
  });

  it.each([
    ['not a CRM user', { id: 'p-zoe', emails: ['zoe@elsewhere.test'] }, 'agent-unmapped', 'unmapped'],
    ['deactivated in the CRM', platformAgent(gus), 'agent-deactivated', 'deactivated'],
  ])(
    'to an agent %s: skipped, the owner stays, no lookup of the record',
    async (_, agent, reason, status) => {
      for (const defaultUser of [true, false]) {
        const crm = recordingCrm();
        const { connector } = connectTo(crm, { defaultUser }, { random: () => 0 });
        await connector.handle(chatStarted);
        const before = crm.records.get('i-1')?.owner;
        const audit = await connector.handle({ ...assignedTo(alex), agent });
        expect(crm.count('changeOwner')).toBe(0);
        expect(crm.count('findTicket')).toBe(0);
        expect(crm.records.get('i-1')?.owner).toBe(before);
        expect(audit).toMatchObject({
          operation: 'change-owner',
          eventType: 'agent.assigned',
          reason,
          agentStatus: status,
          attempts: 0,
          outcome: 'skipped',
        });
        expect(audit.recordId).toBeUndefined();
      }
    },
  );
});

describe('connector: interaction.ended adds a note', () => {
  it('written by the connection user, leaving the owner unchanged', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle({ ...chatStarted, agent: platformAgent(alex) });
    const audit = await connector.handle({ ...ended, agent: platformAgent(alex) });
    expect(crm.records.get('i-1')).toMatchObject({
      owner: alex.id,
      notes: [{ body: 'Transcript:\nJane: hello\nAlex: hi', performer: admin.id }],
    });
    expect(audit).toEqual({
      at: expect.any(String),
      crm: 'recording',
      interactionId: 'i-1',
      eventType: 'interaction.ended',
      operation: 'add-note',
      recordId: 'T-1',
      performer: adminSummary,
      performerReason: 'connection-user',
      reason: 'owner-unchanged',
      agentStatus: 'identified',
      attempts: 1,
      outcome: 'updated',
    });
  });
});

describe('connector: a plugin that writes as the agent', () => {
  const performsAsAgent = { capabilities: { performsAsAgent: true } };

  it('lets the identified agent perform each write of their interaction', async () => {
    const crm = recordingCrm(performsAsAgent);
    const { connector } = connectTo(crm);
    const agent = platformAgent(alex);
    const opened = await connector.handle({ ...chatStarted, agent });
    const assigned = await connector.handle(assignedTo(alex));
    const note = await connector.handle({ ...ended, agent });
    expect(crm.creates[0]?.performer).toEqual(alex);
    expect(crm.ownerChanges[0]?.performer).toEqual(alex);
    expect(crm.noteWrites[0]?.performer).toEqual(alex);
    for (const audit of [opened, assigned, note]) {
      expect(audit).toMatchObject({ performer: alexSummary, performerReason: 'owner' });
    }
  });

  it('lets a random agent perform the create they own', async () => {
    const crm = recordingCrm(performsAsAgent);
    const { connector } = connectTo(crm, { defaultUser: false }, { random: () => 0 });
    const audit = await connector.handle(chatStarted);
    expect(crm.records.get('i-1')).toMatchObject({ owner: alex.id, performer: alex.id });
    expect(audit).toMatchObject({ performer: alexSummary, performerReason: 'owner', reason: 'random-agent' });
  });

  it('keeps the connection user as performer of the default user’s record', async () => {
    const crm = recordingCrm(performsAsAgent);
    const audit = await connectTo(crm).connector.handle(chatStarted);
    expect(audit).toMatchObject({ performer: adminSummary, performerReason: 'connection-user' });
  });
});

describe('connector: always use the admin user', () => {
  const capable = { capabilities: { performsAsAgent: true, alwaysUseAdmin: true } };

  it('makes the admin perform every write while the agent keeps ownership', async () => {
    const crm = recordingCrm(capable);
    const { connector } = connectTo(crm, { defaultUser: true, alwaysUseAdmin: true });
    expect(connector.capabilities).toEqual({ performsAsAgent: true, alwaysUseAdmin: true });
    const audit = await connector.handle({ ...chatStarted, agent: platformAgent(alex) });
    expect(crm.records.get('i-1')).toMatchObject({ owner: alex.id, performer: admin.id });
    expect(audit).toMatchObject({
      owner: alexSummary,
      performer: adminSummary,
      performerReason: 'always-admin',
    });
  });

  it.each([
    ['the setting is off', capable, false],
    ['the plugin lacks the capability', { capabilities: { performsAsAgent: true } }, true],
  ])('is ignored when %s', async (_, options, alwaysUseAdmin) => {
    const crm = recordingCrm(options);
    const { connector } = connectTo(crm, { defaultUser: true, alwaysUseAdmin });
    const audit = await connector.handle({ ...chatStarted, agent: platformAgent(alex) });
    expect(crm.records.get('i-1')).toMatchObject({ owner: alex.id, performer: alex.id });
    expect(audit).toMatchObject({ performer: alexSummary, performerReason: 'owner' });
  });
});

describe('connector: what the plugin is asked to create', () => {
  it('the event, owner, performer, reason, a key derived from the interaction, a subject and a description', async () => {
    const crm = recordingCrm();
    await connectTo(crm).connector.handle({ ...chatStarted, agent: platformAgent(alex) });
    expect(crm.creates).toEqual([
      {
        event: { ...chatStarted, agent: platformAgent(alex) },
        owner: alex,
        performer: admin,
        ownerReason: 'identified-agent',
        idempotencyKey: 'crm-connect:i-1:create-ticket',
        subject: 'Chat with Jane Doe',
        description: 'Interaction i-1 (chat) at 2026-12-01T10:00:00Z.\n\nMy order never came',
      },
    ]);
  });
});
