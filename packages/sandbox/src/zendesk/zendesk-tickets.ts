import { z } from 'zod';
import { json, type SandboxRequest, type SandboxResponse } from '../http-exchange.js';
import type { Route } from '../routes.js';
import { type StaffHandler, staffOnly } from './zendesk-auth.js';
import { cursorPage, offsetPage, wantsCursor } from './zendesk-pagination.js';
import type {
  ZendeskAuditRecord,
  ZendeskStore,
  ZendeskTicketRecord,
  ZendeskUserRecord,
} from './zendesk-store.js';
import {
  type FieldProblem,
  invalidRequest,
  recordInvalid,
  recordNotFound,
  wireAudit,
  wireComment,
  wireTicket,
} from './zendesk-wire.js';

/**
 * Tickets: create (honouring `Idempotency-Key`), update (assignee, comments, status), list with
 * the `external_id` filter, show, comments, and audits. Every create or update is kept as an
 * audit, with the request's write-only `ticket.metadata` as the audit's `metadata.custom`.
 * https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
 * https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/
 */

/**
 * How long an answer is kept under its idempotency key. Zendesk's is not documented; third
 * parties say about two hours (UNCONFIRMED).
 */
export const idempotencyKeyLifetimeMs = 2 * 60 * 60 * 1000;

const commentSchema = z.object({
  body: z.string().optional(),
  html_body: z.string().optional(),
  public: z.boolean().optional(),
  author_id: z.number().int().optional(),
});

