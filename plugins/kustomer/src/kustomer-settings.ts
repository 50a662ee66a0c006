import {
  type CommonSettings,
  commonSettingsShape,
  optionalText,
  type SettingsDefinition,
} from '@crm-connect/core';
import { z } from 'zod';
import { apiBaseUrlHint, parseKustomerHost } from './kustomer-base-url.js';

/** Kustomer's lowest plan limit (Professional): safe whatever the plan. */
export const defaultRateLimitPerMinute = 300;

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
  ).describe(
    'Kustomer API base URL: https://{org}.api.kustomerapp.com, or the regional host (US https://api.kustomerapp.com, EU https://api.prod2.kustomerapp.com); a local sandbox: http://127.0.0.1:PORT',
  ),
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
  ).describe('Kustomer API key (Settings › Security › API Keys)'),
  /** Requests per minute the organization's plan allows, shared by every API key of the organization. Default 300. */
  rateLimitPerMinute: z
    .number()
    .int('must be a whole number of requests per minute')
    .min(1, 'must be at least 1 request per minute')
    .max(10_000, 'must be at most 10,000 requests per minute')
    .default(defaultRateLimitPerMinute)
    .describe(
      "Your Kustomer plan's API rate limit in requests per minute (Professional 300, Business 500, Enterprise 1,000, Ultimate 2,000). It is shared by every API key of the organization: set it lower to leave room for other integrations.",
    ),
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
      label: 'The Kustomer API key and API base URL',
      // Checked live together (a key works only on its own region's hosts) and reverted together.
      fields: ['apiKey', 'apiBaseUrl'],
      addressFields: ['apiBaseUrl'],
    },
  ],
};
