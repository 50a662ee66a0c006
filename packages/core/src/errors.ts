/**
 * The typed errors every crm-connect package throws.
 *
 * One base class with a stable string `code`; retryability is a property of the error, never a
 * guess at the call site. Messages say what is wrong and how to fix it. Errors never hold a raw
 * HTTP client error as `cause` (those carry request headers, hence credentials): the HTTP layer
 * passes a redacted summary instead.
 */

const marker = Symbol.for('crm-connect.error');

/** Where an error came from and what it concerns, for logs and admin screens. */
export interface CrmConnectErrorOptions {
  /** The plugin id (`zendesk`, `salesforce`, …) when the error concerns one CRM. */
  pluginId?: string | undefined;
  /** What led to this error (a zod error, a redacted HTTP summary, another crm-connect error). */
  cause?: unknown;
  /** Whether trying the same operation again later may succeed. Defaults per subclass. */
  retryable?: boolean;
  /** The HTTP status the CRM answered with, when there was one. */
  status?: number | undefined;
  /** The request id the HTTP layer gave the failed request, to find it in logs. */
  requestId?: string | undefined;
  /** When the CRM said to try again (Retry-After), in ms. */
  retryAfterMs?: number | undefined;
  /** How many HTTP attempts were made before giving up. */
  attempts?: number | undefined;
}

/** Base class of every error thrown by crm-connect. Test with `isCrmConnectError` across package copies. */
export class CrmConnectError extends Error {
  readonly [marker] = true;
  /** A stable machine-readable code; never changes once released. */
  readonly code: string;
  readonly pluginId: string | undefined;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** Set by the HTTP layer once it gives up. */
  attempts: number | undefined;

  constructor(code: string, message: string, options: CrmConnectErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.pluginId = options.pluginId;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
    this.attempts = options.attempts;
  }

