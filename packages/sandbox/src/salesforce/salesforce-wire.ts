import { json, type SandboxResponse } from '../http-exchange.js';
import type { SObjectRecord } from './salesforce-store.js';

/**
 * Salesforce's REST answers: errors as a JSON array of `{ message, errorCode, fields }`, records
 * with their `attributes`, and timestamps in Salesforce's format.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
 */

export interface SalesforceError {
  message: string;
  errorCode: string;
  fields: string[];
}

/** An error answer: Salesforce always sends an array, even of one error. */
export function salesforceErrors(status: number, errors: readonly SalesforceError[]): SandboxResponse {
  return json(status, errors);
}

export function salesforceError(
  status: number,
  errorCode: string,
  message: string,
  fields?: string[],
): SandboxResponse {
  return json(status, [{ message, errorCode, ...(fields === undefined ? {} : { fields }) }]);
}

export const notFound = () => salesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');

export const invalidSession = () => salesforceError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');

/** Salesforce's 24-hour allocation used up: 403, not 429 — a client should not retry soon. */
export const requestLimitExceeded = () =>
  salesforceError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');

/** Same record: ids compare by their 15-character, case-sensitive form (an 18-character id adds a checksum). */
export function sameId(left: string, right: string): boolean {
  return left.length >= 15 && right.length >= 15 && left.slice(0, 15) === right.slice(0, 15);
}

/** `2026-11-21T10:00:00.000+0000`, as the REST API writes datetimes. */
export function salesforceTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** Fields a record never shows through the API (the sandbox's sign-in data). */
const hidden = new Set(['id', 'password', 'profile', 'permissionSets']);

/** A record as the REST API shows it: `attributes`, then the fields (all, or those named). */
export function wireRecord(
  type: string,
  record: SObjectRecord,
  version: string,
  fields?: readonly string[],
): Record<string, unknown> {
  const shown: Record<string, unknown> = {
    attributes: { type, url: `/services/data/v${version}/sobjects/${type}/${record.Id}` },
  };
  for (const name of fields ?? Object.keys(record)) if (!hidden.has(name)) shown[name] = record[name] ?? null;
  return shown;
}
