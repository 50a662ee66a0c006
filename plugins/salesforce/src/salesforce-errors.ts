import {
  AuthenticationError,
  AuthorizationError,
  asOwnerRejected,
  ConfigurationError,
  ConflictError,
  type CrmConnectError,
  CrmRejectedInputError,
  createAnswerParser,
  createWriteAnswerParser,
  defaultErrorFor,
  type ErrorResponse,
  InvalidResponseError,
  NotFoundError,
  OwnerRejectedError,
  RateLimitedError,
  TransportError,
} from '@crm-connect/core';
import { z } from 'zod';
import { pluginId } from './salesforce-plugin-id.js';

/**
 * Salesforce's error answers as typed errors. REST errors are a JSON array of
 * `{ message, errorCode, fields }`; composite subrequests carry the same array in their body.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
 */

const salesforceErrorsSchema = z
  .array(
    z.object({
      errorCode: z.string(),
      message: z.string(),
      fields: z.array(z.string()).optional(),
    }),
  )
  .min(1);
export type SalesforceApiError = z.infer<typeof salesforceErrorsSchema>[number];

/** Reads Salesforce's error array from a body; `undefined` when the body is something else. */
export function salesforceErrorsOf(body: unknown): SalesforceApiError[] | undefined {
  const parsed = salesforceErrorsSchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

/** The `mapError` of the HTTP client: Salesforce's error codes first, the generic mapping by status otherwise. */
export function mapSalesforceError(response: ErrorResponse): CrmConnectError | undefined {
  if (response.status === 300) {
    return new ConflictError(
      `salesforce: ${response.operation} matched several records by external ID. Mark the external ID field Unique and merge the duplicates.`,
      common(response),
    );
  }
  const errors = salesforceErrorsOf(response.data);
  return errors === undefined ? undefined : errorForCodes(response, errors);
}

/** The typed error for a failed composite subrequest, or for any Salesforce error array. */
export function subrequestError(
  response: Omit<ErrorResponse, 'headers' | 'retryAfterMs'>,
  ownerId?: string,
): CrmConnectError {
  const full: ErrorResponse = { ...response, headers: {}, retryAfterMs: undefined };
  const errors = salesforceErrorsOf(response.data);
  const error = (errors === undefined ? undefined : errorForCodes(full, errors)) ?? defaultErrorFor(full);
  return ownerId === undefined ? error : asOwnerRejected(error, ownerId);
}

/** What to check when Salesforce answers in a shape it does not document (a proxy page, an API change). */
const answerHint =
  "Check that the login URL is the org's My Domain URL and that the API version is supported.";

/** Parses a Salesforce answer with a minimal schema; an unexpected shape is a typed error, not a crash. */
export const parseAnswer = createAnswerParser({ pluginId, hint: answerHint });

/**
 * Parses Salesforce's 2xx answer to a create (the composite create, a CaseComment). One that does
 * not parse may follow a committed write, so it is a retryable `InvalidResponseError`: the
 * redelivery finds the Case by its interaction id (refused as DUPLICATE_VALUE, read back) and the
 * note among the Case's comments before anything is written twice.
 */
export const parseWriteAnswer = createWriteAnswerParser({
  pluginId,
  hint: answerHint,
  afterward:
    'Salesforce accepted the request, so the write may have been made: deliver the event again, and what was written is looked up before anything is written twice.',
});

/** Salesforce answered 2xx without a part its documentation promises (`missing`: which). */
export function unexpectedAnswer(operation: string, missing: string): InvalidResponseError {
  return new InvalidResponseError(
    `salesforce: the answer to "${operation}" does not have the documented shape (${missing}). ${answerHint}`,
    { pluginId },
  );
}

function errorForCodes(response: ErrorResponse, errors: SalesforceApiError[]): CrmConnectError | undefined {
  const [first] = errors;
  if (first === undefined) return undefined;
  const code = first.errorCode;
  const said = response.redact(errors.map((error) => `${error.errorCode}: ${error.message}`).join('; '));
  const prefix = `salesforce: ${response.operation} failed (HTTP ${response.status}, ${said})`;
  const options = common(response, errors);
  const onOwner = errors.some(
    (error) => error.fields?.includes('OwnerId') === true || /\bowner\b/i.test(error.message),
  );

  if (code === 'INVALID_SESSION_ID') {
    return new AuthenticationError(
      `${prefix}. The admin session stayed invalid after a refresh: link the admin again.`,
      options,
    );
  }
  if (code === 'REQUEST_LIMIT_EXCEEDED' && response.status === 403) {
    // The org's rolling 24-hour API allocation is used up: trying again soon only adds to it.
    return new RateLimitedError(
      `${prefix}. The org's API request allocation for the last 24 hours is used up; Salesforce accepts calls again as usage falls. See Setup › Company Information › API Requests, Last 24 Hours, and reduce other integrations' usage or buy more.`,
      { ...options, retryable: false },
    );
  }
  if (code === 'INACTIVE_OWNER_OR_USER' || (onOwner && isOwnerCode(code))) {
    return new OwnerRejectedError(
      `${prefix}. Salesforce refused the record's owner (deactivated, or not allowed to own cases).`,
      { ...options, ownerId: ownerIdIn(said) ?? 'unknown' },
    );
  }
  if (code === 'API_DISABLED_FOR_ORG' || code === 'API_CURRENTLY_DISABLED') {
    return new AuthorizationError(
      `${prefix}. The REST API is not available: the org's edition must include API access and the admin's profile needs "API Enabled".`,
      options,
    );
  }
  if (code.startsWith('INSUFFICIENT_ACCESS')) {
    return new AuthorizationError(
      `${prefix}. The linked admin lacks a permission: give their profile or a permission set Read, Create and Edit on Cases, Contacts and Tasks, and field access to the external ID fields.`,
      options,
    );
  }
  if (code === 'DUPLICATE_EXTERNAL_ID') {
    return new ConfigurationError(
      `${prefix}. Several records share this external ID: mark the external ID field Unique and merge the duplicates.`,
      options,
    );
  }
  if (
    (code === 'INVALID_FIELD' || code === 'NOT_FOUND' || code === 'INVALID_TYPE') &&
    /__c\b|external id/i.test(first.message)
  ) {
    return new ConfigurationError(
      `${prefix}. Create the external ID fields (Text, Unique, External ID) described in the Salesforce plugin's README, or fix their names in the settings, and make them visible to the linked admin.`,
      options,
    );
  }
  if (code === 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST') {
    return new CrmRejectedInputError(
      `${prefix}. Set "Case Origin per channel" in the Salesforce settings to values of the org's Case Origin picklist.`,
      options,
    );
  }
  if (code === 'DUPLICATES_DETECTED') {
    return new CrmRejectedInputError(
      `${prefix}. A duplicate rule blocked the write: an existing Contact probably matches but has no contact key; fill its contact key field, or let the duplicate rule allow the save.`,
      options,
    );
  }
  if (code === 'ENTITY_IS_DELETED' || code === 'NOT_FOUND') {
    return new NotFoundError(`${prefix}. The record was deleted or never existed.`, options);
  }
  if (code === 'UNABLE_TO_LOCK_ROW') {
    return new TransportError(`${prefix}. Another write held the record; it is worth trying again.`, options);
  }
  if (response.status === 400 || response.status === 422) {
    return new CrmRejectedInputError(
      `${prefix}. Salesforce refused the data (a validation rule, a required field, a value too long).`,
      options,
    );
  }
  return undefined;
}

function isOwnerCode(code: string): boolean {
  return (
    code === 'INVALID_CROSS_REFERENCE_KEY' ||
    code === 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY' ||
    code === 'FIELD_INTEGRITY_EXCEPTION' ||
    code === 'TRANSFER_REQUIRES_READ'
  );
}

function ownerIdIn(text: string): string | undefined {
  return /\b005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?\b/.exec(text)?.[0];
}

function common(response: ErrorResponse, errors?: SalesforceApiError[]) {
  return {
    pluginId: response.pluginId,
    status: response.status,
    requestId: response.requestId,
    retryAfterMs: response.retryAfterMs,
    issues: (errors ?? []).flatMap((error) =>
      (error.fields ?? []).map((field) => ({ path: field, message: response.redact(error.message) })),
    ),
    cause: {
      status: response.status,
      errors: errors?.map((error) => ({
        errorCode: error.errorCode,
        message: response.redact(error.message),
      })),
    },
  };
}
