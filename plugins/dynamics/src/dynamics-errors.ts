import {
  AuthenticationError,
  AuthorizationError,
  asOwnerRejected,
  ConflictError,
  type CrmConnectError,
  CrmRejectedInputError,
  type CrmUser,
  createAnswerParser,
  type ErrorResponse,
  hasErrorCode,
  NotFoundError,
  RateLimitedError,
  TransportError,
} from '@crm-connect/core';
import { z } from 'zod';
import { pluginId } from './dynamics-plugin-id.js';

/**
 * Dataverse Web API error answers (`{"error":{"code":"0x…","message":"…"}}`) mapped to typed errors.
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes
 * The codes below marked (community) are widely observed but not quoted from Microsoft's pages.
 */
export const dataverseCodes = {
  /** "The user is not a member of the organization.": no application user for this app (HTTP 403). */
  notMember: '0x80072560',
  /** The user is disabled or in no business unit (community). */
  userDisabled: '0x80040225',
  /** The user has no license (community). */
  noLicense: '0x8004d24b',
  /**
   * "Cannot insert duplicate key" (-2147220937) / "A record with matching key values already exists."
   * https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/client-errors
   */
  duplicateKey: '0x80040237',
} as const;
const privilegeDenied = new Set(['0x80040220', '0x80048306']);
const notFound = new Set(['0x80040217', '0x80060891']);
const serviceProtection = new Set(['0x80072322', '0x80072321', '0x80072326']);

const odataErrorSchema = z.object({
  error: z.object({ code: z.string().optional(), message: z.string().optional() }),
});

/** What a mapped error keeps as `cause`: the status and Dataverse's code and message, redacted. */
const dataverseFailureSchema = z.object({
  status: z.number(),
  dataverseCode: z.string().optional(),
  message: z.string(),
});
export type DataverseFailure = z.infer<typeof dataverseFailureSchema>;

/** The Dataverse failure a mapped error carries as `cause`; `undefined` for any other error. */
export function dataverseFailureOf(error: unknown): DataverseFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const parsed = dataverseFailureSchema.safeParse(error.cause);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A create refused as a duplicate, or as bad data (Dataverse words a duplicate key several
 * ways): the record may exist already, written by an earlier attempt.
 */
export function isDuplicateRefusal(error: unknown): boolean {
  return hasErrorCode(error, 'conflict') || hasErrorCode(error, 'crm_rejected_input');
}

/**
 * A refusal that concerns the owner (disabled, unlicensed, or named in Dataverse's message)
 * becomes an owner refusal naming that owner, so the connector can fall back to the default user.
 */
export function ownerRejected(error: unknown, owner: CrmUser): unknown {
  const aboutOwner = (failure: DataverseFailure) =>
    failure.dataverseCode === dataverseCodes.userDisabled ||
    failure.dataverseCode === dataverseCodes.noLicense ||
    failure.message.toLowerCase().includes(owner.id.toLowerCase());
  return asOwnerRejected(error, owner.id, {
    concernsOwner: (candidate) => {
      const failure = dataverseFailureOf(candidate);
      return !candidate.retryable && failure !== undefined && aboutOwner(failure);
    },
    message: (candidate) =>
      `dynamics: Dynamics 365 refused ${owner.name ?? owner.id} as the case owner (${dataverseFailureOf(candidate)?.message ?? candidate.message}). Enable the user or give them a security role that can own cases.`,
  });
}

export interface ErrorMappingContext {
  organizationUrl: string;
  clientId: string;
}

/** The `mapError` of the Dataverse HTTP client. */
export function dataverseErrorMapper(target: ErrorMappingContext) {
  return (response: ErrorResponse): CrmConnectError | undefined => {
    const parsed = odataErrorSchema.safeParse(response.data);
    const code = parsed.success ? parsed.data.error.code?.toLowerCase() : undefined;
    const raw = parsed.success ? (parsed.data.error.message ?? '') : '';
    const text = response.redact(raw.length > 400 ? `${raw.slice(0, 400)}…` : raw);
    const failure: DataverseFailure = { status: response.status, dataverseCode: code, message: text };
    const what = `dynamics: ${response.operation} failed with HTTP ${response.status}${code ? ` ${code}` : ''}`;
    const said = text === '' ? '' : ` (${text})`;
    const common = {
      pluginId: response.pluginId,
      status: response.status,
      requestId: response.requestId,
      retryAfterMs: response.retryAfterMs,
      cause: failure,
    };

    if (response.status === 429 || (code !== undefined && serviceProtection.has(code))) {
      const wait =
        response.retryAfterMs === undefined
          ? ''
          : ` Retry after ${Math.ceil(response.retryAfterMs / 1000)} s.`;
      return new RateLimitedError(
        `${what}: Dataverse service protection limits reached for the application user${said}.${wait}`,
        common,
      );
    }
    if (code === dataverseCodes.notMember) {
      return new AuthorizationError(
        `${what}: application ${target.clientId} has no application user in ${target.organizationUrl}${said}. Create one: Power Platform admin center › Environments › your environment › Settings › Users + permissions › Application users › + New app user; pick this app, a business unit and a security role.`,
        common,
      );
    }
    if (code === dataverseCodes.userDisabled || code === dataverseCodes.noLicense) {
      return new AuthorizationError(
        `${what}: a Dynamics user in this request is disabled or unlicensed${said}. Enable the user (Power Platform admin center › Users + permissions) or let another user own the record.`,
        common,
      );
    }
    if (code !== undefined && privilegeDenied.has(code)) {
      const delegate = /prvActOnBehalfOfAnotherUser/i.test(text)
        ? ' Give the application user the Delegate security role, or turn off impersonation.'
        : ' Give the application user (and, with impersonation, the agents) a security role that can read users and create, read, write, append and assign cases, contacts and notes.';
      return new AuthorizationError(`${what}: a privilege is missing${said}.${delegate}`, common);
    }
    if (response.status === 401) {
      return new AuthenticationError(
        `${what}: Dataverse refused the application's access token even after a fresh one was issued${said}. Check that ${target.organizationUrl} is an environment of the same tenant as application ${target.clientId}.`,
        common,
      );
    }
    if (response.status === 403) {
      return new AuthorizationError(
        `${what}: the application user is not allowed to do this${said}.`,
        common,
      );
    }
    if (response.status === 404 || (code !== undefined && notFound.has(code))) {
      return new NotFoundError(`${what}: the record does not exist in Dynamics 365${said}.`, common);
    }
    if (code === dataverseCodes.duplicateKey || response.status === 409 || response.status === 412) {
      return new ConflictError(`${what}: the record already exists${said}.`, common);
    }
    if (response.status >= 500) {
      return new TransportError(
        `${what}: Dataverse had a server error${said}. It is retried when safe.`,
        common,
      );
    }
    if (response.status === 400 || response.status === 413) {
      return new CrmRejectedInputError(`${what}: Dataverse refused the data${said}.`, common);
    }
    return undefined;
  };
}

/** Validates what Dataverse answered; an unexpected shape is a typed error, not a crash further on. */
export const parseAnswer = createAnswerParser({
  pluginId,
  hint: 'Check that the organization URL points at a Dynamics 365 environment.',
});
