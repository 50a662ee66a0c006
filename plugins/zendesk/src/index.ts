export { apiTokenRetirementWarning } from './zendesk-credentials.js';
export { maxCommentBytes } from './zendesk-notes.js';
export { oauthScope } from './zendesk-oauth.js';
export { type ZendeskPluginOptions, zendesk, zendeskCapabilities } from './zendesk-plugin.js';
export {
  authModes,
  normaliseSubdomain,
  type ZendeskAuthMode,
  type ZendeskSettings,
  type ZendeskSettingsInput,
  zendeskSettings,
  zendeskSettingsSchema,
} from './zendesk-settings.js';
