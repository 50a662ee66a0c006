import {
  AuthenticationError,
  AuthorizationError,
  bodyExcerpt,
  ConfigurationError,
  ConflictError,
  type CrmConnectError,
  createAnswerParser,
  createWriteAnswerParser,
  type ErrorResponse,
  NotFoundError,
  OwnerRejectedError,
  parseRetryAfter,
  RateLimitedError,
} from '@crm-connect/core';
import { z } from 'zod';
import { regionalOrigin } from './kustomer-base-url.js';
import { pluginId } from './kustomer-plugin-id.js';
import { describeRole, type RoleNeed, requiredRoles } from './kustomer-roles.js';

/**
 * What each call does, named once: the HTTP layer puts it in logs and errors, and a 403 on it
 * names the role the call needs.
 */
export const operations = {
  currentUser: { name: "read the API key's user", role: undefined },
  currentToken: { name: "read the API key's roles", role: undefined },
  listUsers: { name: 'list users', role: 'readUsers' },
  findCustomer: { name: 'find customer', role: 'readCustomers' },
  createCustomer: { name: 'create customer', role: 'createCustomers' },
  readUser: { name: 'read user', role: 'readUsers' },
  findConversation: { name: 'find conversation by external id', role: 'readConversations' },
  createConversation: { name: 'create conversation', role: 'createConversations' },
  assignConversation: { name: 'assign conversation', role: 'updateConversations' },
  listNotes: { name: 'list conversation notes', role: 'readConversations' },
  createNote: { name: 'add note', role: 'createNotes' },
} as const satisfies Record<string, { name: string; role: RoleNeed | undefined }>;

/**
 * Kustomer's error body: JSON:API error objects, `{ errors: [{ status, code, title, detail, source }] }`;
 * some endpoints answer `{ code, message }` instead. Exact bodies per status are UNCONFIRMED, so
 * every field is optional and the text of all of them is searched.
 * Source: https://developer.kustomer.com/kustomer-api-docs/reference/introduction
 */
const errorBodySchema = z.object({
  errors: z
    .array(
      z.object({
        code: z.union([z.string(), z.number()]).optional(),
        title: z.string().optional(),
        detail: z.string().optional(),
        source: z.object({ pointer: z.string().optional(), parameter: z.string().optional() }).optional(),
      }),
    )
    .optional(),
  code: z.union([z.string(), z.number()]).optional(),
  message: z.string().optional(),
});

/** All the human-readable text of an error answer, for pattern checks. */
function errorText(data: unknown): string {
  if (typeof data === 'string') return data;
  const parsed = errorBodySchema.safeParse(data);
  if (!parsed.success) return JSON.stringify(data ?? '');
  const { errors = [], code, message } = parsed.data;
  const parts = errors.flatMap((error) => [
    error.code,
    error.title,
    error.detail,
    error.source?.pointer,
    error.source?.parameter,
  ]);
  return [...parts, code, message].filter((part) => part !== undefined).join(' ');
}

/**
 * When the 429 carries no Retry-After, Kustomer's `x-ratelimit-reset` (UNCONFIRMED, so read in
 * every common form: epoch seconds, epoch ms, seconds to wait, or an HTTP date) says when the
 * window resets. Without either, the core backs off exponentially.
 */
export function rateLimitResetMs(
  headers: Readonly<Record<string, string>>,
  now = Date.now(),
): number | undefined {
  const value = headers['x-ratelimit-reset']?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) {
    const number = Number(value);
    if (number > 1e12) return Math.max(0, Math.round(number - now));
    if (number > 1e9) return Math.max(0, Math.round(number * 1000 - now));
    return Math.round(number * 1000);
  }
  return parseRetryAfter(value, now);
}

