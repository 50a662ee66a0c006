import { json, type SandboxRequest, type SandboxResponse } from '../http-exchange.js';
import type {
  ApiKeyRecord,
  ConversationRecord,
  CustomerRecord,
  KustomerStore,
  KustomerUserRecord,
  NoteRecord,
} from './kustomer-store.js';

/**
 * Kustomer's JSON:API-style envelopes (`{ data: { type, id, attributes, relationships, links } }`,
 * lists with `links` and `meta`) and error bodies (`{ errors: [{ status, code, title, detail,
 * source }] }`), as in the Kustomer plugin's fixture. Exact error bodies per status are not
 * documented (UNCONFIRMED); these follow the documented error object.
 * https://developer.kustomer.com/kustomer-api-docs/reference/introduction
 */

function reference(type: string, id: string, path: string) {
  return { links: { self: `/v1/${path}/${id}` }, data: { type, id } };
}

export function userResource(store: KustomerStore, user: KustomerUserRecord) {
  return {
    type: 'user',
    id: user.id,
    attributes: {
      name: user.name,
      displayName: user.name,
      userType: user.userType,
      email: user.email,
      mobile: null,
      roles: user.roles,
      deleted: user.deleted,
      deletedAt: user.deletedAt,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    },
    relationships: { org: reference('org', store.orgId, 'orgs') },
    links: { self: `/v1/users/${user.id}` },
  };
}

export function tokenResource(store: KustomerStore, key: ApiKeyRecord) {
  return {
    type: 'token',
    id: key.id,
    attributes: {
      name: key.name,
      roles: key.roles,
      lastTokenChars: key.token.slice(-2),
      createdAt: key.createdAt,
      updatedAt: key.createdAt,
    },
    relationships: {
      org: reference('org', store.orgId, 'orgs'),
      user: reference('user', key.userId, 'users'),
    },
    links: { self: `/v1/auth/tokens/${key.id}` },
  };
}

export function customerResource(store: KustomerStore, customer: CustomerRecord) {
  return {
    type: 'customer',
    id: customer.id,
    attributes: {
      name: customer.name,
      displayName: customer.name,
      emails: customer.emails,
      phones: customer.phones,
      externalId: customer.externalId,
      createdAt: customer.createdAt,
      updatedAt: customer.updatedAt,
      modifiedAt: customer.updatedAt,
    },
    relationships: {
      org: { data: { type: 'org', id: store.orgId } },
      createdBy: { data: { type: 'user', id: customer.createdBy } },
    },
    links: { self: `/v1/customers/${customer.id}` },
  };
}

export function conversationResource(store: KustomerStore, conversation: ConversationRecord) {
  return {
    type: 'conversation',
    id: conversation.id,
    attributes: {
      name: conversation.name,
      externalId: conversation.externalId,
      channels: [],
      status: conversation.status,
      priority: conversation.priority,
      direction: conversation.direction,
      replyChannel: conversation.replyChannel,
      messageCount: 0,
      noteCount: store.notes.count((note) => note.conversationId === conversation.id),
      assignedUsers: conversation.assignedUsers,
      assignedTeams: [],
      createdAt: conversation.createdAt,
      updatedAt: conversation.updatedAt,
    },
    relationships: {
      org: { data: { type: 'org', id: store.orgId } },
      customer: reference('customer', conversation.customerId, 'customers'),
      createdBy: { data: { type: 'user', id: conversation.createdBy } },
      modifiedBy: { data: { type: 'user', id: conversation.modifiedBy } },
    },
    links: { self: `/v1/conversations/${conversation.id}` },
  };
}

export function noteResource(note: NoteRecord) {
  return {
    type: 'note',
    id: note.id,
    attributes: {
      body: note.body,
      externalId: note.externalId,
      createdAt: note.createdAt,
      updatedAt: note.updatedAt,
    },
    relationships: {
      conversation: { data: { type: 'conversation', id: note.conversationId } },
      customer: { data: { type: 'customer', id: note.customerId } },
      createdBy: { data: { type: 'user', id: note.createdBy } },
    },
    links: { self: `/v1/notes/${note.id}` },
  };
}

const maxPageSize = 100;

/** A page of a listing (`page`, `pageSize`), with Kustomer's `meta` and relative `links`. */
export function listPage<T>(request: SandboxRequest, items: readonly T[], toResource: (item: T) => unknown) {
  const pageSize = Math.min(maxPageSize, Math.max(1, Number(request.query.get('pageSize')) || maxPageSize));
  const page = Math.max(1, Number.parseInt(request.query.get('page') ?? '1', 10) || 1);
  const link = (target: number) => {
    const query = new URLSearchParams(request.query);
    query.set('page', String(target));
    query.set('pageSize', String(pageSize));
    return `${request.path}?${query.toString()}`;
  };
  const start = (page - 1) * pageSize;
  return {
    meta: { page, pageSize },
    data: items.slice(start, start + pageSize).map(toResource),
    links: {
      self: link(page),
      first: link(1),
      prev: page > 1 ? link(page - 1) : null,
      next: start + pageSize < items.length ? link(page + 1) : null,
    },
  };
}

/** An error answer with one JSON:API error object. */
export function kustomerError(
  status: number,
  code: string,
  title: string,
  detail?: string,
  pointer?: string,
): SandboxResponse {
  return json(status, {
    errors: [
      {
        status,
        code,
        title,
        ...(detail === undefined ? {} : { detail }),
        ...(pointer === undefined ? {} : { source: { pointer } }),
      },
    ],
  });
}

export const notFound = () => kustomerError(404, 'not_found', 'Not Found');
export const unauthorized = () => kustomerError(401, 'unauthorized', 'Unauthorized', 'invalid token');

/**
 * 400 naming the attribute at fault (`/data/attributes/assignedUsers`): `bad_request`, the code
 * Kustomer's Errors page gives a 400 (invalid JSON, missing fields, wrong types), as a JSON:API
 * error object with `source`, which the page says some endpoints return.
 * https://developer.kustomer.com/docs/concepts/errors
 */
export function invalidAttribute(attribute: string, detail: string): SandboxResponse {
  return kustomerError(
    400,
    'bad_request',
    'Bad Request',
    `${attribute}: ${detail}`,
    `/data/attributes/${attribute}`,
  );
}
