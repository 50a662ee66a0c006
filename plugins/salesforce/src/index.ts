export type {
  AdminLinkResult,
  AdminLinkStart,
  AdminSettingsUpdate,
  AdminUnlinkResult,
  CompleteAdminLinkOptions,
  SalesforceAdminLinks,
  StartAdminLinkOptions,
} from './salesforce-admin-links.js';
export {
  caseChecksum,
  checkOrgId,
  type OrgIdCheck,
  restoreCase,
  sameId,
  toId15,
  toId18,
} from './salesforce-ids.js';
export { checkLoginUrl, type LoginUrlCheck } from './salesforce-login-url.js';
export { type SalesforceOptions, type SalesforcePlugin, salesforce } from './salesforce-plugin.js';
export {
  type AdminConnection,
  adminConnectionSchema,
  type SalesforceSettings,
  type SalesforceSettingsInput,
  salesforceSettingsSchema,
} from './salesforce-settings.js';
export {
  type AdminConnectionKey,
  createMemoryTokenStore,
  type SalesforceTokenStore,
  type StoredAdminToken,
} from './salesforce-token-store.js';
