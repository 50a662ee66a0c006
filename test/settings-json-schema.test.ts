import { applySettingsRules, type CrmPlugin, SECRET_MASK, settingsJsonSchema } from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { kustomer } from '@crm-connect/kustomer';
import { salesforce, toId18 } from '@crm-connect/salesforce';
import { zendesk } from '@crm-connect/zendesk';
import { describe, expect, it } from 'vitest';
import { formValidator, zodAccepts } from '../packages/core/test/settings-agreement.js';

/**
 * Each plugin's exported settings JSON Schema, run by ajv (draft 2020-12, ajv-formats) as an admin
 * form would, against the server's verdict: the plugin's zod schema, a masked secret standing for
 * the saved one, plus the credential-group rule (all or none). Every row says what both must say.
 */

type Row = readonly [what: string, settings: unknown, valid: boolean];

interface PluginTable {
  plugin: CrmPlugin;
  /** What a masked secret stands for: the secret saved before. */
  savedSecrets: Readonly<Record<string, string>>;
  rows: readonly Row[];
  /**
   * Where the two knowingly differ: a zod rule JSON Schema cannot state (a checksum, a list
   * without duplicates), or an exotic spelling the pattern does not follow. The form is then
   * either more lenient (the server reports it on save) or, for absurd input only, stricter.
   */
  differences: readonly [what: string, settings: unknown, zod: boolean, ajv: boolean][];
}

/** Shared rows: the common settings, wrong types and non-objects, on top of a plugin's complete settings. */
function commonRows(complete: Record<string, unknown>, offersAlwaysUseAdmin: boolean): Row[] {
  return [
    ['nothing filled in', {}, true],
    ['the checkboxes on', { ...complete, defaultUser: true, abandonedCallTickets: true }, true],
    ['a checkbox as text', { ...complete, defaultUser: 'true' }, false],
    ['a checkbox as null', { ...complete, abandonedCallTickets: null }, false],
    ['alwaysUseAdmin on', { ...complete, alwaysUseAdmin: true }, true],
    ['alwaysUseAdmin as text', { ...complete, alwaysUseAdmin: 'yes' }, false],
    ['email aliases', { ...complete, agentEmailAliases: { 'Old@Acme.com': 'new@acme.com' } }, true],
    [
      'an alias that is not an email',
      { ...complete, agentEmailAliases: { 'not an email': 'new@acme.com' } },
      false,
    ],
    ['aliases as a list', { ...complete, agentEmailAliases: [] }, false],
    ['an unknown field (dropped)', { ...complete, favouriteColour: 'blue' }, true],
    ['not an object', 'settings', false],
    ['null', null, false],
    ['a list', [complete], false],
    ...(offersAlwaysUseAdmin
      ? []
      : ([['alwaysUseAdmin off, not offered', { ...complete, alwaysUseAdmin: false }, true]] as Row[])),
  ];
}

const zendeskToken = {
  subdomain: 'acme',
  authMode: 'apiToken',
  email: 'admin@acme.com',
  apiToken: 'AbCdEfGhIjKlMnOp1234',
};
const zendeskOauth = {
  subdomain: 'acme',
  authMode: 'oauthClientCredentials',
  oauthClientId: 'crm_connect',
  oauthClientSecret: 'oauth-client-secret-0123456789',
};

