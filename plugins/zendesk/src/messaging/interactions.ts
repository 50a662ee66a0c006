import { createHash } from 'node:crypto';
import { type EndUser, type InteractionEvent, parseInteractionEvent } from '@crm-connect/core';
import { z } from 'zod';
import { channelForSource } from './channels.js';
import {
  type ConversationStore,
  createMemoryConversationStore,
  type OpenInteraction,
} from './conversation-store.js';
import type { SunshineEvent, SunshineUser, SwitchboardIntegration } from './webhook-events.js';

/**
 * Sunshine Conversations events → the core's interaction events (the full table is in the
 * plugin README, "Events into interactions"). In short: a new personal conversation, or the
 * first end-user message of one with nothing open, is `chat.started`, so the connector opens a
 * ticket owned by the default user; a release of control, or a hand-back because Zendesk closed
 * its ticket or moved to email, is `interaction.ended`; control passing between integrations
 * changes no CRM owner; while Zendesk's Agent Workspace is in control nothing is written, since
 * Zendesk writes and assigns its own messaging ticket.
 *
 * Interaction ids are `sunco:<conversation id>:<id of the event that opened it>`: the same event
 * always yields the same id, so a redelivery reaches the connector's idempotency, and a
 * conversation reopened after a release gets a new id, hence a new ticket.
 *
 * The end user is built from what can be trusted: the `externalId` and the email identity of an
 * AUTHENTICATED user only, marked `verified` (an anonymous user types any address or id, and
 * Zendesk would file the ticket under whoever owns it), any display name, the phone number of an
 * SMS client. The profile's email is never used: a user can fill it in (a prechat form, the
 * SDK), while `identities` are read-only and come from the sign-in (messaging JWT, help center).
 */

export interface MessagingInteractionsOptions {
  /** Receives each interaction event, e.g. `(event) => connector.handle(event)`. A rejection leaves the Sunshine event unhandled, so it is delivered again. Required. */
  onInteraction: (event: InteractionEvent) => Promise<unknown> | unknown;
  /** The conversations with an open interaction. Default: in memory, 10,000 conversations. */
  conversations?: ConversationStore | undefined;
  /** Switchboard `integrationType`s that are Zendesk's own agents. Default `['zd:agentWorkspace']`. */
  agentWorkspaceTypes?: readonly string[] | undefined;
  /** The clock (ms since 1970) for an event without a usable `createdAt`. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** What one Sunshine event led to. */
export type InteractionOutcome =
  | { interaction: InteractionEvent; ignored?: undefined }
  | { interaction?: undefined; ignored: string };

export interface MessagingInteractions {
  /** The receiver's `onEvent`: maps the event and hands the interaction over. */
  handle(event: SunshineEvent): Promise<InteractionOutcome>;
}

type Decision =
  | { action: 'open'; open: OpenInteraction; event: InteractionEvent }
  | { action: 'close'; open: OpenInteraction; event: InteractionEvent }
  | { action: 'none'; reason: string };

const timestampSchema = z.iso.datetime({ offset: true });
const emailSchema = z.email().max(254);
const e164 = /^\+[1-9]\d{6,14}$/;

/** Ids go into the interaction id, hence into URLs and Zendesk's external_id: an unexpected one is hashed. */
function safeId(value: string): string {
  return /^[A-Za-z0-9_-]{1,56}$/.test(value)
    ? value
    : createHash('sha256').update(value).digest('hex').slice(0, 32);
}

/** A display text, trimmed and cut to the core's 255 characters. */
function text(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, 255) : undefined;
}

/** An identifier is used whole or not at all: a cut one would name someone else. */
function identifier(value: string | null | undefined, max: number): string | undefined {
  const trimmed = value?.trim();
  return trimmed && trimmed.length <= max ? trimmed : undefined;
}

