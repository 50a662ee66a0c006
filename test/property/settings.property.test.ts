import {
  AuthenticationError,
  ConfigurationError,
  type CredentialCheck,
  type CrmPlugin,
  createConnector,
  createRateBudgetRegistry,
  isCrmConnectError,
  parseSettings,
  SECRET_MASK,
  saveSettings,
  TransportError,
} from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { kustomer } from '@crm-connect/kustomer';
import { salesforce, toId18 } from '@crm-connect/salesforce';
import { zendesk } from '@crm-connect/zendesk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adversarialValue,
  assertPrototypeClean,
  email,
  flipCase,
  guid,
  hugeString,
  mutated,
  orgId15,
  ownObject,
  runs,
} from './arbitraries.js';

/**
 * Every plugin's settings schema, fed what an admin form or a stored configuration may hold:
 * parsing gives valid settings or a `ConfigurationError`, saving never stores settings the schema
 * would refuse on the next load, and no input reaches `Object.prototype`.
 */

/** The schema type every plugin's settings share (zod's object schema), named without importing zod here. */
type SettingsSchema = Parameters<typeof saveSettings>[0]['settings']['schema'];

interface SettingsCase<TSchema extends SettingsSchema> {
  plugin: CrmPlugin<TSchema>;
  /** Complete, valid settings as an admin would save them. */
  valid: readonly Record<string, unknown>[];
  /** Per field: values close to valid (other URL forms, IDs in the wrong case, out-of-range numbers). */
  variants: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

const commonVariants = {
  defaultUser: fc.constantFrom(true, false, 'true', 1, null),
  alwaysUseAdmin: fc.constantFrom(true, false, 'false', 0),
  abandonedCallTickets: fc.constantFrom(true, false, 'yes'),
  agentEmailAliases: fc.oneof(
    fc.dictionary(email, email, { maxKeys: 3 }),
    fc.constantFrom(
      { 'Agent@Acme.com': 'agent@acme.com' },
      { 'not an email': 'agent@acme.com' },
      ownObject([['__proto__', 'agent@acme.com']]),
      ownObject([['__proto__', { polluted: 'yes' }]]),
      [],
    ),
  ),
};

const loopbackUrls = [
  'http://127.0.0.1:4010',
  'http://127.0.0.1:4010/',
  'http://localhost:4010/api',
  'http://[::1]:4010',
  'https://127.0.0.1:4010',
  'http://user:password@127.0.0.1:4010',
  '127.0.0.1:4010',
  'http://127.0.0.1:99999',
];

/** A host name under `suffix` with an arbitrary, possibly invalid, first label. */
const hostUnder = (suffix: string, scheme = 'https://') =>
  fc
    .oneof(
      fc.domain(),
      fc.stringMatching(/^[a-zA-Z0-9-]{0,70}$/),
      fc.string({ unit: 'binary', maxLength: 8 }),
    )
    .map((label) => `${scheme}${label}${suffix}`);

const zendeskCase: SettingsCase<ReturnType<typeof zendesk>['settings']['schema']> = {
  plugin: zendesk(),
  valid: [
    {
      subdomain: 'acme',
      authMode: 'apiToken',
      email: 'admin@acme.com',
      apiToken: 'AbCdEfGhIjKlMnOp1234',
      defaultUser: true,
    },
    {
      subdomain: 'https://acme.zendesk.com/agent/dashboard',
      authMode: 'oauthClientCredentials',
      oauthClientId: 'crm_connect',
      oauthClientSecret: 'oauth-client-secret-0123456789',
      interactionFieldId: 360_001,
      agentEmailAliases: { 'old@acme.com': 'new@acme.com' },
    },
  ],
  variants: {
    ...commonVariants,
    subdomain: fc.oneof(
      fc.constantFrom(
        'acme',
        'ACME',
        ' acme ',
        'acme.zendesk.com',
        'https://acme.zendesk.com',
        'https://ACME.zendesk.com/agent/tickets/1',
        'http://acme.zendesk.com',
        'https://acme.zendesk.com.evil.example',
        'https://evil.example/acme.zendesk.com',
        'acme..zendesk.com',
        '-acme',
        'acme-',
        'a'.repeat(63),
        'a'.repeat(64),
        'ac\u200Fme',
        'acme\u0000',
        ...loopbackUrls,
      ),
      hostUnder('.zendesk.com'),
    ),
    authMode: fc.constantFrom('apiToken', 'oauthClientCredentials', 'APITOKEN', 'oauth', ''),
    email: fc.oneof(email, fc.constantFrom('ADMIN@ACME.COM', 'admin@', ' admin@acme.com ', 'admin@acme')),
    apiToken: fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('short', 'token with spaces 0123456789', SECRET_MASK),
    ),
    oauthClientId: fc.oneof(fc.string({ maxLength: 300 }), hugeString),
    oauthClientSecret: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(SECRET_MASK), hugeString),
    interactionFieldId: fc.constantFrom(
      '123',
      123,
      '',
      null,
      -5,
      0,
      1.5,
      '1e3',
      '0x10',
      ' 42 ',
      'abc',
      2 ** 60,
    ),
  },
};

