import { z } from 'zod';
import { json, type SandboxResponse } from '../http-exchange.js';
import type { Route } from '../routes.js';
import { endpointRoles, withKey } from './kustomer-auth.js';
import type { ConversationRecord, KustomerStore } from './kustomer-store.js';
import { conversationResource, invalidAttribute, listPage, noteResource, notFound } from './kustomer-wire.js';

/**
 * Conversations (create with `assignedUsers`, lookup by external id, show, update) and their
 * notes (list, create). Kustomer has no idempotency header, and whether it refuses a second
 * conversation with the same external id is not documented, so the sandbox does not refuse it:
 * duplicates are the client's to prevent (look up before creating again).
 * https://developer.kustomer.com/kustomer-api-docs/reference/createaconversation
 */

/** Kustomer's channel names accepted as a conversation's `replyChannel` (the list is UNCONFIRMED). */
const replyChannels = [
  'email',
  'sms',
  'chat',
  'voice',
  'facebook',
  'twitter',
  'instagram',
  'whatsapp',
] as const;

/** Kustomer accepts up to 10 assigned users. */
const maxAssignedUsers = 10;

const conversationShape = {
  name: z.string().trim().optional(),
  externalId: z.string().trim().min(1).nullish(),
  status: z.enum(['open', 'snoozed', 'done']).optional(),
  priority: z.number().int().min(1).max(5).optional(),
  direction: z.enum(['in', 'out']).optional(),
  replyChannel: z.enum(replyChannels).nullish(),
  assignedUsers: z.array(z.string()).max(maxAssignedUsers).optional(),
};
const createSchema = z.object({ customer: z.string().min(1), ...conversationShape });
const updateSchema = z.object(conversationShape);
/**
 * A note's body is "1 to 10,240 characters" (Kustomer's API reference, Notes). Counted as
 * JavaScript counts a string's length (UTF-16 code units: an emoji outside the Basic Multilingual
 * Plane is two), the stricter of the two readings of "characters" (UNCONFIRMED which one Kustomer uses).
 * https://developer.kustomer.com/api/core-resources/create-note
 */
export const maxNoteBodyLength = 10_240;
const noteInputSchema = z.object({
  // `String.length`, written out: zod's own length checks need not count UTF-16 code units.
  body: z
    .string()
    .refine((body) => body.length >= 1, 'must be at least 1 character')
    .refine((body) => body.length <= maxNoteBodyLength, `must be at most ${maxNoteBodyLength} characters`),
  externalId: z.string().trim().min(1).nullish(),
});

