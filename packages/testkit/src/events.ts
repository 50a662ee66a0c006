import type { InteractionEvent } from '@crm-connect/core';

/** Event builders for tests: realistic defaults, override what the test is about. */

let sequence = 0;
/** A fresh interaction id per call, so tests never collide through caches. */
export function nextInteractionId(prefix = 'int'): string {
  sequence += 1;
  return `${prefix}-${Date.now().toString(36)}-${sequence}`;
}

const endUser = { name: 'Jane Doe', email: 'jane.doe@example.com', phone: '+15555550100' };

export function chatStarted(overrides: Partial<Extract<InteractionEvent, { type: 'chat.started' }>> = {}) {
  return {
    type: 'chat.started' as const,
    interactionId: nextInteractionId('chat'),
    channel: 'chat' as const,
    occurredAt: '2026-11-21T10:00:00Z',
    endUser,
    firstMessage: 'Hello, my order #123 has not arrived.',
    ...overrides,
  };
}

export function voicemailReceived(
  overrides: Partial<Extract<InteractionEvent, { type: 'voicemail.received' }>> = {},
) {
  return {
    type: 'voicemail.received' as const,
    interactionId: nextInteractionId('vm'),
    channel: 'voice' as const,
    occurredAt: '2026-11-21T10:05:00Z',
    endUser,
    durationSeconds: 42,
    transcription: 'Hi, please call me back about my invoice.',
    ...overrides,
  };
}

export function callAbandoned(
  overrides: Partial<Extract<InteractionEvent, { type: 'call.abandoned' }>> = {},
) {
  return {
    type: 'call.abandoned' as const,
    interactionId: nextInteractionId('call'),
    channel: 'voice' as const,
    occurredAt: '2026-11-21T10:10:00Z',
    endUser,
    waitSeconds: 95,
    ...overrides,
  };
}

export function agentAssigned(
  interactionId: string,
  agentEmails: readonly string[],
  overrides: Partial<Extract<InteractionEvent, { type: 'agent.assigned' }>> = {},
) {
  return {
    type: 'agent.assigned' as const,
    interactionId,
    channel: 'chat' as const,
    occurredAt: '2026-11-21T10:01:00Z',
    endUser,
    agent: { id: 'platform-agent-7', emails: [...agentEmails] },
    ...overrides,
  };
}

export function interactionEnded(
  interactionId: string,
  overrides: Partial<Extract<InteractionEvent, { type: 'interaction.ended' }>> = {},
) {
  return {
    type: 'interaction.ended' as const,
    interactionId,
    channel: 'chat' as const,
    occurredAt: '2026-11-21T10:20:00Z',
    endUser,
    transcript: 'Customer: Hello\nAgent: Hi, how can I help?',
    disposition: 'resolved',
    ...overrides,
  };
}