  /** A plain, log-safe view (messages are already redacted when they reach here). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      pluginId: this.pluginId,
      retryable: this.retryable,
      status: this.status,
      requestId: this.requestId,
      retryAfterMs: this.retryAfterMs,
      attempts: this.attempts,
    };
  }
}

/** True for any crm-connect error, even one thrown by another copy of this package. */
export function isCrmConnectError(error: unknown): error is CrmConnectError {
  return typeof error === 'object' && error !== null && marker in error;
}

/** The stable codes of the error classes below, keyed by class name. */
export const errorCodes = {
  ConfigurationError: 'configuration_invalid',
  InvalidInputError: 'input_invalid',
  AuthenticationError: 'authentication_failed',
  AuthorizationError: 'permission_denied',
  NotFoundError: 'not_found',
  RateLimitedError: 'rate_limited',
  ConflictError: 'conflict',
  CrmRejectedInputError: 'crm_rejected_input',
  TransportError: 'transport_failed',
  OwnerRejectedError: 'owner_rejected',
  InvalidResponseError: 'invalid_response',
} as const;
export type ErrorCode = (typeof errorCodes)[keyof typeof errorCodes] | 'internal_error';

/** The error class each code belongs to, for `hasErrorCode`'s narrowing. */
interface ErrorOfCode {
  configuration_invalid: ConfigurationError;
  input_invalid: InvalidInputError;
  authentication_failed: AuthenticationError;
  permission_denied: AuthorizationError;
  not_found: NotFoundError;
  rate_limited: RateLimitedError;
  conflict: ConflictError;
  crm_rejected_input: CrmRejectedInputError;
  transport_failed: TransportError;
  owner_rejected: OwnerRejectedError;
  invalid_response: InvalidResponseError;
  internal_error: CrmConnectError;
}

/**
 * True when `error` is a crm-connect error with this code. Decide by code, never `instanceof`:
 * a platform that installs two copies of core (one per plugin version) still gets one answer.
 */
export function hasErrorCode<TCode extends ErrorCode>(
  error: unknown,
  code: TCode,
): error is ErrorOfCode[TCode] {
  return isCrmConnectError(error) && error.code === code;
}

/** A field of a form or payload and what is wrong with it. */
export interface FieldIssue {
  /** Dotted path of the field (`subdomain`, `endUser.email`). */
  path: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/** Thrown when settings are missing or malformed; fix the named fields and save again. */
export class ConfigurationError extends CrmConnectError {
  readonly issues: readonly FieldIssue[];
  constructor(message: string, options: CrmConnectErrorOptions & { issues?: readonly FieldIssue[] } = {}) {
    super('configuration_invalid', message, { ...options, retryable: false });
    this.issues = options.issues ?? [];
  }
}

/** Thrown when a payload handed to crm-connect (an interaction event, a webhook body) is malformed. */
export class InvalidInputError extends CrmConnectError {
  readonly issues: readonly FieldIssue[];
  constructor(message: string, options: CrmConnectErrorOptions & { issues?: readonly FieldIssue[] } = {}) {
    super('input_invalid', message, { ...options, retryable: false });
    this.issues = options.issues ?? [];
  }
}

/** Thrown when the CRM rejects the credentials (wrong, expired or revoked). */
export class AuthenticationError extends CrmConnectError {
  constructor(message: string, options: CrmConnectErrorOptions = {}) {
    super('authentication_failed', message, { retryable: false, ...options });
  }
}

/** Thrown when the credentials work but lack a permission (not an admin, missing role). */
export class AuthorizationError extends CrmConnectError {
  constructor(message: string, options: CrmConnectErrorOptions = {}) {
    super('permission_denied', message, { ...options, retryable: false });
  }
}

/** Thrown when a record or user the operation names does not exist in the CRM. */
export class NotFoundError extends CrmConnectError {
  constructor(message: string, options: CrmConnectErrorOptions = {}) {
    super('not_found', message, { retryable: false, ...options });
  }
}

/** Thrown when the CRM's rate limit or API allocation is exhausted; `retryAfterMs` says when to try again if known. */
export class RateLimitedError extends CrmConnectError {
  constructor(message: string, options: CrmConnectErrorOptions = {}) {
    super('rate_limited', message, { retryable: true, ...options });
  }
}

/** Thrown when the write would duplicate or conflict with an existing record. */
export class ConflictError extends CrmConnectError {
  constructor(message: string, options: CrmConnectErrorOptions = {}) {
    super('conflict', message, { ...options, retryable: false });
  }
}

/** Thrown when the CRM refuses the data of a write (validation rules, bad field values). */
export class CrmRejectedInputError extends CrmConnectError {
  readonly issues: readonly FieldIssue[];
  constructor(message: string, options: CrmConnectErrorOptions & { issues?: readonly FieldIssue[] } = {}) {
    super('crm_rejected_input', message, { ...options, retryable: false });
    this.issues = options.issues ?? [];
  }
}

/** Thrown when the CRM could not be reached or answered with a server error; usually worth retrying. */
export class TransportError extends CrmConnectError {
  constructor(message: string, options: CrmConnectErrorOptions = {}) {
    super('transport_failed', message, { retryable: true, ...options });
  }
}

/** Thrown when the CRM refuses the record's owner (deactivated, not an agent, no access); the connector may fall back to the default user. */
export class OwnerRejectedError extends CrmConnectError {
  readonly ownerId: string;
  constructor(message: string, options: CrmConnectErrorOptions & { ownerId: string }) {
    super('owner_rejected', message, { ...options, retryable: false });
    this.ownerId = options.ownerId;
  }
}

/**
 * Thrown when a CRM's answer does not have the shape its documentation promises. `retryable` is
 * true when the request was a write that may have been applied: the caller must look it up
 * before writing again.
 */
export class InvalidResponseError extends CrmConnectError {
  constructor(message: string, options: CrmConnectErrorOptions = {}) {
    super('invalid_response', message, { retryable: false, ...options });
  }
}

/**
 * Thrown by a connector or a plugin connection used after `close()`: nothing was sent. Retryable,
 * because the event is fine: a connector created for the tenant now can handle it.
 */
export class ConnectionClosedError extends CrmConnectError {
  /** `what`: the closed thing, as a phrase ("This Zendesk connector", "zendesk: this connection to https://acme.zendesk.com"). */
  constructor(what: string, options: Omit<CrmConnectErrorOptions, 'retryable'> = {}) {
    super(
      'connector_closed',
      `${what} was closed; nothing was sent. Deliver the work to one created for the tenant now.`,
      { ...options, retryable: true },
    );
  }
}
