export { type KustomerHost, parseKustomerHost } from './kustomer-base-url.js';
export type { KustomerIdentity } from './kustomer-client.js';
export { type KustomerPlugin, kustomer } from './kustomer-plugin.js';
export { type RequiredRole, requiredRoles } from './kustomer-roles.js';
export {
  defaultRateLimitPerMinute,
  type KustomerSettings,
  type KustomerSettingsInput,
  kustomerSettingsSchema,
} from './kustomer-settings.js';
