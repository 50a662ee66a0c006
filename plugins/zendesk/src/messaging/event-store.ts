import { createBoundedMap } from './bounded-map.js';

/**
 * Which Sunshine Conversations webhook events were already handled. Sunshine retries a delivery
 * up to 5 times over 15 minutes (any non-2xx answer but 400, 401, 403, 404 and 406, or no answer
 * within 20 s), always with the same event ids, so the receiver claims an id before handing the
 * event over and completes it only once the handler succeeded.
 *
 * Implement it over a shared database (Redis `SET NX` with a TTL of at least 15 minutes for
 * `claim`, a plain `SET` for `complete`, `DEL` for `release`) when several processes receive the
 * webhook or a restart must not forget what was handled.
 */
export interface WebhookEventStore {
  /**
   * Reserves an event id. `claimed`: the caller handles the event now. `processed`: it was handled
   * before. `processing`: another delivery is handling it right now.
   */
  claim(eventId: string): Promise<ClaimResult> | ClaimResult;
  /** The claimed event was handled: every later delivery of it is a duplicate. */
  complete(eventId: string): Promise<void> | void;
  /** Handling failed: forget the claim, so Sunshine's next delivery is handled again. */
  release(eventId: string): Promise<void> | void;
}

export type ClaimResult = 'claimed' | 'processed' | 'processing';

/**
 * The default store: one process's memory, bounded to `maxEntries` ids (default 10,000; the
 * oldest go first). Size it above the events one app receives in 15 minutes, Sunshine's retry
 * window: an id forgotten earlier could be handled twice if Sunshine delivered it again.
 */
export function createMemoryWebhookEventStore(maxEntries = 10_000): WebhookEventStore {
  const states = createBoundedMap<'processing' | 'processed'>(maxEntries);
  return {
    claim(eventId) {
      const state = states.get(eventId);
      if (state !== undefined) return state;
      states.set(eventId, 'processing');
      return 'claimed';
    },
    complete(eventId) {
      states.set(eventId, 'processed');
    },
    release(eventId) {
      states.delete(eventId);
    },
  };
}
