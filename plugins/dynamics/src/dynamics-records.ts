import {
  type AddNoteInput,
  type AddNoteResult,
  type ChangeOwnerInput,
  type Channel,
  type CreateTicketInput,
  type CreateTicketResult,
  type CrmUser,
  clipText,
  hasErrorCode,
  InvalidInputError,
  isCrmConnectError,
  OwnerRejectedError,
  splitText,
  type TicketRef,
  type WriteResult,
} from '@crm-connect/core';
import { z } from 'zod';
import { type DynamicsApi, entityIdFromHeader, freshRead, jsonWrite, key, odata } from './dynamics-client.js';
import { findContact, newContact } from './dynamics-contacts.js';
import { isDuplicateRefusal, ownerRejected, parseAnswer } from './dynamics-errors.js';
import { contactIdFor, incidentIdFor } from './dynamics-ids.js';
import { writeNote } from './dynamics-notes.js';
import { pluginId } from './dynamics-plugin-id.js';
import { isGuid } from './dynamics-settings.js';
import type { DynamicsUsers } from './dynamics-users.js';

/**
 * Cases (incidents): create with customer and owner in one request, reassign, add notes.
 * https://learn.microsoft.com/dynamics365/developer/reference/entities/incident
 */

/** incident.title holds 200 characters, incident.description 2,000 (table reference), counted in UTF-16 units. */
const titleLimit = 200;
const descriptionLimit = 2_000;

/** incident.caseorigincode: 1 Phone, 2 Email, 3 Web; channels without a standard origin send none. */
const caseOrigins: Partial<Record<Channel, number>> = { voice: 1, email: 2, chat: 3, messaging: 3 };

const incidentSchema = z.object({ incidentid: z.string(), _customerid_value: z.string().nullish() });
/** A case read back: with its current owner (a systemuser or a team: `ownerid` is polymorphic). */
const readIncidentSchema = incidentSchema.extend({ _ownerid_value: z.string().nullish() });
const readIncidentFields = 'incidentid,_customerid_value,_ownerid_value';

export interface DynamicsRecords {
  createTicket(input: CreateTicketInput): Promise<CreateTicketResult>;
  findTicket(interactionId: string): Promise<TicketRef | undefined>;
  changeOwner(input: ChangeOwnerInput): Promise<WriteResult>;
  addNote(input: AddNoteInput): Promise<AddNoteResult>;
}

