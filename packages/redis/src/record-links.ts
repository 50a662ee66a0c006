import type { NoteState, RecordLinkStore } from '@crm-connect/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { day, positiveMs } from './durations.js';
import { defaultPrefix, keySegment } from './keys.js';
import { callRedis, unexpectedValue } from './redis-errors.js';
import { defineScript } from './scripts.js';

export interface RedisRecordLinkStoreOptions {
  /** The client, shared by every worker of the tenants. Required. */
  redis: Redis;
  /** Prepended to every key. Default `crm-connect:`. */
  prefix?: string | undefined;
  /** How long a link is kept after it was last set, in ms. Default 30 days. */
  linkTtlMs?: number | undefined;
  /** How long an interaction's note states are kept after the last one changed, in ms. Default 30 days. */
  noteTtlMs?: number | undefined;
}

const recordLinkSchema = z.object({
  ticket: z.object({
    id: z.string(),
    contactId: z.string().optional(),
    url: z.string().optional(),
  }),
  createdHere: z.boolean(),
  ownerSetAt: z.number().optional(),
});

const noteStateSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('pending'), at: z.number() }),
  z.object({ status: z.literal('written') }),
]);

const writtenState = JSON.stringify({ status: 'written' });

/** One form per state, so the script can recognise `written`. */
function serializeNoteState(state: NoteState): string {
  return state.status === 'written' ? writtenState : JSON.stringify({ status: 'pending', at: state.at });
}

/**
 * Sets one note's state and starts the interaction's note TTL again. A note once `written` stays
 * so: a process that read `pending` before another's write was confirmed must not make the
 * confirmed note look unconfirmed (that would only cost a lookup, but it is never true).
 */
const setNoteStateScript = `
if ARGV[2] ~= '${writtenState}' and redis.call('HGET', KEYS[1], ARGV[1]) == '${writtenState}' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * Core's `RecordLinkStore` in Redis, so every worker knows which record an interaction opened and
 * which of its notes were written. Links are strings (`<prefix>link:<plugin>:<interaction>`);
 * an interaction's note states are one hash (`<prefix>notes:<plugin>:<interaction>`, a field per
 * note key). Both expire (30 days by default) after their last write. A failed call throws a
 * retryable `redis_unavailable` error: the connector then fails the event, to be delivered again,
 * rather than write without knowing what was written.
 */
export function createRedisRecordLinkStore(options: RedisRecordLinkStoreOptions): RecordLinkStore {
  const { redis } = options;
  const prefix = options.prefix ?? defaultPrefix;
  const linkTtlMs = positiveMs('linkTtlMs', options.linkTtlMs ?? 30 * day);
  const noteTtlMs = positiveMs('noteTtlMs', options.noteTtlMs ?? 30 * day);
  const setNoteState = defineScript(redis, setNoteStateScript, 1);
  const linkKey = (pluginId: string, interactionId: string) =>
    `${prefix}link:${keySegment(pluginId)}:${interactionId}`;
  const notesKey = (pluginId: string, interactionId: string) =>
    `${prefix}notes:${keySegment(pluginId)}:${interactionId}`;

  return {
    async get(pluginId, interactionId) {
      const key = linkKey(pluginId, interactionId);
      const stored = await callRedis('read a record link', () => redis.get(key));
      return stored === null ? undefined : parseStored(key, stored, recordLinkSchema, 'a record link');
    },
    async set(pluginId, interactionId, link) {
      const key = linkKey(pluginId, interactionId);
      const value = JSON.stringify(link);
      await callRedis('save a record link', () => redis.set(key, value, 'PX', linkTtlMs));
    },
    async noteState(pluginId, interactionId, noteKey) {
      const key = notesKey(pluginId, interactionId);
      const stored = await callRedis('read a note state', () => redis.hget(key, noteKey));
      return stored === null
        ? undefined
        : parseStored(`${key} (field ${noteKey})`, stored, noteStateSchema, 'a note state');
    },
    async setNoteState(pluginId, interactionId, noteKey, state) {
      const key = notesKey(pluginId, interactionId);
      const value = serializeNoteState(state);
      await callRedis('save a note state', () => setNoteState([key], [noteKey, value, noteTtlMs]));
    },
  };
}

function parseStored<T>(key: string, stored: string, schema: z.ZodType<T>, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(stored);
  } catch (error) {
    throw unexpectedValue(key, what, error);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw unexpectedValue(key, what, parsed.error);
  return parsed.data;
}
