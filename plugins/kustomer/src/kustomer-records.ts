import {
  type AddNoteInput,
  type AddNoteResult,
  asOwnerRejected,
  type ChangeOwnerInput,
  type Channel,
  type CreateTicketInput,
  type CreateTicketResult,
  type CrmUser,
  createOnce,
  isCrmConnectError,
  type PluginContext,
  type TicketRef,
  type WriteResult,
} from '@crm-connect/core';
import { z } from 'zod';
import type { KustomerClient } from './kustomer-client.js';
import { findOrCreateCustomer } from './kustomer-customers.js';
import { operations, parseAnswer, parseWriteAnswer } from './kustomer-errors.js';
import { addConversationNote } from './kustomer-notes.js';
import { toCrmUser, userResourceSchema } from './kustomer-users.js';

const conversationSchema = z.object({
  data: z.object({
    id: z.string().min(1),
    attributes: z.object({ assignedUsers: z.array(z.string()).nullish() }).nullish(),
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

type Conversation = z.infer<typeof conversationSchema>['data'];

/** The conversation carrying this interaction id as its external id, as Kustomer returns it. */
async function lookupConversation(
  client: KustomerClient,
  interactionId: string,
): Promise<Conversation | undefined> {
  // https://developer.kustomer.com/kustomer-api-docs/reference/getconversationbyexternalid
  const response = await client.request({
    method: 'GET',
    path: `/v1/conversations/externalId=${encodeURIComponent(interactionId)}`,
    operation: operations.findConversation.name,
    acceptStatus: [404],
  });
  if (response.status === 404) return undefined;
  return parseAnswer(conversationSchema, response, operations.findConversation.name).data;
}

/** The conversation carrying this interaction id as its external id. */
export async function findConversation(
  client: KustomerClient,
  interactionId: string,
): Promise<TicketRef | undefined> {
  const conversation = await lookupConversation(client, interactionId);
  return conversation === undefined ? undefined : ticketOf(conversation);
}

const userSchema = z.object({ data: userResourceSchema });

/**
 * Who an existing conversation is assigned to now (its first assigned user), to report instead of
 * the owner a create would have set. The key's own user is known already; anyone else is read
 * (`GET /v1/users/{id}`), only on this path: a redelivered opening event. When the user cannot be
 * read, no owner is reported rather than a guessed one.
 */
async function currentAssignee(
  client: KustomerClient,
  conversation: Conversation,
): Promise<CrmUser | undefined> {
  const assigneeId = conversation.attributes?.assignedUsers?.[0];
  if (assigneeId === undefined) return undefined;
  const { user } = await client.identity();
  if (user.id === assigneeId) return user;
  try {
    const response = await client.request({
      method: 'GET',
      path: `/v1/users/${encodeURIComponent(assigneeId)}`,
      operation: operations.readUser.name,
      acceptStatus: [404],
    });
    if (response.status === 404) return undefined;
    return toCrmUser(parseAnswer(userSchema, response, operations.readUser.name).data);
  } catch (error) {
    // The conversation exists either way; an unreadable assignee only leaves the audit without an owner.
    if (isCrmConnectError(error)) return undefined;
    throw error;
  }
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

  const existing = await lookupConversation(client, event.interactionId);
  if (existing !== undefined) {
    // A redelivered event: the conversation is left as it is (an agent may own it by now), and is
    // reported with its current assignee. The earlier attempt may have stopped before its note.
    const written = await note(existing.id, true);
    return {
      ticket: ticketOf(existing),
      created: false,
      owner: await currentAssignee(client, existing),
      attempts: written.attempts,
    };
  }
  const customer = await findOrCreateCustomer(client, event.endUser, http);
  const replyChannel = replyChannels[event.channel];
  const conversation = await createOnce({
    http,
    find: () => findConversation(client, event.interactionId),
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
        value: ticketOf(
          parseWriteAnswer(conversationSchema, response, operations.createConversation.name).data,
        ),
        attempts: response.attempts,
      };
    },
  }).catch((error: unknown) => {
    throw ownerRejected(error, input.owner);
  });
  // Found after an uncertain create, the conversation may already carry its note.
  const ticket = { ...conversation.value, contactId: conversation.value.contactId ?? customer.customerId };
  const description = await note(ticket.id, conversation.found);
  return {
    ticket,
    created: conversation.created,
    attempts: customer.attempts + conversation.attempts + description.attempts,
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
  // Looked up first exactly when it may exist: the happy path writes without a lookup.
  return addConversationNote(
    client,
    {
      conversationId: input.ticket.id,
      body: input.body,
      key: input.idempotencyKey,
      findFirst: input.mayExist,
    },
    http,
  );
}

/** The error mapping cannot know whom Kustomer refused; the caller names the owner it sent. */
function ownerRejected(error: unknown, owner: CrmUser): unknown {
  return asOwnerRejected(error, owner.id, {
    message: (refusal) =>
      `Kustomer refused ${owner.name ?? owner.id} (user ${owner.id}) as the conversation's assignee: the user is deactivated, deleted or cannot be assigned conversations. ${refusal.message}`,
  });
}