export function createDynamicsRecords(
  api: DynamicsApi,
  users: DynamicsUsers,
  connectionUser: () => Promise<CrmUser>,
): DynamicsRecords {
  const ticketRef = (id: string, contactId: string | undefined): TicketRef => ({
    id,
    contactId,
    url: api.recordUrl('incident', id),
  });

  async function performerHeaders(performer: CrmUser): Promise<Record<string, string>> {
    if (!api.settings.impersonateAgents) return {};
    return users.performerHeaders(performer, await connectionUser());
  }

  /** The case with this id and its current owner's id, or `undefined` when there is none. */
  async function readIncident(
    id: string,
  ): Promise<{ ticket: TicketRef; ownerId: string | undefined } | undefined> {
    // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api
    const response = await api.http.request({
      method: 'GET',
      path: odata(`incidents(${key(id)})`, { $select: readIncidentFields }),
      headers: freshRead,
      operation: 'find case',
      acceptStatus: [404],
    });
    if (response.status === 404) return undefined;
    const incident = parseAnswer(readIncidentSchema, response, 'find case');
    return {
      ticket: ticketRef(incident.incidentid, incident._customerid_value ?? undefined),
      ownerId: incident._ownerid_value ?? undefined,
    };
  }

  /**
   * The owner of a case found existing, as a user: the application user is known already; anyone
   * else is read, on this path only (a redelivered opening event). A team, or a user that cannot
   * be read, gives no owner rather than a guessed one.
   */
  async function currentOwner(ownerId: string | undefined): Promise<CrmUser | undefined> {
    if (ownerId === undefined) return undefined;
    const application = await connectionUser();
    if (application.id.toLowerCase() === ownerId.toLowerCase()) return application;
    return users.findById(ownerId).catch((error: unknown) => {
      if (isCrmConnectError(error)) return undefined;
      throw error;
    });
  }

  return {
    async createTicket(input) {
      const owner = requireOwner(input.owner, input.event.interactionId);
      const headers = await performerHeaders(input.performer);
      const existingContactId = await findContact(api, input.event.endUser);
      const incidentId = incidentIdFor(input.event.interactionId);
      const contactId = existingContactId ?? contactIdFor(input.event.interactionId);
      const text = caseText(input.subject, input.description);
      const origin = caseOrigins[input.event.channel];
      const body: Record<string, unknown> = {
        incidentid: incidentId,
        title: text.title,
        description: text.description,
        ...(origin === undefined ? {} : { caseorigincode: origin }),
        // Dynamics never leaves a case unassigned, and neither do we: the owner is always explicit.
        'ownerid@odata.bind': `/systemusers(${owner.id})`,
        // A known customer is bound; a new one is created in the same request (deep insert).
        ...(existingContactId === undefined
          ? { customerid_contact: newContact(input.event.endUser, contactId, owner.id) }
          : { 'customerid_contact@odata.bind': `/contacts(${existingContactId})` }),
      };

      let ticket: TicketRef;
      let created = true;
      let existingOwner: CrmUser | undefined;
      let attempts = 0;
      try {
        // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#create-related-table-rows-in-one-operation
        const response = await api.http.request({
          method: 'POST',
          path: odata('incidents', { $select: 'incidentid,_customerid_value' }),
          body,
          headers: { ...jsonWrite, Prefer: 'return=representation', ...headers },
          operation: 'create case',
          // The client-chosen incidentid turns a repeated create into a duplicate-key refusal.
          idempotent: true,
        });
        attempts = response.attempts;
        const returned = incidentSchema.safeParse(response.data);
        ticket = returned.success
          ? ticketRef(returned.data.incidentid, returned.data._customerid_value ?? contactId)
          : ticketRef(entityIdFromHeader(response.headers['odata-entityid']) ?? incidentId, contactId);
      } catch (error) {
        const rejected = ownerRejected(error, owner);
        if (hasErrorCode(rejected, 'owner_rejected')) throw rejected;
        // A POST never updates: a case that exists already (a redelivered event, a retried
        // create) is refused as a duplicate key and left as it is — its owner, title and
        // description stay — then read back to report it with its current owner.
        // A failed look-up must not hide why the create failed.
        const existing = isDuplicateRefusal(error)
          ? await readIncident(incidentId).catch(() => undefined)
          : undefined;
        if (existing === undefined) throw error;
        ticket = existing.ticket;
        created = false;
        existingOwner = await currentOwner(existing.ownerId);
        attempts = (isCrmConnectError(error) ? (error.attempts ?? 1) : 1) + 1;
      }

      if (text.overflow !== undefined) {
        attempts += (
          await writeNote(api, {
            incidentId: ticket.id,
            subject: 'Description (full text)',
            text: text.overflow,
            key: `${input.idempotencyKey}:description`,
            ownerId: owner.id,
            headers,
          })
        ).attempts;
      }
      return { ticket, created, attempts, ...(created ? {} : { owner: existingOwner }) };
    },

    findTicket: async (interactionId) => (await readIncident(incidentIdFor(interactionId)))?.ticket,

    async changeOwner(input) {
      const owner = requireOwner(input.owner, input.interactionId);
      const headers = await performerHeaders(input.performer);
      try {
        // Assign = update ownerid. If-Match: * makes the PATCH an update only, never an upsert.
        // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api#prevent-create-in-upsert
        const response = await api.http.request({
          method: 'PATCH',
          path: `incidents(${key(input.ticket.id)})`,
          body: { 'ownerid@odata.bind': `/systemusers(${owner.id})` },
          headers: { ...jsonWrite, 'If-Match': '*', ...headers },
          operation: 'assign case',
          // Setting the same owner twice leaves the same case.
          idempotent: true,
        });
        return { attempts: response.attempts };
      } catch (error) {
        throw ownerRejected(error, owner);
      }
    },

    async addNote(input) {
      const headers = await performerHeaders(input.performer);
      // Each part has its own id: a part there already is refused as a duplicate, so the happy
      // path needs no lookup, and `mayExist` changes nothing here.
      return writeNote(api, {
        incidentId: input.ticket.id,
        subject: `Interaction ${input.interactionId}: notes and transcript`,
        text: input.body,
        key: input.idempotencyKey,
        ownerId: input.performer.id,
        headers,
      });
    },
  };
}

/** Refuses, before anything is sent, a case without a usable owner. */
function requireOwner(owner: CrmUser | undefined, interactionId: string): CrmUser {
  if (owner === undefined || typeof owner.id !== 'string' || !isGuid(owner.id)) {
    throw new InvalidInputError(
      `dynamics: interaction ${interactionId} has no owner with a Dynamics user id; Dynamics 365 never leaves a case unassigned, so nothing was sent. Enable the default user or make sure an active agent can be chosen.`,
      { pluginId, issues: [{ path: 'owner', message: 'owner: must be a Dynamics systemuser id' }] },
    );
  }
  if (!owner.active) {
    throw new OwnerRejectedError(
      `dynamics: ${owner.name ?? owner.id} is disabled in Dynamics 365 and cannot own the case of interaction ${interactionId}.`,
      { pluginId, ownerId: owner.id },
    );
  }
  return owner;
}

/** Title and description within their column limits; what does not fit goes to a note, never lost. */
function caseText(
  subject: string,
  description: string,
): { title: string; description: string; overflow: string | undefined } {
  const title = clipText(subject, { limit: titleLimit, unit: 'utf16-units' });
  const full = title === subject ? description : `${subject}\n\n${description}`;
  if (full.length <= descriptionLimit) return { title, description: full, overflow: undefined };
  const marker = '\n\n[…] The full text is in the note "Description (full text)".';
  const [start = ''] = splitText(full, {
    limit: descriptionLimit - marker.length,
    unit: 'utf16-units',
    label: 'none',
  });
  return { title, description: `${start}${marker}`, overflow: full };
}
