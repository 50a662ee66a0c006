import type { InteractionEvent, PlatformAgent } from '@crm-connect/core';

/**
 * The demo's scripted interactions: the situations the default-user feature is about, plus the
 * agent cases around it. Each names what must come out of it, so the demo can fail loudly.
 */

/** Who must own the record at the end: the default user, the identified agent, a random active agent, or no record at all. */
export type ExpectedOwner = 'default-user' | 'agent' | 'random-agent' | 'no-record';

export interface DemoStep {
  /** What the table shows in the "interaction" column. */
  label: string;
  /** Settings this step needs beyond the pass's (abandoned-call tickets off, an email alias). */
  settings?: { abandonedCallTickets?: boolean; agentEmailAliases?: Record<string, string> };
  /** The events, in order, for one interaction id. */
  events(interactionId: string): InteractionEvent[];
  /** The owner expected with the default user on, and off. */
  expected: { defaultUserOn: ExpectedOwner; defaultUserOff: ExpectedOwner };
}

const occurredAt = (minute: number) => `2026-11-21T10:${String(minute).padStart(2, '0')}:00Z`;
const jane = { name: 'Jane Doe', email: 'jane.doe@example.com', phone: '+15555550100' };
const sam = { name: 'Sam Caller', phone: '+15555550199' };
const alex: PlatformAgent = { id: 'agent-alex', emails: ['alex.agent@acme.test'] };
/** Alex's address from before the Chat migration: only the alias in the settings maps it to the CRM user. */
const alexOldAddress: PlatformAgent = { id: 'agent-alex', emails: ['alex.chat@acme.test'] };
const gus: PlatformAgent = { id: 'agent-gus', emails: ['gus.gone@acme.test'] };

export const demoSteps: readonly DemoStep[] = [
  {
    label: 'chat started, no agent yet',
    events: (interactionId) => [
      {
        type: 'chat.started',
        interactionId,
        channel: 'chat',
        occurredAt: occurredAt(0),
        endUser: jane,
        firstMessage: 'Hello, my order #123 has not arrived.',
      },
    ],
    expected: { defaultUserOn: 'default-user', defaultUserOff: 'random-agent' },
  },
  {
    label: 'voicemail before its callback',
    events: (interactionId) => [
      {
        type: 'voicemail.received',
        interactionId,
        channel: 'voice',
        occurredAt: occurredAt(5),
        endUser: sam,
        durationSeconds: 42,
        transcription: 'Hi, please call me back about my invoice.',
      },
    ],
    expected: { defaultUserOn: 'default-user', defaultUserOff: 'random-agent' },
  },
  {
    label: 'abandoned call (tickets on)',
    settings: { abandonedCallTickets: true },
    events: (interactionId) => [
      {
        type: 'call.abandoned',
        interactionId,
        channel: 'voice',
        occurredAt: occurredAt(10),
        endUser: sam,
        waitSeconds: 95,
      },
    ],
    expected: { defaultUserOn: 'default-user', defaultUserOff: 'random-agent' },
  },
  {
    label: 'abandoned call (tickets off)',
    settings: { abandonedCallTickets: false },
    events: (interactionId) => [
      {
        type: 'call.abandoned',
        interactionId,
        channel: 'voice',
        occurredAt: occurredAt(12),
        endUser: sam,
        waitSeconds: 30,
      },
    ],
    expected: { defaultUserOn: 'no-record', defaultUserOff: 'no-record' },
  },
  {
    label: 'chat later assigned to an agent',
    events: (interactionId) => [
      { type: 'chat.started', interactionId, channel: 'chat', occurredAt: occurredAt(15), endUser: jane },
      {
        type: 'agent.assigned',
        interactionId,
        channel: 'chat',
        occurredAt: occurredAt(16),
        endUser: jane,
        agent: alex,
      },
      {
        type: 'interaction.ended',
        interactionId,
        channel: 'chat',
        occurredAt: occurredAt(25),
        endUser: jane,
        agent: alex,
        transcript: 'Jane: Hello\nAlex: Hi Jane, let me check your order.',
        disposition: 'resolved',
      },
    ],
    expected: { defaultUserOn: 'agent', defaultUserOff: 'agent' },
  },
  {
    label: 'agent known by an old address',
    settings: { agentEmailAliases: { 'alex.chat@acme.test': 'alex.agent@acme.test' } },
    events: (interactionId) => [
      {
        type: 'chat.started',
        interactionId,
        channel: 'chat',
        occurredAt: occurredAt(30),
        endUser: jane,
        agent: alexOldAddress,
      },
    ],
    expected: { defaultUserOn: 'agent', defaultUserOff: 'agent' },
  },
  {
    label: 'agent deactivated in the CRM',
    events: (interactionId) => [
      {
        type: 'chat.started',
        interactionId,
        channel: 'chat',
        occurredAt: occurredAt(35),
        endUser: jane,
        agent: gus,
      },
    ],
    expected: { defaultUserOn: 'default-user', defaultUserOff: 'random-agent' },
  },
];
