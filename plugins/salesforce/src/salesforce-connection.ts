import {
  type CrmConnection,
  type CrmUser,
  cacheOnSuccess,
  hasErrorCode,
  type InteractionEventType,
  type PluginContext,
  type WriteOperation,
} from '@crm-connect/core';
import {
  AgentSessionError,
  type AgentSessions,
  createAgentSessionSource,
} from './salesforce-agent-sessions.js';
import { createSalesforceApi, type SalesforceApi } from './salesforce-api.js';
import { sameId } from './salesforce-ids.js';
import { addCaseText, noteTag } from './salesforce-notes.js';
import { pluginId } from './salesforce-plugin-id.js';
import { changeCaseOwner, createCase, findCase } from './salesforce-records.js';
import type { RefreshCoordination } from './salesforce-refresh.js';
import {
  type AdminSession,
  connectionClosedError,
  createSessionPool,
  type Failover,
  type SessionSource,
} from './salesforce-sessions.js';
import { requireConfigured, type SalesforceSettings } from './salesforce-settings.js';
import { findUserByEmail, identityUser, listAssignableUsers } from './salesforce-users.js';

/** The write an audit event about a failover is attached to. */
interface WriteContext {
  interactionId: string;
  eventType: InteractionEventType;
  operation: WriteOperation;
}

/** Same user (15- or 18-character ids); false for anything that is not a Salesforce id. */
function sameUser(left: string, right: string): boolean {
  try {
    return sameId(left, right);
  } catch {
    return left === right;
  }
}

/** How long an agent without a usable session is not asked about again. */
const agentRetryMs = 5 * 60 * 1000;

/**
 * A Salesforce connection: reads and the default user's writes act as the first usable linked
 * admin; with `agentSessions`, a write whose performer is an agent is made with that agent's own
 * session, and by the admin when the agent has none (or Salesforce refuses it).
 */
