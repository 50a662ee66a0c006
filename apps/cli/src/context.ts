import {
  createJsonLinesLogger,
  createRateBudgetRegistry,
  createRedactingLogger,
  createRedactor,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';

/** The plugin context of a one-off command: secrets redacted, logs only with --verbose, one quick retry. */
export function commandContext(options: { secrets: readonly string[]; verbose: boolean }): PluginContext {
  const redactor = createRedactor(options.secrets);
  return {
    redactor,
    logger: options.verbose ? createRedactingLogger(createJsonLinesLogger('debug'), redactor) : silentLogger,
    audit: () => {},
    rateBudgets: createRateBudgetRegistry(),
    // An admin at a terminal wants an answer, not minutes of backoff.
    http: {
      retry: { maxRetries: 1, initialDelayMs: 200, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 },
      timeoutMs: 15_000,
    },
  };
}
