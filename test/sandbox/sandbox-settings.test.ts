import type { ConnectorOptions } from '@crm-connect/core';
import { dynamicsSettingsSchema } from '@crm-connect/dynamics';
import { type KustomerSettingsInput, kustomerSettingsSchema } from '@crm-connect/kustomer';
import { type SalesforceSettingsInput, salesforceSettingsSchema } from '@crm-connect/salesforce';
import {
  createDynamicsSandbox,
  createKustomerSandbox,
  createSalesforceSandbox,
  createZendeskSandbox,
  type DynamicsSandboxSettings,
  dynamicsSandboxSettings,
  type KustomerSandboxSettings,
  kustomerSandboxSettings,
  type SalesforceSandboxSettings,
  type Sandbox,
  salesforceSandboxSettings,
  type ZendeskSandboxSettings,
  zendeskSandboxSettings,
} from '@crm-connect/sandbox';
import { type ZendeskSettingsInput, zendeskSettingsSchema } from '@crm-connect/zendesk';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';

/**
 * The sandbox imports no plugin, so it writes each plugin's connection settings out as its own
 * plain types. This is where the two sides meet: the sandbox's types must fit each plugin's
 * settings input, and the values it builds must pass each plugin's settings form.
 */

const running: Sandbox<unknown>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.stop()));
});

async function started<TSandbox extends Sandbox<unknown>>(sandbox: TSandbox): Promise<TSandbox> {
  running.push(sandbox);
  await sandbox.start();
  return sandbox;
}

describe("the sandbox's settings helpers and the plugins' settings forms", () => {
  it("the sandbox's settings types fit each plugin's settings input", () => {
    expectTypeOf<ZendeskSandboxSettings>().toExtend<ZendeskSettingsInput>();
    expectTypeOf<KustomerSandboxSettings>().toExtend<KustomerSettingsInput>();
    // The Dynamics plugin exports no settings input type: the connector's settings option is one.
    expectTypeOf<DynamicsSandboxSettings>().toExtend<
      ConnectorOptions<typeof dynamicsSettingsSchema>['settings']
    >();
    expectTypeOf<SalesforceSandboxSettings>().toExtend<SalesforceSettingsInput>();
  });

  it('Zendesk: both auth modes pass the settings form, the sandbox URL kept as the subdomain', async () => {
    const sandbox = await started(createZendeskSandbox());
    for (const authMode of ['apiToken', 'oauthClientCredentials'] as const) {
      const parsed = zendeskSettingsSchema.parse(zendeskSandboxSettings(sandbox, authMode));
      expect(parsed).toMatchObject({ subdomain: sandbox.url, authMode });
    }
  });

  it('Kustomer: both keys pass the settings form, the sandbox URL kept as the API base URL', async () => {
    const sandbox = await started(createKustomerSandbox());
    for (const key of ['apiKey', 'limitedApiKey'] as const) {
      expect(kustomerSettingsSchema.parse(kustomerSandboxSettings(sandbox, key))).toMatchObject({
        apiBaseUrl: sandbox.url,
      });
    }
  });

  it('Dynamics: both app registrations pass the settings form, the sandbox URL as organization and authority', async () => {
    const sandbox = await started(createDynamicsSandbox());
    for (const app of ['application', 'unlinked'] as const) {
      expect(dynamicsSettingsSchema.parse(dynamicsSandboxSettings(sandbox, app))).toMatchObject({
        organizationUrl: sandbox.url,
        authorityHost: sandbox.url,
      });
    }
  });

  it('Salesforce: the settings pass the settings form, the sandbox URL as the login URL', async () => {
    const sandbox = await started(createSalesforceSandbox());
    expect(salesforceSettingsSchema.parse(salesforceSandboxSettings(sandbox))).toMatchObject({
      orgId: sandbox.seed.credentials.orgId,
      loginUrl: sandbox.url,
    });
  });
});
