import {
  AuthenticationError,
  ConfigurationError,
  ConnectionClosedError,
  type CrmConnectError,
  type CrmUser,
  type PluginContext,
} from '@crm-connect/core';
import { toId15 } from './salesforce-ids.js';
import { oauthClient } from './salesforce-oauth.js';
import { pluginId } from './salesforce-plugin-id.js';
import { adminAccess, forgetAccess, type RefreshCoordination } from './salesforce-refresh.js';
import { type AdminConnection, activeConnections, type ConfiguredSettings } from './salesforce-settings.js';

/**
 * Admin sessions with failover. Writes use the first active admin connection; when Salesforce
 * refuses its refresh token (revoked, user deactivated) the next one takes over, and the
 * failover is kept for an audit event.
 */

/** An access token of one Salesforce user, and where the org's REST API lives. */
export interface ApiSession {
  /** Whose token it is: a linked admin, or an agent writing as themselves. */
  kind: 'admin' | 'agent';
  /** The user the token belongs to (005…, 18 characters). */
  userId: string;
  accessToken: string;
  /** Where the org's REST API lives, e.g. https://acme.my.salesforce.com. */
  instanceUrl: string;
}

/** Where a request's session comes from: the linked admins (with failover), or one agent. */
export interface SessionSource<TSession extends ApiSession = ApiSession> {
  /** The current session, opened on first use. */
  current(): Promise<TSession>;
  /** After a 401 with `stale`: a fresh session (after a failover, another admin's). */
  renew(stale: TSession): Promise<TSession>;
}

/** An access token of one linked admin. */
export interface AdminSession extends ApiSession {
  kind: 'admin';
  connection: AdminConnection;
  /** The admin's identity URL (token response `id`). */
  identityUrl: string;
}

/** The user a session acts as, as far as it is known without a call (an admin's from their link). */
export function sessionUser(session: ApiSession): CrmUser {
  if (session.kind === 'admin' && 'connection' in session) {
    const { connection } = session as AdminSession;
    return {
      id: connection.userId,
      name: connection.name ?? connection.username,
      email: connection.email?.toLowerCase(),
      active: true,
      role: 'admin',
    };
  }
  return { id: session.userId, active: true };
}

/** A connection that could not be used, and the one used instead (if any). */
export interface Failover {
  from: AdminConnection;
  reason: string;
  to?: AdminConnection | undefined;
}

export interface SessionPoolOptions {
  settings: ConfiguredSettings;
  context: PluginContext;
  /** The token store, the refresh lock and (for a connector) the shared access-token cache. */
  coordination: RefreshCoordination;
  /** The connector marks a refused connection inactive in the store; a credential check only reports it. */
  markInactive: boolean;
}

export interface SessionPool extends SessionSource<AdminSession> {
  /** The current session, opened on first use (one refresh, shared by concurrent callers). */
  current(): Promise<AdminSession>;
  /** After a 401 with `stale`: a fresh access token (the next admin's if this one was revoked). */
  renew(stale: AdminSession): Promise<AdminSession>;
  /** Failovers not yet reported; each is returned once. */
  takeFailovers(): Failover[];
  /** Every failover of this pool. */
  failovers(): readonly Failover[];
  /**
   * Forgets the session (its access token); later calls are refused, and a session opening
   * meanwhile is not kept, so a closed connection never spends a refresh token again. Idempotent.
   */
  close(): void;
}

/** What a closed connection answers instead of sending anything. */
export function connectionClosedError(orgId: string | undefined): CrmConnectError {
  return new ConnectionClosedError(
    `salesforce: this connection${orgId === undefined ? '' : ` to org ${orgId}`}`,
    { pluginId },
  );
}

