import type { CrmPlugin } from '@crm-connect/core';
import { createListedTokenStore } from './admin-tokens.js';
import type { PortableCrm } from './portable-crm.js';
import { sandboxCrm } from './sandbox-crms.js';

/**
 * The plugin of a running sandbox CRM, built again in another process from its portable form:
 * the same factory and options, Salesforce's linked admins in a token store of its own.
 */
export async function restorePlugin(portable: PortableCrm): Promise<CrmPlugin> {
  return sandboxCrm(portable.id).plugin({
    tokenStore: await createListedTokenStore(portable.adminTokens),
    requestsPerMinute: portable.requestsPerMinute,
  });
}