const ticketInputSchema = z.object({
  ticket: z.object({
    subject: z.string().optional(),
    comment: commentSchema.optional(),
    requester: z.object({ name: z.string().optional(), email: z.string() }).optional(),
    requester_id: z.number().int().optional(),
    assignee_id: z.number().int().nullable().optional(),
    external_id: z.string().nullable().optional(),
    tags: z.array(z.string()).optional(),
    custom_fields: z.array(z.object({ id: z.number().int(), value: z.unknown() })).optional(),
    status: z.enum(['new', 'open', 'pending', 'hold', 'solved']).optional(),
    /** Write only: kept on the audit as `metadata.custom`. */
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
});
type TicketInput = z.infer<typeof ticketInputSchema>['ticket'];

/** `role_type` values of agents who cannot be assigned tickets (light agent, chat-only agent, contributor). */
const unassignableRoleTypes = new Set([1, 2, 3]);

/** Why a user cannot be a ticket's assignee, or `undefined` when they can. Wording UNCONFIRMED. */
function assigneeProblem(user: ZendeskUserRecord | undefined): FieldProblem | undefined {
  if (user === undefined || !user.active)
    return { description: 'Assignee: is invalid', error: 'InvalidValue' };
  if (user.role === 'end-user') return { description: 'Assignee: is not an agent', error: 'InvalidValue' };
  if (user.suspended) {
    return {
      description: `Assignee: ${user.name} is suspended and cannot be assigned tickets`,
      error: 'InvalidValue',
    };
  }
  if (user.role_type !== null && unassignableRoleTypes.has(user.role_type)) {
    return { description: `Assignee: ${user.name} cannot be assigned tickets`, error: 'InvalidValue' };
  }
  return undefined;
}

/** The request body in a canonical form (keys sorted), so a repeat is recognised whatever its key order. */
function fingerprint(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(fingerprint).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${fingerprint(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export function ticketRoutes(store: ZendeskStore, clock: () => number): Route[] {
  const timestamp = () => new Date(clock()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const staff = (handler: StaffHandler) => staffOnly(store, clock, 'tickets', handler);

  /** Keeps the audit of a create or update; its comment events are filled in as the comments are added. */
  function newAudit(request: SandboxRequest, ticketId: number, author: number, input: TicketInput) {
    return store.audits.insert({
      id: store.nextId.audit(),
      ticket_id: ticketId,
      author_id: author,
      created_at: timestamp(),
      custom: input.metadata ?? {},
      client: request.headers['user-agent'] ?? null,
      events: [],
    });
  }

  function answer(
    request: SandboxRequest,
    status: number,
    ticket: ZendeskTicketRecord,
    audit: ZendeskAuditRecord,
  ) {
    return json(
      status,
      { ticket: wireTicket(request.origin, store, ticket), audit: wireAudit(audit) },
      status === 201 ? { Location: `${request.origin}/api/v2/tickets/${ticket.id}.json` } : {},
    );
  }

  /** The requester's id: an inline `{name, email}` is found by email or created as an end user. */
  function requesterOf(input: TicketInput, actor: ZendeskUserRecord): number | FieldProblem {
    if (input.requester !== undefined) {
      const email = input.requester.email.trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
        return { description: 'Requester: Email is invalid', error: 'InvalidValue' };
      }
      const existing = store.users.find((user) => user.email === email);
      if (existing !== undefined) return existing.id;
      const now = timestamp();
      return store.users.insert({
        id: store.nextId.user(),
        name: input.requester.name ?? email,
        email,
        role: 'end-user',
        role_type: null,
        active: true,
        suspended: false,
        phone: null,
        external_id: null,
        default_group_id: null,
        created_at: now,
        updated_at: now,
      }).id;
    }
    if (input.requester_id !== undefined) {
      const requester = store.users.get(input.requester_id);
      return requester?.active === true
        ? requester.id
        : { description: 'Requester: is invalid', error: 'InvalidValue' };
    }
    // Without a requester, the ticket is requested by whoever submits it.
    return actor.id;
  }

  function addComment(
    audit: ZendeskAuditRecord,
    comment: z.infer<typeof commentSchema>,
    actor: ZendeskUserRecord,
  ) {
    const author = comment.author_id === undefined ? undefined : store.users.get(comment.author_id);
    const body = comment.body ?? comment.html_body ?? '';
    const added = store.comments.insert({
      id: store.nextId.comment(),
      ticket_id: audit.ticket_id,
      author_id: author?.id ?? actor.id,
      body,
      public: comment.public ?? true,
      created_at: timestamp(),
      audit_id: audit.id,
    });
    audit.events.push({
      id: added.id,
      type: 'Comment',
      author_id: added.author_id,
      body: added.body,
      html_body: `<p>${added.body}</p>`,
      plain_body: added.body,
      public: added.public,
      attachments: [],
      audit_id: audit.id,
    });
    return added;
  }

  const createTicket: StaffHandler = (request, { user: actor }) => {
    const parsed = ticketInputSchema.safeParse(request.body);
    if (!parsed.success) return invalidRequest('The body needs a "ticket" object.');
    const input = parsed.data.ticket;
    const details: Record<string, FieldProblem[]> = {};
    const body = input.comment?.body ?? input.comment?.html_body ?? '';
    if (body.trim() === '')
      details.description = [{ description: 'Description: cannot be blank', error: 'BlankValue' }];
    const assignee = input.assignee_id == null ? undefined : store.users.get(input.assignee_id);
    const assigneeIssue = input.assignee_id == null ? undefined : assigneeProblem(assignee);
    if (assigneeIssue !== undefined) details.assignee = [assigneeIssue];
    if (Object.keys(details).length > 0) return recordInvalid(details);
    const requester = requesterOf(input, actor);
    if (typeof requester !== 'number') return recordInvalid({ requester: [requester] });

    const now = timestamp();
    const ticket = store.tickets.insert({
      id: store.nextId.ticket(),
      subject: input.subject ?? body.slice(0, 80),
      status: input.status ?? (assignee === undefined ? 'new' : 'open'),
      requester_id: requester,
      submitter_id: actor.id,
      assignee_id: assignee?.id ?? null,
      group_id: assignee?.default_group_id ?? null,
      external_id: input.external_id ?? null,
      tags: [...new Set((input.tags ?? []).map((tag) => tag.toLowerCase()))],
      custom_fields: input.custom_fields ?? [],
      created_at: now,
      updated_at: now,
    });
    const audit = newAudit(request, ticket.id, actor.id, input);
    addComment(audit, { ...input.comment, body }, actor);
    audit.events.push({
      id: store.nextId.audit(),
      type: 'Create',
      field_name: 'assignee_id',
      value: ticket.assignee_id,
    });
    return answer(request, 201, ticket, audit);
  };

  return [
    {
      method: 'POST',
      path: '/api/v2/tickets',
      name: 'tickets.create',
      // https://developer.zendesk.com/api-reference/ticketing/introduction/#idempotency
      handler: staff(async (request, context): Promise<SandboxResponse> => {
        const key = request.headers['idempotency-key'];
        if (key === undefined) return createTicket(request, context);
        const now = clock();
        const print = fingerprint(request.body);
        const stored = store.idempotentAnswers.get(key);
        if (stored !== undefined && now - stored.storedAt < idempotencyKeyLifetimeMs) {
          if (stored.fingerprint !== print) {
            // Zendesk's answer to a reused key with another body is not documented (UNCONFIRMED).
            return json(400, {
              error: 'IdempotentRequestError',
              description: 'The Idempotency-Key was used before with a different request.',
            });
          }
          return {
            ...stored.response,
            headers: { ...stored.response.headers, 'x-idempotency-lookup': 'hit' },
          };
        }
        const response = await createTicket(request, context);
        // Only a create that happened is kept: a refused request may be corrected and sent again with its key.
        if (response.status >= 200 && response.status < 300) {
          const record = { fingerprint: print, response, storedAt: now };
          if (stored === undefined) store.idempotentAnswers.insert({ id: key, ...record });
          else store.idempotentAnswers.update(key, record);
        }
        return { ...response, headers: { ...response.headers, 'x-idempotency-lookup': 'miss' } };
      }),
    },
    {
      method: 'GET',
      path: '/api/v2/tickets',
      name: 'tickets.list',
      handler: staff((request) => {
        const externalId = request.query.get('external_id');
        const tickets = store.tickets.filter(
          (ticket) => externalId === null || ticket.external_id === externalId,
        );
        return json(200, {
          tickets: tickets.map((ticket) => wireTicket(request.origin, store, ticket)),
          next_page: null,
          previous_page: null,
          count: tickets.length,
        });
      }),
    },
    {
      method: 'GET',
      path: '/api/v2/tickets/:id',
      name: 'tickets.show',
      handler: staff((request, { params }) => {
        const ticket = store.tickets.get(Number(params.id));
        return ticket === undefined
          ? recordNotFound()
          : json(200, { ticket: wireTicket(request.origin, store, ticket) });
      }),
    },
    {
      method: 'GET',
      path: '/api/v2/tickets/:id/comments',
      name: 'tickets.comments',
      handler: staff((_request, { params }) => {
        const ticket = store.tickets.get(Number(params.id));
        if (ticket === undefined) return recordNotFound();
        const comments = store.comments.filter((comment) => comment.ticket_id === ticket.id);
        return json(200, {
          comments: comments.map(wireComment),
          next_page: null,
          previous_page: null,
          count: comments.length,
        });
      }),
    },
    {
      method: 'GET',
      path: '/api/v2/tickets/:id/audits',
      name: 'tickets.audits',
      // Oldest first; cursor pagination with page[size], offset pagination otherwise, 100 at most a page.
      handler: staff((request, { params }) => {
        const ticket = store.tickets.get(Number(params.id));
        if (ticket === undefined) return recordNotFound();
        const audits = store.audits.filter((audit) => audit.ticket_id === ticket.id);
        if (wantsCursor(request)) {
          const { items, meta, links } = cursorPage(request, audits);
          return json(200, { audits: items.map(wireAudit), meta, links });
        }
        const page = offsetPage(request, audits);
        return json(200, {
          audits: page.items.map(wireAudit),
          next_page: page.next_page,
          previous_page: page.previous_page,
          count: page.count,
        });
      }),
    },
    {
      method: 'PUT',
      path: '/api/v2/tickets/:id',
      name: 'tickets.update',
      handler: staff((request, { params, user: actor }) => {
        const current = store.tickets.get(Number(params.id));
        if (current === undefined) return recordNotFound();
        const parsed = ticketInputSchema.safeParse(request.body);
        if (!parsed.success) return invalidRequest('The body needs a "ticket" object.');
        const input = parsed.data.ticket;
        const events: Record<string, unknown>[] = [];
        const changes: Partial<ZendeskTicketRecord> = { updated_at: timestamp() };
        if (input.assignee_id !== undefined) {
          const assignee = input.assignee_id === null ? undefined : store.users.get(input.assignee_id);
          const problem = input.assignee_id === null ? undefined : assigneeProblem(assignee);
          if (problem !== undefined) return recordInvalid({ assignee: [problem] });
          changes.assignee_id = assignee?.id ?? null;
          changes.group_id = assignee?.default_group_id ?? current.group_id;
          if (current.status === 'new' && assignee !== undefined) changes.status = 'open';
          events.push({
            id: store.nextId.audit(),
            type: 'Change',
            field_name: 'assignee_id',
            value: changes.assignee_id,
            previous_value: current.assignee_id,
          });
        }
        if (input.status !== undefined) changes.status = input.status;
        if (input.subject !== undefined) changes.subject = input.subject;
        if (input.tags !== undefined) changes.tags = input.tags.map((tag) => tag.toLowerCase());
        if (
          input.comment !== undefined &&
          (input.comment.body ?? input.comment.html_body ?? '').trim() === ''
        ) {
          return recordInvalid({
            comment: [{ description: 'Comment: cannot be blank', error: 'BlankValue' }],
          });
        }
        const audit = newAudit(request, current.id, actor.id, input);
        if (input.comment !== undefined) addComment(audit, input.comment, actor);
        audit.events.push(...events);
        const ticket = store.tickets.update(current.id, changes) ?? current;
        return answer(request, 200, ticket, audit);
      }),
    },
  ];
}
