import { CrmConnectError, isCrmConnectError } from '@crm-connect/core';

/**
 * The codes of the errors this package throws. Decide by code (`error.code`), and retry by
 * `error.retryable`: both are stable.
 */
export const redisErrorCodes = {
  /** Redis could not be reached, lost the connection, did not answer in time, or refuses writes for a while (OOM, READONLY, LOADING, BUSY); retryable. */
  unavailable: 'redis_unavailable',
  /** Redis answered with an error that retrying will not fix (wrong key type, bad credentials), or a key holds a value of an unexpected shape; not retryable. */
  failed: 'redis_failed',
  /** A lock stayed held by another process for longer than the caller would wait; retryable. */
  lockTimeout: 'lock_timeout',
  /** A lock's holder lost it while working (it expired unextended); what it did may race another holder; retryable. */
  lockLost: 'lock_lost',
} as const;

/** Error replies that say "not now" rather than "never": the server is busy, loading, full or a replica. */
const passingReplies = /^(OOM|READONLY|LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

/**
 * The typed error for a failed Redis call. Its cause is a plain summary, never the client's error
 * itself: ioredis errors carry the command's arguments, which may be an access token.
 */
export function redisFailure(operation: string, error: unknown): CrmConnectError {
  if (isCrmConnectError(error)) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const summary = new Error(`${name}: ${message}`);
  if (name === 'ReplyError' && !passingReplies.test(message)) {
    return new CrmConnectError(redisErrorCodes.failed, `Redis refused ${operation}: ${message}.`, {
      cause: summary,
      retryable: false,
    });
  }
  return new CrmConnectError(
    redisErrorCodes.unavailable,
    `Redis is unavailable (${operation}: ${message}); nothing was done, try again once Redis answers.`,
    { cause: summary, retryable: true },
  );
}

/** Runs one Redis call, turning any failure into `redisFailure`'s typed error. */
export async function callRedis<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw redisFailure(operation, error);
  }
}

/** Thrown when a key holds something this package did not write: delete the key (or fix the prefix). */
export function unexpectedValue(key: string, expected: string, cause?: unknown): CrmConnectError {
  return new CrmConnectError(
    redisErrorCodes.failed,
    `Redis key ${key} does not hold ${expected}: another program writes under this prefix, or an incompatible version wrote it. Delete the key or give crm-connect its own prefix.`,
    { cause, retryable: false },
  );
}
