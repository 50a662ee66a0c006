import { loopbackOrigin } from '@crm-connect/core';
import { SandboxNotInstalledError } from './cli-error.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { CliIo } from './io.js';

/**
 * The sandbox CRMs are optional: validating credentials and linking admins need only the
 * plugins, so `@crm-connect/sandbox-crms` and `@crm-connect/sandbox` (and, through them, every
 * plugin's sandbox) are loaded here, by `import()`, when `demo` or `sandbox` runs — never by a
 * static import, which would make every command need them installed.
 */

export type SandboxCrmsModule = typeof import('@crm-connect/sandbox-crms');
export type SandboxModule = typeof import('@crm-connect/sandbox');

/** `@crm-connect/sandbox-crms`, or a `SandboxNotInstalledError` saying how to install it. */
export function loadSandboxCrms(command: string): Promise<SandboxCrmsModule> {
  return load(command, '@crm-connect/sandbox-crms', () => import('@crm-connect/sandbox-crms'));
}

/** `@crm-connect/sandbox`, or a `SandboxNotInstalledError` saying how to install it. */
export function loadSandbox(command: string): Promise<SandboxModule> {
  return load(command, '@crm-connect/sandbox', () => import('@crm-connect/sandbox'));
}

async function load<T>(command: string, name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const missing = missingPackage(error);
    if (missing?.startsWith('@crm-connect/sandbox') === true)
      throw new SandboxNotInstalledError(command, missing);
    if (missing !== undefined)
      throw new SandboxNotInstalledError(command, `${name} (its dependency ${missing})`);
    throw error;
  }
}

/** The package an `import()` could not find, from Node's ERR_MODULE_NOT_FOUND. */
function missingPackage(error: unknown): string | undefined {
  if (!(error instanceof Error) || (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND')
    return undefined;
  return /Cannot find (?:package|module) '([^']+)'/.exec(error.message)?.[1];
}

/**
 * Makes this command trust the sandbox certificate (generated on first use, loopback names only,
 * no CA): when the process does not already trust it, runs the command again in a process that
 * does and resolves to that one's exit code; resolves `undefined` when the command should go on
 * here (trusted already, or a process that cannot restart, as in tests).
 */
export async function trustSandboxCertificate(
  sandbox: SandboxModule,
  io: CliIo,
): Promise<ExitCode | undefined> {
  const { certificatePath } = sandbox.sandboxCertificate();
  if (io.env.NODE_EXTRA_CA_CERTS === certificatePath || io.restart === undefined) return undefined;
  const code = await io.restart({ NODE_EXTRA_CA_CERTS: certificatePath });
  return (Object.values(exitCodes) as number[]).includes(code) ? (code as ExitCode) : exitCodes.failed;
}

/**
 * For settings that point at a loopback https URL (the Dynamics sandbox), makes the command trust
 * the sandbox certificate as `trustSandboxCertificate` does; without `@crm-connect/sandbox`
 * installed, warns instead. Call it before reading secrets from standard input: a restarted
 * process reads them instead.
 */
export async function trustLoopbackHttps(
  command: string,
  settings: readonly Record<string, unknown>[],
  io: CliIo,
): Promise<ExitCode | undefined> {
  if (!settings.some(pointsAtLoopbackHttps)) return undefined;
  const sandbox = await loadSandbox(command).catch(() => undefined);
  if (sandbox !== undefined) return trustSandboxCertificate(sandbox, io);
  io.stderr(
    '⚠ The settings point at a loopback https URL, but @crm-connect/sandbox (whose certificate it would trust) is not installed: if the check fails on the certificate, name the sandbox certificate in NODE_EXTRA_CA_CERTS.\n',
  );
  return undefined;
}

/** Whether a URL setting names a loopback https origin (a local sandbox's, such as Dynamics'). */
function pointsAtLoopbackHttps(settings: Record<string, unknown>): boolean {
  return Object.values(settings).some(
    (value) => typeof value === 'string' && loopbackOrigin(value)?.startsWith('https:') === true,
  );
}
