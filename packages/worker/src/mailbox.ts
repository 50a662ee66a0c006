import { createHash, randomUUID } from 'node:crypto';
import { type InteractionEvent, openingEventTypes } from '@crm-connect/core';
import { canonicalJson } from '@crm-connect/redis';
import type { Redis } from 'ioredis';

/**
 * The per-interaction mailbox: a Redis list of the interaction's events in arrival order, and a
 * marker holding the token of the one drain job allowed to work on it. Every step that reads and
 * writes more than one key is a Lua script, so producers and drain jobs on any number of
 * processes only ever see each other's steps whole. The interleavings are argued in the README.
 */

/** The Redis keys of one tenant's interaction. Tenant ids hold no `:`, so `<tenant>:<interaction>` is unambiguous. */
export interface MailboxKeys {
  /** The list of entries, oldest first. */
  mailbox: string;
  /** The token of the drain job that owns the mailbox; absent when no drain job is due. */
  marker: string;
  /** How many times each entry was started (entry id → count), for the retry budget and crash loops. */
  attempts: string;
}

export function mailboxKeys(prefix: string, tenantId: string, interactionId: string): MailboxKeys {
  const suffix = `${tenantId}:${interactionId}`;
  return {
    mailbox: `${prefix}mailbox:${suffix}`,
    marker: `${prefix}drain:${suffix}`,
    attempts: `${prefix}attempts:${suffix}`,
  };
}

/** The dedupe claim of one event content for one tenant (the hash covers the interaction id). */
export function seenKey(prefix: string, tenantId: string, event: InteractionEvent): string {
  const digest = createHash('sha256').update(canonicalJson(event)).digest('hex');
  return `${prefix}seen:${tenantId}:${digest}`;
}

/** Entries are `<36-character entry id><JSON>`, so a script reads the id without decoding the event. */
const entryIdLength = 36;

export interface MailboxEntry {
  /** Unique per push: what the pop compares, so a stale drain never removes an entry it did not handle. */
  id: string;
  /** The event as validated by the producer (emails lowercased, unknown fields dropped). */
  event: unknown;
  /** When it was pushed, in ms since the epoch. */
  enqueuedAt: number;
  /** The W3C trace context the event was enqueued in, when there was one. */
  trace?: Record<string, string> | undefined;
}

export function encodeEntry(event: InteractionEvent, now: number, trace?: Record<string, string>): string {
  return `${randomUUID()}${JSON.stringify({ event, enqueuedAt: now, trace })}`;
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Object.entries(value).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/** Decodes an entry; an undecodable one keeps its text as `event`, so it can be dead-lettered as is. */
export function decodeEntry(entry: string): MailboxEntry {
  const id = entry.slice(0, entryIdLength);
  try {
    const parsed = JSON.parse(entry.slice(entryIdLength)) as {
      event?: unknown;
      enqueuedAt?: unknown;
      trace?: unknown;
    };
    return {
      id,
      event: parsed.event,
      enqueuedAt: typeof parsed.enqueuedAt === 'number' ? parsed.enqueuedAt : 0,
      trace: stringRecord(parsed.trace),
    };
  } catch {
    return { id, event: entry.slice(entryIdLength), enqueuedAt: 0 };
  }
}

/**
 * KEYS: seen, mailbox, marker. ARGV: entry, dedupe window (ms), a new drain token.
 * A content seen within the window is not pushed again: `{0, marker or ''}`. Otherwise the entry
 * is appended and the marker is set unless present: `{1, marker}`. Either way the caller makes
 * sure a drain job with the marker's token exists (BullMQ ignores a job id it already has), which
 * also repairs a producer that died between this script and adding the job: the platform
 * redelivers, the redelivery is a duplicate, and the duplicate adds the missing job.
 */
const pushScript = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then
  return {0, redis.call('GET', KEYS[3]) or ''}
end
redis.call('RPUSH', KEYS[2], ARGV[1])
local token = redis.call('GET', KEYS[3])
if token then return {1, token} end
redis.call('SET', KEYS[3], ARGV[3])
return {1, ARGV[3]}
`;

/**
 * KEYS: mailbox, marker, attempts, BullMQ job lock. ARGV: drain token, BullMQ lock token.
 * `{'stale'}`: the marker belongs to another drain job (or none): leave the mailbox alone.
 * `{'lock-lost'}`: BullMQ gave this job to another worker (this one froze past its lock).
 * `{'empty'}`: nothing left; the marker is removed in the same step, so a push from now on sets
 * a new marker and adds a new drain job, and a push before this step is seen here.
 * `{'head', entry, attempt}`: the oldest entry and how many times it was started, this one included.
 */
const peekScript = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {'stale'} end
if redis.call('GET', KEYS[4]) ~= ARGV[2] then return {'lock-lost'} end
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then
  redis.call('DEL', KEYS[2], KEYS[3])
  return {'empty'}
end
local attempt = redis.call('HINCRBY', KEYS[3], string.sub(head, 1, ${entryIdLength}), 1)
return {'head', head, attempt}
`;

/**
 * KEYS: mailbox, marker, attempts, BullMQ job lock. ARGV: drain token, BullMQ lock token, entry id.
 * Removes the head only if this drain job still owns the mailbox and the head is the entry it
 * handled: 1, else 0.
 */
const popScript = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[4]) ~= ARGV[2] then return 0 end
local head = redis.call('LINDEX', KEYS[1], 0)
if not head or string.sub(head, 1, ${entryIdLength}) ~= ARGV[3] then return 0 end
redis.call('LPOP', KEYS[1])
redis.call('HDEL', KEYS[3], ARGV[3])
return 1
`;

/**
 * KEYS: mailbox, marker, BullMQ job lock. ARGV: drain token, BullMQ lock token, an entry.
 * Moves the entry to the head (it must still be in the mailbox): 1, else 0. Only the owner
 * changes the front of the list; producers only append, so nothing else moves meanwhile.
 */
const promoteScript = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return 0 end
if redis.call('LREM', KEYS[1], 1, ARGV[3]) ~= 1 then return 0 end
redis.call('LPUSH', KEYS[1], ARGV[3])
return 1
`;