const orgId = '00D5g000004XyZa';
const adminConnection = {
  userId: '005000000000001AAA',
  username: 'admin@acme.com',
  orgId,
  instanceUrl: 'https://acme.my.salesforce.com',
  status: 'active',
  linkedAt: '2026-01-05T09:00:00Z',
};

/** An org ID as an admin may paste it: 15 or 18 characters, case lost or flipped, a bad checksum, spaces, quotes. */
const orgIdVariant: fc.Arbitrary<string> = fc
  .tuple(
    orgId15,
    fc.nat({ max: 17 }),
    fc.constantFrom('as is', 'id18', 'lower', 'upper', 'flip', 'quoted', 'checksum'),
  )
  .map(([id, index, how]) => {
    const id18 = toId18(id);
    if (how === 'as is') return id;
    if (how === 'id18') return id18;
    if (how === 'lower') return id18.toLowerCase();
    if (how === 'upper') return id18.toUpperCase();
    if (how === 'flip') return flipCase(id18, index);
    if (how === 'quoted') return ` "${id18}" `;
    return `${id}${'ZZZ'}`;
  });

const salesforceCase: SettingsCase<ReturnType<typeof salesforce>['settings']['schema']> = {
  plugin: salesforce(),
  valid: [
    {
      orgId,
      loginUrl: 'https://acme.my.salesforce.com',
      clientId: '3MVG9consumer-key-0123456789',
      clientSecret: 'consumer-secret-0123456789',
      adminConnections: [adminConnection],
      defaultUser: true,
      alwaysUseAdmin: true,
    },
    { orgId: toId18(orgId), loginUrl: 'https://acme--uat.sandbox.my.salesforce.com/' },
  ],
  variants: {
    ...commonVariants,
    orgId: fc.oneof(
      orgIdVariant,
      fc.constantFrom('005000000000001', '00d5g000004xyza', '00D5g000004XyZ', '00D5g000004XyZaAAAA'),
    ),
    loginUrl: fc.oneof(
      fc.constantFrom(
        'https://acme.my.salesforce.com',
        'https://ACME.my.salesforce.com/',
        'acme.my.salesforce.com',
        'http://acme.my.salesforce.com',
        'https://acme.lightning.force.com/lightning/page/home',
        'https://acme--uat.sandbox.lightning.force.com',
        'https://acme.my.salesforce-setup.com/lightning/setup/SetupOneHome/home',
        'https://agency.lightning.crmforce.mil',
        'https://login.salesforce.com',
        'https://test.salesforce.com/',
        'https://acme.my.salesforce.com:8443',
        'https://user:pw@acme.my.salesforce.com',
        'https://acme.my.salesforce.com?startURL=%2Fhome',
        'https://acme.my.salesforce.com#top',
        'https://.my.salesforce.com',
        'https://my.salesforce.com',
        'ftp://acme.my.salesforce.com',
        ...loopbackUrls,
      ),
      hostUnder('.my.salesforce.com'),
      hostUnder('.lightning.force.com', ''),
    ),
    clientId: fc.oneof(fc.string({ maxLength: 30 }), hugeString),
    clientSecret: fc.oneof(fc.string({ maxLength: 30 }), fc.constant(SECRET_MASK)),
    adminConnections: fc.constantFrom(
      [],
      [adminConnection, adminConnection],
      Array.from({ length: 11 }, (_, index) => ({
        ...adminConnection,
        userId: `005000000000${String(index).padStart(3, '0')}AAA`,
      })),
      [{ ...adminConnection, userId: '005000000000001' }],
      [{ ...adminConnection, instanceUrl: 'http://acme.my.salesforce.com' }],
      [{ ...adminConnection, instanceUrl: 'http://127.0.0.1:4010' }],
      [{ ...adminConnection, status: 'inactive', inactiveReason: 'revoked' }],
      [ownObject([...Object.entries(adminConnection), ['__proto__', { polluted: 'yes' }]])],
      'admin@acme.com',
    ),
    apiVersion: fc.constantFrom('62.0', '46.0', '45.0', '62', 'v62.0', '999.0'),
    caseExternalIdField: fc.constantFrom('Interaction__c', 'Interaction', '1Bad__c', `${'A'.repeat(40)}__c`),
    caseOrigins: fc.constantFrom(
      {},
      { chat: 'Chat' },
      { chat: '' },
      { voice: 'x'.repeat(300) },
      ownObject([['__proto__', { chat: 'Chat' }]]),
    ),
  },
};

