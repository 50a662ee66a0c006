import type { InteractionEvent, PlatformAgent } from '@crm-connect/core';
import { type DemoStep, demoSteps } from '@crm-connect/sandbox-crms';

/**
 * The interactions the bench measures are the demo's own (its script, `demoSteps`), with a
 * fresh interaction id each time: a chat started by Jane Doe (known by email and phone) before any
 * agent, a voicemail and an abandoned call from Sam Caller (known by phone only), and a chat later
 * assigned to Alex Agent and ended with a transcript.
 */

/** The event types the calls figure counts, in table order. */
export const measuredEvents = [
  'chat before agent',
  'voicemail',
  'abandoned call',
  'agent assigned',
  'interaction ended',
] as const;
export type MeasuredEvent = (typeof measuredEvents)[number];

function step(label: string): DemoStep {
  const found = demoSteps.find((candidate) => candidate.label === label);
  if (found === undefined) throw new Error(`The demo script has no step "${label}"`);
  return found;
}

const chatStarted = step('chat started, no agent yet');
const voicemail = step('voicemail before its callback');
const abandonedCall = step('abandoned call (tickets on)');
const assignedLater = step('chat later assigned to an agent');

function only(events: InteractionEvent[], type: InteractionEvent['type']): InteractionEvent {
  const found = events.find((event) => event.type === type);
  if (found === undefined) throw new Error(`The demo step has no ${type} event`);
  return found;
}

/** "Chat started before an agent": the event the cost figure times. */
export function chatBeforeAgent(interactionId: string): InteractionEvent {
  return only(chatStarted.events(interactionId), 'chat.started');
}

/** The demo's Alex Agent (alex.agent@acme.test), as the platform names him. */
export const alexAgent: PlatformAgent = (() => {
  const { agent } = only(assignedLater.events('alex'), 'agent.assigned');
  if (agent === undefined) throw new Error('The demo step assigns no agent');
  return agent;
})();

/** "Chat started" with an agent already on it: the agent is identified, and writes as themselves where the CRM allows. */
export function chatWithAgent(interactionId: string, agent: PlatformAgent): InteractionEvent {
  return { ...chatBeforeAgent(interactionId), agent };
}

/** A whole interaction: chat started, agent assigned, interaction ended (the memory figure's unit). */
export function fullInteraction(interactionId: string): InteractionEvent[] {
  return assignedLater.events(interactionId);
}

/**
 * The events of one measured type for an interaction: `setup` must run first (and is not counted),
 * `measured` is the event whose HTTP calls are counted.
 */
export function eventsFor(
  event: MeasuredEvent,
  interactionId: string,
): { setup: InteractionEvent[]; measured: InteractionEvent } {
  const lifecycle = assignedLater.events(interactionId);
  switch (event) {
    case 'chat before agent':
      return { setup: [], measured: chatBeforeAgent(interactionId) };
    case 'voicemail':
      return { setup: [], measured: only(voicemail.events(interactionId), 'voicemail.received') };
    case 'abandoned call':
      return { setup: [], measured: only(abandonedCall.events(interactionId), 'call.abandoned') };
    case 'agent assigned':
      return { setup: [only(lifecycle, 'chat.started')], measured: only(lifecycle, 'agent.assigned') };
    case 'interaction ended':
      return {
        setup: [only(lifecycle, 'chat.started'), only(lifecycle, 'agent.assigned')],
        measured: only(lifecycle, 'interaction.ended'),
      };
  }
}
