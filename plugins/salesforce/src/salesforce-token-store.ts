/**
 * Where the refresh tokens of linked admin connections live. They are secrets, so they never go
 * into settings (which admin screens display and logs may print): the platform implements this
 * store over its own secret storage (encrypted at rest), keyed by org and Salesforce user.
 */

/** Identifies one admin connection: a Salesforce user of one org. */
export interface AdminConnectionKey {
  /** The org ID, 15 characters. */
  orgId: string;
  /** The Salesforce user ID (005…), 18 characters as the API returns it. */
  userId: string;
}

export interface StoredAdminToken {
  /** The OAuth refresh token; register it with the redactor whenever it is read. */
  refreshToken: string;
  /** `inactive` once Salesforce refused the refresh token (revoked, user deactivated). */
  status: 'active' | 'inactive';
  /** Why the connection became inactive, for the admin screen. */
  inactiveReason?: string | undefined;
  /** When the token or its status last changed (ISO 8601). */
  updatedAt: string;
}

/** The platform's storage for admin refresh tokens. Every method may be async (a database, a vault). */
export interface SalesforceTokenStore {
  get(key: AdminConnectionKey): Promise<StoredAdminToken | undefined>;
  set(key: AdminConnectionKey, token: StoredAdminToken): Promise<void>;
  delete(key: AdminConnectionKey): Promise<void>;
  /**
   * Replaces the stored token with `next` only while it is still `expected` (the same refresh
   * token and status, `sameAdminToken`), atomically: in SQL, an `UPDATE … WHERE refresh_token = ?
   * AND status = ?`. True when replaced; false when another process changed or deleted it since it
   * was read. A rotated refresh token and an inactive mark are saved this way, so neither
   * overwrites a newer token.
   */
  compareAndSet(
    key: AdminConnectionKey,
    expected: StoredAdminToken,
    next: StoredAdminToken,
  ): Promise<boolean>;
}

/** What `compareAndSet` compares: the same refresh token and status (`updatedAt` and the reason aside). */
export function sameAdminToken(left: StoredAdminToken, right: StoredAdminToken): boolean {
  return left.refreshToken === right.refreshToken && left.status === right.status;
}

/** A token store in process memory, for tests and the demo: tokens are lost on restart. */
export function createMemoryTokenStore(): SalesforceTokenStore {
  const tokens = new Map<string, StoredAdminToken>();
  const keyOf = (key: AdminConnectionKey) => `${key.orgId}/${key.userId}`;
  return {
    async get(key) {
      const token = tokens.get(keyOf(key));
      return token === undefined ? undefined : { ...token };
    },
    async set(key, token) {
      tokens.set(keyOf(key), { ...token });
    },
    async delete(key) {
      tokens.delete(keyOf(key));
    },
    async compareAndSet(key, expected, next) {
      const current = tokens.get(keyOf(key));
      if (current === undefined || !sameAdminToken(current, expected)) return false;
      tokens.set(keyOf(key), { ...next });
      return true;
    },
  };
}
