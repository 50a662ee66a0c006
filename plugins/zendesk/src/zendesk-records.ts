import {
  type AuthProvider,
  type CrmConnection,
  type CrmUser,
  type HttpResponse,
  hasErrorCode,
  type InteractionEventType,
  InvalidInputError,
  type OpeningEvent,
  type PluginContext,
  type TicketRef,
  type WriteOperation,
} from '@crm-connect/core';
import { z } from 'zod';
import type { ZendeskAccount } from './zendesk-client.js';
import { assigneeRejected, parseAnswer } from './zendesk-errors.js';
import { type CommentPart, commentParts } from './zendesk-notes.js';
import { pluginId } from './zendesk-plugin-id.js';
import { requesterFor } from './zendesk-requesters.js';
import type { ZendeskSettings } from './zendesk-settings.js';

/**
 * Tickets: created with the end user as requester and the owner as assignee, reassigned, and
 * given the interaction's transcript as internal notes. Every comment crm-connect writes is an
 * internal note (`public: false`): the interaction already happened on the platform, and a
 * public comment could e-mail the customer a copy of their own chat.
 * https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
 */

export type ZendeskRecords = Pick<CrmConnection, 'createTicket' | 'findTicket' | 'changeOwner' | 'addNote'>;

const ticketSchema = z.object({
  ticket: z.object({
    id: z.number().int().nonnegative(),
    requester_id: z.number().int().nullable().optional(),
  }),
});
const ticketsSchema = z.object({ tickets: z.array(ticketSchema.shape.ticket) });

/** Comment parts already written by this connection, so a redelivered note is not written twice. */
const rememberedParts = 10_000;

/** Zendesk user ids are integers; crm-connect carries them as strings. */
function userId(id: string): number {
  if (!/^\d{1,16}$/.test(id)) {
    throw new InvalidInputError(`Zendesk user ids are numbers; "${id}" is not a Zendesk user id.`, {
      pluginId,
      issues: [{ path: 'owner.id', message: 'owner.id: must be a numeric Zendesk user id' }],
    });
  }
  return Number(id);
}

/** Zendesk ticket ids are integers too; anything else never reaches a URL. */
function ticketPath(ticketId: string): string {
  if (!/^\d{1,16}$/.test(ticketId)) {
    throw new InvalidInputError(`Zendesk ticket ids are numbers; "${ticketId}" is not a Zendesk ticket id.`, {
      pluginId,
      issues: [{ path: 'ticket.id', message: 'ticket.id: must be a numeric Zendesk ticket id' }],
    });
  }
  return `/api/v2/tickets/${ticketId}`;
}

/** Searchable tags: the source, the channel, and what opened the ticket. */
function ticketTags(event: OpeningEvent): string[] {
  const tags = ['crm_connect', `crm_connect_channel_${event.channel}`];
  if (event.type === 'voicemail.received') tags.push('crm_connect_voicemail');
  if (event.type === 'call.abandoned') tags.push('crm_connect_abandoned_call');
  return tags;
}

