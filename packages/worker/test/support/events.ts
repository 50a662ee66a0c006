import type { AgentAssigned, ChatStarted, InteractionEnded } from '@crm-connect/core';
import { agents } from './fake-crm.js';

/** Interaction events as a platform sends them; each call a distinct content (its own `occurredAt`). */

let sequence = 0;
/** A fresh interaction id per call, so tests never meet each other's mailboxes. */
export function newInteractionId(prefix = 'chat'): string {
  sequence += 1;
  return `${prefix}-${process.pid}-${sequence}`;
}

let second = 0;
/** A distinct time per event, so two events never have the same content by accident. */
function nextTime(): string {
  second += 1;
  return new Date(Date.UTC(2026, 10, 21, 10, 0, 0) + second * 1_000).toISOString();
}

const endUser = { name: 'Jane Doe', email: 'jane.doe@example.com' };

export function chatStarted(interactionId: string): ChatStarted {
  return {
    type: 'chat.started',
    interactionId,
    channel: 'chat',
    occurredAt: nextTime(),
    endUser,
    firstMessage: 'Hello, my order has not arrived.',
  };
}

/** `agent` is 1 to 4: the fake CRM's `agent-<n>`. */
export function agentAssigned(interactionId: string, agent: number): AgentAssigned {
  const email = agents[agent - 1]?.email ?? 'nobody@acme.test';
  return {
    type: 'agent.assigned',
    interactionId,
    channel: 'chat',
    occurredAt: nextTime(),
    endUser,
    agent: { id: `platform-agent-${agent}`, emails: [email] },
  };
}

export function interactionEnded(interactionId: string): InteractionEnded {
  return {
    type: 'interaction.ended',
    interactionId,
    channel: 'chat',
    occurredAt: nextTime(),
    endUser,
    notes: 'Refund issued.',
    disposition: 'resolved',
  };
}