const dynamicsCase: SettingsCase<ReturnType<typeof dynamics>['settings']['schema']> = {
  plugin: dynamics(),
  valid: [
    {
      organizationUrl: 'https://contoso.crm4.dynamics.com',
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      clientId: '11111111-2222-3333-4444-555555555555',
      clientSecret: 'client~secret.value-0123456789',
      impersonateAgents: true,
      defaultUser: true,
    },
    {
      organizationUrl: 'contoso.api.crm.dynamics.com/api/data/v9.2/',
      tenantId: 'contoso.onmicrosoft.com',
      authorityHost: 'https://login.microsoftonline.us',
    },
  ],
  variants: {
    ...commonVariants,
    organizationUrl: fc.oneof(
      fc.constantFrom(
        'https://contoso.crm4.dynamics.com',
        'https://CONTOSO.CRM4.DYNAMICS.COM/main.aspx',
        'contoso.crm.dynamics.com',
        'https://contoso.api.crm4.dynamics.com/api/data/v9.2/',
        'http://contoso.crm4.dynamics.com',
        'https://contoso.crm4.dynamics.com:444',
        'https://user:pw@contoso.crm.dynamics.com',
        'https://contoso.crm.microsoftdynamics.us',
        'https://contoso.crm.appsplatform.us',
        'https://contoso.crm.dynamics.cn',
        'https://contoso.dynamics.com',
        'https://contoso.crm4.dynamics.com.evil.example',
        ...loopbackUrls,
      ),
      hostUnder('.crm4.dynamics.com'),
    ),
    tenantId: fc.oneof(
      guid,
      guid.map((value) => value.toUpperCase()),
      fc.constantFrom('common', 'Organizations', 'consumers', 'contoso.onmicrosoft.com', 'x', 'contoso'),
    ),
    clientId: fc.oneof(guid, fc.constantFrom('not-a-guid', '{11111111-2222-3333-4444-555555555555}')),
    clientSecret: fc.oneof(guid, fc.string({ maxLength: 40 }), fc.constant(SECRET_MASK)),
    authorityHost: fc.constantFrom(
      'https://login.microsoftonline.com',
      'https://login.microsoftonline.us/',
      'http://login.microsoftonline.com',
      'login.microsoftonline.com',
      'https://127.0.0.1:4011',
      'http://127.0.0.1:4011',
      'https://login.microsoftonline.com/tenant/oauth2',
      '',
      'https://',
    ),
    impersonateAgents: fc.constantFrom(true, false, 'true'),
  },
};

const kustomerCase: SettingsCase<ReturnType<typeof kustomer>['settings']['schema']> = {
  plugin: kustomer(),
  valid: [
    {
      apiBaseUrl: 'https://acme.api.kustomerapp.com',
      apiKey: `k${'0123456789'.repeat(4)}`,
      defaultUser: true,
    },
    {
      apiBaseUrl: 'https://api.prod2.kustomerapp.com/v1/',
      apiKey: `k${'abcdefghij'.repeat(3)}`,
      rateLimitPerMinute: 500,
    },
  ],
  variants: {
    ...commonVariants,
    apiBaseUrl: fc.oneof(
      fc.constantFrom(
        'acme',
        'ACME',
        'acme.api.kustomerapp.com',
        'https://acme.kustomerapp.com/app',
        'https://api.kustomerapp.com',
        'https://api.prod2.kustomerapp.com/v1/',
        'http://acme.api.kustomerapp.com',
        'https://acme.api.kustomerapp.com:8443',
        'https://user:pw@acme.api.kustomerapp.com',
        'https://www.kustomerapp.com',
        'https://api.kustomerapp.com.evil.example',
        'https://evil.example/acme.api.kustomerapp.com',
        'a'.repeat(254),
        ...loopbackUrls,
      ),
      hostUnder('.api.kustomerapp.com'),
    ),
    apiKey: fc.oneof(
      fc.string({ minLength: 15, maxLength: 60 }),
      fc.constantFrom('short', 'an api key with spaces 0123456789', SECRET_MASK),
    ),
    rateLimitPerMinute: fc.constantFrom(0, 1, 300, 10_000, 10_001, 1.5, '300', -1),
  },
};

