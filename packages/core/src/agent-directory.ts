import { LRUCache } from 'lru-cache';
import type { AgentMatch } from './actor-resolution.js';
import type { PlatformAgent } from './events.js';
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
  /** Active assignable users for the legacy random rule, cached like lookups. */
  assignablePool(): Promise<readonly CrmUser[]>;
  /** Forgets everything cached (after an agent was deactivated, say). */
  clear(): void;
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
    max: options.maxEntries ?? 5_000,
    ttl,
    perf,
    ignoreFetchAbort: true,
    fetchMethod: async (email) => ({ user: (await options.lookup.findUserByEmail(email)) ?? null }),
  });
  const pool = new LRUCache<'pool', { users: readonly CrmUser[] }>({
    max: 1,
    ttl,
    perf,
    ignoreFetchAbort: true,
    fetchMethod: async () => ({
      users: (await options.lookup.listAssignableUsers()).filter((user) => user.active),
    }),
  });

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
    async assignablePool() {
      return (await pool.fetch('pool'))?.users ?? [];
    },
    clear() {
      byEmail.clear();
      pool.clear();
    },
  };
}
