import {
  type Availability,
  ConfigurationError,
  commonSettingsShape,
  loopbackOrigin,
  optionalText,
  type PluginCapabilities,
  type SettingsDefinition,
} from '@crm-connect/core';
import { z } from 'zod';
import { checkOrgId } from './salesforce-ids.js';
import { checkLoginUrl } from './salesforce-login-url.js';
import { pluginId } from './salesforce-plugin-id.js';

/** Salesforce's own check of a field value, turned into a zod rule whose message carries the fix. */
function checked(check: (value: string) => { ok: true; value: string } | { ok: false; message: string }) {
  return z.string().transform((input, context) => {
    const result = check(input);
    if (result.ok) return result.value;
    context.addIssue({ code: 'custom', message: result.message, input });
    return z.NEVER;
  });
}

const orgIdSchema = checked((input) => {
  const result = checkOrgId(input);
  return result.ok ? { ok: true, value: result.orgId } : result;
});

const loginUrlSchema = checked((input) => {
  const result = checkLoginUrl(input);
  return result.ok ? { ok: true, value: result.url } : result;
});

/** A custom field's API name, as Setup › Object Manager shows it. */
const customFieldSchema = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z][A-Za-z0-9_]{0,39}__c$/,
    'must be a custom field API name such as CrmConnect_Interaction_Id__c (Setup › Object Manager › Fields & Relationships)',
  );

/** One linked admin: the non-secret half of an admin connection (its refresh token is in the token store). */
export const adminConnectionSchema = z.object({
  /** The admin's Salesforce user ID (005…, 18 characters). */
  userId: z.string().regex(/^005[A-Za-z0-9]{15}$/, 'must be an 18-character Salesforce user ID (005…)'),
  username: z.string().min(1),
  name: z.string().optional(),
  email: z.string().optional(),
  /** The org the admin signed in to, 15 characters. */
  orgId: z.string().regex(/^00D[A-Za-z0-9]{12}$/, 'must be a 15-character org ID (00D…)'),
  /** Where the org's API lives (`instance_url` of the token response): https, or a local sandbox's loopback origin. */
  instanceUrl: z
    .string()
    .refine(
      (value) =>
        loopbackOrigin(value) !== undefined || z.url({ protocol: /^https$/ }).safeParse(value).success,
      'must be an https URL (the instance_url Salesforce returned), or a local sandbox on a loopback address',
    ),
  status: z.enum(['active', 'inactive']),
  /** When the admin linked the account (ISO 8601). */
  linkedAt: z.iso.datetime({ offset: true }),
  /** Why the connection became inactive. */
  inactiveReason: z.string().optional(),
});
export type AdminConnection = z.infer<typeof adminConnectionSchema>;

/** Case Origin per channel; the defaults exist in every org's picklist (Phone, Email, Web). */
const caseOriginsSchema = z.object({
  chat: z.string().trim().min(1).max(255).default('Web'),
  messaging: z.string().trim().min(1).max(255).default('Web'),
  sms: z.string().trim().min(1).max(255).default('Web'),
  email: z.string().trim().min(1).max(255).default('Email'),
  voice: z.string().trim().min(1).max(255).default('Phone'),
  social: z.string().trim().min(1).max(255).default('Web'),
});

