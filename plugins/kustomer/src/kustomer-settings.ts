import {
  anyCase,
  type CommonSettings,
  commonSettingsShape,
  loopbackUrlPattern,
  optionalText,
  type SettingsDefinition,
  trimmedPattern,
} from '@crm-connect/core';
import { z } from 'zod';
import { apiBaseUrlHint, parseKustomerHost } from './kustomer-base-url.js';

/** Kustomer's lowest plan limit (Professional): safe whatever the plan. */
export const defaultRateLimitPerMinute = 300;

/**
 * `parseKustomerHost` as a JSON Schema pattern, for forms: an organization name, an organization
 * or regional API host (any case, any path), or a local sandbox. `reserved` repeats the names
 * `parseKustomerHost` refuses as an organization; the settings test table keeps the two in step.
 */
const label = '[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
const reserved = `(?:${['api', 'www', 'app', 'help', 'developer', 'status'].map(anyCase).join('|')})`;
const kustomerHostText = `(?:${anyCase('api')}(?:\\.${anyCase('prod')}[0-9]+)?|(?!${reserved}\\.)${label}(?:\\.${anyCase('api')})?)${anyCase('.kustomerapp.com')}`;
const apiBaseUrlPattern = trimmedPattern(
  `(?!${reserved}\\s*$)${label}|${loopbackUrlPattern()}|(?:${anyCase('https://')})?${kustomerHostText}(?::(?:443)?)?(?:[/?#\\\\].*)?`,
);

export const kustomerSettingsSchema = z.object({
  ...commonSettingsShape,
  /** The organization's API host or a regional host, normalised to an origin such as `https://acme.api.kustomerapp.com`; or a local sandbox's loopback URL. */
  apiBaseUrl: optionalText(
    z
      .string()
      .max(253)
      .transform((value, context) => {
        const host = parseKustomerHost(value);
        if (host !== undefined) return host.origin;
        context.addIssue({ code: 'custom', message: apiBaseUrlHint });
        return z.NEVER;
      }),
  ).meta({
    title: 'API base URL',
    description:
      'Your organization’s API host, https://{org}.api.kustomerapp.com (the organization name alone is enough), or the regional host: US https://api.kustomerapp.com, EU https://api.prod2.kustomerapp.com. A local sandbox: its loopback URL, such as http://127.0.0.1:4010.',
    pattern: apiBaseUrlPattern,
  }),
  /** The API key (a bearer token); its machine user is the default user. */
  apiKey: optionalText(
    z
      .string()
      .trim()
      .min(
        20,
        'must be the whole API key Kustomer showed once when it was created (Settings › Security › API Keys)',
      )
      .regex(/^\S+$/, 'must not contain spaces: paste the API key exactly as Kustomer showed it'),
  ).meta({
    title: 'API key',
    description:
      'An API key from Kustomer Settings › Security › API Keys, shown once when it is created; its user is the default user. A saved key shows as ********: leave it to keep the key.',
  }),
  /** Requests per minute the organization's plan allows, shared by every API key of the organization. Default 300. */
  rateLimitPerMinute: z
    .number()
    .int('must be a whole number of requests per minute')
    .min(1, 'must be at least 1 request per minute')
    .max(10_000, 'must be at most 10,000 requests per minute')
    .default(defaultRateLimitPerMinute)
    .meta({
      title: 'API rate limit (requests per minute)',
      description:
        "Your Kustomer plan's API rate limit in requests per minute (Professional 300, Business 500, Enterprise 1,000, Ultimate 2,000). It is shared by every API key of the organization: set it lower to leave room for other integrations.",
    }),
});
export type KustomerSettings = z.output<typeof kustomerSettingsSchema>;
export type KustomerSettingsInput = z.input<typeof kustomerSettingsSchema>;

/** Settings whose credentials are filled in, as every live call needs them. */
export type KustomerCredentials = CommonSettings & {
  apiBaseUrl: string;
  apiKey: string;
  rateLimitPerMinute: number;
};

export const kustomerSettings: SettingsDefinition<typeof kustomerSettingsSchema> = {
  schema: kustomerSettingsSchema,
  secretFields: ['apiKey'],
  credentialGroups: [
    {
      id: 'credentials',
      label: 'Kustomer API key and API base URL',
      // Checked live together (a key works only on its own region's hosts) and reverted together.
      fields: ['apiKey', 'apiBaseUrl'],
      addressFields: ['apiBaseUrl'],
    },
  ],
};
