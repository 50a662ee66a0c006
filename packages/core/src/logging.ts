import type { Redactor } from './redaction.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

/** Where crm-connect writes diagnostics. Plug in pino, winston or the platform's own logger. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /**
   * Whether a line at `level` would be written. Optional: when it says no, crm-connect does not
   * even build the line (the HTTP layer's per-request debug line, say). Default: yes.
   */
  enabled?(level: LogLevel): boolean;
}

/** The default: crm-connect is a library and stays quiet unless given a logger. */
export const silentLogger: Logger = { log() {}, enabled: () => false };

/** A logger writing one JSON object per line to stderr, for command-line use. */
export function createJsonLinesLogger(minimumLevel: LogLevel = 'info'): Logger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return {
    enabled: (level) => order[level] >= order[minimumLevel],
    log(level, message, fields) {
      if (order[level] < order[minimumLevel]) return;
      process.stderr.write(`${JSON.stringify({ level, message, ...fields })}\n`);
    },
  };
}

/** Wraps a logger so no registered secret reaches it, in the message or in any field. */
export function createRedactingLogger(logger: Logger, redactor: Redactor): Logger {
  return {
    enabled: (level) => logger.enabled?.(level) ?? true,
    log(level, message, fields) {
      if (logger.enabled?.(level) === false) return;
      logger.log(
        level,
        redactor.redact(message),
        fields === undefined ? undefined : redactor.redactValue(fields),
      );
    },
  };
}
