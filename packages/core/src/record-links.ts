import { LRUCache } from 'lru-cache';
import type { TicketRef } from './plugin.js';

/**
 * What the connector remembers of each interaction, so later events need no lookup call and a
 * redelivered event writes nothing twice:
 *  - which CRM record the interaction opened, and whether a connector sharing this store created
 *    it (then every note written to it went through this store too);
 *  - each note written to it, by its idempotency key: `pending` from just before the write until
 *    the CRM confirmed it (an attempt may have landed, or still be landing), then `written`.
 *
 * Share one store across every worker of a tenant (the default is one process's memory; a
 * database or Redis implementation makes the guarantees hold across processes). After a miss
 * the connector asks the CRM (`findTicket`, or a note lookup) before writing.
 */
export interface RecordLinkStore {
  get(pluginId: string, interactionId: string): Promise<RecordLink | undefined>;
  set(pluginId: string, interactionId: string, link: RecordLink): Promise<void>;
  noteState(pluginId: string, interactionId: string, noteKey: string): Promise<NoteState | undefined>;
  setNoteState(pluginId: string, interactionId: string, noteKey: string, state: NoteState): Promise<void>;
}

export interface RecordLink {
  ticket: TicketRef;
  /**
   * True when a connector using this store created the record: the store then knows every note
   * written to it. False when it was found on the CRM (created by a process that shares nothing
   * with this one), so a note's absence here proves nothing.
   */
  createdHere: boolean;
  /**
   * When the agent who owns the record now was given it: the `occurredAt` (ms since the epoch) of
   * the assignment applied last, or of the opening event of a record created here for an
   * identified agent. An assignment that happened before it arrived late and must not take the
   * record back. Absent while the default user (or a random agent) owns it, and for a record found
   * on the CRM, whose owner's history this store does not know.
   */
  ownerSetAt?: number | undefined;
}

/**
 * `pending`: a write was started and may have landed; `at` is when its last attempt ended (or
 * started, while it runs), in ms since the epoch, so a redelivery can give a write the CRM is
 * still processing time to land before looking for it. `written`: the CRM confirmed it.
 */
export type NoteState = { status: 'pending'; at: number } | { status: 'written' };

/** An in-memory store bounded to `maxEntries` links and note states (least recently used go first). Default 50,000. */
export function createMemoryRecordLinkStore(maxEntries = 50_000): RecordLinkStore {
  const links = new LRUCache<string, RecordLink>(grownAsUsed(maxEntries));
  const notes = new LRUCache<string, NoteState>(grownAsUsed(maxEntries));
  const linkKey = (pluginId: string, interactionId: string) => `${pluginId}\u0000${interactionId}`;
  const noteKeyOf = (pluginId: string, interactionId: string, noteKey: string) =>
    `${pluginId}\u0000${interactionId}\u0000${noteKey}`;
  return {
    get: async (pluginId, interactionId) => links.get(linkKey(pluginId, interactionId)),
    set: async (pluginId, interactionId, link) => {
      links.set(linkKey(pluginId, interactionId), link);
    },
    noteState: async (pluginId, interactionId, noteKey) =>
      notes.get(noteKeyOf(pluginId, interactionId, noteKey)),
    setNoteState: async (pluginId, interactionId, noteKey, state) => {
      notes.set(noteKeyOf(pluginId, interactionId, noteKey), state);
    },
  };
}

/**
 * Bounded by entry count, but grown as used: lru-cache preallocates `max` slots (800 kB for 50,000,
 * per connector, idle or not), whereas `maxSize` with a size of 1 per entry bounds the same count
 * on storage that grows with what is stored.
 */
export function grownAsUsed(maxEntries: number): { maxSize: number; sizeCalculation: () => number } {
  return { maxSize: maxEntries, sizeCalculation: () => 1 };
}