const zendeskTable: PluginTable = {
  plugin: zendesk() as unknown as CrmPlugin,
  savedSecrets: { apiToken: 'SavedToken0123456789', oauthClientSecret: 'saved-oauth-secret-0123456789' },
  rows: [
    ...commonRows(zendeskToken, true),
    [
      'every field emptied',
      {
        subdomain: '',
        email: '',
        apiToken: '',
        oauthClientId: '',
        oauthClientSecret: '',
        interactionFieldId: '',
      },
      true,
    ],
    [
      'every field white space',
      { subdomain: ' ', email: '  ', apiToken: '\t', oauthClientId: ' ', oauthClientSecret: ' \n' },
      true,
    ],
    ['token mode complete', zendeskToken, true],
    ['token mode by default', { ...zendeskToken, authMode: undefined }, true],
    ['token mode, the token masked', { ...zendeskToken, apiToken: SECRET_MASK }, true],
    ['token mode, the token padded', { ...zendeskToken, apiToken: '  AbCdEfGhIjKlMnOp1234 ' }, true],
    ['token mode, the token emptied', { ...zendeskToken, apiToken: '' }, false],
    ['token mode, the token white space', { ...zendeskToken, apiToken: '   ' }, false],
    ['token mode, the email emptied', { ...zendeskToken, email: '' }, false],
    ['token mode, the subdomain left out', { ...zendeskToken, subdomain: undefined }, false],
    ['token mode, only the subdomain', { subdomain: 'acme' }, false],
    ['token mode, the token too short', { ...zendeskToken, apiToken: 'short' }, false],
    ['token mode, a token with a space', { ...zendeskToken, apiToken: 'AbCdEfGh IjKlMnOp1234' }, false],
    [
      'token mode, OAuth fields half filled (not applicable)',
      { ...zendeskToken, oauthClientId: 'crm_connect' },
      true,
    ],
    ['a subdomain in capitals', { ...zendeskToken, subdomain: 'ACME' }, true],
    ['a subdomain padded', { ...zendeskToken, subdomain: ' acme ' }, true],
    [
      'a subdomain as a URL with a path',
      { ...zendeskToken, subdomain: 'https://acme.zendesk.com/agent/dashboard' },
      true,
    ],
    ['a subdomain as a host', { ...zendeskToken, subdomain: 'Acme.Zendesk.com' }, true],
    ['a local sandbox', { ...zendeskToken, subdomain: 'http://127.0.0.1:4010' }, true],
    ['a subdomain over http', { ...zendeskToken, subdomain: 'http://acme.zendesk.com' }, false],
    [
      'a subdomain inside another URL',
      { ...zendeskToken, subdomain: 'https://evil.example/acme.zendesk.com' },
      false,
    ],
    ['a subdomain with a leading hyphen', { ...zendeskToken, subdomain: '-acme' }, false],
    ['a subdomain of 64 characters', { ...zendeskToken, subdomain: 'a'.repeat(64) }, false],
    [
      'a sandbox URL with a user name',
      { ...zendeskToken, subdomain: 'http://user:pw@127.0.0.1:4010' },
      false,
    ],
    ['a subdomain as a number', { ...zendeskToken, subdomain: 42 }, false],
    ['an email that is not one', { ...zendeskToken, email: 'admin@' }, false],
    ['an email padded (not trimmed)', { ...zendeskToken, email: ' admin@acme.com ' }, false],
    ['an email as null', { ...zendeskToken, email: null }, false],
    ['a token as a number', { ...zendeskToken, apiToken: 1_234_567_890_123_456 }, false],
    ['OAuth mode complete', zendeskOauth, true],
    ['OAuth mode, the secret masked', { ...zendeskOauth, oauthClientSecret: SECRET_MASK }, true],
    ['OAuth mode, with the optional email', { ...zendeskOauth, email: 'admin@acme.com' }, true],
    [
      'OAuth mode, the token fields left from before',
      { ...zendeskOauth, email: 'admin@acme.com', apiToken: '' },
      true,
    ],
    ['OAuth mode, the secret emptied', { ...zendeskOauth, oauthClientSecret: '' }, false],
    ['OAuth mode, the identifier white space', { ...zendeskOauth, oauthClientId: '  ' }, false],
    [
      'OAuth mode, an identifier of 256 characters',
      { ...zendeskOauth, oauthClientId: 'i'.repeat(256) },
      false,
    ],
    [
      'switched to OAuth with only the token group filled',
      { ...zendeskToken, authMode: 'oauthClientCredentials' },
      false,
    ],
    [
      'switched to OAuth, token fields kept, no subdomain',
      { email: 'admin@acme.com', apiToken: 'AbCdEfGhIjKlMnOp1234', authMode: 'oauthClientCredentials' },
      true,
    ],
    [
      'switched back to token mode with only the OAuth group filled',
      { ...zendeskOauth, authMode: 'apiToken' },
      false,
    ],
    ['an unknown mode', { ...zendeskToken, authMode: 'oauth' }, false],
    ['an empty mode', { ...zendeskToken, authMode: '' }, false],
    ['a ticket field id', { ...zendeskToken, interactionFieldId: 360012345678 }, true],
    ['a ticket field id as text', { ...zendeskToken, interactionFieldId: ' 360012345678 ' }, true],
    ['a ticket field id emptied', { ...zendeskToken, interactionFieldId: '' }, true],
    ['a ticket field id as null', { ...zendeskToken, interactionFieldId: null }, true],
    ['a ticket field id of zero', { ...zendeskToken, interactionFieldId: 0 }, false],
    ['a negative ticket field id', { ...zendeskToken, interactionFieldId: -5 }, false],
    ['a fractional ticket field id', { ...zendeskToken, interactionFieldId: 1.5 }, false],
    ['a ticket field id as a name', { ...zendeskToken, interactionFieldId: 'Interaction id' }, false],
    ['a ticket field id in exponent notation', { ...zendeskToken, interactionFieldId: '1e3' }, false],
    ['a ticket field id as a boolean', { ...zendeskToken, interactionFieldId: true }, false],
  ],
  differences: [
    [
      'a ticket field id beyond 2^53, as text',
      { ...zendeskToken, interactionFieldId: '99999999999999999999' },
      false,
      true,
    ],
    ['a loopback address spelled short', { ...zendeskToken, subdomain: 'http://127.1:4010' }, true, false],
    // zod counts UTF-16 code units, JSON Schema counts characters: 8 emoji are 16 units.
    ['a token of 8 emoji', { ...zendeskToken, apiToken: '\u{1F600}'.repeat(8) }, true, false],
  ],
};

