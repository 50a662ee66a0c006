import {
  AuthenticationError,
  AuthorizationError,
  ConflictError,
  CrmConnectError,
  CrmRejectedInputError,
  NotFoundError,
  RateLimitedError,
  TransportError,
} from '../errors.js';

/** A CRM's error answer, as handed to a plugin's error mapping. */
export interface ErrorResponse {
  pluginId: string;
  status: number;
  /** Lowercased header names. */
  headers: Readonly<Record<string, string>>;
  /** The parsed body (JSON when it was JSON, else text). */
  data: unknown;
  method: string;
  operation: string;
  requestId: string;
  /** From Retry-After, in ms, when present. */
  retryAfterMs: number | undefined;
  /** Removes registered secrets from text a plugin puts into a message (CRMs echo input back). */
  redact: (text: string) => string;
}

/** A short, redacted excerpt of an error body for messages. */
export function bodyExcerpt(response: ErrorResponse, maxLength = 300): string {
  const raw = typeof response.data === 'string' ? response.data : printable(response.data);
  const text = response.redact(raw ?? '');
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}

/** The answer as JSON text; one nested too deep to print (a hostile or broken CRM) says so instead of throwing. */
function printable(data: unknown): string {
  try {
    return JSON.stringify(data ?? '') ?? '';
  } catch {
    return '[an answer too deeply nested to print]';
  }
}

/** The generic mapping by status, used when a plugin's own mapping has nothing more specific. */
export function defaultErrorFor(response: ErrorResponse): CrmConnectError {
  const { pluginId, status, requestId, retryAfterMs } = response;
  const prefix = `${pluginId}: ${response.operation} failed with HTTP ${status}`;
  const body = bodyExcerpt(response);
  const common = { pluginId, status, requestId, retryAfterMs, cause: { status, body } };
  if (status === 401) {
    return new AuthenticationError(
      `${prefix}: the CRM rejected the credentials. Check them in the settings and save again.`,
      common,
    );
  }
  if (status === 403) {
    return new AuthorizationError(
      `${prefix}: the credentials lack a permission for this operation (${body}).`,
      common,
    );
  }
  if (status === 404) return new NotFoundError(`${prefix}: not found (${body}).`, common);
  if (status === 409 || status === 412)
    return new ConflictError(`${prefix}: conflicts with an existing record (${body}).`, common);
  if (status === 429) {
    const wait = retryAfterMs === undefined ? '' : ` Retry after ${Math.ceil(retryAfterMs / 1000)} s.`;
    return new RateLimitedError(`${prefix}: rate limit reached.${wait}`, common);
  }
  if (status === 400 || status === 422)
    return new CrmRejectedInputError(`${prefix}: the CRM refused the data (${body}).`, common);
  if (status >= 500)
    return new TransportError(
      `${prefix}: the CRM had a server error (${body}). It is retried when safe.`,
      common,
    );
  return new CrmConnectError('http_error', `${prefix}: unexpected answer (${body}).`, common);
}
