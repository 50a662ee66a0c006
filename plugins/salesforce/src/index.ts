export type {
  AdminLinkResult,
  AdminLinkStart,
  AdminSettingsUpdate,
  AdminUnlinkResult,
  AgentLinkResult,
  CompleteAdminLinkOptions,
  LinkedAgent,
  SalesforceAdminLinks,
  SalesforceAgentLinks,
  StartAdminLinkOptions,
} from './salesforce-admin-links.js';
export {
  type AgentCredential,
  AgentSessionError,
  type AgentSessions,
  agentSessionsFromTokenStore,
} from './salesforce-agent-sessions.js';
export { type AdminLinkHealth, type AdminLinkStatus, checkAdminLinks } from './salesforce-health.js';
export {
  caseChecksum,
  checkOrgId,
  type OrgIdCheck,
  restoreCase,
  sameId,
  toId15,
  toId18,
} from './salesforce-ids.js';
export { type LinkAgentOptions, linkAgent } from './salesforce-link-agent.js';
export { checkLoginUrl, type LoginUrlCheck } from './salesforce-login-url.js';
export { type SalesforceOptions, type SalesforcePlugin, salesforce } from './salesforce-plugin.js';
export {
  createMemoryAccessTokenCache,
  createMemoryRefreshLock,
  type RefreshLockOptions,
  type SalesforceAccessTokenCache,
  type SalesforceRefreshLock,
} from './salesforce-refresh.js';
export { MissingRightsError, personalAccountWarning, rightsQuery } from './salesforce-rights.js';
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
  sameAdminToken,
} from './salesforce-token-store.js';