const guid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const dynamicsComplete = {
  organizationUrl: 'https://contoso.crm4.dynamics.com',
  tenantId: guid,
  clientId: '11111111-2222-3333-4444-555555555555',
  clientSecret: 'client~secret.value-0123456789',
};

const dynamicsTable: PluginTable = {
  plugin: dynamics() as unknown as CrmPlugin,
  savedSecrets: { clientSecret: 'saved~secret.value-0123456789' },
  rows: [
    ...commonRows(dynamicsComplete, false),
    [
      'every field emptied',
      { organizationUrl: '', tenantId: '', clientId: '', clientSecret: '', authorityHost: '' },
      true,
    ],
    [
      'every field white space',
      { organizationUrl: ' ', tenantId: '\t', clientId: '  ', clientSecret: ' ', authorityHost: ' ' },
      true,
    ],
    ['complete', dynamicsComplete, true],
    ['the secret masked', { ...dynamicsComplete, clientSecret: SECRET_MASK }, true],
    ['the secret padded', { ...dynamicsComplete, clientSecret: '  client~secret.value-0123456789  ' }, true],
    ['the secret emptied', { ...dynamicsComplete, clientSecret: '' }, false],
    ['the secret white space', { ...dynamicsComplete, clientSecret: '    ' }, false],
    ['the tenant emptied', { ...dynamicsComplete, tenantId: '' }, false],
    ['only the environment URL', { organizationUrl: 'https://contoso.crm4.dynamics.com' }, false],
    ['only the sign-in host (it has a default)', { authorityHost: 'https://login.microsoftonline.us' }, true],
    ['the secret too short', { ...dynamicsComplete, clientSecret: 'short-secret' }, false],
    ['the Secret ID pasted as the secret', { ...dynamicsComplete, clientSecret: guid }, false],
    [
      'IDs in capitals',
      { ...dynamicsComplete, tenantId: guid.toUpperCase(), clientId: '11111111-2222-3333-4444-55555555555A' },
      true,
    ],
    [
      'IDs padded',
      { ...dynamicsComplete, tenantId: ` ${guid} `, clientId: ' 11111111-2222-3333-4444-555555555555' },
      true,
    ],
    ['a tenant domain', { ...dynamicsComplete, tenantId: 'Contoso.onmicrosoft.com' }, true],
    ['the shared tenant "common"', { ...dynamicsComplete, tenantId: 'common' }, false],
    ['a tenant without a dot', { ...dynamicsComplete, tenantId: 'contoso' }, false],
    ['a client ID that is not a GUID', { ...dynamicsComplete, clientId: 'not-a-guid' }, false],
    [
      'a client ID in braces',
      { ...dynamicsComplete, clientId: '{11111111-2222-3333-4444-555555555555}' },
      false,
    ],
    [
      'an environment URL without scheme, with the API path',
      { ...dynamicsComplete, organizationUrl: 'contoso.api.crm.dynamics.com/api/data/v9.2/' },
      true,
    ],
    [
      'an environment URL in capitals',
      { ...dynamicsComplete, organizationUrl: 'HTTPS://CONTOSO.CRM4.DYNAMICS.COM/main.aspx' },
      true,
    ],
    [
      'a US Government environment',
      { ...dynamicsComplete, organizationUrl: 'https://contoso.crm9.microsoftdynamics.us' },
      true,
    ],
    [
      'a local sandbox',
      {
        ...dynamicsComplete,
        organizationUrl: 'https://127.0.0.1:4010',
        authorityHost: 'https://127.0.0.1:4011',
      },
      true,
    ],
    [
      'an environment URL over http',
      { ...dynamicsComplete, organizationUrl: 'http://contoso.crm4.dynamics.com' },
      false,
    ],
    [
      'an environment URL on another port',
      { ...dynamicsComplete, organizationUrl: 'https://contoso.crm4.dynamics.com:444' },
      false,
    ],
    [
      'an environment URL with a user name',
      { ...dynamicsComplete, organizationUrl: 'https://user:pw@contoso.crm.dynamics.com' },
      false,
    ],
    ['a SharePoint URL', { ...dynamicsComplete, organizationUrl: 'https://contoso.sharepoint.com' }, false],
    [
      'a look-alike host',
      { ...dynamicsComplete, organizationUrl: 'https://contoso.crm4.dynamics.com.evil.example' },
      false,
    ],
    ['the default sign-in host, emptied', { ...dynamicsComplete, authorityHost: '' }, true],
    [
      'the US Government sign-in host with a path',
      { ...dynamicsComplete, authorityHost: 'https://login.microsoftonline.us/tenant/oauth2' },
      true,
    ],
    [
      'a sign-in host over http',
      { ...dynamicsComplete, authorityHost: 'http://login.microsoftonline.com' },
      false,
    ],
    [
      'a sign-in host without scheme',
      { ...dynamicsComplete, authorityHost: 'login.microsoftonline.com' },
      false,
    ],
    [
      'a sandbox sign-in host over http',
      { ...dynamicsComplete, authorityHost: 'http://127.0.0.1:4011' },
      false,
    ],
    ['another sign-in host', { ...dynamicsComplete, authorityHost: 'https://login.evil.example' }, false],
    ['impersonation on', { ...dynamicsComplete, impersonateAgents: true }, true],
    ['impersonation as text', { ...dynamicsComplete, impersonateAgents: 'true' }, false],
    ['a secret as a number', { ...dynamicsComplete, clientSecret: 1234567890123456 }, false],
    ['a sign-in host as null', { ...dynamicsComplete, authorityHost: null }, false],
  ],
  differences: [
    [
      'a sign-in host with a user name',
      { ...dynamicsComplete, authorityHost: 'https://user@login.microsoftonline.com' },
      true,
      false,
    ],
  ],
};

