import type { InteractionEvent } from '@crm-connect/core';

/** Interaction events as a contact-center platform sends them: realistic defaults, override what a test is about. */

let sequence = 0;
/** A fresh interaction id per call, so tests never meet each other's records. */
export function interactionId(prefix: string): string {
  sequence += 1;
  return `${prefix}-${process.pid}-${sequence}`;
}

export const jane = { name: 'Jane Doe', email: 'jane.doe@example.com', phone: '+15555550100' };

type EventOf<TType extends InteractionEvent['type']> = Extract<InteractionEvent, { type: TType }>;

export function chatStarted(overrides: Partial<EventOf<'chat.started'>> = {}): EventOf<'chat.started'> {
  return {
    type: 'chat.started',
    interactionId: interactionId('chat'),
    channel: 'chat',
    occurredAt: '2026-11-21T10:00:00Z',
    endUser: jane,
    firstMessage: 'Hello, my order #123 has not arrived.',
    ...overrides,
  };
}

export function voicemailReceived(
  overrides: Partial<EventOf<'voicemail.received'>> = {},
): EventOf<'voicemail.received'> {
  return {
    type: 'voicemail.received',
    interactionId: interactionId('vm'),
    channel: 'voice',
    occurredAt: '2026-11-21T10:05:00Z',
    endUser: { name: 'Carl Caller', phone: '+15555550199' },
    durationSeconds: 42,
    transcription: 'Hi, please call me back about my invoice.',
    ...overrides,
  };
}

export function agentAssigned(id: string, email: string): EventOf<'agent.assigned'> {
  return {
    type: 'agent.assigned',
    interactionId: id,
    channel: 'chat',
    occurredAt: '2026-11-21T10:01:00Z',
    endUser: jane,
    agent: { id: `platform-${email}`, emails: [email] },
  };
}

export function interactionEnded(id: string, email?: string): EventOf<'interaction.ended'> {
  return {
    type: 'interaction.ended',
    interactionId: id,
    channel: 'chat',
    occurredAt: '2026-11-21T10:20:00Z',
    endUser: jane,
    ...(email === undefined ? {} : { agent: { id: `platform-${email}`, emails: [email] } }),
    transcript: 'Customer: Hello\nAgent: Hi, how can I help?',
    disposition: 'resolved',
  };
}

/** An agent as the platform knows them, by their (seeded) email. */
export function platformAgent(email: string) {
  return { id: `platform-${email}`, emails: [email] };
}
