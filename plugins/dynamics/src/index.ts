export { dynamics } from './dynamics-plugin.js';
export {
  type DynamicsSettings,
  dynamicsSettings,
  dynamicsSettingsSchema,
  normaliseOrganizationUrl,
} from './dynamics-settings.js';