function endUserOf(
  user: SunshineUser | null | undefined,
  names: readonly (string | null | undefined)[],
  phone: string | null | undefined,
  fallbackId: string,
): EndUser {
  const authenticated = user?.authenticated === true;
  const profile = user?.profile;
  const profileName = [profile?.givenName, profile?.surname]
    .map((part) => text(part))
    .filter(Boolean)
    .join(' ');
  const identity = user?.identities?.find((candidate) => candidate.type === 'email')?.value;
  const email = authenticated ? identifier(identity, 254)?.toLowerCase() : undefined;
  const verifiedEmail = email !== undefined && emailSchema.safeParse(email).success ? email : undefined;
  const externalId = authenticated ? identifier(user?.externalId, 255) : undefined;
  const endUser: EndUser = {
    name: text(profileName) ?? names.map((name) => text(name)).find((name) => name !== undefined),
    email: verifiedEmail,
    phone: phone != null && e164.test(phone) ? phone : undefined,
    externalId,
    verified: externalId !== undefined || verifiedEmail !== undefined ? true : undefined,
  };
  const known = Object.fromEntries(
    Object.entries(endUser).filter(([, value]) => value !== undefined),
  ) as EndUser;
  // The core needs one way to name the customer; an anonymous visitor gets their Sunshine user id.
  return Object.keys(known).length > 0 ? known : { name: `Messaging user ${fallbackId}` };
}

/** A message's content as the first comment: its text, else its type and link. */
function messageText(
  content: { type: string; text?: string | undefined; mediaUrl?: string | undefined } | undefined,
) {
  if (content === undefined) return undefined;
  if (content.text?.trim()) return content.text.slice(0, 65_536);
  return content.mediaUrl === undefined
    ? `(${content.type} message)`
    : `(${content.type}) ${content.mediaUrl}`;
}