/** What the form may be handed: anything at all, or valid settings with a few fields made adversarial. */
function submittedSettings(
  settingsCase: Pick<SettingsCase<SettingsSchema>, 'valid' | 'variants'>,
): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: adversarialValue, weight: 1 },
    { arbitrary: mutated(fc.constantFrom(...settingsCase.valid), settingsCase.variants), weight: 6 },
  );
}

/** A live check that records what it was asked and answers as the CRM would: valid, refused or unreachable. */
function recordingValidate(outcome: 'valid' | 'refused' | 'unreachable', calls: unknown[]) {
  return async (settings: unknown): Promise<CredentialCheck> => {
    calls.push(settings);
    if (outcome === 'refused') throw new AuthenticationError('The CRM refused these credentials.');
    if (outcome === 'unreachable') throw new TransportError('The CRM did not answer.', { retryable: true });
    return { connectionUser: { id: 'admin-1', email: 'admin@acme.com', active: true }, warnings: [] };
  };
}

function registerSettingsProperties<TSchema extends SettingsSchema>(
  settingsCase: SettingsCase<TSchema>,
): void {
  const { plugin } = settingsCase;
  const schema = plugin.settings.schema;
  const submitted = submittedSettings(settingsCase);

  describe(`${plugin.id} settings`, () => {
    it('the valid examples parse (the generator starts from real settings)', () => {
      for (const valid of settingsCase.valid)
        expect(() => parseSettings(schema, valid, plugin.id)).not.toThrow();
    });

    it('parseSettings: valid settings that parse again to themselves, or a ConfigurationError; Object.prototype untouched', () => {
      fc.assert(
        fc.property(submitted, (input) => {
          let settings: unknown;
          try {
            settings = parseSettings(schema, input, plugin.id);
          } catch (error) {
            expect(isCrmConnectError(error), `not a typed error: ${String(error)}`).toBe(true);
            expect(error).toBeInstanceOf(ConfigurationError);
            expect((error as ConfigurationError).code).toBe('configuration_invalid');
            expect((error as ConfigurationError).pluginId).toBe(plugin.id);
            expect((error as ConfigurationError).issues.length).toBeGreaterThan(0);
            assertPrototypeClean();
            return;
          }
          // Normalisation is stable: what a save stores is accepted unchanged when it is loaded again.
          expect(parseSettings(schema, settings, plugin.id)).toEqual(settings);
          assertPrototypeClean();
        }),
        runs,
      );
    });

    it('createConnector: a connector, or a ConfigurationError naming the bad fields; never another exception', () => {
      fc.assert(
        fc.property(submitted, (input) => {
          try {
            // Stored settings are untrusted whatever their type says: hand over anything.
            createConnector({ plugin, settings: input as never, rateBudgets: createRateBudgetRegistry() });
          } catch (error) {
            expect(isCrmConnectError(error), `not a typed error: ${String(error)}`).toBe(true);
            expect(error).toBeInstanceOf(ConfigurationError);
          }
          assertPrototypeClean();
        }),
        runs,
      );
    });

    it('saveSettings: only typed errors; saves settings that parse again; checks only valid settings live; masks secrets', async () => {
      const previousSettings = parseSettings(schema, settingsCase.valid[0], plugin.id);
      const defaults = parseSettings(schema, {}, plugin.id);
      await fc.assert(
        fc.asyncProperty(
          submitted,
          fc.boolean(),
          fc.constantFrom('valid', 'refused', 'unreachable'),
          async (input, hasPrevious, outcome) => {
            const previous = hasPrevious ? previousSettings : undefined;
            const calls: unknown[] = [];
            let result: Awaited<ReturnType<typeof saveSettings<TSchema>>>;
            try {
              result = await saveSettings(plugin, {
                previous,
                submitted: input,
                validate: recordingValidate(outcome, calls),
              });
            } catch (error) {
              expect(isCrmConnectError(error), `not a typed error: ${String(error)}`).toBe(true);
              assertPrototypeClean();
              return;
            }
            // No partial or invalid state is saved: what is stored loads again, unchanged but for
            // optional fields left unset, which load as their schema default.
            const saved = result.settings as Record<string, unknown>;
            expect(parseSettings(schema, saved, plugin.id)).toEqual(withDefaults(saved, defaults));
            // The CRM is only ever asked about settings the schema accepts.
            for (const checked of calls)
              expect(() => parseSettings(schema, checked, plugin.id)).not.toThrow();
            if (result.credentials === 'invalid') {
              // Refused credentials are never saved: their group keeps the previous values, or the
              // schema's default (undefined for most) when nothing was saved before. (Unverifiable
              // ones — the CRM did not answer — are kept as typed, unverified.)
              for (const group of plugin.settings.credentialGroups) {
                if (!(group.appliesWhen?.(result.settings) ?? true)) continue;
                for (const field of group.fields) {
                  expect(saved[field], `${field} kept its previous value`).toEqual(
                    (previous as Record<string, unknown> | undefined)?.[field] ??
                      (defaults as Record<string, unknown>)[field],
                  );
                }
              }
            }
            for (const field of plugin.settings.secretFields) {
              const secret = saved[field];
              expect(result.form.values[field]).toBe(
                typeof secret === 'string' && secret.trim() !== '' ? SECRET_MASK : '',
              );
              const elsewhere = nonSecretText(saved, plugin) + nonSecretText(input, plugin);
              if (typeof secret === 'string' && secret.length >= 12 && !elsewhere.includes(secret)) {
                expect(JSON.stringify(result.form), `${field} leaked into the form`).not.toContain(secret);
              }
            }
            assertPrototypeClean();
          },
        ),
        runs,
      );
    });

    it('a saved secret is only ever sent to the address it was checked against (masked or left out, any address change)', async () => {
      const saved = parseSettings(schema, settingsCase.valid[0], plugin.id);
      const previous: Record<string, unknown> = saved;
      const secrets = plugin.settings.secretFields.filter((field) => typeof previous[field] === 'string');
      expect(secrets.length, 'the first valid example holds a secret').toBeGreaterThan(0);
      const addresses = [
        ...new Set(plugin.settings.credentialGroups.flatMap((group) => group.addressFields)),
      ];
      const addressVariants = Object.fromEntries(
        addresses.flatMap((field) => {
          const variant = settingsCase.variants[field];
          return variant === undefined ? [] : [[field, variant]];
        }),
      );
      expect(Object.keys(addressVariants).length, 'address fields have variants').toBeGreaterThan(0);
      const kept = fc.boolean().map((masked) => {
        const form: Record<string, unknown> = { ...previous };
        for (const field of secrets) {
          if (masked) form[field] = SECRET_MASK;
          else delete form[field];
        }
        return form;
      });
      await fc.assert(
        fc.asyncProperty(mutated(kept, addressVariants), async (input) => {
          const calls: Record<string, unknown>[] = [];
          await saveSettings(plugin, {
            previous: saved,
            submitted: input,
            validate: async (settings) => {
              calls.push(settings as Record<string, unknown>);
              return { connectionUser: { id: 'admin-1', active: true }, warnings: [] };
            },
          }).catch((error: unknown) => {
            expect(isCrmConnectError(error), `not a typed error: ${String(error)}`).toBe(true);
          });
          for (const checked of calls) {
            for (const group of plugin.settings.credentialGroups) {
              const carriesSavedSecret = group.fields.some(
                (field) => secrets.includes(field) && checked[field] === previous[field],
              );
              if (!carriesSavedSecret) continue;
              for (const address of group.addressFields)
                expect(checked[address], `saved secret sent with a changed ${address}`).toEqual(
                  previous[address],
                );
            }
          }
          assertPrototypeClean();
        }),
        runs,
      );
    });
  });
}

/** The settings as they load again: every field left unset takes its schema default. */
function withDefaults(settings: Record<string, unknown>, defaults: object): Record<string, unknown> {
  return {
    ...defaults,
    ...Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)),
  };
}

/** Every non-secret value of settings (saved or submitted) as text: a secret that also appears there is not a leak. */
function nonSecretText(settings: unknown, plugin: { settings: { secretFields: readonly string[] } }): string {
  if (typeof settings !== 'object' || settings === null) return JSON.stringify(settings) ?? '';
  const secrets = new Set<string>(plugin.settings.secretFields);
  return JSON.stringify(Object.entries(settings).filter(([key]) => !secrets.has(key)));
}

registerSettingsProperties(zendeskCase);
registerSettingsProperties(salesforceCase);
registerSettingsProperties(dynamicsCase);
registerSettingsProperties(kustomerCase);