const kustomerKey = `k${'0123456789'.repeat(4)}`;
const kustomerComplete = { apiBaseUrl: 'https://acme.api.kustomerapp.com', apiKey: kustomerKey };

const kustomerTable: PluginTable = {
  plugin: kustomer() as unknown as CrmPlugin,
  savedSecrets: { apiKey: `s${'9876543210'.repeat(4)}` },
  rows: [
    ...commonRows(kustomerComplete, false),
    ['every field emptied', { apiBaseUrl: '', apiKey: '' }, true],
    ['every field white space', { apiBaseUrl: '  ', apiKey: '\t' }, true],
    ['complete', kustomerComplete, true],
    ['the key masked', { ...kustomerComplete, apiKey: SECRET_MASK }, true],
    ['the key padded', { ...kustomerComplete, apiKey: ` ${kustomerKey}  ` }, true],
    ['the key emptied', { ...kustomerComplete, apiKey: '' }, false],
    ['the key white space', { ...kustomerComplete, apiKey: '   ' }, false],
    ['the URL emptied', { ...kustomerComplete, apiBaseUrl: '' }, false],
    ['only the key masked', { apiKey: SECRET_MASK }, false],
    ['the key too short', { ...kustomerComplete, apiKey: 'eyJhbGci' }, false],
    ['the key only padded to length', { ...kustomerComplete, apiKey: `     eyJhbGci         ` }, false],
    [
      'a key with a space',
      { ...kustomerComplete, apiKey: `${kustomerKey.slice(0, 20)} ${kustomerKey.slice(20)}` },
      false,
    ],
    ['a key as a number', { ...kustomerComplete, apiKey: 1_234_567_890_123_456 }, false],
    ['the organization name', { ...kustomerComplete, apiBaseUrl: 'acme' }, true],
    ['the organization name in capitals', { ...kustomerComplete, apiBaseUrl: ' ACME ' }, true],
    [
      'the organization API host without scheme',
      { ...kustomerComplete, apiBaseUrl: 'acme.api.kustomerapp.com' },
      true,
    ],
    [
      'the agent web app URL',
      { ...kustomerComplete, apiBaseUrl: 'https://acme.kustomerapp.com/app/customers' },
      true,
    ],
    ['the US regional host', { ...kustomerComplete, apiBaseUrl: 'https://api.kustomerapp.com' }, true],
    [
      'the EU regional host with a path',
      { ...kustomerComplete, apiBaseUrl: 'https://API.prod2.kustomerapp.com/v1/' },
      true,
    ],
    ['a local sandbox', { ...kustomerComplete, apiBaseUrl: 'http://localhost:4010/' }, true],
    ['a reserved name', { ...kustomerComplete, apiBaseUrl: 'api' }, false],
    ['a reserved host', { ...kustomerComplete, apiBaseUrl: 'https://www.kustomerapp.com' }, false],
    ['an API host over http', { ...kustomerComplete, apiBaseUrl: 'http://acme.api.kustomerapp.com' }, false],
    [
      'an API host on another port',
      { ...kustomerComplete, apiBaseUrl: 'https://acme.api.kustomerapp.com:8443' },
      false,
    ],
    ['another host', { ...kustomerComplete, apiBaseUrl: 'https://acme.example.com' }, false],
    [
      'a URL of 254 characters',
      { ...kustomerComplete, apiBaseUrl: `https://acme.api.kustomerapp.com/${'a'.repeat(221)}` },
      false,
    ],
    ['a rate limit', { ...kustomerComplete, rateLimitPerMinute: 2000 }, true],
    ['a rate limit of zero', { ...kustomerComplete, rateLimitPerMinute: 0 }, false],
    ['a fractional rate limit', { ...kustomerComplete, rateLimitPerMinute: 2.5 }, false],
    ['a rate limit as text', { ...kustomerComplete, rateLimitPerMinute: '300' }, false],
    ['a rate limit above the maximum', { ...kustomerComplete, rateLimitPerMinute: 10_001 }, false],
    ['a rate limit emptied', { ...kustomerComplete, rateLimitPerMinute: '' }, false],
  ],
  differences: [
    [
      'a loopback address spelled long',
      { ...kustomerComplete, apiBaseUrl: 'http://[0:0:0:0:0:0:0:1]:4010' },
      true,
      false,
    ],
  ],
};

