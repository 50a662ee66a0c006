import { LRUCache } from 'lru-cache';
import type { AgentMatch } from './actor-resolution.js';
import type { PlatformAgent } from './events.js';
import { grownAsUsed } from './record-links.js';
import type { CrmUser } from './users.js';

/** What the directory needs from a plugin connection. */
export interface UserLookup {
  /** Finds the CRM user with this (lowercased) email, active or not; `undefined` when there is none. */
  findUserByEmail(email: string): Promise<CrmUser | undefined>;
  /** The active users a record may be assigned to, for the legacy random rule. */
  listAssignableUsers(): Promise<readonly CrmUser[]>;
}

export interface AgentDirectoryOptions {
  lookup: UserLookup;
  /**
   * Platform email → CRM email, for agents whose platform address differs from their CRM one
   * (agents who used two addresses before an account merge). Keys and values are compared
   * case-insensitively. Default: none.
   */
  aliases?: Readonly<Record<string, string>> | undefined;
  /** How long a lookup (found or not) is trusted, in ms. Default 5 minutes. */
  ttlMs?: number | undefined;
  /** How many emails are remembered at most. Default 5,000. */
  maxEntries?: number | undefined;
}

export interface AgentDirectory {
  /** Maps a platform agent to a CRM user; deactivated CRM users are never returned as identified. */
  identify(agent: PlatformAgent | undefined): Promise<AgentMatch>;
  /**
   * Active assignable users for the legacy random rule. Listed once, then served from memory:
   * once expired (or after `clear()`), the last pool keeps being served while a new listing runs
   * in the background, so no write waits for a full listing after the first.
   */
  assignablePool(): Promise<readonly CrmUser[]>;
  /** The CRM refused this user (deactivated since listed): never offer them again until a listing made after now. */
  forgetUser(userId: string): void;
  /** Forgets cached lookups, and marks the pool for a background refresh (after an agent was deactivated, say). */
  clear(): void;
  /** Resolves once no listing of the pool is under way (the connector waits for it on close). */
  idle(): Promise<void>;
}

interface CachedLookup {
  user: CrmUser | null;
}

export function createAgentDirectory(options: AgentDirectoryOptions): AgentDirectory {
  const ttl = options.ttlMs ?? 5 * 60_000;
  const aliases = new Map(
    Object.entries(options.aliases ?? {}).map(([from, to]) => [from.toLowerCase(), to.toLowerCase()]),
  );
  // Read the clock through the global at call time (lru-cache would keep the object it saw at load).
  const perf = { now: () => performance.now() };
  // lru-cache's fetch() also collapses concurrent lookups of one email into one CRM call.
  // `ignoreFetchAbort`: clear() (after the CRM refused an owner) or an eviction must not fail the
  // lookups other events are awaiting (lru-cache would reject them with an untyped "deleted"
  // error); they get what the CRM answered, which is not cached after a clear.
  const byEmail = new LRUCache<string, CachedLookup>({
    ...grownAsUsed(options.maxEntries ?? 5_000),
    ttl,
    perf,
    ignoreFetchAbort: true,
    fetchMethod: async (email) => ({ user: (await options.lookup.findUserByEmail(email)) ?? null }),
  });
  const pool = createPool(options.lookup, ttl, perf);

  function candidateEmails(agent: PlatformAgent): string[] {
    const emails: string[] = [];
    for (const email of agent.emails) {
      const lower = email.toLowerCase();
      const alias = aliases.get(lower);
      // The explicit alias wins over the platform address: that is what an admin configured it for.
      if (alias !== undefined && !emails.includes(alias)) emails.push(alias);
      if (!emails.includes(lower)) emails.push(lower);
    }
    return emails;
  }

  return {
    async identify(agent) {
      if (agent === undefined) return { status: 'none' };
      const emails = candidateEmails(agent);
      let deactivated: CrmUser | undefined;
      for (const email of emails) {
        const found = await byEmail.fetch(email);
        const user = found?.user ?? undefined;
        if (user === undefined) continue;
        if (user.active) return { status: 'identified', user };
        deactivated ??= user;
      }
      if (deactivated !== undefined) return { status: 'deactivated', user: deactivated };
      return { status: 'unmapped', emails };
    },
    assignablePool: () => pool.current(),
    forgetUser: (userId) => pool.forget(userId),
    clear() {
      byEmail.clear();
      pool.expire();
    },
    idle: () => pool.idle(),
  };
}

/**
 * The legacy random rule's pool, stale-while-revalidate: listing a large directory takes many
 * pages, so only the very first write waits for it; later ones get the last pool while a new one
 * is listed. A user the CRM refused is left out until a listing started after the refusal.
 */
function createPool(lookup: UserLookup, ttl: number, perf: { now(): number }) {
  let listed: { users: readonly CrmUser[]; at: number } | undefined;
  let listing: Promise<readonly CrmUser[]> | undefined;
  /** User id → when the CRM refused them. */
  const refused = new Map<string, number>();

  function list(): Promise<readonly CrmUser[]> {
    if (listing !== undefined) return listing;
    const startedAt = perf.now();
    listing = lookup
      .listAssignableUsers()
      .then((users) => {
        listed = { users: users.filter((user) => user.active), at: perf.now() };
        for (const [userId, at] of refused) if (at < startedAt) refused.delete(userId);
        return listed.users;
      })
      .finally(() => {
        listing = undefined;
      });
    return listing;
  }

  const offered = (users: readonly CrmUser[]) =>
    refused.size === 0 ? users : users.filter((user) => !refused.has(user.id));

  return {
    async current(): Promise<readonly CrmUser[]> {
      if (listed === undefined) return offered(await list());
      if (perf.now() - listed.at >= ttl) {
        // A failed background listing keeps the last pool; the next expired read tries again.
        list().catch(() => {});
      }
      return offered(listed.users);
    },
    forget(userId: string): void {
      refused.set(userId, perf.now());
    },
    expire(): void {
      if (listed !== undefined) listed = { ...listed, at: Number.NEGATIVE_INFINITY };
    },
    idle: async (): Promise<void> => {
      await listing?.catch(() => {});
    },
  };
}
