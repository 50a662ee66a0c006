import { z } from 'zod';

const emailKey = z.email('must be an email address').transform((email) => email.toLowerCase());

/**
 * Settings every connector has, whatever the CRM. A plugin spreads this shape into its own
 * schema: `z.object({ ...commonSettingsShape, subdomain: … })`.
 */
export const commonSettingsShape = {
  /** Attribute writes no agent can be identified for to the default user instead of a random agent. Default off (the legacy behaviour). */
  defaultUser: z.boolean().default(false).meta({
    title: 'Use the default user',
    description:
      'Use the default user for all record creation/modification that cannot be attributed to a specific agent, instead of a random agent. The default user is the CRM user the credentials above act as; it can be switched on once they are filled in and valid.',
  }),
  /** Make the connection's admin perform every write while agents keep ownership (plugins with that capability). Default off. */
  alwaysUseAdmin: z.boolean().default(false).meta({
    title: 'Always use the admin user',
    description:
      'Always use the admin user for record creation/update: the admin the credentials act as makes every write, while the agents keep ownership of their records.',
  }),
  /** Open a ticket for calls abandoned before reaching an agent. Default off. */
  abandonedCallTickets: z.boolean().default(false).meta({
    title: 'Tickets for abandoned calls',
    description: 'Create a ticket for each call abandoned before it reached an agent.',
  }),
  /** Platform email → CRM email, for agents whose CRM address differs (two addresses before an account merge). Default none. */
  agentEmailAliases: z.record(emailKey, emailKey).default({}).meta({
    title: 'Agent email aliases',
    description:
      'For agents whose CRM user has another email address than their contact-center account (two addresses before an account merge): the contact-center email as the key, the CRM user’s email as the value. Compared in lowercase.',
  }),
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

/**
 * The fields made by `optionalText`. `settingsJsonSchema` reads it to let the JSON Schema accept a
 * blank value too. A registry rather than a set: zod's `.meta()` and `.describe()` return a copy
 * whose registry entry is inherited from the original.
 */
const optionalTexts = z.registry<{ optionalText: true }>();

/** An optional text setting whose empty value means "not set" (admin forms send "" for an empty field). */
export function optionalText<TSchema extends z.ZodType<string, string>>(schema: TSchema) {
  const optional = z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    schema.optional(),
  );
  optionalTexts.add(optional, { optionalText: true });
  return optional;
}

/** True for a field made by `optionalText` (or a copy of one): blank text means "not set". */
export function isOptionalText(schema: z.core.$ZodType): boolean {
  return optionalTexts.get(schema) !== undefined;
}