const orgId = '00D5g000004XyZa';
const salesforceComplete = {
  orgId,
  loginUrl: 'https://acme.my.salesforce.com',
  clientId: '3MVG9consumer-key-0123456789',
  clientSecret: 'consumer-secret-0123456789',
};
const adminConnection = {
  userId: '005000000000001AAA',
  username: 'admin@acme.com',
  orgId,
  instanceUrl: 'https://acme.my.salesforce.com',
  status: 'active',
  linkedAt: '2026-01-05T09:00:00Z',
};

const salesforceTable: PluginTable = {
  plugin: salesforce() as unknown as CrmPlugin,
  savedSecrets: { clientSecret: 'saved-consumer-secret-0123456789' },
  rows: [
    ...commonRows(salesforceComplete, true),
    ['every field emptied', { orgId: '', loginUrl: '', clientId: '', clientSecret: '' }, true],
    ['every field white space', { orgId: ' ', loginUrl: '\t', clientId: '  ', clientSecret: ' ' }, true],
    ['complete', salesforceComplete, true],
    ['the secret masked', { ...salesforceComplete, clientSecret: SECRET_MASK }, true],
    ['the secret emptied', { ...salesforceComplete, clientSecret: '' }, false],
    ['the Consumer Key white space', { ...salesforceComplete, clientId: '   ' }, false],
    ['only the org ID', { orgId }, false],
    ['the secret too short', { ...salesforceComplete, clientSecret: 'secret12' }, false],
    ['the Consumer Key too short', { ...salesforceComplete, clientId: 'abc' }, false],
    ['the Consumer Key padded', { ...salesforceComplete, clientId: '  3MVG9consumer-key-0123456789 ' }, true],
    ['an 18-character org ID', { ...salesforceComplete, orgId: toId18(orgId) }, true],
    ['an org ID padded', { ...salesforceComplete, orgId: ` ${orgId} ` }, true],
    ['an org ID in lowercase', { ...salesforceComplete, orgId: orgId.toLowerCase() }, false],
    ['a user ID as the org ID', { ...salesforceComplete, orgId: '005000000000001' }, false],
    ['an org ID of 14 characters', { ...salesforceComplete, orgId: orgId.slice(0, 14) }, false],
    ['an org ID in quotes', { ...salesforceComplete, orgId: `"${orgId}"` }, false],
    [
      'a login URL with a slash',
      { ...salesforceComplete, loginUrl: 'https://ACME.my.salesforce.com/' },
      true,
    ],
    [
      'a sandbox login URL',
      { ...salesforceComplete, loginUrl: 'https://acme--uat.sandbox.my.salesforce.com' },
      true,
    ],
    ['a local sandbox', { ...salesforceComplete, loginUrl: 'http://127.0.0.1:4010' }, true],
    [
      'the Lightning address',
      { ...salesforceComplete, loginUrl: 'https://acme.lightning.force.com/lightning/page/home' },
      false,
    ],
    ['the generic login page', { ...salesforceComplete, loginUrl: 'https://login.salesforce.com' }, false],
    ['a login URL over http', { ...salesforceComplete, loginUrl: 'http://acme.my.salesforce.com' }, false],
    ['a login URL without scheme', { ...salesforceComplete, loginUrl: 'acme.my.salesforce.com' }, false],
    [
      'a login URL with a path',
      { ...salesforceComplete, loginUrl: 'https://acme.my.salesforce.com/home' },
      false,
    ],
    [
      'a login URL on another port',
      { ...salesforceComplete, loginUrl: 'https://acme.my.salesforce.com:8443' },
      false,
    ],
    ['a linked admin', { ...salesforceComplete, adminConnections: [adminConnection] }, true],
    ['no linked admin', { ...salesforceComplete, adminConnections: [] }, true],
    [
      'eleven linked admins',
      {
        ...salesforceComplete,
        adminConnections: Array.from({ length: 11 }, (_, index) => ({
          ...adminConnection,
          userId: `005000000000${String(index).padStart(3, '0')}AAA`,
        })),
      },
      false,
    ],
    [
      'a linked admin with a 15-character user ID',
      { ...salesforceComplete, adminConnections: [{ ...adminConnection, userId: '005000000000001' }] },
      false,
    ],
    ['linked admins as text', { ...salesforceComplete, adminConnections: 'admin@acme.com' }, false],
    ['API version 46.0', { ...salesforceComplete, apiVersion: '46.0' }, true],
    ['API version 45.0', { ...salesforceComplete, apiVersion: '45.0' }, false],
    ['API version without ".0"', { ...salesforceComplete, apiVersion: '62' }, false],
    ['API version emptied', { ...salesforceComplete, apiVersion: '' }, false],
    ['a custom field padded', { ...salesforceComplete, caseExternalIdField: ' Interaction__c ' }, true],
    ['a field that is not custom', { ...salesforceComplete, caseExternalIdField: 'Interaction' }, false],
    ['a Case Origin', { ...salesforceComplete, caseOrigins: { chat: 'Chat' } }, true],
    ['a Case Origin emptied', { ...salesforceComplete, caseOrigins: { chat: '' } }, false],
    [
      'a Case Origin of 300 characters',
      { ...salesforceComplete, caseOrigins: { voice: 'x'.repeat(300) } },
      false,
    ],
  ],
  differences: [
    [
      'an 18-character org ID with a wrong checksum',
      { ...salesforceComplete, orgId: `${orgId}ZZZ` },
      false,
      true,
    ],
    [
      'the same admin linked twice',
      { ...salesforceComplete, adminConnections: [adminConnection, adminConnection] },
      false,
      true,
    ],
    [
      'a linked admin on http',
      {
        ...salesforceComplete,
        adminConnections: [{ ...adminConnection, instanceUrl: 'http://acme.my.salesforce.com' }],
      },
      false,
      true,
    ],
  ],
};

