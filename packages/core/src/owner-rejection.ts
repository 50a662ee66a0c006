import { type CrmConnectError, hasErrorCode, isCrmConnectError, OwnerRejectedError } from './errors.js';

export interface OwnerRejectionOptions {
  /**
   * True when an error not coded `owner_rejected` still means the CRM refused the owner (a field
   * error on the assignee, a "user disabled" code). Default: only `owner_rejected` errors do.
   */
  concernsOwner?: ((error: CrmConnectError) => boolean) | undefined;
  /** The message of the error thrown instead, made from the CRM's. Default: the same message. */
  message?: ((error: CrmConnectError) => string) | undefined;
}

/**
 * What a write that sent `ownerId` as a record's owner throws for `error`: when the CRM refused
 * that owner, an `OwnerRejectedError` naming it (so the connector can fall back to the default
 * user), keeping the status, request id and attempts; any other error as it is. The error mapping
 * read the CRM's answer without knowing whom the write sent, and the answer does not always say.
 */
export function asOwnerRejected(
  error: CrmConnectError,
  ownerId: string,
  options?: OwnerRejectionOptions,
): CrmConnectError;
export function asOwnerRejected(error: unknown, ownerId: string, options?: OwnerRejectionOptions): unknown;
export function asOwnerRejected(
  error: unknown,
  ownerId: string,
  options: OwnerRejectionOptions = {},
): unknown {
  if (!isCrmConnectError(error)) return error;
  const coded = hasErrorCode(error, 'owner_rejected');
  if (!coded && options.concernsOwner?.(error) !== true) return error;
  if (coded && error.ownerId === ownerId && options.message === undefined) return error;
  return new OwnerRejectedError(options.message?.(error) ?? error.message, {
    pluginId: error.pluginId,
    ownerId,
    status: error.status,
    requestId: error.requestId,
    retryAfterMs: error.retryAfterMs,
    attempts: error.attempts,
    cause: error,
  });
}
