import {
  type AddNoteInput,
  type AddNoteResult,
  asOwnerRejected,
  type ChangeOwnerInput,
  type Channel,
  type CreateTicketInput,
  type CreateTicketResult,
  type CrmUser,
  type PluginContext,
  type TicketRef,
  type WriteResult,
} from '@crm-connect/core';
import { z } from 'zod';
import type { KustomerClient } from './kustomer-client.js';
import { createOnce } from './kustomer-create-once.js';
import { findOrCreateCustomer } from './kustomer-customers.js';
import { operations, parseAnswer } from './kustomer-errors.js';
import { addConversationNote } from './kustomer-notes.js';

const conversationSchema = z.object({
  data: z.object({
    id: z.string().min(1),
    relationships: z
      .object({ customer: z.object({ data: z.object({ id: z.string() }).nullish() }).nullish() })
      .nullish(),
  }),
});

function ticketOf(data: z.infer<typeof conversationSchema>['data']): TicketRef {
  return { id: data.id, contactId: data.relationships?.customer?.data?.id };
}

/**
 * Kustomer's channel names (the `channel` enum of its messages); a conversation's `replyChannel`
 * is where agents answer. Whether every one is accepted as `replyChannel` is UNCONFIRMED; `social`
 * names no single Kustomer channel and is left unset.
 */
const replyChannels: Record<Channel, string | undefined> = {
  chat: 'chat',
  messaging: 'chat',
  sms: 'sms',
  email: 'email',
  voice: 'voice',
  social: undefined,
};

/** The conversation carrying this interaction id as its external id. */
export async function findConversation(
  client: KustomerClient,
  interactionId: string,
): Promise<TicketRef | undefined> {
  // https://developer.kustomer.com/kustomer-api-docs/reference/getconversationbyexternalid
  const response = await client.request({
    method: 'GET',
    path: `/v1/conversations/externalId=${encodeURIComponent(interactionId)}`,
    operation: operations.findConversation.name,
    acceptStatus: [404],
  });
  if (response.status === 404) return undefined;
  return ticketOf(parseAnswer(conversationSchema, response, operations.findConversation.name).data);
}

/**
 * Finds or creates the customer, then the conversation assigned to the owner, keyed by the
 * interaction id (its external id) so a redelivered event finds it instead of creating another;
 * the description becomes the conversation's first internal note.
 */
export async function createConversation(
  client: KustomerClient,
  input: CreateTicketInput,
  http: PluginContext['http'],
): Promise<CreateTicketResult> {
  const { event } = input;
  const note = (conversationId: string, findFirst: boolean) =>
    addConversationNote(
      client,
      { conversationId, body: input.description, key: `${input.idempotencyKey}:description`, findFirst },
      http,
    );

  const existing = await findConversation(client, event.interactionId);
  if (existing !== undefined) {
    // A redelivered event: the earlier attempt may have stopped before its note.
    return { ticket: existing, created: false, attempts: await note(existing.id, true) };
  }
  const customer = await findOrCreateCustomer(client, event.endUser, http);
  const replyChannel = replyChannels[event.channel];
  const conversation = await createOnce({
    http,
    lookup: () => findConversation(client, event.interactionId),
    create: async () => {
      // https://developer.kustomer.com/kustomer-api-docs/reference/createaconversation
      const response = await client.request({
        method: 'POST',
        path: '/v1/conversations',
        operation: operations.createConversation.name,
        body: {
          customer: customer.customerId,
          externalId: event.interactionId,
          name: input.subject,
          status: 'open',
          direction: 'in',
          assignedUsers: [input.owner.id],
          ...(replyChannel === undefined ? {} : { replyChannel }),
        },
      });
      return {
        value: ticketOf(parseAnswer(conversationSchema, response, operations.createConversation.name).data),
        attempts: response.attempts,
      };
    },
  }).catch((error: unknown) => {
    throw ownerRejected(error, input.owner);
  });
  // Found after an uncertain create, the conversation may already carry its note.
  const ticket = { ...conversation.value, contactId: conversation.value.contactId ?? customer.customerId };
  const noteAttempts = await note(ticket.id, conversation.recovered);
  return {
    ticket,
    created: conversation.created,
    attempts: customer.attempts + conversation.attempts + noteAttempts,
  };
}

/** Makes the owner the conversation's only assigned user. Setting the same assignment twice is harmless. */
export async function assignConversation(
  client: KustomerClient,
  input: ChangeOwnerInput,
): Promise<WriteResult> {
  try {
    // https://developer.kustomer.com/kustomer-api-docs/reference/updateconversationattributes
    const response = await client.request({
      method: 'PATCH',
      path: `/v1/conversations/${encodeURIComponent(input.ticket.id)}`,
      operation: operations.assignConversation.name,
      idempotent: true,
      body: { assignedUsers: [input.owner.id] },
    });
    return { attempts: response.attempts };
  } catch (error) {
    throw ownerRejected(error, input.owner);
  }
}

/** Adds the end-of-interaction note (transcript, notes, disposition). */
export async function addNote(
  client: KustomerClient,
  input: AddNoteInput,
  http: PluginContext['http'],
): Promise<AddNoteResult> {
  const attempts = await addConversationNote(
    client,
    {
      conversationId: input.ticket.id,
      body: input.body,
      key: input.idempotencyKey,
      findFirst: input.mayExist,
    },
    http,
  );
  return { attempts, written: true };
}

/** The error mapping cannot know whom Kustomer refused; the caller names the owner it sent. */
function ownerRejected(error: unknown, owner: CrmUser): unknown {
  return asOwnerRejected(error, owner.id, {
    message: (refusal) =>
      `Kustomer refused ${owner.name ?? owner.id} (user ${owner.id}) as the conversation's assignee: the user is deactivated, deleted or cannot be assigned conversations. ${refusal.message}`,
  });
}
