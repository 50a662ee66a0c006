import type { CrmId } from './crm-ids.js';
import { dynamicsCrm } from './dynamics-crm.js';
import { kustomerCrm } from './kustomer-crm.js';
import { salesforceCrm } from './salesforce-crm.js';
import type { SandboxCrm } from './sandbox-crm.js';
import { zendeskCrm } from './zendesk-crm.js';

/** The four CRMs against their sandboxes, in table order (`crmIds`). */
export const sandboxCrms: readonly SandboxCrm[] = [zendeskCrm, salesforceCrm, dynamicsCrm, kustomerCrm];

export function sandboxCrm(id: CrmId): SandboxCrm {
  const found = sandboxCrms.find((crm) => crm.id === id);
  if (found === undefined) throw new Error(`No sandbox CRM "${id}"`);
  return found;
}
