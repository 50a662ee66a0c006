import { TransportError } from '@crm-connect/core';
import { z } from 'zod';
import { sameId, toId15 } from './salesforce-ids.js';
import {
  type OAuthClientConfig,
  onOrgDomain,
  ownerOfIdentityUrl,
  ownerOfToken,
  RevokedTokenError,
  refreshAccessToken,
  type SalesforceToken,
  type TokenOwner,
} from './salesforce-oauth.js';
import { pluginId } from './salesforce-plugin-id.js';
import {
  type AdminConnectionKey,
  type SalesforceTokenStore,
  type StoredAdminToken,
  sameAdminToken,
} from './salesforce-token-store.js';

/**
 * Refreshing an admin's access token once across processes. With refresh-token rotation every
 * refresh spends the refresh token it was given: two processes refreshing the same admin at once
 * leave one of them with `invalid_grant`, which reads like a revoked admin. So a refresh runs
 * under a lock per admin; after taking it, the shared access-token cache (another process may
 * have just refreshed) and the token store (the refresh token may have rotated) are read again;
 * the rotated refresh token is saved with compare-and-set; and an `invalid_grant` marks the admin
 * inactive only if the store still holds the refresh token that was refused.
 */

/** How long a lock is held unless extended, and how long to wait for it, in ms. */
export interface RefreshLockOptions {
  /** A holder that dies lets the lock go after this. */
  ttlMs: number;
  /** How long to wait while another holds it. */
  waitMs?: number | undefined;
}

/**
 * One holder at a time per name, across every process sharing it (`createRedisLocks` of
 * `@crm-connect/redis` fits): taken with an owner token, extended while `task` runs, released
 * after. `signal` aborts when the lock is lost; `withLock` rejects (retryably) when it cannot be
 * taken within `waitMs`.
 */
export interface SalesforceRefreshLock {
  withLock<T>(
    name: string,
    task: (signal: AbortSignal) => Promise<T>,
    options: RefreshLockOptions,
  ): Promise<T>;
}

/**
 * Access tokens shared by every process, so one refresh serves them all (`createRedisTokenCache`
 * of `@crm-connect/redis` fits). Values are secrets.
 */
export interface SalesforceAccessTokenCache {
  get(key: string): Promise<string | undefined>;
  /** Caches `value` for `ttlMs`. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Forgets the entry only while it still holds `value` (a fresher one stays). True when deleted. */
  deleteIf(key: string, value: string): Promise<boolean>;
}

/** Locks within one process: each name's holders run one after the other (a holder never loses it). */
export function createMemoryRefreshLock(): SalesforceRefreshLock {
  const tails = new Map<string, Promise<void>>();
  const never = new AbortController().signal;
  return {
    async withLock(name, task) {
      const previous = tails.get(name) ?? Promise.resolve();
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = previous.then(() => held);
      tails.set(name, tail);
      await previous;
      try {
        return await task(never);
      } finally {
        release();
        if (tails.get(name) === tail) tails.delete(name);
      }
    },
  };
}

/** Access tokens in one process's memory, each kept for its `ttlMs`. */
export function createMemoryAccessTokenCache(): SalesforceAccessTokenCache {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry !== undefined && entry.expiresAt <= Date.now()) entries.delete(key);
    return entries.get(key)?.value;
  };
  return {
    async get(key) {
      return live(key);
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    },
    async deleteIf(key, value) {
      if (live(key) !== value) return false;
      entries.delete(key);
      return true;
    },
  };
}

/** What a refresh shares with the other processes. */
export interface RefreshCoordination {
  tokenStore: SalesforceTokenStore;
  lock: SalesforceRefreshLock;
  /** Read before refreshing and filled after; none for a credential or health check, which always ask Salesforce. */
  cache?: SalesforceAccessTokenCache | undefined;
}

/** An access token of a linked admin, and where the org's REST API and the admin's identity live. */
export interface AdminAccess {
  accessToken: string;
  /** Without a trailing slash. */
  instanceUrl: string;
  identityUrl: string;
}

