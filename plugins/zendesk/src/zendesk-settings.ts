import {
  anyCase,
  commonSettingsShape,
  loopbackOrigin,
  loopbackUrlPattern,
  optionalText,
  type SettingsDefinition,
  trimmedPattern,
} from '@crm-connect/core';
import { z } from 'zod';

/**
 * The Zendesk settings form. Credentials come in one of two modes:
 * - `apiToken`: an admin's email and an API token, sent as HTTP Basic `{email}/token:{token}`
 *   (what admins configure today; Zendesk retires API tokens on 2027-04-30);
 * - `oauthClientCredentials`: the identifier and secret of a confidential OAuth client an admin
 *   created; its tokens act as that admin.
 */

const bareSubdomain = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const subdomainInUrl = /^(?:https:\/\/)?([a-z0-9-]+)\.zendesk\.com(?:\/.*)?$/;

/**
 * `acme`, `acme.zendesk.com` and `https://acme.zendesk.com/agent/…` all mean `acme`; a local
 * sandbox URL such as `http://127.0.0.1:4010/` is kept as its origin, `http://127.0.0.1:4010`.
 */
export function normaliseSubdomain(value: string): string {
  const text = value.trim().toLowerCase();
  return loopbackOrigin(text) ?? subdomainInUrl.exec(text)?.[1] ?? text;
}

/** `subdomainSchema` as a JSON Schema pattern, for forms: the same three forms, in any case. */
const subdomainLabel = '[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
const subdomainPattern = trimmedPattern(
  `${subdomainLabel}|(?:${anyCase('https://')})?${subdomainLabel}${anyCase('.zendesk.com')}(?:/.*)?|${loopbackUrlPattern()}`,
);

const subdomainSchema = z
  .string()
  .transform(normaliseSubdomain)
  .pipe(
    z
      .string()
      .refine(
        (value) => bareSubdomain.test(value) || loopbackOrigin(value) === value,
        'must be your Zendesk subdomain, such as acme or https://acme.zendesk.com, or a local sandbox on a loopback address such as http://127.0.0.1:4010 (http:// is refused for any other host)',
      ),
  );

const emailSchema = z
  .email('must be the email address of a Zendesk admin, such as admin@acme.com')
  .transform((email) => email.toLowerCase());

export const authModes = ['apiToken', 'oauthClientCredentials'] as const;
export type ZendeskAuthMode = (typeof authModes)[number];

export const zendeskSettingsSchema = z.object({
  ...commonSettingsShape,
  /** The account: `acme` for https://acme.zendesk.com (a full URL is accepted and normalised), or a local sandbox's loopback URL. Required. */
  subdomain: optionalText(subdomainSchema).meta({
    title: 'Zendesk subdomain',
    description:
      'Your Zendesk account: acme for https://acme.zendesk.com, the address agents sign in to (the full URL is accepted too). A local sandbox: its loopback URL, such as http://127.0.0.1:4010.',
    pattern: subdomainPattern,
  }),
  /** Which credentials below are used. Default `apiToken`, what existing configurations have. */
  authMode: z.enum(authModes).default('apiToken').meta({
    title: 'Authentication',
    description:
      'apiToken: a Zendesk admin’s email and an API token (Zendesk retires API tokens on 2027-04-30). oauthClientCredentials: the identifier and secret of an OAuth client a Zendesk admin created; its tokens act as that admin.',
  }),
  /** Token mode: the admin the token acts as. OAuth mode: optional; a warning names a mismatch with the OAuth admin. */
  email: optionalText(emailSchema).meta({
    title: 'Zendesk admin email',
    description:
      'API token mode: the email address of the Zendesk admin whose API token is below. OAuth mode: optional; when given, a warning names a mismatch with the admin the OAuth client acts as.',
  }),
  /** Token mode: an API token from Admin Center › Apps and integrations › APIs › Zendesk API. */
  apiToken: optionalText(
    z
      .string()
      .trim()
      .regex(/^\S{16,}$/, 'must be the API token shown once in Admin Center › Apps and integrations › APIs'),
  ).meta({
    title: 'API token',
    description:
      'API token mode: a token from Admin Center › Apps and integrations › APIs › Zendesk API, shown once when it is added. A saved token shows as ********: leave it to keep the token.',
  }),
  /** OAuth mode: the client's "Identifier" (not its numeric id). */
  oauthClientId: optionalText(z.string().trim().max(255)).meta({
    title: 'OAuth client identifier',
    description:
      'OAuth mode: the client’s Identifier (not its numeric ID), from Admin Center › Apps and integrations › APIs › OAuth Clients.',
  }),
  /** OAuth mode: the client's "Secret", shown once when the client is created. */
  oauthClientSecret: optionalText(
    z
      .string()
      .trim()
      .max(1024)
      // Zendesk generates 64-character secrets; anything this short is a typo, and too short to redact safely.
      .regex(
        /^\S{16,}$/,
        'must be the OAuth client’s Secret, shown once when the client is created (Admin Center › Apps and integrations › APIs › OAuth Clients)',
      ),
  ).meta({
    title: 'OAuth client secret',
    description:
      'OAuth mode: the client’s Secret, shown once when the client is created (Admin Center › Apps and integrations › APIs › OAuth Clients). A saved secret shows as ********: leave it to keep the secret.',
  }),
  /** A ticket field (its numeric id) that receives the interaction id so agents see it. Default none: the id goes to `external_id` only. */
  interactionFieldId: z
    .preprocess((value) => {
      if (value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
      // A form sends the digits as text; nothing else is read as a number (not `true`, not `1e3`).
      return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    }, z
      .number('must be the numeric id of a text ticket field')
      .int('must be the numeric id of a text ticket field')
      .positive('must be the numeric id of a text ticket field')
      .optional())
    .meta({
      title: 'Interaction id ticket field',
      description:
        'Optional: the numeric ID of a text ticket field (Admin Center › Objects and rules › Tickets › Fields) that receives the interaction id, so agents see it on the ticket. Left empty, the id goes to the ticket’s external_id only.',
      // What a form may send: the number, its digits as text, or nothing.
      type: ['integer', 'string', 'null'],
      pattern: '^\\s*(?:0*[1-9][0-9]*)?\\s*$',
    }),
});
export type ZendeskSettings = z.output<typeof zendeskSettingsSchema>;
export type ZendeskSettingsInput = z.input<typeof zendeskSettingsSchema>;

export const zendeskSettings: SettingsDefinition<typeof zendeskSettingsSchema> = {
  schema: zendeskSettingsSchema,
  secretFields: ['apiToken', 'oauthClientSecret'],
  credentialGroups: [
    {
      id: 'apiToken',
      label: 'Zendesk user email and API token (with the subdomain)',
      // The subdomain is part of the combination checked live: a wrong one fails like a wrong token.
      fields: ['email', 'apiToken', 'subdomain'],
      addressFields: ['subdomain'],
      appliesWhen: (settings) => settings.authMode === 'apiToken',
    },
    {
      id: 'oauthClient',
      label: 'Zendesk OAuth client identifier and secret (with the subdomain)',
      fields: ['oauthClientId', 'oauthClientSecret', 'subdomain'],
      addressFields: ['subdomain'],
      appliesWhen: (settings) => settings.authMode === 'oauthClientCredentials',
    },
  ],
};

/** The account's origin, e.g. `https://acme.zendesk.com`, or the sandbox's own origin. */
export function zendeskOrigin(subdomain: string): string {
  return loopbackOrigin(subdomain) ?? `https://${subdomain}.zendesk.com`;
}
