import { type SandboxCrm, sandboxCrms } from '@crm-connect/sandbox-crms';
import { UsageError } from '../cli-error.js';

/** The sandbox CRMs named by a `--crm a,b` option, in table order; all of them without one. */
export function selectCrms(option: string | undefined): SandboxCrm[] {
  const wanted = option?.split(',').map((name) => name.trim()) ?? sandboxCrms.map((crm) => crm.id);
  const unknown = wanted.filter((name) => !sandboxCrms.some((crm) => crm.id === name));
  if (unknown.length > 0) {
    throw new UsageError(
      `No sandbox for ${unknown.join(', ')}.`,
      `Choose from: ${sandboxCrms.map((crm) => crm.id).join(', ')}.`,
    );
  }
  return sandboxCrms.filter((crm) => wanted.includes(crm.id));
}