export function createSessionPool(options: SessionPoolOptions): SessionPool {
  const { settings, context, coordination } = options;
  const candidates = activeConnections(settings);
  /** The shared cache entry each session came from or went into, to drop after a 401. */
  const cacheEntries = new WeakMap<AdminSession, string>();
  /** Connections this pool gave up on, and why. */
  const unusable = new Map<string, string>();
  const all: Failover[] = [];
  let unreported: Failover[] = [];
  let session: Promise<AdminSession> | undefined;
  let closed = false;
  const oauth = oauthClient(settings, context);
  context.redactor.add(settings.clientSecret);

  async function open(): Promise<AdminSession> {
    if (candidates.length === 0) {
      const otherOrgs = [
        ...new Set((settings.adminConnections ?? []).map((connection) => connection.orgId)),
      ].filter((orgId) => orgId !== settings.orgId);
      const hint =
        otherOrgs.length === 0
          ? ''
          : ` The linked admins belong to org ${otherOrgs.join(', ')}: unlink them if the org ID changed.`;
      throw new ConfigurationError(
        `salesforce: no active Salesforce admin is linked for org ${settings.orgId}.${hint} Press Link in the Salesforce settings and sign in as a Salesforce admin of org ${settings.orgId}.`,
        { pluginId },
      );
    }
    for (const connection of candidates) {
      if (unusable.has(connection.userId)) continue;
      const outcome = await adminAccess(coordination, {
        key: { orgId: settings.orgId, userId: connection.userId },
        oauth,
        markInactive: options.markInactive,
      });
      if (outcome.kind === 'missing' || outcome.kind === 'inactive') {
        unusable.set(
          connection.userId,
          outcome.kind === 'missing'
            ? 'no refresh token is stored for it'
            : `it is inactive (${outcome.reason ?? 'Salesforce refused its refresh token'})`,
        );
        continue;
      }
      if (outcome.kind === 'refused') {
        unusable.set(connection.userId, outcome.reason);
        const failover: Failover = { from: connection, reason: outcome.reason };
        all.push(failover);
        unreported.push(failover);
        context.logger.log('warn', 'salesforce admin connection unusable; trying the next one', {
          userId: connection.userId,
          username: connection.username,
          reason: outcome.reason,
        });
        continue;
      }
      if (outcome.kind === 'wrong-owner') {
        const { owner } = outcome;
        throw new ConfigurationError(
          `salesforce: the stored token of ${connection.username} belongs to org ${toId15(owner.orgId)}, user ${owner.userId}, not to org ${settings.orgId}, user ${connection.userId}. Unlink this admin and link them again.`,
          { pluginId },
        );
      }
      for (const failover of all) failover.to ??= connection;
      // Closed while the token was refreshed: the rotated refresh token is stored, the session not kept.
      if (closed) throw connectionClosedError(settings.orgId);
      const opened: AdminSession = {
        kind: 'admin',
        userId: connection.userId,
        connection,
        ...outcome.access,
      };
      if (outcome.cached !== undefined) cacheEntries.set(opened, outcome.cached);
      return opened;
    }
    const why = candidates
      .map(
        (connection) =>
          `${connection.username} (${connection.userId}): ${unusable.get(connection.userId) ?? 'unknown'}`,
      )
      .join('; ');
    throw new AuthenticationError(
      `salesforce: no linked Salesforce admin can be used — ${why}. Press Link in the Salesforce settings and sign in as a Salesforce admin again.`,
      { pluginId },
    );
  }

  function current(): Promise<AdminSession> {
    if (closed) return Promise.reject(connectionClosedError(settings.orgId));
    if (session === undefined) {
      const opening = open();
      session = opening;
      // A failed opening is not cached: the next call tries again.
      opening.catch(() => {
        if (session === opening) session = undefined;
      });
    }
    return session;
  }

  return {
    current,
    async renew(stale) {
      const before = session;
      const active = before === undefined ? undefined : await before.catch(() => undefined);
      // Another request already renewed it.
      if (active !== undefined && active.accessToken !== stale.accessToken) return active;
      // The shared cache would hand the refused token out again: drop it, unless another process
      // already put a fresher one there (which the next opening then uses).
      const cached = cacheEntries.get(stale);
      if (cached !== undefined) {
        await forgetAccess(coordination, { orgId: settings.orgId, userId: stale.userId }, cached);
      }
      if (session === before) session = undefined;
      return current();
    },
    takeFailovers() {
      const taken = unreported;
      unreported = [];
      return taken;
    },
    failovers: () => all,
    close() {
      closed = true;
      session = undefined;
    },
  };
}
