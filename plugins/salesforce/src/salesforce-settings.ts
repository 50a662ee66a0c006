import {
  type Availability,
  anyCase,
  ConfigurationError,
  commonSettingsShape,
  loopbackOrigin,
  loopbackUrlPattern,
  optionalText,
  type PluginCapabilities,
  type SettingsDefinition,
  trimmedPattern,
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

/** The Case Origin of one channel's cases. */
const caseOrigin = (channel: string, fallback: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(255)
    .default(fallback)
    .meta({ title: channel, description: `Case Origin of ${channel} cases (default ${fallback}).` });

/** Case Origin per channel; the defaults exist in every org's picklist (Phone, Email, Web). */
const caseOriginsSchema = z.object({
  chat: caseOrigin('Chat', 'Web'),
  messaging: caseOrigin('Messaging', 'Web'),
  sms: caseOrigin('SMS', 'Web'),
  email: caseOrigin('Email', 'Email'),
  voice: caseOrigin('Voice', 'Phone'),
  social: caseOrigin('Social', 'Web'),
});

/**
 * `checkOrgId` and `checkLoginUrl` as JSON Schema patterns, for forms (any case, surrounding
 * spaces allowed). Not expressed: an 18-character org ID's case checksum, checked on save.
 */
const orgIdPattern = trimmedPattern('00D[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?');
const myDomainHostText = `[a-zA-Z0-9_-]+(?:\\.[a-zA-Z0-9_-]+)*(?:${['.my.salesforce.com', '.my.salesforce.mil', '.my.sfcrmproducts.cn'].map(anyCase).join('|')})`;
const loginUrlPattern = trimmedPattern(
  `${anyCase('https://')}${myDomainHostText}(?::(?:443)?)?/?|${loopbackUrlPattern()}`,
);

export const salesforceSettingsSchema = z.object({
  ...commonSettingsShape,
  orgId: optionalText(orgIdSchema).meta({
    title: 'Org ID',
    description:
      'Your Salesforce org ID, 15 characters starting with 00D: Setup › Company Information › Salesforce.com Organization ID. The 18-character form is accepted and shortened.',
    pattern: orgIdPattern,
  }),
  loginUrl: optionalText(loginUrlSchema).meta({
    title: 'My Domain login URL',
    description:
      'Your org’s My Domain URL from Setup › My Domain, such as https://acme.my.salesforce.com, or https://acme--uat.sandbox.my.salesforce.com for a sandbox; not the lightning.force.com address. A local sandbox: its loopback URL, such as http://127.0.0.1:4010.',
    pattern: loginUrlPattern,
  }),
  clientId: optionalText(z.string().trim().min(10, 'must be the connected app’s Consumer Key')).meta({
    title: 'Consumer Key',
    description:
      'The connected app’s Consumer Key (client ID): Setup › App Manager › your app › View › Manage Consumer Details.',
  }),
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
  ).meta({
    title: 'Consumer Secret',
    description:
      'The connected app’s Consumer Secret, next to its Consumer Key (Setup › App Manager › your app › View › Manage Consumer Details). A saved secret shows as ********: leave it to keep the secret.',
  }),
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
    .meta({
      title: 'Linked admins',
      description:
        'The Salesforce admins linked to this connection, in failover order: managed by Link and Unlink, not typed in.',
      readOnly: true,
    }),
  apiVersion: z
    .string()
    .regex(/^\d{2,3}\.0$/, 'must be a Salesforce API version such as 62.0')
    .refine((version) => Number(version) >= 46, 'must be 46.0 or later (upsert results name "created")')
    .default('62.0')
    .meta({
      title: 'API version',
      description: 'The Salesforce REST API version to call, 46.0 or later.',
      pattern: '^(?:0?(?:4[6-9]|[5-9][0-9])|[1-9][0-9]{2})\\.0$',
    }),
  caseExternalIdField: customFieldSchema.default('CrmConnect_Interaction_Id__c').meta({
    title: 'Case interaction id field',
    description:
      'The API name of the Case field (Text, Unique, External ID) that holds the interaction id: Setup › Object Manager › Case › Fields & Relationships.',
  }),
  contactExternalIdField: customFieldSchema.default('CrmConnect_Contact_Key__c').meta({
    title: 'Contact key field',
    description:
      'The API name of the Contact field (Text, Unique, External ID) that holds the end user’s email, phone or id: Setup › Object Manager › Contact › Fields & Relationships.',
  }),
  caseOrigins: caseOriginsSchema.prefault({}).meta({
    title: 'Case Origin per channel',
    description:
      'The Case Origin picklist value given to the cases of each channel; each must exist in the picklist.',
  }),
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
