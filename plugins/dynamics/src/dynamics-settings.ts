import {
  anyCase,
  ConfigurationError,
  type CredentialGroup,
  commonSettingsShape,
  type FieldIssue,
  loopbackOrigin,
  loopbackUrlPattern,
  optionalText,
  parseHttpsUrl,
  type SettingsDefinition,
  trimmedPattern,
} from '@crm-connect/core';
import { z } from 'zod';
import { pluginId } from './dynamics-plugin-id.js';

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Verified domain names such as contoso.onmicrosoft.com also name a tenant. */
const tenantDomainPattern = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Multi-tenant authority aliases: client credentials need the one tenant the app user lives in. */
const sharedAuthorities = new Set(['common', 'organizations', 'consumers']);
/**
 * `{org}.crm{N}.dynamics.com` (commercial regions, any N: newer regions keep coming),
 * `{org}.api.crm{N}.…` (the API host), and the sovereign clouds (GCC High `.microsoftdynamics.us`,
 * DoD `.appsplatform.us`, China `.dynamics.cn`).
 */
const organizationHostPattern =
  /^([a-z0-9][a-z0-9-]{0,62})\.(?:api\.)?(crm\d*)\.(dynamics\.com|microsoftdynamics\.us|appsplatform\.us|dynamics\.cn)$/;

/**
 * The environment URL, normalised to `https://{org}.crm{N}.dynamics.com` (no path, no API host).
 * A local sandbox (`@crm-connect/sandbox`) on a loopback address, its scheme written out
 * (`https://127.0.0.1:4010/`), is kept as its origin: the only host allowed a port or plain http.
 */
export function normaliseOrganizationUrl(input: string): string | undefined {
  const trimmed = input.trim();
  const sandbox = loopbackOrigin(trimmed);
  if (sandbox !== undefined) return sandbox;
  const url = parseHttpsUrl(trimmed);
  if (url === undefined) return undefined;
  const match = organizationHostPattern.exec(url.hostname.toLowerCase());
  if (match === null) return undefined;
  const [, org, crm, domain] = match;
  return `https://${org}.${crm}.${domain}`;
}

const organizationUrl = z
  .string()
  .trim()
  .transform((value, context) => {
    const normalised = normaliseOrganizationUrl(value);
    if (normalised === undefined) {
      context.addIssue({
        code: 'custom',
        message:
          'must be the environment URL, such as https://contoso.crm4.dynamics.com (Power Platform admin center › Environments › your environment › Environment URL), or a local sandbox on a loopback address such as https://127.0.0.1:4010',
      });
      return z.NEVER;
    }
    return normalised;
  });

const tenantId = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => !sharedAuthorities.has(value), {
    message:
      "must be your own tenant, not 'common', 'organizations' or 'consumers': use the Tenant ID from Microsoft Entra admin center › Overview",
  })
  .refine(
    (value) => sharedAuthorities.has(value) || guidPattern.test(value) || tenantDomainPattern.test(value),
    {
      message:
        'must be the Directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or a verified domain such as contoso.onmicrosoft.com',
    },
  );

const clientId = z
  .string()
  .trim()
  .toLowerCase()
  .regex(guidPattern, 'must be the Application (client) ID of the app registration, a GUID');

const clientSecret = z
  .string()
  .trim()
  .min(16, 'must be the Value of a client secret from the app registration › Certificates & secrets')
  .refine((value) => !guidPattern.test(value), {
    message:
      'looks like the Secret ID; paste the secret Value instead (shown once, when the secret is created under Certificates & secrets)',
  });

/**
 * Microsoft Entra's sign-in hosts for the clouds Dynamics 365 runs in: global, US Government
 * (GCC High / DoD) and China operated by 21Vianet (under both of its names). Microsoft's
 * "National clouds" authentication endpoints list them; msal-node carries their metadata, so it
 * validates them itself. The client secret is sent to this host: no other is accepted.
 */
export const microsoftAuthorityHosts: ReadonlySet<string> = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

const authorityHostHint =
  "must be Microsoft Entra's sign-in host for your cloud: https://login.microsoftonline.com (global), https://login.microsoftonline.us (US Government) or https://login.chinacloudapi.cn (China, 21Vianet)";

/**
 * The sign-in host, kept as its origin: one of Microsoft's own (the client secret goes there), or
 * a local sandbox on a loopback address, over https only since msal-node accepts no other.
 */
const authorityHost = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z
    .string()
    .trim()
    .transform((value, context) => {
      const sandbox = loopbackOrigin(value);
      if (sandbox?.startsWith('https://')) return sandbox;
      if (sandbox !== undefined) {
        context.addIssue({
          code: 'custom',
          message: `${authorityHostHint}; a local sandbox too (https://127.0.0.1:PORT), since msal-node accepts only https authorities`,
        });
        return z.NEVER;
      }
      const url = URL.canParse(value) ? new URL(value) : undefined;
      if (url?.protocol !== 'https:' || url.port !== '' || !microsoftAuthorityHosts.has(url.hostname)) {
        context.addIssue({ code: 'custom', message: authorityHostHint });
        return z.NEVER;
      }
      return url.origin;
    })
    .default('https://login.microsoftonline.com'),
);

/**
 * The rules above as JSON Schema patterns, for forms (any case, surrounding spaces allowed, as
 * zod reads them). A host zod accepts is never refused; the server still has the last word.
 */
