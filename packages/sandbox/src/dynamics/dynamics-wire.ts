import { randomUUID } from 'node:crypto';
import { json, type SandboxRequest, type SandboxResponse } from '../http-exchange.js';
import { QueryOptionError } from './dynamics-odata.js';
import type {
  AnnotationRecord,
  ContactRecord,
  IncidentRecord,
  RoleRecord,
  SystemUserRecord,
} from './dynamics-store.js';

/**
 * Dataverse Web API answers: rows with `@odata.etag`, OData error bodies `{"error":{"code",
 * "message"}}` with Dataverse's hexadecimal codes, and the Microsoft Entra token endpoint's
 * error bodies (`error`, `error_description` starting with the AADSTS number, `error_codes`).
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes
 */

export const webApiPath = '/api/data/v9.2';

/** Dataverse error codes the sandbox answers with (those marked UNCONFIRMED come from community code, as in the plugin). */
export const dataverseCodes = {
  /** A privilege is missing. */
  privilegeMissing: '0x80040220',
  /** The user is disabled (UNCONFIRMED). */
  userDisabled: '0x80040225',
  /** The app has no application user in the environment. */
  notMember: '0x80072560',
  /** A record with this primary key exists: "Cannot insert duplicate key", -2147220937 (Troubleshoot Dataverse client errors). */
  duplicateKey: '0x80040237',
  /** No record with this id: "… Do Not Exist", -2147220969 (same page). */
  doesNotExist: '0x80040217',
  /** A value failed validation (too long, out of range). */
  validation: '0x80044331',
  /** The payload names an attribute the table does not have, or is not JSON. */
  badPayload: '0x80048d19',
  /** A query option is invalid. */
  badQuery: '0x80060888',
  /** No resource at this path. */
  noResource: '0x8006088a',
  /** Service protection: too many requests. */
  throttled: '0x80072322',
  /** An unexpected server error. */
  unexpected: '0x80040216',
} as const;

export function odataError(
  status: number,
  code: string,
  message: string,
  headers?: Readonly<Record<string, string>>,
): SandboxResponse {
  return json(status, { error: { code, message } }, headers);
}

export const doesNotExist = (table: string, id: string) =>
  odataError(404, dataverseCodes.doesNotExist, `${table} With Id = ${id} Does Not Exist`);

/** A row of a table: the record without the sandbox's bookkeeping, with its etag. */
function row<T extends { id: string; versionnumber: number }>(record: T, hidden: readonly string[] = []) {
  const { id: _id, ...rest } = record;
  const visible: Record<string, unknown> = { '@odata.etag': `W/"${record.versionnumber}"` };
  for (const [name, value] of Object.entries(rest)) if (!hidden.includes(name)) visible[name] = value;
  return visible;
}

export const systemUserRow = (user: SystemUserRecord) => row(user, ['roleIds']);
export const contactRow = (contact: ContactRecord) => row(contact);
export const incidentRow = (incident: IncidentRecord) => row(incident);
export const annotationRow = (annotation: AnnotationRecord) => row(annotation);
export const roleRow = (role: RoleRecord) => ({ roleid: role.roleid, name: role.name });

const owned = [
  '_ownerid_value',
  '_createdby_value',
  '_createdonbehalfby_value',
  '_modifiedby_value',
  'createdon',
  'modifiedon',
  'versionnumber',
];

/** The attributes `$select`, `$filter` and `$orderby` may name, per table. */
export const attributes = {
  systemuser: new Set([
    'systemuserid',
    'fullname',
    'firstname',
    'lastname',
    'internalemailaddress',
    'isdisabled',
    'accessmode',
    'applicationid',
    'azureactivedirectoryobjectid',
    '_businessunitid_value',
    'createdon',
    'modifiedon',
    'versionnumber',
  ]),
  contact: new Set([
    'contactid',
    'firstname',
    'lastname',
    'fullname',
    'emailaddress1',
    'mobilephone',
    'telephone1',
    'statecode',
    'statuscode',
    ...owned,
  ]),
  incident: new Set([
    'incidentid',
    'title',
    'description',
    'caseorigincode',
    'ticketnumber',
    'statecode',
    'statuscode',
    '_customerid_value',
    ...owned,
  ]),
  annotation: new Set(['annotationid', 'subject', 'notetext', '_objectid_value', 'objecttypecode', ...owned]),
  role: new Set(['roleid', 'name']),
} as const;

/** The `OData-EntityId` header of a created or updated record. */
export function entityIdHeader(request: SandboxRequest, set: string, id: string): Record<string, string> {
  return { 'OData-EntityId': `${request.origin}${webApiPath}/${set}(${id})` };
}

/**
 * `/systemusers(<id>)` (also absolute, or without the slash) → the id; `undefined` for a bind to
 * another entity set or a malformed one.
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/associate-disassociate-entities-using-web-api
 */
export function boundId(value: unknown, set: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = new RegExp(`(?:^|/)${set}\\(([0-9a-fA-F-]{36})\\)$`).exec(value);
  return match?.[1]?.toLowerCase();
}

/**
 * The token endpoint during a passing outage (`temporarily_unavailable`, AADSTS90033 "A transient
 * error has occurred") or over its request rate (AADSTS90055, "too many incoming requests"), in
 * Microsoft Entra's error shape, with the Retry-After if one is given. The wording of 90055 and
 * whether Entra sends a Retry-After with either are UNCONFIRMED.
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes
 */
export function aadUnavailable(status: number, retryAfter: string | undefined): SandboxResponse {
  const throttled = status === 429;
  const code = throttled ? 90055 : 90033;
  const description = throttled
    ? 'TenantThrottlingThreshold - There are too many incoming requests. Please try again later.'
    : 'A transient error has occurred. Please try again.';
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const traceId = randomUUID();
  const correlationId = randomUUID();
  return json(
    status,
    {
      error: 'temporarily_unavailable',
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
    retryAfter === undefined ? {} : { 'Retry-After': retryAfter },
  );
}

/** A Microsoft Entra token endpoint error, AADSTS number first, as msal-node reads it. */
export function aadError(
  request: SandboxRequest,
  status: number,
  error: string,
  code: number,
  description: string,
): SandboxResponse {
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const traceId = randomUUID();
  const correlationId = request.query.get('client-request-id') ?? randomUUID();
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${request.origin}/error?code=${code}`,
  });
}

/** Runs a query; an invalid query option is Dataverse's 400. */
export function answering(run: () => SandboxResponse): SandboxResponse {
  try {
    return run();
  } catch (error) {
    if (error instanceof QueryOptionError) return odataError(400, dataverseCodes.badQuery, error.message);
    throw error;
  }
}