describe.each([
  ['zendesk', zendeskTable],
  ['dynamics', dynamicsTable],
  ['kustomer', kustomerTable],
  ['salesforce', salesforceTable],
])('%s settings JSON Schema', (_, { plugin, savedSecrets, rows, differences }) => {
  const schema = settingsJsonSchema(plugin);
  const formAccepts = formValidator(schema);

  it('has at least 40 rows in its table', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  it.each(rows)('%s: ajv and zod agree', (_, settings, valid) => {
    expect(zodAccepts(plugin.settings, settings, savedSecrets), 'zod').toBe(valid);
    expect(formAccepts(settings), 'ajv').toBe(valid);
  });

  it.each(differences)('%s: a known difference', (_, settings, zod, ajv) => {
    expect(zodAccepts(plugin.settings, settings, savedSecrets), 'zod').toBe(zod);
    expect(formAccepts(settings), 'ajv').toBe(ajv);
  });

  it('gives every field a title and a description', () => {
    for (const [field, property] of Object.entries(
      schema.properties as Record<string, Record<string, unknown>>,
    )) {
      expect(typeof property.title, field).toBe('string');
      expect(typeof property.description, field).toBe('string');
    }
  });

  it('marks every secret a write-only password', () => {
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    for (const field of plugin.settings.secretFields) {
      expect(properties[field], field).toMatchObject({ writeOnly: true, format: 'password' });
    }
  });

  it('names what to fill in so that it reads as a sentence ("Fill in Zendesk user email…", not "Fill in The…")', () => {
    for (const group of plugin.settings.credentialGroups) expect(group.label).not.toMatch(/^(The|A|An) /);
    const { form } = applySettingsRules(plugin, plugin.settings.schema.parse({}));
    expect(form.checkboxes.defaultUser.reason).toMatch(/^Fill in [a-zA-Z0-9]/);
    expect(form.checkboxes.defaultUser.reason).not.toMatch(/Fill in (The|A|An) /);
  });

  it('offers alwaysUseAdmin exactly when the plugin can', () => {
    const offered = plugin.capabilities(plugin.settings.schema.parse({})).alwaysUseAdmin;
    expect(Object.hasOwn(schema.properties as object, 'alwaysUseAdmin')).toBe(offered);
  });
});