const guidText = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const domainLabel = '[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
const organizationHostText = `[a-zA-Z0-9][a-zA-Z0-9-]{0,62}\\.(?:${anyCase('api.')})?${anyCase('crm')}[0-9]*\\.(?:${['dynamics.com', 'microsoftdynamics.us', 'appsplatform.us', 'dynamics.cn'].map(anyCase).join('|')})`;
const organizationUrlPattern = trimmedPattern(
  `(?:${anyCase('https://')})?${organizationHostText}(?::(?:443)?)?(?:[/?#\\\\].*)?|${loopbackUrlPattern()}`,
);
const tenantIdPattern = trimmedPattern(`${guidText}|(?=\\S{4,253}\\s*$)(?:${domainLabel}\\.)+[a-zA-Z]{2,63}`);
const authorityHostPattern = `^\\s*$|${trimmedPattern(
  `${anyCase('https://')}(?:${[...microsoftAuthorityHosts].map(anyCase).join('|')})(?::(?:443)?)?(?:[/?#\\\\].*)?|${loopbackUrlPattern({ httpsOnly: true })}`,
)}`;

/** The settings of the Dynamics 365 plugin. Credential fields accept "" as "not set" (admin forms). */
export const dynamicsSettingsSchema = z.object({
  ...commonSettingsShape,
  organizationUrl: optionalText(organizationUrl).meta({
    title: 'Environment URL',
    description:
      'The Dynamics 365 environment, such as https://contoso.crm4.dynamics.com: Power Platform admin center › Environments › your environment › Environment URL. A local sandbox: its loopback URL, such as https://127.0.0.1:4010.',
    pattern: organizationUrlPattern,
  }),
  tenantId: optionalText(tenantId).meta({
    title: 'Directory (tenant) ID',
    description:
      'Your Microsoft Entra tenant: the Tenant ID from Microsoft Entra admin center › Overview (a GUID), or a verified domain such as contoso.onmicrosoft.com. Not common, organizations or consumers.',
    pattern: tenantIdPattern,
  }),
  clientId: optionalText(clientId).meta({
    title: 'Application (client) ID',
    description:
      'The Application (client) ID of the app registration that is the application user in Dynamics 365, a GUID: Microsoft Entra admin center › App registrations › your app › Overview.',
    pattern: trimmedPattern(guidText),
  }),
  clientSecret: optionalText(clientSecret).meta({
    title: 'Application key (client secret)',
    description:
      'The Value of a client secret of that app registration (App registrations › your app › Certificates & secrets), shown once when the secret is created; not its Secret ID. A saved secret shows as ********: leave it to keep the secret.',
    // The Secret ID, a GUID, is what admins paste by mistake.
    not: { pattern: trimmedPattern(guidText) },
  }),
  authorityHost: authorityHost.meta({
    title: 'Sign-in host',
    description:
      'Microsoft Entra’s sign-in host. Leave it empty for https://login.microsoftonline.com; change it only for a sovereign cloud (https://login.microsoftonline.us, https://login.chinacloudapi.cn) or a local sandbox (https://127.0.0.1:PORT).',
    pattern: authorityHostPattern,
  }),
  impersonateAgents: z.boolean().default(false).meta({
    title: 'Write as the agent',
    description:
      'Write as the identified agent (impersonation through the CallerObjectId header); needs the Delegate role on the application user. Off: the application user performs every write and agents keep ownership.',
  }),
});
export type DynamicsSettings = z.output<typeof dynamicsSettingsSchema>;

const credentials: CredentialGroup<DynamicsSettings> = {
  id: 'application',
  label: 'Dynamics 365 environment URL, tenant ID, application ID and application key',
  fields: ['organizationUrl', 'tenantId', 'clientId', 'clientSecret', 'authorityHost'],
  // The secret goes to the authority's token endpoint for the tenant, and its tokens to the organization.
  addressFields: ['organizationUrl', 'tenantId', 'authorityHost'],
};

export const dynamicsSettings: SettingsDefinition<typeof dynamicsSettingsSchema> = {
  schema: dynamicsSettingsSchema,
  secretFields: ['clientSecret'],
  credentialGroups: [credentials],
};

/** The settings once every credential is known to be present. */
export interface DynamicsCredentials {
  organizationUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
}

export function isGuid(value: string): boolean {
  return guidPattern.test(value);
}

/** Throws a `ConfigurationError` naming every credential that is not set. */
export function requireCredentials(settings: DynamicsSettings): DynamicsCredentials {
  const { organizationUrl, tenantId, clientId, clientSecret, authorityHost } = settings;
  const issues: FieldIssue[] = [];
  if (organizationUrl === undefined)
    issues.push({ path: 'organizationUrl', message: 'organizationUrl: is required' });
  if (tenantId === undefined) issues.push({ path: 'tenantId', message: 'tenantId: is required' });
  if (clientId === undefined) issues.push({ path: 'clientId', message: 'clientId: is required' });
  if (clientSecret === undefined) issues.push({ path: 'clientSecret', message: 'clientSecret: is required' });
  if (
    organizationUrl === undefined ||
    tenantId === undefined ||
    clientId === undefined ||
    clientSecret === undefined
  ) {
    throw new ConfigurationError(
      `dynamics: ${issues.map((issue) => issue.path).join(', ')} missing. Fill in the organization URL, tenant ID, application ID and application key, then save again.`,
      { pluginId, issues },
    );
  }
  return { organizationUrl, tenantId, clientId, clientSecret, authorityHost };
}
