import { type CrmConnectError, type FieldIssue, isCrmConnectError } from '@crm-connect/core';
import { type ExitCode, exitCodes } from './exit-codes.js';

/** The stable codes of the CLI's own errors (the CRM's come from `@crm-connect/core`). */
export type CliErrorCode =
  | 'usage_invalid'
  | 'unknown_command'
  | 'unknown_option'
  | 'sandbox_not_installed'
  | 'timed_out'
  | 'no_callback'
  | 'tenants_invalid'
  | 'worker_exited';

/** A failure the CLI itself reports: a stable code, one line saying what is wrong, one saying what to do. */
export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly hint: string,
    readonly exitCode: ExitCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Thrown when the command line or the settings are wrong: fix them and run again (exit 2). */
export class UsageError extends CliError {
  constructor(
    message: string,
    hint: string,
    code: 'usage_invalid' | 'unknown_command' | 'unknown_option' = 'usage_invalid',
  ) {
    super(code, message, hint, exitCodes.usage);
  }
}

/** Thrown when `demo` or `sandbox` runs without the optional sandbox packages installed (exit 2). */
export class SandboxNotInstalledError extends CliError {
  constructor(command: string, missing: string) {
    super(
      'sandbox_not_installed',
      `crm-connect ${command} needs ${missing}, which is not installed (validate and salesforce do not).`,
      'Install @crm-connect/sandbox-crms and @crm-connect/sandbox next to the CLI, or run it from a checkout of the crm-connect repository: pnpm install, then pnpm demo.',
      exitCodes.usage,
    );
  }
}

/** Thrown when `--timeout` passes before the CRM answered (exit 3). */
export class DeadlineError extends CliError {
  constructor(
    message: string,
    /** HTTP attempts made (the last one possibly still waiting) when the deadline passed. */
    readonly attempts: number,
  ) {
    super(
      'timed_out',
      message,
      'Check the URL and your network, or allow longer with --timeout.',
      exitCodes.unavailable,
    );
  }
}

/**
 * Thrown when `worker`'s tenants file is wrong: not JSON, a bad tenant id or CRM name, or settings
 * the tenant's plugin refuses (a missing secret among them). Names each tenant and field (exit 2).
 */
export class TenantsFileError extends CliError {
  constructor(
    message: string,
    hint: string,
    /** Each wrong field, its path starting with the tenant id (`acme.settings.subdomain`). */
    readonly issues: readonly FieldIssue[],
    options?: ErrorOptions,
  ) {
    super('tenants_invalid', message, hint, exitCodes.usage, options);
  }
}

/** Thrown when one of `demo --redis`'s worker processes ends before the demo is done (exit 1). */
export class WorkerExitedError extends CliError {
  constructor(message: string) {
    super(
      'worker_exited',
      message,
      'Run crm-connect worker by hand with the same options to see why; check that Redis answers.',
      exitCodes.failed,
    );
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
  redis_unavailable:
    'Check that Redis runs at the --redis URL and that its password (CRM_CONNECT_REDIS_PASSWORD) is right, then run again.',
  redis_failed: "Redis refused a command: check the URL, the database and the user's rights, then run again.",
  token_store_failed:
    'Fix or move aside the token file named above (it must be a file crm-connect wrote, readable by you), then run again.',
};

export function exitCodeOf(error: CrmConnectError): ExitCode {
  if (error.code === 'configuration_invalid' || error.code === 'input_invalid') return exitCodes.usage;
  if (error.retryable) return exitCodes.unavailable;
  return exitCodes.failed;
}

/** An error as `--json` prints it: the fields docs/cli.md documents. */
export interface ErrorDocument {
  code: string;
  message: string;
  hint: string;
  retryable: boolean;
  /** HTTP attempts made before giving up, when the CRM was asked. */
  attempts?: number | undefined;
  /** The settings fields that are wrong (`configuration_invalid`, `tenants_invalid`). */
  issues?: readonly { path: string; message: string }[] | undefined;
}

/** Any error as the text and the JSON the CLI prints, with its exit code. */
export function describeError(error: unknown): { text: string; code: ExitCode; document: ErrorDocument } {
  if (error instanceof CliError) {
    const attempts = error instanceof DeadlineError ? error.attempts : undefined;
    const issues = error instanceof TenantsFileError && error.issues.length > 0 ? error.issues : undefined;
    return {
      text: `✖ ${error.message}\n  hint: ${error.hint}\n`,
      code: error.exitCode,
      document: {
        code: error.code,
        message: error.message,
        hint: error.hint,
        retryable: error.exitCode === exitCodes.unavailable,
        attempts,
        issues,
      },
    };
  }
  if (isCrmConnectError(error)) {
    const hint = hints[error.code] ?? 'See the message above.';
    // A retried failure says how hard it was tried, so "unreachable" is not mistaken for "not tried".
    const gaveUp =
      error.retryable && error.attempts !== undefined && error.attempts > 1
        ? ` (gave up after ${error.attempts} attempts)`
        : '';
    const issues = 'issues' in error ? (error.issues as ErrorDocument['issues']) : undefined;
    return {
      text: `✖ ${error.message}${gaveUp}\n  hint: ${hint}\n`,
      code: exitCodeOf(error),
      document: {
        code: error.code,
        message: error.message,
        hint,
        retryable: error.retryable,
        attempts: error.attempts,
        issues: issues !== undefined && issues.length > 0 ? issues : undefined,
      },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const hint = 'run again with --verbose and report the output.';
  return {
    text: `✖ Unexpected failure: ${message}\n  hint: ${hint}\n`,
    code: exitCodes.failed,
    document: { code: 'internal_error', message: `Unexpected failure: ${message}`, hint, retryable: false },
  };
}
