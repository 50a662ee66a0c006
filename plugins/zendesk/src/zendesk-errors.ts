import {
  AuthenticationError,
  AuthorizationError,
  asOwnerRejected,
  bodyExcerpt,
  ConflictError,
  type CrmConnectError,
  CrmRejectedInputError,
  createAnswerParser,
  createWriteAnswerParser,
  type ErrorResponse,
  type FieldIssue,
  hasErrorCode,
  NotFoundError,
  TransportError,
} from '@crm-connect/core';
import { z } from 'zod';
import { pluginId } from './zendesk-plugin-id.js';
import type { ZendeskAuthMode } from './zendesk-settings.js';

/**
 * Zendesk's error answers mapped to the core's typed errors. Shapes (the OpenAPI file models
 * none of them for tickets and users): 401 `{"error":"Couldn't authenticate you"}`, 403
 * `{"error":"Forbidden","description":…}` or `{"error":{"title":…,"message":…}}`, 404
 * `{"error":"RecordNotFound","description":"Not found"}`, 422 `{"error":"RecordInvalid",
 * "description":…,"details":{"<field>":[{"description":…,"error":…}]}}`. Anything else (429,
 * 5xx) takes the core's generic mapping, which reads Retry-After and marks 5xx retryable.
 * https://developer.zendesk.com/api-reference/introduction/requests/
 */

const errorBodySchema = z.object({
  error: z
    .union([z.string(), z.object({ title: z.string().optional(), message: z.string().optional() })])
    .optional(),
  description: z.string().optional(),
  details: z
    .record(
      z.string(),
      z.array(z.object({ description: z.string().optional(), error: z.string().optional() })),
    )
    .optional(),
});

/** What the admin can do about refused credentials, per mode. */
const credentialHints: Record<ZendeskAuthMode, { refused: string; forbidden: string }> = {
  apiToken: {
    refused:
      'Check the Zendesk user email and API token, that the token is still active and that token access is enabled in Admin Center › Apps and integrations › APIs › Zendesk API.',
    forbidden: 'The Zendesk user lacks a permission: use the email of a Zendesk admin.',
  },
  oauthClientCredentials: {
    refused:
      'Check that the OAuth client still exists in Admin Center › Apps and integrations › APIs › OAuth clients and that its admin is active.',
    forbidden:
      'The OAuth token lacks a permission: the client must allow the read and write scopes, and the admin who created it must still be an admin.',
  },
};

/** The `error` of a Zendesk error body when it is a plain name (`RecordInvalid`, `IdempotentRequestError`). */
function errorName(data: unknown): string | undefined {
  const parsed = errorBodySchema.safeParse(data);
  return parsed.success && typeof parsed.data.error === 'string' ? parsed.data.error : undefined;
}

function summarise(data: unknown, response: ErrorResponse): string {
  const parsed = errorBodySchema.safeParse(data);
  if (!parsed.success) return bodyExcerpt(response, 200);
  const { error, description } = parsed.data;
  const title = typeof error === 'string' ? error : (error?.message ?? error?.title);
  const text = [title, description].filter((part) => part !== undefined && part !== '').join(': ');
  return response.redact(text === '' ? bodyExcerpt(response, 200) : text);
}

/** Field issues from a RecordInvalid `details` object (`ticket.assignee: Assignee is not an agent`). */
function recordInvalidIssues(data: unknown, redact: (text: string) => string): FieldIssue[] {
  const parsed = errorBodySchema.safeParse(data);
  if (!parsed.success || parsed.data.details === undefined) return [];
  return Object.entries(parsed.data.details).flatMap(([field, problems]) =>
    problems.map((problem) => ({
      path: `ticket.${field}`,
      message: redact(problem.description ?? problem.error ?? 'is invalid'),
    })),
  );
}

/** The Support API mapping for one connection's credentials mode. */
export function zendeskErrorMapper(mode: ZendeskAuthMode) {
  const hints = credentialHints[mode];
  return (response: ErrorResponse): CrmConnectError | undefined => {
    const { status, requestId, retryAfterMs } = response;
    const common = {
      pluginId,
      status,
      requestId,
      retryAfterMs,
      cause: { status, body: bodyExcerpt(response) },
    };
    const what = summarise(response.data, response);
    const prefix = `Zendesk refused to ${response.operation} (HTTP ${status}: ${what}).`;
    if (status === 401) return new AuthenticationError(`${prefix} ${hints.refused}`, common);
    if (status === 403) return new AuthorizationError(`${prefix} ${hints.forbidden}`, common);
    if (status === 404) {
      return new NotFoundError(
        `${prefix} The ticket or user no longer exists in Zendesk (deleted, or merged into another ticket).`,
        common,
      );
    }
    if (status === 400 && errorName(response.data) === 'IdempotentRequestError') {
      // The key was used before with another body: its ticket exists (Zendesk's answer is UNCONFIRMED).
      return new ConflictError(
        `${prefix} A ticket was created with this Idempotency-Key before, from a different request.`,
        common,
      );
    }
    if (status === 422 || (status === 400 && errorBodySchema.safeParse(response.data).success)) {
      const issues = recordInvalidIssues(response.data, response.redact);
      const fields = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
      return new CrmRejectedInputError(
        `${prefix}${fields === '' ? '' : ` ${fields}.`} Fix the data or the Zendesk field rules it breaks.`,
        { ...common, issues },
      );
    }
    return undefined;
  };
}

const oauthErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

/** RFC 6749 error codes that say the server, not the client, is the problem: ask again later. */
const transientOAuthCodes = new Set(['temporarily_unavailable', 'server_error']);

/**
 * The token endpoint answers RFC 6749 errors (`{"error":"invalid_client",…}`); which status Zendesk
 * uses for each (400 or 401) is not documented, so the code decides, not the status. What says
 * "later" — a 429 (JSON or text/plain), a 5xx, `temporarily_unavailable` or `server_error` with
 * any status — is a retryable error carrying Retry-After, never refused credentials: a save then
 * keeps the credentials unverified instead of reverting them.
 */
export function oauthErrorMapper(response: ErrorResponse): CrmConnectError | undefined {
  // Rate limits and server errors keep the generic, retryable mapping (Retry-After included).
  if (response.status === 429 || response.status >= 500) return undefined;
  const parsed = oauthErrorSchema.safeParse(response.data);
  if (!parsed.success && response.status !== 401 && response.status !== 403) return undefined;
  const code = parsed.success ? parsed.data.error : `HTTP ${response.status}`;
  const detail = parsed.success && parsed.data.error_description ? `: ${parsed.data.error_description}` : '';
  const common = {
    pluginId,
    status: response.status,
    requestId: response.requestId,
    retryAfterMs: response.retryAfterMs,
    cause: { status: response.status, body: bodyExcerpt(response) },
  };
  const why = response.redact(`${code}${detail}`);
  if (transientOAuthCodes.has(code)) {
    return new TransportError(
      `Zendesk's OAuth token endpoint is temporarily unable to issue a token (HTTP ${response.status}: ${why}). It is asked again later; nothing is wrong with the OAuth client.`,
      common,
    );
  }
  if (code === 'invalid_scope') {
    return new AuthorizationError(
      `Zendesk refused the OAuth scopes "read write" (${why}). Allow the read and write scopes on the OAuth client in Admin Center › Apps and integrations › APIs › OAuth clients.`,
      common,
    );
  }
  if (code === 'unauthorized_client' || code === 'unsupported_grant_type') {
    return new AuthenticationError(
      `Zendesk refused the client credentials grant (${why}). The OAuth client must be of kind "Confidential"; edit it in Admin Center › Apps and integrations › APIs › OAuth clients.`,
      common,
    );
  }
  return new AuthenticationError(
    `Zendesk refused the OAuth client (${why}). Check the client's identifier (not its numeric id) and secret in Admin Center › Apps and integrations › APIs › OAuth clients; regenerate the secret if it was lost.`,
    common,
  );
}

/** A RecordInvalid naming the assignee means Zendesk refused the owner (not an agent any more, suspended, wrong group). */
export function assigneeRejected(error: unknown, ownerId: string): unknown {
  return asOwnerRejected(error, ownerId, {
    concernsOwner: (candidate) => assigneeIssues(candidate).length > 0,
    message: (candidate) =>
      `Zendesk refused user ${ownerId} as the ticket's assignee (${assigneeIssues(candidate)
        .map((issue) => issue.message)
        .join('; ')}). Make sure they are an active agent who can be assigned tickets.`,
  });
}

function assigneeIssues(error: CrmConnectError): readonly FieldIssue[] {
  if (!hasErrorCode(error, 'crm_rejected_input')) return [];
  return error.issues.filter((issue) => /^ticket\.assignee/.test(issue.path));
}

/** Parses a Zendesk answer with a minimal schema; an unexpected shape is a typed error, not a crash. */
export const parseAnswer = createAnswerParser({
  pluginId,
  hint: 'Check that the subdomain is your Zendesk account; otherwise the Zendesk API may have changed: report it with the request id.',
});

/**
 * Parses Zendesk's answer to a write. A 2xx whose body does not have the documented shape may come
 * after the write was made: the error is retryable, and the redelivery looks the record up before
 * writing (tickets by external id, notes by their audit metadata, users by external id or phone)
 * or repeats a write that is safe to repeat (an assignment, an upsert).
 */
export const parseWriteAnswer = createWriteAnswerParser({
  pluginId,
  hint: 'Check that the subdomain is your Zendesk account; otherwise the Zendesk API may have changed: report it with the request id.',
  afterward:
    'Zendesk accepted the request, so the write may have been made: deliver the event again, and what was written is looked up before anything is written twice.',
});