/** Maps Kustomer's error answers to typed errors; `undefined` leaves the generic mapping by status. */
export function createErrorMapper(
  apiBaseUrl: string,
): (response: ErrorResponse) => CrmConnectError | undefined {
  return (response) => {
    const { status, requestId } = response;
    const text = errorText(response.data);
    const body = bodyExcerpt(response);
    const common = { pluginId, status, requestId, cause: { status, body } };
    const prefix = `Kustomer: ${response.operation} failed with HTTP ${status}`;

    // "Auth token associated with pod prod2 but request is being handled by prod1": the key
    // belongs to another region than the configured host serves.
    const pods = /pod\s+(prod\d+)\b.*?handled by\s+(prod\d+)/i.exec(text);
    if (pods?.[1] !== undefined && status >= 400 && status < 500) {
      return new ConfigurationError(
        `${prefix}: the API key belongs to Kustomer's ${pods[1]} region but ${apiBaseUrl} is served by ${pods[2]}. Set the API base URL to your organization's host (https://{org}.api.kustomerapp.com, which routes to the right region) or to ${regionalOrigin(pods[1])}.`,
        {
          ...common,
          issues: [{ path: 'apiBaseUrl', message: `apiBaseUrl: use ${regionalOrigin(pods[1])}` }],
        },
      );
    }
    if (status === 401) {
      return new AuthenticationError(
        `${prefix}: Kustomer rejected the API key (mistyped, expired or deleted). Create a key under Settings › Security › API Keys in Kustomer (no expiry) and paste it here.`,
        common,
      );
    }
    if (status === 403) {
      const operation = Object.values(operations).find((candidate) => candidate.name === response.operation);
      const role = operation?.role === undefined ? undefined : requiredRoles[operation.role];
      const needs = role === undefined ? 'a role this call needs' : describeRole(role);
      return new AuthorizationError(
        `${prefix}: the API key lacks ${needs}, or its IP restriction excludes this server. Kustomer roles cannot be added to an existing key: create a new API key with the roles listed in the crm-connect Kustomer README and paste it here (${body}).`,
        common,
      );
    }
    if (status === 429) {
      const retryAfterMs = response.retryAfterMs ?? rateLimitResetMs(response.headers);
      const limit = response.headers['x-ratelimit-limit'];
      const wait = retryAfterMs === undefined ? '' : ` Retry after ${Math.ceil(retryAfterMs / 1000)} s.`;
      return new RateLimitedError(
        `${prefix}: the organization's API rate limit${limit === undefined ? '' : ` (${limit} requests per minute)`} is exhausted; it is shared by every API key of the organization. Make the "rate limit per minute" setting match your plan, or lower it to leave room for other integrations.${wait}`,
        { ...common, retryAfterMs },
      );
    }
    if ((status === 400 || status === 422) && /assignedUsers/i.test(text)) {
      return new OwnerRejectedError(
        `${prefix}: Kustomer refused the assigned user (deactivated, deleted or not an agent) (${body}).`,
        { ...common, ownerId: 'unknown' },
      );
    }
    if (
      status === 409 ||
      ((status === 400 || status === 422) && /duplicate|already exists|unique/i.test(text))
    ) {
      return new ConflictError(`${prefix}: the record already exists (${body}).`, common);
    }
    if (status === 404) {
      return new NotFoundError(
        `${prefix}: the record does not exist in Kustomer any more (deleted or merged) (${body}).`,
        common,
      );
    }
    return undefined;
  };
}

/** Parses a Kustomer answer with a minimal schema; an unexpected shape is a typed error, not a crash. */
export const parseAnswer = createAnswerParser({
  pluginId,
  hint: "Check that the API base URL is your organization's Kustomer API host (https://{org}.api.kustomerapp.com).",
});

/**
 * Parses the answer to a create: one that does not parse may follow a committed write, so it is a
 * retryable `InvalidResponseError`, which core's `createOnce` treats like any uncertain failure (the
 * record is looked up by its external id, never created blindly again).
 */
export const parseWriteAnswer = createWriteAnswerParser({
  pluginId,
  hint: "Check that the API base URL is your organization's Kustomer API host (https://{org}.api.kustomerapp.com).",
  afterward: 'The write may have been applied: it is looked up before anything is sent again.',
});
