import type { Redactor } from '@crm-connect/core';
import { describeError } from './cli-error.js';
import type { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';

/**
 * `--json`: each command prints exactly one JSON document on standard output, success or not,
 * with the fields docs/cli.md lists (`command`, `ok`, `exitCode`, the command's own fields, and
 * `error` when it failed). Every value passes through the redactor before it is serialised, so a
 * secret is caught even where JSON would escape it.
 */
export function printJson(
  io: CliIo,
  document: { command: string; exitCode: ExitCode } & Record<string, unknown>,
  redactor?: Redactor,
): ExitCode {
  const { command, exitCode, ...fields } = document;
  const whole = { command, ok: exitCode === 0, exitCode, ...fields };
  io.stdout(`${JSON.stringify(redactor === undefined ? whole : redactor.redactValue(whole), null, 2)}\n`);
  return exitCode;
}

/**
 * One JSON object on one line of standard output, redacted: what the long-running `worker --json`
 * prints for each thing it reports (JSON Lines).
 */
export function printJsonLine(io: CliIo, line: Record<string, unknown>, redactor?: Redactor): void {
  io.stdout(`${JSON.stringify(redactor === undefined ? line : redactor.redactValue(line))}\n`);
}

/** Reports a failure as the text on standard error, or as the JSON document with `--json`. */
export function reportFailure(
  io: CliIo,
  error: unknown,
  options: {
    json: boolean;
    command: string;
    redactor?: Redactor | undefined;
    /** The command's own fields known before it failed (`crm`, `config`). */
    fields?: Record<string, unknown> | undefined;
    /** With `--json`, one line `{ "type": "error", … }` of the command's JSON Lines instead of a document. */
    line?: boolean | undefined;
  },
): ExitCode {
  const { text, code, document } = describeError(error);
  if (options.json && options.line === true) {
    const fields = { command: options.command, ok: false, exitCode: code, ...options.fields };
    printJsonLine(io, { type: 'error', ...fields, error: document }, options.redactor);
    return code;
  }
  if (options.json)
    return printJson(
      io,
      { command: options.command, exitCode: code, ...options.fields, error: document },
      options.redactor,
    );
  io.stderr(options.redactor === undefined ? text : options.redactor.redact(text));
  return code;
}
