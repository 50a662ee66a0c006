import type { EndUser, InteractionEvent, PlatformAgent } from '@crm-connect/core';

/**
 * The replayed traffic: a seeded mix of every interaction event a contact-center platform sends,
 * in the shapes it sends them (chats assigned later, chats with an agent from the start,
 * voicemails called back or not, abandoned calls, a chat routed to an agent the CRM has
 * deactivated), for a pool of returning customers. The same seed gives the same traffic.
 */

/** One interaction: its id and its events in the order the platform sends them. */
export interface ScriptedInteraction {
  id: string;
  /** What kind of interaction it is, for reading a failure. */
  kind: InteractionKind;
  events: InteractionEvent[];
}

export type InteractionKind =
  | 'chat assigned later'
  | 'chat with an agent'
  | 'chat without an agent'
  | 'voicemail called back'
  | 'voicemail'
  | 'abandoned call'
  | 'chat to a deactivated agent';

/** How often each kind occurs, out of 100. */
const kindWeights: readonly [InteractionKind, number][] = [
  ['chat assigned later', 30],
  ['chat with an agent', 15],
  ['chat without an agent', 10],
  ['voicemail called back', 15],
  ['voicemail', 10],
  ['abandoned call', 15],
  ['chat to a deactivated agent', 5],
];

/** The seeded agents every sandbox has: Alex and Olga active, Gus deactivated from the start. */
export const platformAgents = {
  alex: { id: 'agent-alex', emails: ['alex.agent@acme.test'] },
  olga: { id: 'agent-olga', emails: ['olga.other@acme.test'] },
  gus: { id: 'agent-gus', emails: ['gus.gone@acme.test'] },
} as const satisfies Record<string, PlatformAgent>;

/** Returning customers: the contact lookups find earlier ones as often as they create new ones. */
const customerPoolSize = 400;

function customer(index: number): EndUser {
  const number = String(index).padStart(4, '0');
  // Some customers are known by email only, some by phone only, most by both.
  const email = index % 5 === 4 ? undefined : `customer${number}@example.com`;
  const phone = index % 5 === 3 ? undefined : `+1555${String(1_000_000 + index).slice(1)}`;
  return {
    name: `Customer ${number}`,
    ...(email === undefined ? {} : { email }),
    ...(phone === undefined ? {} : { phone }),
  };
}

function kindOf(random: () => number): InteractionKind {
  let roll = random() * 100;
  for (const [kind, weight] of kindWeights) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'chat assigned later';
}

/** `count` interactions with ids `{prefix}-{n}`, drawn from `random`. */
export function interactionMix(count: number, random: () => number, prefix: string): ScriptedInteraction[] {
  const interactions: ScriptedInteraction[] = [];
  const start = Date.parse('2026-11-21T08:00:00Z');
  for (let index = 0; index < count; index += 1) {
    const id = `${prefix}-${index + 1}`;
    const kind = kindOf(random);
    const endUser = customer(Math.floor(random() * customerPoolSize));
    const agent = random() < 0.6 ? platformAgents.alex : platformAgents.olga;
    const at = (minute: number) => new Date(start + (index * 7 + minute) * 60_000).toISOString();
    const base = { interactionId: id, endUser };
    const chat = { ...base, channel: 'chat' as const };
    const voice = { ...base, channel: 'voice' as const };
    const ended = (channel: 'chat' | 'voice', minute: number, who: PlatformAgent | undefined) =>
      ({
        type: 'interaction.ended',
        ...base,
        channel,
        occurredAt: at(minute),
        ...(who === undefined ? {} : { agent: who }),
        transcript: `${endUser.name}: Hello, my order has not arrived.\nAgent: Let me check that for you.`,
        disposition: 'resolved',
      }) as const;
    let events: InteractionEvent[];
    switch (kind) {
      case 'chat assigned later':
        events = [
          {
            type: 'chat.started',
            ...chat,
            occurredAt: at(0),
            firstMessage: 'Hello, my order has not arrived.',
          },
          { type: 'agent.assigned', ...chat, occurredAt: at(1), agent },
          ended('chat', 6, agent),
        ];
        break;
      case 'chat with an agent':
        events = [{ type: 'chat.started', ...chat, occurredAt: at(0), agent }, ended('chat', 4, agent)];
        break;
      case 'chat without an agent':
        events = [{ type: 'chat.started', ...chat, occurredAt: at(0) }, ended('chat', 3, undefined)];
        break;
      case 'voicemail called back':
        events = [
          {
            type: 'voicemail.received',
            ...voice,
            occurredAt: at(0),
            durationSeconds: 42,
            transcription: 'Hi, please call me back about my invoice.',
          },
          { type: 'agent.assigned', ...voice, occurredAt: at(2), agent },
          ended('voice', 5, agent),
        ];
        break;
      case 'voicemail':
        events = [{ type: 'voicemail.received', ...voice, occurredAt: at(0), durationSeconds: 12 }];
        break;
      case 'abandoned call':
        events = [{ type: 'call.abandoned', ...voice, occurredAt: at(0), waitSeconds: 95 }];
        break;
      case 'chat to a deactivated agent':
        events = [
          { type: 'chat.started', ...chat, occurredAt: at(0), agent: platformAgents.gus },
          ended('chat', 4, platformAgents.gus),
        ];
        break;
    }
    interactions.push({ id, kind, events });
  }
  return interactions;
}