export function createZendeskRecords(
  account: ZendeskAccount,
  settings: ZendeskSettings,
  context: PluginContext,
): ZendeskRecords {
  const written = new Set<string>();

  function remember(key: string): void {
    written.add(key);
    if (written.size > rememberedParts) {
      const oldest = written.values().next();
      if (oldest.done !== true) written.delete(oldest.value);
    }
  }

  function ticketRef(ticket: z.infer<typeof ticketSchema>['ticket']): TicketRef {
    return {
      id: String(ticket.id),
      contactId: ticket.requester_id == null ? undefined : String(ticket.requester_id),
      url: `${account.origin}/agent/tickets/${ticket.id}`,
    };
  }

  /** The performer's credentials; a fallback to the admin is recorded in the audit trail. */
  function performerAuth(
    performer: CrmUser,
    interactionId: string,
    eventType: InteractionEventType,
    operation: WriteOperation,
  ): AuthProvider {
    return account.credentials.performer(performer, async (reason) => {
      await context.audit({
        at: new Date().toISOString(),
        crm: pluginId,
        interactionId,
        eventType,
        operation,
        performer: { id: performer.id, name: performer.name },
        reason: 'connection-failover',
        attempts: 1,
        outcome: 'failed',
        error: { code: 'authentication_failed', message: reason },
        detail: reason,
      });
    });
  }

  /** Adds internal notes in order; a part this connection already wrote is skipped. */
  async function addComments(
    ticketId: string,
    parts: readonly CommentPart[],
    auth: AuthProvider,
  ): Promise<number> {
    let attempts = 0;
    for (const part of parts) {
      if (written.has(part.key)) continue;
      // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
      const response = await account.api.request({
        method: 'PUT',
        path: ticketPath(ticketId),
        operation: 'add an internal note',
        // Idempotency-Key is honoured on ticket creation only, and a comment PUT appends: never
        // repeat it blindly (a redelivery is caught by `written` above instead).
        idempotent: false,
        auth,
        body: { ticket: { comment: { body: part.body, public: false } } },
      });
      parseAnswer(ticketSchema, response, 'add an internal note');
      attempts += response.attempts;
      remember(part.key);
    }
    return attempts;
  }

  async function findTicket(interactionId: string): Promise<TicketRef | undefined> {
    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets
    const response = await account.api.request({
      method: 'GET',
      path: '/api/v2/tickets',
      query: { external_id: interactionId },
      operation: 'find the ticket of an interaction',
      auth: account.credentials.admin(),
    });
    const { tickets } = parseAnswer(ticketsSchema, response, 'find the ticket of an interaction');
    // External ids need not be unique: the oldest ticket is the one the interaction opened.
    const [oldest] = [...tickets].sort((a, b) =>
      String(a.id).localeCompare(String(b.id), 'en', { numeric: true }),
    );
    return oldest === undefined ? undefined : ticketRef(oldest);
  }

  return {
    async createTicket(input) {
      const { event } = input;
      const [first, ...rest] = commentParts(input.description, input.idempotencyKey);
      if (first === undefined) throw new Error('commentParts returned no part');
      const auth = performerAuth(input.performer, event.interactionId, event.type, 'create-ticket');
      const requester = await requesterFor(account, event.endUser);
      const customFields =
        settings.interactionFieldId === undefined
          ? {}
          : { custom_fields: [{ id: settings.interactionFieldId, value: event.interactionId }] };
      let response: HttpResponse;
      try {
        // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket
        response = await account.api.request({
          method: 'POST',
          path: '/api/v2/tickets',
          operation: 'create the ticket',
          // Zendesk replays the first answer for a known key (x-idempotency-lookup: hit): no second ticket.
          idempotencyKey: input.idempotencyKey,
          auth,
          body: {
            ticket: {
              subject: input.subject,
              comment: { body: first.body, public: false },
              ...requester,
              assignee_id: userId(input.owner.id),
              external_id: event.interactionId,
              tags: ticketTags(event),
              ...customFields,
            },
          },
        });
      } catch (error) {
        // The key already created this interaction's ticket from another body (a redelivered event
        // whose requester lookup now finds another end user with the same phone, found by the fault
        // matrix): that ticket is the one.
        if (hasErrorCode(error, 'conflict')) {
          const existing = await findTicket(event.interactionId);
          if (existing !== undefined)
            return { ticket: existing, created: false, attempts: (error.attempts ?? 1) + 1 };
        }
        throw assigneeRejected(error, input.owner.id);
      }
      const ticket = ticketRef(parseAnswer(ticketSchema, response, 'create the ticket').ticket);
      // The rest of a description too long for one comment follows as further internal notes.
      const more = rest.length === 0 ? 0 : await addComments(ticket.id, rest, auth);
      return {
        ticket,
        created: response.headers['x-idempotency-lookup'] !== 'hit',
        attempts: response.attempts + more,
      };
    },

    findTicket,

    async changeOwner(input) {
      const auth = performerAuth(input.performer, input.interactionId, 'agent.assigned', 'change-owner');
      try {
        // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
        const response = await account.api.request({
          method: 'PUT',
          path: ticketPath(input.ticket.id),
          operation: 'reassign the ticket',
          auth,
          body: { ticket: { assignee_id: userId(input.owner.id) } },
        });
        parseAnswer(ticketSchema, response, 'reassign the ticket');
        return { attempts: response.attempts };
      } catch (error) {
        throw assigneeRejected(error, input.owner.id);
      }
    },

    async addNote(input) {
      const auth = performerAuth(input.performer, input.interactionId, 'interaction.ended', 'add-note');
      const parts = commentParts(input.body, input.idempotencyKey);
      return { attempts: await addComments(input.ticket.id, parts, auth), written: true };
    },
  };
}
