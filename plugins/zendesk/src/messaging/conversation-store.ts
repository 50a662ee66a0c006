import type { Channel, EndUser } from '@crm-connect/core';
import { createBoundedMap } from './bounded-map.js';

/** The interaction a messaging conversation has open, with what its later events must repeat. */
export interface OpenInteraction {
  interactionId: string;
  channel: Channel;
  endUser: EndUser;
}

/**
 * Which Sunshine conversations have an interaction open. It is what makes "the first message
 * from the end user" first, and lets a later release of control end the right interaction.
 * Implement it over a shared database when several processes receive the webhook, or when a
 * restart must not forget open conversations (a forgotten one would open a second ticket at its
 * next message); values are plain JSON.
 */
export interface ConversationStore {
  get(conversationId: string): Promise<OpenInteraction | undefined> | OpenInteraction | undefined;
  set(conversationId: string, open: OpenInteraction): Promise<void> | void;
  delete(conversationId: string): Promise<void> | void;
}

/** The default: one process's memory, bounded to `maxEntries` conversations (default 10,000; the oldest go first). */
export function createMemoryConversationStore(maxEntries = 10_000): ConversationStore {
  const open = createBoundedMap<OpenInteraction>(maxEntries);
  return {
    get: (conversationId) => open.get(conversationId),
    set: (conversationId, interaction) => open.set(conversationId, interaction),
    delete: (conversationId) => open.delete(conversationId),
  };
}
