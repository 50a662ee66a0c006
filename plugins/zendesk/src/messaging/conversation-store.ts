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
 * next message); values are plain JSON. `createRedisJsonStore` of `@crm-connect/redis` fits.
 *
 * Both writes are atomic, so two processes handling events of one conversation at once never
 * open two interactions for it, nor close one the other just opened.
 */
export interface ConversationStore {
  get(conversationId: string): Promise<OpenInteraction | undefined> | OpenInteraction | undefined;
  /**
   * Stores `open` unless the conversation has an interaction open (Redis `SET NX`, SQL `INSERT …
   * ON CONFLICT DO NOTHING`). `stored`: this one is now open; `value`: the one open either way.
   */
  setIfAbsent(
    conversationId: string,
    open: OpenInteraction,
  ): Promise<{ stored: boolean; value: OpenInteraction }> | { stored: boolean; value: OpenInteraction };
  /**
   * Forgets the conversation's open interaction only while it is still `expected` (compared by
   * content: the same JSON with keys in any order). True when deleted.
   */
  deleteIf(conversationId: string, expected: OpenInteraction): Promise<boolean> | boolean;
}

/** The default: one process's memory, bounded to `maxEntries` conversations (default 10,000; the oldest go first). */
export function createMemoryConversationStore(maxEntries = 10_000): ConversationStore {
  const open = createBoundedMap<OpenInteraction>(maxEntries);
  return {
    get: (conversationId) => open.get(conversationId),
    setIfAbsent(conversationId, interaction) {
      const current = open.get(conversationId);
      if (current !== undefined) return { stored: false, value: current };
      open.set(conversationId, interaction);
      return { stored: true, value: interaction };
    },
    deleteIf(conversationId, expected) {
      const current = open.get(conversationId);
      if (current === undefined || sortedJson(current) !== sortedJson(expected)) return false;
      open.delete(conversationId);
      return true;
    },
  };
}

/** JSON with every object's keys sorted: equal content, equal text. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
