import { type CrmConnectError, isCrmConnectError } from '@crm-connect/core';
import { type ExitCode, exitCodes } from './exit-codes.js';

/** A command-line mistake: one line saying what is wrong, one saying what to do. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

const hints: Record<string, string> = {
  authentication_failed: 'Check the credentials (and that they belong to this CRM account), then run again.',
  permission_denied: 'Give the user or key the permission named above, then run again.',
  configuration_invalid: 'Fix the settings named above (in --config or --set), then run again.',
  input_invalid: 'Fix the values named above, then run again.',
  transport_failed: 'Check the URL and your network; the CRM did not answer.',
  rate_limited: 'The CRM is limiting requests; wait and run again.',
  not_found: 'Check the account URL and ids in the settings.',
  token_store_failed:
    'Fix or move aside the token file named above (it must be a file crm-connect wrote, readable by you), then run again.',
};

export function exitCodeOf(error: CrmConnectError): ExitCode {
  if (error.code === 'configuration_invalid' || error.code === 'input_invalid') return exitCodes.usage;
  if (error.retryable) return exitCodes.unavailable;
  return exitCodes.failed;
}

/** Renders any error as "✖ what" + "  hint: how", and picks the exit code. */
export function describeError(error: unknown): { text: string; code: ExitCode } {
  if (error instanceof UsageError)
    return { text: `✖ ${error.message}\n  hint: ${error.hint}\n`, code: exitCodes.usage };
  if (isCrmConnectError(error)) {
    const hint = hints[error.code] ?? 'See the message above.';
    return { text: `✖ ${error.message}\n  hint: ${hint}\n`, code: exitCodeOf(error) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    text: `✖ Unexpected failure: ${message}\n  hint: run again with --verbose and report the output.\n`,
    code: exitCodes.failed,
  };
}
