import {
  type AuthProvider,
  type CreateTicketResult,
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
import { assigneeRejected, parseAnswer, parseWriteAnswer } from './zendesk-errors.js';
import { landedParts, noteMetadata } from './zendesk-note-lookup.js';
import { type CommentPart, commentParts } from './zendesk-notes.js';
import { pluginId } from './zendesk-plugin-id.js';
import { requesterFor } from './zendesk-requesters.js';
import type { ZendeskSettings } from './zendesk-settings.js';

/**
 * Tickets: created with the end user as requester and the owner as assignee, reassigned, and
 * given the interaction's transcript as internal notes. Every comment crm-connect writes is an
 * internal note (`public: false`): the interaction already happened on the platform, and a
 * public comment could e-mail the customer a copy of their own chat.
 *
 * Notes exactly once: a comment is a ticket update, which Zendesk never de-duplicates (the
 * Idempotency-Key is for ticket creation only). Each note part's update carries the part's key in
 * its audit metadata; when the note may be there already (`mayExist`: an earlier attempt's
 * answer was lost, or the ticket was found rather than created through this store) the ticket's
 * audits are read first and only the missing parts are written. Without `mayExist`, no read.
 *
 * An existing ticket (an Idempotency-Key replay, a ticket found by external id) is never changed
 * by a create: its current assignee is reported as the owner.
 * https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
 */

export type ZendeskRecords = Pick<CrmConnection, 'createTicket' | 'findTicket' | 'changeOwner' | 'addNote'>;

const ticketSchema = z.object({
  ticket: z.object({
    id: z.number().int().nonnegative(),
    requester_id: z.number().int().nullable().optional(),
    assignee_id: z.number().int().nullable().optional(),
  }),
});
type ZendeskTicket = z.infer<typeof ticketSchema>['ticket'];
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

  function ticketRef(ticket: ZendeskTicket): TicketRef {
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

  /**
   * Adds internal notes in order, each carrying its key in the update's audit metadata. A part
   * this connection already wrote is skipped; with `mayExist`, the parts left are first looked
   * up on the ticket and only the missing ones are written.
   */
  async function addComments(
    ticketId: string,
    parts: readonly CommentPart[],
    auth: AuthProvider,
    mayExist: boolean,
  ): Promise<{ attempts: number; written: boolean }> {
    let attempts = 0;
    let missing = parts.filter((part) => !written.has(part.key));
    if (mayExist && missing.length > 0) {
      const landed = await landedParts(account, ticketPath(ticketId), missing);
      attempts += landed.attempts;
      for (const key of landed.found) remember(key);
      missing = missing.filter((part) => !landed.found.has(part.key));
    }
    for (const part of missing) {
      // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
      const response = await account.api.request({
        method: 'PUT',
        path: ticketPath(ticketId),
        operation: 'add an internal note',
        // Idempotency-Key is honoured on ticket creation only, and a comment PUT appends: never
        // repeat it blindly (a redelivery looks the part up by its audit metadata instead).
        idempotent: false,
        auth,
        body: { ticket: { comment: { body: part.body, public: false }, metadata: noteMetadata(part) } },
      });
      attempts += response.attempts;
      parseWriteAnswer(ticketSchema, response, 'add an internal note');
      remember(part.key);
    }
    return { attempts, written: missing.length > 0 };
  }

  /** The interaction's ticket as Zendesk lists it now (assignee included), the oldest if several. */
  async function findExisting(
    interactionId: string,
  ): Promise<{ ticket: ZendeskTicket; attempts: number } | undefined> {
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
    return oldest === undefined ? undefined : { ticket: oldest, attempts: response.attempts };
  }

  async function findTicket(interactionId: string): Promise<TicketRef | undefined> {
    const found = await findExisting(interactionId);
    return found === undefined ? undefined : ticketRef(found.ticket);
  }

  /** The ticket as it is now: a replayed creation answer shows the assignee it had then. */
  async function currentTicket(ticketId: number): Promise<{ ticket: ZendeskTicket; attempts: number }> {
    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#show-ticket
    const response = await account.api.request({
      method: 'GET',
      path: ticketPath(String(ticketId)),
      operation: 'read the existing ticket',
      auth: account.credentials.admin(),
    });
    return {
      ticket: parseAnswer(ticketSchema, response, 'read the existing ticket').ticket,
      attempts: response.attempts,
    };
  }

  /**
   * A ticket that existed before this create: left as it is, its current assignee reported as the
   * owner (none when unassigned), and the further parts of a long description written only if
   * missing (an earlier attempt may have added them).
   */
  async function existingTicket(
    ticket: ZendeskTicket,
    rest: readonly CommentPart[],
    auth: AuthProvider,
    attempts: number,
  ): Promise<CreateTicketResult> {
    const more = rest.length === 0 ? 0 : (await addComments(String(ticket.id), rest, auth, true)).attempts;
    const result: CreateTicketResult = {
      ticket: ticketRef(ticket),
      created: false,
      attempts: attempts + more,
    };
    if (ticket.assignee_id != null) result.owner = { id: String(ticket.assignee_id), active: true };
    return result;
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
        // matrix; an assignment that overtook its opening event): that ticket is the one.
        if (hasErrorCode(error, 'conflict')) {
          const existing = await findExisting(event.interactionId);
          if (existing !== undefined)
            return existingTicket(existing.ticket, rest, auth, (error.attempts ?? 1) + existing.attempts);
        }
        throw assigneeRejected(error, input.owner.id);
      }
      let created: ZendeskTicket;
      try {
        created = parseWriteAnswer(ticketSchema, response, 'create the ticket').ticket;
      } catch (error) {
        // Zendesk accepted the create but its answer is unreadable: the ticket may exist, look for it.
        const existing = await findExisting(event.interactionId);
        if (existing === undefined) throw error;
        return existingTicket(existing.ticket, rest, auth, response.attempts + existing.attempts);
      }
      if (response.headers['x-idempotency-lookup'] === 'hit') {
        // A replay: its answer is the first one, so the assignee may have changed since.
        const current = await currentTicket(created.id);
        return existingTicket(current.ticket, rest, auth, response.attempts + current.attempts);
      }
      const ticket = ticketRef(created);
      // The rest of a description too long for one comment follows as further internal notes.
      const more = rest.length === 0 ? 0 : (await addComments(ticket.id, rest, auth, false)).attempts;
      return { ticket, created: true, attempts: response.attempts + more };
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
        parseWriteAnswer(ticketSchema, response, 'reassign the ticket');
        return { attempts: response.attempts };
      } catch (error) {
        throw assigneeRejected(error, input.owner.id);
      }
    },

    async addNote(input) {
      const auth = performerAuth(input.performer, input.interactionId, 'interaction.ended', 'add-note');
      const parts = commentParts(input.body, input.idempotencyKey);
      return addComments(input.ticket.id, parts, auth, input.mayExist);
    },
  };
}