export type AdminAccessOutcome =
  /** `cached`: the cache entry holding it, to drop with `forgetAccess` after a 401. */
  | { kind: 'access'; access: AdminAccess; cached?: string | undefined }
  | { kind: 'missing' }
  | { kind: 'inactive'; reason: string | undefined }
  /** Salesforce refused the stored refresh token (and no other process had rotated it). */
  | { kind: 'refused'; error: RevokedTokenError; reason: string }
  /** The token belongs to another org or user than the link says. */
  | { kind: 'wrong-owner'; owner: TokenOwner };

export interface AdminAccessRequest {
  key: AdminConnectionKey;
  oauth: OAuthClientConfig;
  /** Mark the admin inactive in the store when Salesforce refuses its refresh token (the connector does; checks only report). */
  markInactive: boolean;
  /** Refresh an admin the store marks inactive too (the health check does, to report what Salesforce says now). */
  evenInactive?: boolean | undefined;
}

/**
 * How long a cached access token is used, in ms: Salesforce gives no expiry with it, and the
 * shortest session timeout an org can set is 15 minutes. A token that expired sooner gets a 401,
 * and the next refresh replaces it.
 */
export const accessTokenTtlMs = 15 * 60_000;

/** Longer than one refresh takes (a Redis lock is extended while it runs); waiters give up a little later. */
const lockOptions: RefreshLockOptions = { ttlMs: 30_000, waitMs: 35_000 };

/** Refreshes with a refresh token another process rotated meanwhile; more means no lock is shared. */
const maxRefreshes = 3;

const cachedAccessSchema = z.object({
  accessToken: z.string().min(1),
  instanceUrl: z.string(),
  identityUrl: z.string(),
});

const cacheKeyOf = (key: AdminConnectionKey) => `${key.orgId}:${key.userId}`;

