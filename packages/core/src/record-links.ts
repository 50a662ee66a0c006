import { LRUCache } from 'lru-cache';
import type { TicketRef } from './plugin.js';

/**
 * Remembers which CRM record each interaction opened, so later events (agent assigned,
 * interaction ended) need no lookup call. Implement it over the platform's database to share it
 * across processes; after a miss the connector asks the CRM (`findTicket`).
 */
export interface RecordLinkStore {
  get(pluginId: string, interactionId: string): Promise<TicketRef | undefined>;
  set(pluginId: string, interactionId: string, ticket: TicketRef): Promise<void>;
}

/** An in-memory store bounded to `maxEntries` (least recently used go first). Default 50,000. */
export function createMemoryRecordLinkStore(maxEntries = 50_000): RecordLinkStore {
  const links = new LRUCache<string, TicketRef>({ max: maxEntries });
  return {
    get: async (pluginId, interactionId) => links.get(`${pluginId}\u0000${interactionId}`),
    set: async (pluginId, interactionId, ticket) => {
      links.set(`${pluginId}\u0000${interactionId}`, ticket);
    },
  };
}
