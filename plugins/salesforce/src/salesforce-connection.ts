import {
  type CrmConnection,
  type CrmUser,
  cacheOnSuccess,
  type InteractionEventType,
  type PluginContext,
  type WriteOperation,
} from '@crm-connect/core';
import { createSalesforceApi, type SalesforceApi } from './salesforce-api.js';
import { addCaseText } from './salesforce-notes.js';
import { pluginId } from './salesforce-plugin-id.js';
import { changeCaseOwner, createCase, findCase } from './salesforce-records.js';
import { type AdminSession, createSessionPool, type Failover } from './salesforce-sessions.js';
import { requireConfigured, type SalesforceSettings } from './salesforce-settings.js';
import type { SalesforceTokenStore } from './salesforce-token-store.js';
import { findUserByEmail, identityUser, listAssignableUsers } from './salesforce-users.js';

/** The write an audit event about a failover is attached to. */
interface WriteContext {
  interactionId: string;
  eventType: InteractionEventType;
  operation: WriteOperation;
}

/** A Salesforce connection: every call acts as the first usable linked admin. */
export function createSalesforceConnection(
  settings: SalesforceSettings,
  context: PluginContext,
  tokenStore: SalesforceTokenStore,
): CrmConnection {
  let api: SalesforceApi | undefined;
  // Built on first use, so an incomplete configuration fails the first call with a ConfigurationError.
  const useApi = (): SalesforceApi => {
    if (api === undefined) {
      const configured = requireConfigured(settings);
      api = createSalesforceApi(
        configured,
        context,
        createSessionPool({ settings: configured, context, tokenStore, markInactive: true }),
      );
    }
    return api;
  };
  // The admin each session acts as, asked once per session (again after a failure).
  const identities = new WeakMap<AdminSession, () => Promise<CrmUser>>();

  /**
   * Runs a write, then reports failovers in audit events tied to it. A failover found while no
   * write was under way (a user lookup, say) is reported with the next write.
   */
  async function reported<T>(write: WriteContext, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } finally {
      for (const failover of useApi().sessions.takeFailovers())
        await context.audit(failoverEvent(write, failover));
    }
  }

  return {
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
    findUserByEmail: (email) => findUserByEmail(useApi(), email),
    listAssignableUsers: () => listAssignableUsers(useApi()),
    createTicket: (input) =>
      reported(
        { interactionId: input.event.interactionId, eventType: input.event.type, operation: 'create-ticket' },
        () => createCase(useApi(), input),
      ),
    findTicket: (interactionId) => findCase(useApi(), interactionId),
    changeOwner: (input) =>
      reported(
        { interactionId: input.interactionId, eventType: 'agent.assigned', operation: 'change-owner' },
        () => changeCaseOwner(useApi(), input),
      ),
    addNote: (input) =>
      reported(
        { interactionId: input.interactionId, eventType: 'interaction.ended', operation: 'add-note' },
        async () => ({
          ...(await addCaseText(useApi(), {
            caseId: input.ticket.id,
            contactId: input.ticket.contactId,
            title: `Interaction ${input.interactionId}: notes and transcript`,
            text: input.body,
          })),
          written: true,
        }),
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
