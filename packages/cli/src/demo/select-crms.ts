import { UsageError } from '../cli-error.js';
import { type DemoCrm, demoCrms } from './demo-crms.js';

/** The sandbox CRMs named by a `--crm a,b` option, in table order; all of them without one. */
export function selectCrms(option: string | undefined): DemoCrm[] {
  const wanted = option?.split(',').map((name) => name.trim()) ?? demoCrms.map((crm) => crm.id);
  const unknown = wanted.filter((name) => !demoCrms.some((crm) => crm.id === name));
  if (unknown.length > 0) {
    throw new UsageError(
      `No sandbox for ${unknown.join(', ')}.`,
      `Choose from: ${demoCrms.map((crm) => crm.id).join(', ')}.`,
    );
  }
  return demoCrms.filter((crm) => wanted.includes(crm.id));
}
