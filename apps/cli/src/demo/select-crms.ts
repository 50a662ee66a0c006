import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import { UsageError } from '../cli-error.js';
import { nearestName } from '../nearest-name.js';

/** The sandbox CRMs named by a `--crm a,b` option, in table order; all of them without one. */
export function selectCrms(sandboxCrms: readonly SandboxCrm[], option: string | undefined): SandboxCrm[] {
  const names = sandboxCrms.map((crm) => crm.id);
  const wanted = option?.split(',').map((name) => name.trim()) ?? names;
  const unknown = wanted.filter((name) => !sandboxCrms.some((crm) => crm.id === name));
  if (unknown.length > 0) {
    const nearest = unknown.length === 1 ? nearestName(unknown[0] ?? '', names) : undefined;
    throw new UsageError(
      `No sandbox for ${unknown.join(', ')}${nearest === undefined ? '.' : `; did you mean ${nearest}?`}`,
      `Choose from: ${names.join(', ')}.`,
    );
  }
  return sandboxCrms.filter((crm) => wanted.includes(crm.id));
}
