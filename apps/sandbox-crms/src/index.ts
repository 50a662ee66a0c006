export { createListedTokenStore, type LinkedAdminToken, type ListedTokenStore } from './admin-tokens.js';
export { type CrmId, crmIds } from './crm-ids.js';
export { type DemoStep, demoSteps, type ExpectedOwner } from './demo-script.js';
export { type PortableCrm, portableCrmSchema } from './portable-crm.js';
export { restorePlugin } from './restore-plugin.js';
export { linkAdmin } from './salesforce-admin-linking.js';
export type {
  PluginOptions,
  RecordNote,
  RunningSandboxCrm,
  SandboxCrm,
  SandboxCrmOptions,
  Secret,
  StoredRecord,
  StoredUser,
} from './sandbox-crm.js';
export { sandboxCrm, sandboxCrms } from './sandbox-crms.js';
export { seededRandom } from './seeded-random.js';
export { renderTable } from './text-table.js';
