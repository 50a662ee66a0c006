import type { z } from 'zod';
import { hasErrorCode, InvalidResponseError } from './errors.js';

/** An answer as the HTTP layer returns it; only `data` is needed. */
export interface CrmAnswer {
  data: unknown;
  status?: number | undefined;
  requestId?: string | undefined;
  /** HTTP attempts the request took, carried into the error. */
  attempts?: number | undefined;
}

/** Reads `answer` with `schema`; `operation` names the request (“create the ticket”) in the error. */
export type AnswerParser = <TSchema extends z.ZodType>(
  schema: TSchema,
  answer: CrmAnswer,
  operation: string,
) => z.output<TSchema>;

/**
 * A plugin's reader of its CRM's answers, with a minimal schema where each arrives. A shape the
 * CRM does not document (a proxy's page, an API change, another service at a mistyped URL) is an
 * `InvalidResponseError` naming the paths that differ, never their values, instead of a crash
 * further on. `hint` says what the admin can check (the base URL, the API version).
 */
export function createAnswerParser(options: { pluginId: string; hint: string }): AnswerParser {
  const { pluginId, hint } = options;
  return (schema, answer, operation) => {
    const parsed = schema.safeParse(answer.data);
    if (parsed.success) return parsed.data;
    const where = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    const status = answer.status === undefined ? '' : ` with HTTP ${answer.status}`;
    const request = answer.requestId === undefined ? '' : ` (request id ${answer.requestId})`;
    throw new InvalidResponseError(
      `${pluginId}: the answer to "${operation}"${status} does not have the documented shape (${where}). ${hint}${request}`,
      { pluginId, status: answer.status, requestId: answer.requestId, cause: parsed.error },
    );
  };
}

/**
 * A reader of the answers to writes. The CRM answered with a success, so the write may well have
 * been applied: an answer that does not parse is an `InvalidResponseError` marked retryable, so
 * the platform delivers the event again and the redelivery looks the record up (by its external
 * id, a marker, audit metadata) before anything is written twice. `afterward` says so to the
 * reader of the message.
 */
export function createWriteAnswerParser(options: {
  pluginId: string;
  hint: string;
  afterward: string;
}): AnswerParser {
  const read = createAnswerParser(options);
  return (schema, answer, operation) => {
    try {
      return read(schema, answer, operation);
    } catch (error) {
      if (!hasErrorCode(error, 'invalid_response')) throw error;
      throw new InvalidResponseError(`${error.message} ${options.afterward}`, {
        pluginId: options.pluginId,
        status: error.status,
        requestId: error.requestId,
        attempts: answer.attempts,
        cause: error.cause,
        retryable: true,
      });
    }
  };
}