/** An access token for the admin: from the shared cache, else refreshed once under the admin's lock. */
export async function adminAccess(
  coordination: RefreshCoordination,
  request: AdminAccessRequest,
): Promise<AdminAccessOutcome> {
  const { tokenStore, cache } = coordination;
  const { key, oauth } = request;
  const { logger, redactor } = oauth.context;
  const cacheKey = cacheKeyOf(key);

  /** The cached token, if it is one this admin may use. A failing cache fails the call: no lock-free refresh. */
  async function fromCache(): Promise<AdminAccessOutcome | undefined> {
    if (cache === undefined) return undefined;
    const entry = await cache.get(cacheKey);
    if (entry === undefined) return undefined;
    const access = readCachedAccess(entry, key, oauth.loginUrl);
    if (access === undefined) {
      logger.log('warn', 'salesforce cached access token ignored: not a token of this admin and org', {
        userId: key.userId,
      });
      return undefined;
    }
    // As long as a token read from Salesforce: this process may keep using it past the cache's TTL.
    redactor.add(access.accessToken, { expiresInMs: 24 * 60 * 60_000 });
    return { kind: 'access', access, cached: entry };
  }

  /** Saves a rotated refresh token, unless another process changed the stored one since `stored` was read. */
  async function saveRotated(stored: StoredAdminToken, token: SalesforceToken): Promise<boolean> {
    if (token.refresh_token === undefined || token.refresh_token === stored.refreshToken) return true;
    const rotated = { ...stored, refreshToken: token.refresh_token, updatedAt: new Date().toISOString() };
    if (await tokenStore.compareAndSet(key, stored, rotated)) return true;
    const current = await tokenStore.get(key);
    if (current?.status === 'inactive' && current.refreshToken === stored.refreshToken) {
      // A process without the lock was refused the token this refresh spent, and took the race
      // for a revocation: this refresh proves the grant works, so the admin is put back.
      const restored = { ...rotated, status: 'active' as const, inactiveReason: undefined };
      if (await tokenStore.compareAndSet(key, current, restored)) {
        logger.log('info', 'salesforce admin marked inactive during a refresh race is active again', {
          userId: key.userId,
        });
        return true;
      }
    }
    // Relinked or unlinked meanwhile: the stored token is newer than this one and stays.
    logger.log('warn', 'salesforce rotated refresh token not saved: the stored token changed meanwhile', {
      userId: key.userId,
    });
    return false;
  }

  const cached = await fromCache();
  if (cached !== undefined) return cached;
  return coordination.lock.withLock(
    `salesforce-refresh:${key.orgId}:${key.userId}`,
    async (signal) => {
      // Another process may have refreshed while this one waited for the lock.
      const refreshed = await fromCache();
      if (refreshed !== undefined) return refreshed;
      // Read under the lock: the refresh token may have rotated since any earlier read.
      let stored = await tokenStore.get(key);
      for (let refreshes = 0; ; ) {
        if (stored === undefined) return { kind: 'missing' };
        if (stored.status === 'inactive' && request.evenInactive !== true) {
          return { kind: 'inactive', reason: stored.inactiveReason };
        }
        if (refreshes === maxRefreshes) throw contended(key, refreshes);
        refreshes += 1;
        redactor.add(stored.refreshToken);
        // The lock was lost (its store unreachable, this process frozen): spend no refresh token
        // another holder may be spending now.
        signal.throwIfAborted();
        let token: SalesforceToken;
        try {
          token = await refreshAccessToken(oauth, stored.refreshToken);
        } catch (error) {
          if (!(error instanceof RevokedTokenError)) throw error;
          const reason = `Salesforce refused its refresh token (${error.oauthError}): revoked, expired, or the user was deactivated`;
          // Another process (one not sharing the lock) may have rotated it meanwhile: then the
          // admin is fine, and the token it saved is the one to use.
          let latest = await tokenStore.get(key);
          if (latest !== undefined && sameAdminToken(latest, stored) && request.markInactive) {
            const inactive: StoredAdminToken = {
              ...stored,
              status: 'inactive',
              inactiveReason: reason,
              updatedAt: new Date().toISOString(),
            };
            if (await tokenStore.compareAndSet(key, stored, inactive))
              return { kind: 'refused', error, reason };
            latest = await tokenStore.get(key);
          }
          if (latest !== undefined && sameAdminToken(latest, stored))
            return { kind: 'refused', error, reason };
          stored = latest;
          continue;
        }
        const owner = ownerOfToken(token);
        if (toId15(owner.orgId) !== toId15(key.orgId) || !sameId(owner.userId, key.userId)) {
          return { kind: 'wrong-owner', owner };
        }
        const saved = await saveRotated(stored, token);
        const access: AdminAccess = {
          accessToken: token.access_token,
          instanceUrl: token.instance_url.replace(/\/+$/, ''),
          identityUrl: token.id,
        };
        // A token whose refresh token could not be saved is used here, not shared.
        if (cache === undefined || !saved) return { kind: 'access', access };
        const entry = JSON.stringify(access);
        await cache.set(cacheKey, entry, accessTokenTtlMs);
        return { kind: 'access', access, cached: entry };
      }
    },
    lockOptions,
  );
}

/** After a 401: drops the refused token from the shared cache, unless another process already replaced it. */
export async function forgetAccess(
  coordination: RefreshCoordination,
  key: AdminConnectionKey,
  cached: string,
): Promise<void> {
  await coordination.cache?.deleteIf(cacheKeyOf(key), cached);
}

/** A cache entry as an admin's access, if it is one: of this org and user, with URLs on the org's domain. */
function readCachedAccess(entry: string, key: AdminConnectionKey, loginUrl: string): AdminAccess | undefined {
  try {
    const access = cachedAccessSchema.parse(JSON.parse(entry));
    const owner = ownerOfIdentityUrl(access.identityUrl);
    const ours =
      toId15(owner.orgId) === toId15(key.orgId) &&
      sameId(owner.userId, key.userId) &&
      onOrgDomain(access.instanceUrl, loginUrl, 'instance') &&
      onOrgDomain(access.identityUrl, loginUrl, 'identity');
    return ours ? access : undefined;
  } catch {
    return undefined;
  }
}

function contended(key: AdminConnectionKey, refreshes: number): TransportError {
  return new TransportError(
    `salesforce: the refresh token of admin ${key.userId} was rotated by another process during each of ${refreshes} refreshes. Give every process the same \`lock\` (see the plugin README, "Many workers"); it is worth trying again.`,
    { pluginId, retryable: true },
  );
}