export function conversationRoutes(store: KustomerStore, clock: () => number): Route[] {
  const now = () => new Date(clock()).toISOString();

  /** The first reason an assignee cannot be assigned, as a 400 naming `assignedUsers`. */
  function assigneeProblem(ids: readonly string[]): SandboxResponse | undefined {
    for (const id of ids) {
      const user = store.users.get(id);
      if (user === undefined) return invalidAttribute('assignedUsers', `user ${id} does not exist`);
      if (user.deleted)
        return invalidAttribute('assignedUsers', `user ${id} is deleted and cannot be assigned`);
      if (user.userType === 'limited') {
        return invalidAttribute('assignedUsers', `user ${id} is a collaborator and cannot be assigned`);
      }
    }
    return undefined;
  }

  function parseFailure(error: z.ZodError): SandboxResponse {
    const issue = error.issues[0];
    return invalidAttribute(String(issue?.path[0] ?? 'body'), issue?.message ?? 'is invalid');
  }

  const conversationOf = (id: string | undefined): ConversationRecord | undefined =>
    store.conversations.get(id ?? '');

  return [
    {
      method: 'POST',
      path: '/v1/conversations',
      name: 'conversations.create',
      handler: withKey(store, endpointRoles.createConversations, (request, { caller }) => {
        const parsed = createSchema.safeParse(request.body ?? {});
        if (!parsed.success) return parseFailure(parsed.error);
        const input = parsed.data;
        if (store.customers.get(input.customer) === undefined) {
          return invalidAttribute('customer', `customer ${input.customer} does not exist`);
        }
        const assignedUsers = input.assignedUsers ?? [];
        const problem = assigneeProblem(assignedUsers);
        if (problem !== undefined) return problem;
        const time = now();
        const conversation = store.conversations.insert({
          id: store.nextId.conversation(),
          customerId: input.customer,
          name: input.name ?? '',
          externalId: input.externalId ?? null,
          status: input.status ?? 'open',
          priority: input.priority ?? 3,
          direction: input.direction ?? 'in',
          replyChannel: input.replyChannel ?? null,
          assignedUsers,
          createdBy: caller.user.id,
          modifiedBy: caller.user.id,
          createdAt: time,
          updatedAt: time,
        });
        return json(201, { data: conversationResource(store, conversation) });
      }),
    },
    {
      method: 'GET',
      path: '/v1/conversations/externalId=:externalId',
      name: 'conversations.byExternalId',
      // https://developer.kustomer.com/kustomer-api-docs/reference/getconversationbyexternalid
      handler: withKey(store, endpointRoles.readConversations, (_request, { params }) => {
        const conversation = store.conversations.find(
          (candidate) => candidate.externalId === params.externalId,
        );
        return conversation === undefined
          ? notFound()
          : json(200, { data: conversationResource(store, conversation) });
      }),
    },
    {
      method: 'GET',
      path: '/v1/conversations/:id',
      name: 'conversations.show',
      handler: withKey(store, endpointRoles.readConversations, (_request, { params }) => {
        const conversation = conversationOf(params.id);
        return conversation === undefined
          ? notFound()
          : json(200, { data: conversationResource(store, conversation) });
      }),
    },
    {
      method: 'PATCH',
      path: '/v1/conversations/:id',
      name: 'conversations.update',
      // https://developer.kustomer.com/kustomer-api-docs/reference/updateconversationattributes
      handler: withKey(store, endpointRoles.updateConversations, (request, { params, caller }) => {
        const current = conversationOf(params.id);
        if (current === undefined) return notFound();
        const parsed = updateSchema.safeParse(request.body ?? {});
        if (!parsed.success) return parseFailure(parsed.error);
        const input = parsed.data;
        const problem = assigneeProblem(input.assignedUsers ?? []);
        if (problem !== undefined) return problem;
        const updated = store.conversations.update(current.id, {
          ...(input.name === undefined ? {} : { name: input.name }),
          ...(input.externalId === undefined ? {} : { externalId: input.externalId ?? null }),
          ...(input.status === undefined ? {} : { status: input.status }),
          ...(input.priority === undefined ? {} : { priority: input.priority }),
          ...(input.direction === undefined ? {} : { direction: input.direction }),
          ...(input.replyChannel === undefined ? {} : { replyChannel: input.replyChannel ?? null }),
          ...(input.assignedUsers === undefined ? {} : { assignedUsers: input.assignedUsers }),
          modifiedBy: caller.user.id,
          updatedAt: now(),
        });
        return json(200, { data: conversationResource(store, updated ?? current) });
      }),
    },
    {
      method: 'GET',
      path: '/v1/conversations/:id/notes',
      name: 'notes.list',
      // https://developer.kustomer.com/kustomer-api-docs/reference/getnotesbyconversation
      handler: withKey(store, endpointRoles.readConversations, (request, { params }) => {
        const conversation = conversationOf(params.id);
        if (conversation === undefined) return notFound();
        const notes = store.notes.filter((note) => note.conversationId === conversation.id);
        return json(200, listPage(request, notes, noteResource));
      }),
    },
    {
      method: 'POST',
      path: '/v1/conversations/:id/notes',
      name: 'notes.create',
      // https://developer.kustomer.com/kustomer-api-docs/reference/createanotewithinconversation
      handler: withKey(store, endpointRoles.createNotes, (request, { params, caller }) => {
        const conversation = conversationOf(params.id);
        if (conversation === undefined) return notFound();
        const parsed = noteInputSchema.safeParse(request.body ?? {});
        if (!parsed.success) return parseFailure(parsed.error);
        const time = now();
        const note = store.notes.insert({
          id: store.nextId.note(),
          conversationId: conversation.id,
          customerId: conversation.customerId,
          body: parsed.data.body,
          externalId: parsed.data.externalId ?? null,
          createdBy: caller.user.id,
          createdAt: time,
          updatedAt: time,
        });
        return json(201, { data: noteResource(note) });
      }),
    },
  ];
}
