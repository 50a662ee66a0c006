import {
  createJsonLinesLogger,
  createRateBudgetRegistry,
  createRedactingLogger,
  createRedactor,
  type Logger,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';

/** The per-attempt deadline and retries of a one-off command without `--timeout`. */
const defaultTimeoutMs = 15_000;
const defaultRetries = 1;

export interface CommandContextOptions {
  secrets: readonly string[];
  verbose: boolean;
  /** Where a short line goes each time a request is retried (standard error); none by default. */
  progress?: ((line: string) => void) | undefined;
  /**
   * The whole command's time limit (`--timeout`), in ms: attempts are shortened so that more than
   * one fits in it. Default: none (two attempts of 15 s each).
   */
  deadlineMs?: number | undefined;
}

export interface CommandContext extends PluginContext {
  /** HTTP attempts made so far by the request now retrying (1 when none has been retried). */
  attempts(): number;
}

/** The plugin context of a one-off command: secrets redacted, logs only with --verbose, quick retries. */
export function commandContext(options: CommandContextOptions): CommandContext {
  const redactor = createRedactor(options.secrets);
  const progress = retryProgress(options.progress);
  const loggers = [progress.logger, ...(options.verbose ? [createJsonLinesLogger('debug')] : [])];
  const timeoutMs =
    options.deadlineMs === undefined
      ? defaultTimeoutMs
      : Math.min(defaultTimeoutMs, Math.max(250, options.deadlineMs / 2));
  const maxRetries =
    options.deadlineMs === undefined
      ? defaultRetries
      : Math.min(10, Math.max(1, Math.ceil(options.deadlineMs / timeoutMs) - 1));
  return {
    redactor,
    logger: createRedactingLogger(teeLogger(loggers), redactor),
    audit: () => {},
    rateBudgets: createRateBudgetRegistry(),
    // An admin at a terminal wants an answer, not minutes of backoff.
    http: {
      retry: { maxRetries, initialDelayMs: 200, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 },
      timeoutMs,
    },
    attempts: progress.attempts,
  };
}

/**
 * Turns the HTTP layer's `crm request retried` warnings into one short line each
 * ("… zendesk: verify credentials timed out after 1000 ms; attempt 2 in 0.2 s"), and counts the
 * attempts of the request being retried, for the message of a deadline that passes.
 */
function retryProgress(write: ((line: string) => void) | undefined): {
  logger: Logger;
  attempts(): number;
} {
  let current: { requestId: unknown; retry: number; nextAttemptAt: number } | undefined;
  return {
    logger: {
      enabled: (level) => write !== undefined && level === 'warn',
      log(_level, message, fields = {}) {
        if (message === 'crm request failed' && fields.requestId === current?.requestId) current = undefined;
        if (message !== 'crm request retried' || write === undefined) return;
        const retry = Number(fields.retry) || 1;
        const delayMs = Number(fields.delayMs) || 0;
        current = { requestId: fields.requestId, retry, nextAttemptAt: Date.now() + delayMs };
        const what = String(fields.message ?? fields.error ?? 'the request failed').split(/\.(?:\s|$)/)[0];
        write(`… ${what}; attempt ${retry + 1} in ${(delayMs / 1000).toFixed(1)} s\n`);
      },
    },
    attempts: () =>
      current === undefined ? 1 : Date.now() >= current.nextAttemptAt ? current.retry + 1 : current.retry,
  };
}

function teeLogger(loggers: readonly Logger[]): Logger {
  if (loggers.length === 0) return silentLogger;
  return {
    enabled: (level) => loggers.some((logger) => logger.enabled?.(level) ?? true),
    log(level, message, fields) {
      for (const logger of loggers) if (logger.enabled?.(level) ?? true) logger.log(level, message, fields);
    },
  };
}