export const salesforceSettingsSchema = z.object({
  ...commonSettingsShape,
  orgId: optionalText(orgIdSchema).describe(
    'Salesforce org ID, 15 characters (Setup › Company Information); an 18-character ID is accepted and shortened',
  ),
  loginUrl: optionalText(loginUrlSchema).describe(
    'My Domain login URL, such as https://acme.my.salesforce.com (not the lightning.force.com address)',
  ),
  clientId: optionalText(z.string().trim().min(10, 'must be the connected app’s Consumer Key')).describe(
    'Connected app Consumer Key (client id)',
  ),
  clientSecret: optionalText(
    // Consumer Secrets are 64 hexadecimal characters (19 digits on older apps): a shorter value is
    // a typo, and too short to be redacted reliably wherever it might be echoed.
    z
      .string()
      .trim()
      .min(
        16,
        'must be the connected app’s Consumer Secret (Setup › App Manager › your app › View › Manage Consumer Details)',
      ),
  ).describe('Connected app Consumer Secret (client secret)'),
  adminConnections: z
    .preprocess(
      // An empty list means "no admin linked": the credential group is then incomplete, not invalid.
      (value) => (Array.isArray(value) && value.length === 0 ? undefined : value),
      z
        .array(adminConnectionSchema)
        .max(10)
        .refine((connections) => new Set(connections.map((c) => c.userId)).size === connections.length, {
          message: 'lists the same Salesforce user twice; each admin connection must be a different user',
        })
        .optional(),
    )
    .describe('Linked Salesforce admins, in failover order (managed by Link / Unlink, not typed in)'),
  apiVersion: z
    .string()
    .regex(/^\d{2,3}\.0$/, 'must be a Salesforce API version such as 62.0')
    .refine((version) => Number(version) >= 46, 'must be 46.0 or later (upsert results name "created")')
    .default('62.0')
    .describe('Salesforce REST API version'),
  caseExternalIdField: customFieldSchema
    .default('CrmConnect_Interaction_Id__c')
    .describe('Case field (Text, Unique, External ID) holding the interaction id'),
  contactExternalIdField: customFieldSchema
    .default('CrmConnect_Contact_Key__c')
    .describe('Contact field (Text, Unique, External ID) holding the end user’s email, phone or id'),
  caseOrigins: caseOriginsSchema.prefault({}).describe('Case Origin picklist value per channel'),
});
export type SalesforceSettings = z.output<typeof salesforceSettingsSchema>;
export type SalesforceSettingsInput = z.input<typeof salesforceSettingsSchema>;

/** Settings with everything a connection needs. */
export type ConfiguredSettings = SalesforceSettings & {
  orgId: string;
  loginUrl: string;
  clientId: string;
  clientSecret: string;
};

/** The linked admins of the configured org that are not marked inactive, in failover order. */
export function activeConnections(settings: SalesforceSettings): AdminConnection[] {
  return (settings.adminConnections ?? []).filter(
    (connection) => connection.status === 'active' && connection.orgId === settings.orgId,
  );
}

/** Narrows settings to configured ones, or says which fields to fill in. */
export function requireConfigured(settings: SalesforceSettings, needSecret = true): ConfiguredSettings {
  const missing = [
    settings.orgId === undefined ? 'the org ID' : undefined,
    settings.loginUrl === undefined ? 'the My Domain login URL' : undefined,
    settings.clientId === undefined ? 'the connected app Consumer Key' : undefined,
    needSecret && settings.clientSecret === undefined ? 'the connected app Consumer Secret' : undefined,
  ].filter((label) => label !== undefined);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `salesforce: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set; fill in the Salesforce settings and save them first.`,
      { pluginId },
    );
  }
  return settings as ConfiguredSettings;
}

/** We hold admin tokens only: the admin performs every write; agents still own their records. */
export const salesforceCapabilities: PluginCapabilities = {
  performsAsAgent: false,
  alwaysUseAdmin: true,
};

function defaultUserAvailability(settings: SalesforceSettings): Availability {
  if (activeConnections(settings).length > 0) return { enabled: true };
  return {
    enabled: false,
    reason:
      'No active Salesforce admin is linked: press Link and sign in as a Salesforce admin to enable the default user.',
  };
}

export const salesforceSettings: SettingsDefinition<typeof salesforceSettingsSchema> = {
  schema: salesforceSettingsSchema,
  secretFields: ['clientSecret'],
  credentialGroups: [
    {
      id: 'connectedApp',
      label: 'the org ID, the My Domain login URL and the connected app Consumer Key and Secret',
      fields: ['orgId', 'loginUrl', 'clientId', 'clientSecret'],
      // The client secret goes to the login URL's token endpoint, for this org.
      addressFields: ['orgId', 'loginUrl'],
    },
    {
      id: 'adminConnections',
      label: 'a linked Salesforce admin (press Link and sign in as a Salesforce admin)',
      fields: ['adminConnections'],
      addressFields: [],
    },
  ],
  defaultUserAvailability,
};
