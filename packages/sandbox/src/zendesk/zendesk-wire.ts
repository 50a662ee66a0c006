import { json, type SandboxResponse } from '../http-exchange.js';
import type {
  ZendeskAuditRecord,
  ZendeskCommentRecord,
  ZendeskStore,
  ZendeskTicketRecord,
  ZendeskUserRecord,
} from './zendesk-store.js';

/**
 * Zendesk's JSON: records as the API returns them (trimmed to the fields integrations read, as in
 * the Zendesk plugin's fixture) and its error envelopes.
 * https://developer.zendesk.com/api-reference/introduction/requests/
 */

export function wireUser(origin: string, user: ZendeskUserRecord) {
  return {
    id: user.id,
    url: `${origin}/api/v2/users/${user.id}.json`,
    name: user.name,
    email: user.email,
    created_at: user.created_at,
    updated_at: user.updated_at,
    time_zone: 'UTC',
    iana_time_zone: 'Etc/UTC',
    phone: user.phone,
    locale: 'en-US',
    locale_id: 1,
    organization_id: null,
    role: user.role,
    role_type: user.role_type,
    custom_role_id: null,
    verified: user.email !== null,
    external_id: user.external_id,
    active: user.active,
    suspended: user.suspended,
    default_group_id: user.role === 'end-user' ? null : user.default_group_id,
    tags: [],
    user_fields: {},
  };
}

/** What `GET /api/v2/users/me` answers without credentials (and, in one reported case, for bad ones). */
export const anonymousUser = {
  id: null,
  url: null,
  name: 'Anonymous user',
  email: 'invalid@example.com',
  created_at: null,
  updated_at: null,
  time_zone: 'UTC',
  locale_id: 1,
  locale: 'en-US',
  organization_id: null,
  role: 'end-user',
  verified: false,
};

export function wireTicket(origin: string, store: ZendeskStore, ticket: ZendeskTicketRecord) {
  const comments = store.comments.filter((comment) => comment.ticket_id === ticket.id);
  const first = comments[0];
  return {
    url: `${origin}/api/v2/tickets/${ticket.id}.json`,
    id: ticket.id,
    external_id: ticket.external_id,
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    created_at: ticket.created_at,
    updated_at: ticket.updated_at,
    type: null,
    subject: ticket.subject,
    raw_subject: ticket.subject,
    description: first?.body ?? '',
    priority: null,
    status: ticket.status,
    requester_id: ticket.requester_id,
    submitter_id: ticket.submitter_id,
    assignee_id: ticket.assignee_id,
    organization_id: null,
    group_id: ticket.group_id,
    collaborator_ids: [],
    follower_ids: [],
    tags: ticket.tags,
    custom_fields: ticket.custom_fields,
    is_public: first?.public ?? false,
  };
}

export function wireComment(comment: ZendeskCommentRecord) {
  return {
    id: comment.id,
    type: 'Comment',
    author_id: comment.author_id,
    body: comment.body,
    plain_body: comment.body,
    public: comment.public,
    audit_id: comment.audit_id,
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    created_at: comment.created_at,
  };
}

/** A ticket audit (TicketAuditObject): the request's `ticket.metadata` comes back as `metadata.custom`. */
export function wireAudit(audit: ZendeskAuditRecord) {
  return {
    id: audit.id,
    ticket_id: audit.ticket_id,
    created_at: audit.created_at,
    author_id: audit.author_id,
    metadata: {
      custom: audit.custom,
      system: { client: audit.client, ip_address: '127.0.0.1', location: 'Loopback' },
    },
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    events: audit.events,
  };
}

/** 401: the credentials were not accepted. */
export function couldNotAuthenticate(): SandboxResponse {
  return json(401, { error: "Couldn't authenticate you" });
}

/** 401 for a Bearer token Zendesk does not (or no longer) accept. */
export function invalidToken(): SandboxResponse {
  return json(401, {
    error: 'invalid_token',
    error_description:
      'The access token provided is expired, revoked, malformed or invalid for other reasons.',
  });
}

/** 403: authenticated, but not allowed. */
export function forbidden(): SandboxResponse {
  return json(403, {
    error: 'Forbidden',
    description:
      'You do not have access to this page. Please contact the account owner of this help desk for further help.',
  });
}

export function recordNotFound(): SandboxResponse {
  return json(404, { error: 'RecordNotFound', description: 'Not found' });
}

/** A field problem of a RecordInvalid answer. */
export interface FieldProblem {
  description: string;
  error: string;
}

/** 422 RecordInvalid with per-field details, e.g. `{ assignee: [{ description, error }] }`. */
export function recordInvalid(details: Readonly<Record<string, readonly FieldProblem[]>>): SandboxResponse {
  return json(422, { error: 'RecordInvalid', description: 'Record validation errors', details });
}

/** 400 for a request whose body is not what the endpoint reads. */
export function invalidRequest(description: string): SandboxResponse {
  return json(400, { error: 'InvalidValue', description });
}
