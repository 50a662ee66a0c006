export {
  createDynamicsSandbox,
  type DynamicsSandbox,
  type DynamicsSandboxOptions,
  type DynamicsSandboxSettings,
  dynamicsCredentialNames,
  dynamicsSandboxSettings,
} from './dynamics/dynamics-sandbox.js';
export type { DynamicsSeed, DynamicsStore } from './dynamics/dynamics-store.js';
export {
  type Fault,
  type FaultInjector,
  type FaultInput,
  type FaultKind,
  type FaultTarget,
  faultSchema,
  type InjectedFault,
} from './faults.js';
export {
  type HttpMethod,
  json,
  MalformedBodyError,
  type SandboxRequest,
  type SandboxResponse,
} from './http-exchange.js';
export { objectIds, sequentialIds } from './ids.js';
export {
  createKustomerSandbox,
  type KustomerSandbox,
  type KustomerSandboxOptions,
  type KustomerSandboxSettings,
  kustomerCredentialNames,
  kustomerSandboxSettings,
} from './kustomer/kustomer-sandbox.js';
export type { KustomerSeed, KustomerStore } from './kustomer/kustomer-store.js';
export {
  type Admission,
  type RateWindowInput,
  type RateWindowOptions,
  rateWindowSchema,
  retryAfterHeader,
} from './rate-window.js';
export type { RequestLog, RequestLogEntry, RequestLogListener } from './request-log.js';
export {
  createRouteTable,
  type Route,
  type RouteContext,
  type RouteHandler,
  type RouteMatch,
  type RouteTable,
} from './routes.js';
export {
  createSalesforceSandbox,
  type SalesforceSandbox,
  type SalesforceSandboxOptions,
  type SalesforceSandboxSettings,
  salesforceCredentialNames,
  salesforceSandboxSettings,
} from './salesforce/salesforce-sandbox.js';
export type {
  CaseCommentRecord,
  CaseRecord,
  ContactRecord as SalesforceContactRecord,
  SalesforceSeed,
  SalesforceStore,
  TaskRecord,
} from './salesforce/salesforce-store.js';
export {
  createSandbox,
  type Sandbox,
  type SandboxDefinition,
  type SandboxDialect,
  type SandboxOptions,
  sandboxOptionsSchema,
} from './sandbox.js';
export {
  defaultSandboxCertificateFolder,
  type SandboxCertificateFiles,
  sandboxCertificate,
  sandboxCertificatePath,
  sandboxKeyPath,
  sandboxTls,
} from './sandbox-certificate.js';
export { createSandboxServer, type SandboxServer, serverOptionsSchema } from './sandbox-server.js';
export {
  type SandboxSeed,
  type SeededUser,
  type SeedPerson,
  type SeedPersonKey,
  seedPeople,
} from './seed.js';
export { createTable, type Table } from './store.js';
export type { ZendeskAnswer, ZendeskAnswerLog } from './zendesk/zendesk-answers.js';
export {
  createZendeskSandbox,
  type ZendeskSandbox,
  type ZendeskSandboxAuthMode,
  type ZendeskSandboxOptions,
  type ZendeskSandboxSettings,
  zendeskCredentialNames,
  zendeskSandboxSettings,
} from './zendesk/zendesk-sandbox.js';
export type { ZendeskSeed, ZendeskStore } from './zendesk/zendesk-store.js';
