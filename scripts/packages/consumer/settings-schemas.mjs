// Each plugin's exported settings JSON Schema, compiled by ajv (draft 2020-12, ajv-formats) as an
// admin form would (docs/settings-and-save-rules.md, "The form as JSON Schema"), then given one
// valid and one invalid settings object. The valid one must parse with the plugin's zod schema too,
// and still pass the schema with its secret masked (a form resubmitting an unchanged secret).
import { settingsJsonSchema } from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { kustomer } from '@crm-connect/kustomer';
import { salesforce } from '@crm-connect/salesforce';
import { zendesk } from '@crm-connect/zendesk';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

const cases = [
  {
    plugin: zendesk(),
    valid: {
      subdomain: 'acme',
      authMode: 'apiToken',
      email: 'admin@acme.com',
      apiToken: 'AbCdEfGhIjKlMnOp1234',
    },
    invalid: {
      subdomain: 'http://acme.zendesk.com',
      email: 'admin@acme.com',
      apiToken: 'AbCdEfGhIjKlMnOp1234',
    },
    invalidField: '/subdomain',
  },
  {
    plugin: salesforce(),
    valid: {
      orgId: '00D5g000004XyZa',
      loginUrl: 'https://acme.my.salesforce.com',
      clientId: '3MVG9consumer-key-0123456789',
      clientSecret: 'consumer-secret-0123456789',
      defaultUser: true,
    },
    invalid: { orgId: '00D5g000004XyZa', loginUrl: 'https://login.salesforce.com' },
    invalidField: '/loginUrl',
  },
  {
    plugin: dynamics(),
    valid: {
      organizationUrl: 'https://contoso.crm4.dynamics.com',
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      clientId: '11111111-2222-3333-4444-555555555555',
      clientSecret: 'client~secret.value-0123456789',
    },
    invalid: {
      organizationUrl: 'https://contoso.crm4.dynamics.com',
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      clientId: 'not-a-guid',
      clientSecret: 'client~secret.value-0123456789',
    },
    invalidField: '/clientId',
  },
  {
    plugin: kustomer(),
    valid: { apiBaseUrl: 'https://acme.api.kustomerapp.com', apiKey: `k${'0123456789'.repeat(4)}` },
    invalid: { apiBaseUrl: 'http://acme.api.kustomerapp.com', apiKey: `k${'0123456789'.repeat(4)}` },
    invalidField: '/apiBaseUrl',
  },
];

const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
ajvFormats.default(ajv);
const failures = [];
for (const { plugin, valid, invalid, invalidField } of cases) {
  const check = ajv.compile(settingsJsonSchema(plugin));
  if (!check(valid)) failures.push(`${plugin.id}: valid settings refused: ${ajv.errorsText(check.errors)}`);
  if (!plugin.settings.schema.safeParse(valid).success)
    failures.push(`${plugin.id}: zod refuses the valid settings`);
  const masked = { ...valid };
  for (const field of plugin.settings.secretFields) if (field in masked) masked[field] = '********';
  if (!check(masked)) failures.push(`${plugin.id}: masked secrets refused: ${ajv.errorsText(check.errors)}`);
  if (check(invalid)) failures.push(`${plugin.id}: invalid settings accepted`);
  else if (!check.errors?.some((error) => error.instancePath === invalidField))
    failures.push(`${plugin.id}: no error on ${invalidField}: ${ajv.errorsText(check.errors)}`);
  else
    process.stdout.write(
      `${plugin.id}: schema compiles; valid and masked accepted; invalid refused at ${invalidField}\n`,
    );
}
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