export type Peek =
  | { kind: 'stale' | 'lock-lost' | 'empty' }
  | { kind: 'head'; entry: MailboxEntry; attempt: number };

/** The mailbox operations, as Lua scripts registered on one client. */
export interface Mailboxes {
  /** Appends unless seen within `dedupeWindowMs`; returns whether it was appended and the drain token to ensure. */
  push(
    keys: MailboxKeys,
    seen: string,
    entry: string,
    dedupeWindowMs: number,
  ): Promise<{ appended: boolean; token: string | undefined }>;
  peek(keys: MailboxKeys, lockKey: string, drainToken: string, lockToken: string): Promise<Peek>;
  pop(
    keys: MailboxKeys,
    lockKey: string,
    drainToken: string,
    lockToken: string,
    entryId: string,
  ): Promise<boolean>;
  /** The first entry after the head whose event opens a record, as stored; looks at up to 100. */
  findOpening(keys: MailboxKeys): Promise<string | undefined>;
  /** Moves that entry to the head, if this drain job still owns the mailbox. */
  promote(
    keys: MailboxKeys,
    lockKey: string,
    drainToken: string,
    lockToken: string,
    entry: string,
  ): Promise<boolean>;
}

type ScriptCommand = (...keysAndArgs: Array<string | number>) => Promise<unknown>;

/**
 * Registers a script with ioredis' `defineCommand` (EVALSHA, the text sent again only after a
 * server restart), named after its hash so clients shared with other packages never clash.
 */
function defineScript(redis: Redis, lua: string, numberOfKeys: number): ScriptCommand {
  const name = `crmConnectWorker${createHash('sha1').update(lua).digest('hex').slice(0, 16)}`;
  const commands = redis as unknown as Record<string, ScriptCommand | undefined>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { lua, numberOfKeys });
  const command = commands[name];
  if (command === undefined) throw new Error(`ioredis did not define the script command ${name}`);
  return (...keysAndArgs) => command.apply(redis, keysAndArgs);
}

export function createMailboxes(redis: Redis): Mailboxes {
  const push = defineScript(redis, pushScript, 3);
  const peek = defineScript(redis, peekScript, 4);
  const pop = defineScript(redis, popScript, 4);
  const promote = defineScript(redis, promoteScript, 3);
  return {
    async push(keys, seen, entry, dedupeWindowMs) {
      const reply = await push(seen, keys.mailbox, keys.marker, entry, dedupeWindowMs, randomUUID());
      if (!Array.isArray(reply) || typeof reply[1] !== 'string') throw new Error('unexpected push reply');
      return { appended: reply[0] === 1, token: reply[1] === '' ? undefined : reply[1] };
    },
    async peek(keys, lockKey, drainToken, lockToken) {
      const reply = await peek(keys.mailbox, keys.marker, keys.attempts, lockKey, drainToken, lockToken);
      if (!Array.isArray(reply)) throw new Error('unexpected peek reply');
      const [kind, entry, attempt] = reply as unknown[];
      if (kind === 'head' && typeof entry === 'string' && typeof attempt === 'number') {
        return { kind, entry: decodeEntry(entry), attempt };
      }
      if (kind === 'stale' || kind === 'lock-lost' || kind === 'empty') return { kind };
      throw new Error('unexpected peek reply');
    },
    async pop(keys, lockKey, drainToken, lockToken, entryId) {
      const reply = await pop(
        keys.mailbox,
        keys.marker,
        keys.attempts,
        lockKey,
        drainToken,
        lockToken,
        entryId,
      );
      return reply === 1;
    },
    async findOpening(keys) {
      const entries = await redis.lrange(keys.mailbox, 1, 100);
      return entries.find((entry) => {
        const { event } = decodeEntry(entry);
        const type = typeof event === 'object' && event !== null && 'type' in event ? event.type : undefined;
        return (openingEventTypes as readonly unknown[]).includes(type);
      });
    },
    async promote(keys, lockKey, drainToken, lockToken, entry) {
      return (await promote(keys.mailbox, keys.marker, lockKey, drainToken, lockToken, entry)) === 1;
    },
  };
}