export function createSalesforceConnection(
  settings: SalesforceSettings,
  context: PluginContext,
  coordination: RefreshCoordination,
  agentSessions?: AgentSessions | undefined,
): CrmConnection {
  let api: SalesforceApi | undefined;
  let closed = false;
  // Built on first use, so an incomplete configuration fails the first call with a ConfigurationError.
  const useApi = (): SalesforceApi => {
    if (closed) throw connectionClosedError(settings.orgId);
    if (api === undefined) {
      const configured = requireConfigured(settings);
      api = createSalesforceApi(
        configured,
        context,
        createSessionPool({ settings: configured, context, coordination, markInactive: true }),
      );
    }
    return api;
  };
  // The admin each session acts as, asked once per session (again after a failure).
  const identities = new WeakMap<AdminSession, () => Promise<CrmUser>>();

  // Each agent's session source, or when they last had none.
  const agents = new Map<string, SessionSource | { none: number }>();

  /** The session a write by `performer` is made with: theirs when they are an agent with one, else the admins'. */
  async function sessionOf(performer: CrmUser): Promise<SessionSource | undefined> {
    if (agentSessions === undefined) return undefined;
    if (closed) throw connectionClosedError(settings.orgId);
    if ((settings.adminConnections ?? []).some((connection) => sameUser(connection.userId, performer.id))) {
      return undefined;
    }
    const known = agents.get(performer.id);
    if (known !== undefined && !('none' in known)) return known;
    if (known !== undefined && Date.now() - known.none < agentRetryMs) return undefined;
    let credential: Awaited<ReturnType<AgentSessions>>;
    try {
      credential = await agentSessions(performer.id);
    } catch (error) {
      context.logger.log('warn', 'salesforce agent session lookup failed; the admin writes', {
        userId: performer.id,
        error: error instanceof Error ? error.message : String(error),
      });
      credential = undefined;
    }
    if (credential === undefined) {
      agents.set(performer.id, { none: Date.now() });
      return undefined;
    }
    const source = createAgentSessionSource(performer, credential, {
      settings: requireConfigured(settings),
      context,
      adminInstanceUrl: async () => (await useApi().sessions.current()).instanceUrl,
    });
    agents.set(performer.id, source);
    return source;
  }

  /**
   * Runs a write as `performer` (see `sessionOf`). When the agent's session cannot be used, or
   * Salesforce refuses the agent the write (no access to the record), the admin makes it: the
   * result then names the admin as performer.
   */
  async function performed<T extends { attempts: number }>(
    performer: CrmUser,
    write: (as: SessionSource | undefined) => Promise<T>,
  ): Promise<T> {
    const source = await sessionOf(performer);
    if (source === undefined) return write(undefined);
    try {
      return await write(source);
    } catch (error) {
      const agentRefused =
        error instanceof AgentSessionError ||
        hasErrorCode(error, 'authentication_failed') ||
        hasErrorCode(error, 'permission_denied');
      if (!agentRefused) throw error;
      if (error instanceof AgentSessionError || hasErrorCode(error, 'authentication_failed')) {
        agents.set(performer.id, { none: Date.now() });
      }
      context.logger.log('warn', 'salesforce agent could not make the write; the admin makes it', {
        userId: performer.id,
        error: error instanceof Error ? error.message : String(error),
      });
      const result = await write(undefined);
      const spent =
        hasErrorCode(error, 'authentication_failed') || hasErrorCode(error, 'permission_denied')
          ? (error.attempts ?? 1)
          : 0;
      return { ...result, attempts: result.attempts + spent };
    }
  }

  /** The performer to report: who actually wrote, when it is not who was asked. */
  const otherThan = (asked: CrmUser, actual: CrmUser | undefined) =>
    actual === undefined || sameUser(actual.id, asked.id) ? undefined : actual;

  /**
   * Runs a write, then reports failovers in audit events tied to it. A failover found while no
   * write was under way (a user lookup, say) is reported with the next write.
   */
  async function reported<T>(write: WriteContext, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } finally {
      // `api`, not `useApi()`: a write that finished as the connection closed keeps its own outcome.
      for (const failover of api?.sessions.takeFailovers() ?? [])
        await context.audit(failoverEvent(write, failover));
    }
  }

  return {
    async close() {
      closed = true;
      // The admin's session and every agent's: their access tokens are not kept once closed.
      api?.sessions.close();
      // Its idle keep-alive sockets to the org's instance (the login host's too when it is the same).
      api?.http.close();
      agents.clear();
    },
    async connectionUser() {
      const current = useApi();
      const session = await current.sessions.current();
      let identity = identities.get(session);
      if (identity === undefined) {
        identity = cacheOnSuccess(() => identityUser(current, session));
        identities.set(session, identity);
      }
      return identity();
    },
    findUserByEmail: async (email) => findUserByEmail(useApi(), email),
    listAssignableUsers: async () => listAssignableUsers(useApi()),
    createTicket: (input) =>
      reported(
        { interactionId: input.event.interactionId, eventType: input.event.type, operation: 'create-ticket' },
        () => performed(input.performer, (as) => createCase(useApi(), input, as)),
      ),
    findTicket: async (interactionId) => findCase(useApi(), interactionId),
    changeOwner: (input) =>
      reported(
        { interactionId: input.interactionId, eventType: 'agent.assigned', operation: 'change-owner' },
        () => performed(input.performer, (as) => changeCaseOwner(useApi(), input, as)),
      ),
    addNote: (input) =>
      reported(
        { interactionId: input.interactionId, eventType: 'interaction.ended', operation: 'add-note' },
        async () => {
          const result = await performed(input.performer, (as) =>
            addCaseText(
              useApi(),
              {
                caseId: input.ticket.id,
                contactId: input.ticket.contactId,
                // The tag of the note's key tells this note's Tasks from another note's.
                title: `Interaction ${input.interactionId}: notes and transcript [${noteTag(input.idempotencyKey)}]`,
                text: input.body,
              },
              { mayExist: input.mayExist, as },
            ),
          );
          return {
            attempts: result.attempts,
            written: result.written,
            performer: otherThan(input.performer, result.performer),
          };
        },
      ),
  };
}

function failoverEvent(write: WriteContext, failover: Failover) {
  const { from, to } = failover;
  const next =
    to === undefined
      ? 'No other linked admin could be used.'
      : `Writes now use ${to.username} (${to.userId}).`;
  return {
    at: new Date().toISOString(),
    crm: pluginId,
    ...write,
    reason: 'connection-failover' as const,
    performer: to === undefined ? undefined : { id: to.userId, name: to.username },
    attempts: 0,
    outcome: 'failed' as const,
    error: { code: 'authentication_failed', message: `${from.username}: ${failover.reason}` },
    detail: `Admin connection ${from.username} (${from.userId}) is marked inactive: ${failover.reason}. ${next} Link ${from.username} again or unlink them.`,
  };
}