export function createMessagingInteractions(options: MessagingInteractionsOptions): MessagingInteractions {
  const conversations = options.conversations ?? createMemoryConversationStore();
  const agentWorkspaceTypes = new Set(options.agentWorkspaceTypes ?? ['zd:agentWorkspace']);
  const now = options.now ?? Date.now;
  // Events of one conversation are mapped one after the other, so two deliveries racing cannot both be "the first".
  const inFlight = new Map<string, Promise<unknown>>();

  const isAgentWorkspace = (integration: SwitchboardIntegration | null | undefined) =>
    integration?.integrationType !== undefined && agentWorkspaceTypes.has(integration.integrationType);

  const occurredAt = (...candidates: (string | undefined)[]) =>
    candidates.find((value) => value !== undefined && timestampSchema.safeParse(value).success) ??
    new Date(now()).toISOString();

  /** The interaction an event opens: the same event always opens the same one. */
  const interactionIdOf = (conversationId: string, event: SunshineEvent) =>
    `sunco:${safeId(conversationId)}:${safeId(event.id)}`;

  /**
   * Whether another interaction than the one `event` would open is open. The event's own (a
   * redelivery, or a hand-over that failed or was cut short) is not: it is handed over again, and
   * the connector finds the ticket it may already have opened.
   */
  const otherOpen = (open: OpenInteraction | undefined, conversationId: string, event: SunshineEvent) =>
    open !== undefined && open.interactionId !== interactionIdOf(conversationId, event);

  function opening(
    event: SunshineEvent,
    conversationId: string,
    details: { channel: string | undefined; endUser: EndUser; at: string; firstMessage?: string | undefined },
  ): Decision {
    const open: OpenInteraction = {
      interactionId: interactionIdOf(conversationId, event),
      channel: channelForSource(details.channel),
      endUser: details.endUser,
    };
    const interaction = parseInteractionEvent({
      type: 'chat.started',
      ...open,
      occurredAt: details.at,
      firstMessage: details.firstMessage,
    });
    return { action: 'open', open, event: interaction };
  }

  function closing(event: SunshineEvent, open: OpenInteraction | undefined, disposition: string): Decision {
    if (open === undefined) return { action: 'none', reason: 'no interaction is open for this conversation' };
    const interaction = parseInteractionEvent({
      type: 'interaction.ended',
      ...open,
      occurredAt: occurredAt(event.createdAt),
      disposition,
    });
    return { action: 'close', open, event: interaction };
  }

  function decide(event: SunshineEvent, open: OpenInteraction | undefined): Decision {
    switch (event.type) {
      case 'conversation:create': {
        const { conversation, user, source } = event.payload;
        if (conversation.type === 'sdkGroup')
          return { action: 'none', reason: 'a group conversation has no single end user' };
        if (otherOpen(open, conversation.id, event))
          return { action: 'none', reason: 'an interaction is already open' };
        if (isAgentWorkspace(conversation.activeSwitchboardIntegration)) {
          return {
            action: 'none',
            reason: 'the Agent Workspace is in control: Zendesk writes its own ticket',
          };
        }
        return opening(event, conversation.id, {
          channel: source?.type,
          endUser: endUserOf(
            user,
            [source?.client?.displayName],
            source?.client?.externalId,
            user?.id ?? conversation.id,
          ),
          at: occurredAt(event.createdAt),
        });
      }
      case 'conversation:message': {
        const { conversation, message } = event.payload;
        if (message.author?.type !== 'user')
          return { action: 'none', reason: 'not a message from the end user' };
        if (conversation.type === 'sdkGroup')
          return { action: 'none', reason: 'a group conversation has no single end user' };
        if (otherOpen(open, conversation.id, event))
          return { action: 'none', reason: 'an interaction is already open' };
        if (isAgentWorkspace(conversation.activeSwitchboardIntegration)) {
          return {
            action: 'none',
            reason: 'the Agent Workspace is in control: Zendesk writes its own ticket',
          };
        }
        const { author, source } = message;
        return opening(event, conversation.id, {
          channel: source?.type,
          endUser: endUserOf(
            author.user,
            [author.displayName, source?.client?.displayName],
            source?.client?.externalId,
            author.user?.id ?? author.userId ?? conversation.id,
          ),
          at: occurredAt(message.received, event.createdAt),
          firstMessage: messageText(message.content),
        });
      }
      case 'switchboard:passControl':
      case 'switchboard:acceptControl': {
        const { conversation } = event.payload;
        const reason = event.type === 'switchboard:passControl' ? event.payload.reason : undefined;
        if (reason === 'ticketClosed') {
          return closing(event, open, 'Messaging conversation handed back: the Zendesk ticket was closed');
        }
        if (reason === 'transferToEmail')
          return closing(event, open, 'Messaging conversation moved to email');
        if (isAgentWorkspace(conversation.activeSwitchboardIntegration)) {
          return {
            action: 'none',
            reason: 'control passed to the Agent Workspace: Zendesk agents own the conversation',
          };
        }
        return {
          action: 'none',
          reason: 'control passed to another integration: the ticket keeps its owner',
        };
      }
      case 'switchboard:releaseControl':
        return closing(event, open, 'Messaging conversation released: no integration is in control');
      default:
        return { action: 'none', reason: `${event.type} does not change who owns the conversation` };
    }
  }

  async function handleInOrder(event: SunshineEvent, conversationId: string): Promise<InteractionOutcome> {
    const open = (await conversations.get(conversationId)) ?? undefined;
    const decision = decide(event, open);
    if (decision.action === 'none') return { ignored: decision.reason };
    if (decision.action === 'open') {
      // Recorded before the hand-over, atomically: of two processes opening one conversation at
      // once (its create and first message, say), one records its interaction and hands it over;
      // the other finds it and opens nothing. A failed hand-over leaves it recorded, and the
      // event's redelivery hands the same interaction over again.
      const { value } = await conversations.setIfAbsent(conversationId, decision.open);
      if (value.interactionId !== decision.open.interactionId) {
        return { ignored: 'an interaction is already open' };
      }
    }
    await options.onInteraction(decision.event);
    // Only the interaction that was read: never one another process opened since.
    if (decision.action === 'close') await conversations.deleteIf(conversationId, decision.open);
    return { interaction: decision.event };
  }

  return {
    async handle(event) {
      const conversation =
        event.payload && 'conversation' in event.payload ? event.payload.conversation : undefined;
      const conversationId =
        typeof conversation === 'object' && conversation !== null && 'id' in conversation
          ? conversation.id
          : undefined;
      if (typeof conversationId !== 'string') return { ignored: `${event.type} names no conversation` };
      const previous = inFlight.get(conversationId) ?? Promise.resolve();
      const current = previous.then(
        () => handleInOrder(event, conversationId),
        () => handleInOrder(event, conversationId),
      );
      inFlight.set(conversationId, current);
      try {
        return await current;
      } finally {
        if (inFlight.get(conversationId) === current) inFlight.delete(conversationId);
      }
    },
  };
}
