import { z } from 'zod';

const emailKey = z.email('must be an email address').transform((email) => email.toLowerCase());

/**
 * Settings every connector has, whatever the CRM. A plugin spreads this shape into its own
 * schema: `z.object({ ...commonSettingsShape, subdomain: … })`.
 */
export const commonSettingsShape = {
  /** Attribute writes no agent can be identified for to the default user instead of a random agent. Default off (the legacy behaviour). */
  defaultUser: z
    .boolean()
    .default(false)
    .describe(
      'Use the default user for all record creation/modification that cannot be attributed to a specific agent',
    ),
  /** Make the connection's admin perform every write while agents keep ownership (plugins with that capability). Default off. */
  alwaysUseAdmin: z
    .boolean()
    .default(false)
    .describe('Always use the admin user for record creation/update (agents keep ownership)'),
  /** Open a ticket for calls abandoned before reaching an agent. Default off. */
  abandonedCallTickets: z.boolean().default(false).describe('Create tickets for abandoned calls'),
  /** Platform email → CRM email, for agents whose CRM address differs (two addresses before an account merge). Default none. */
  agentEmailAliases: z
    .record(emailKey, emailKey)
    .default({})
    .describe('Platform agent email → CRM user email, for agents whose addresses differ'),
};

export const commonSettingsSchema = z.object(commonSettingsShape);
/** The common settings as the connector reads them (defaults applied, aliases lowercased). */
export type CommonSettings = z.output<typeof commonSettingsSchema>;
/** The common settings as a form or the platform submits them (every field optional). */
export type CommonSettingsInput = z.input<typeof commonSettingsSchema>;

/**
 * What every plugin's settings schema is: an object schema whose output has the common settings.
 * `CrmPlugin` requires it, so a plugin that forgets `...commonSettingsShape` does not compile.
 */
export type PluginSettingsSchema = z.ZodObject & z.ZodType<CommonSettings, CommonSettingsInput>;

/** An optional text setting whose empty value means "not set" (admin forms send "" for an empty field). */
export function optionalText<TSchema extends z.ZodType<string, string>>(schema: TSchema) {
  return z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    schema.optional(),
  );
}
