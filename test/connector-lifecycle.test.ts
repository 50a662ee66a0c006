import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type ConnectorOptions, type CrmPlugin, createConnector, sharedRateBudgets } from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { kustomer } from '@crm-connect/kustomer';
import { salesforce } from '@crm-connect/salesforce';
import { zendesk } from '@crm-connect/zendesk';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A platform serving many tenants for months creates a connector per tenant and closes it when
 * the tenant leaves or its settings change. Whatever a connector leaves behind in process-wide
 * state (token sources, rate budgets, caches) adds up over months: here each of the four plugins
 * has 10,000 connectors created and closed, one tenant each, with the plugin's normal settings and
 * the process-wide rate budgets, and the heap must come back to where it started.
 *
 * Creating a connector makes no request (nock refuses the network to prove it): every plugin
 * asks for its first token, user or session when the first event needs it.
 */

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** The heap in use once everything unreachable is collected (several passes: weak references and finalizers clear on later ones). */
async function heapAfterCollection(): Promise<number> {
  for (let pass = 0; pass < 3; pass += 1) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

const connectors = 10_000;
/**
 * 1 MB for 10,000 connectors: 100 bytes each. Measured, the heap after collection moves by less
 * than 0.5 MB either way between runs; a Dynamics token source kept with its msal client not yet
 * used (~3 kB) adds 32 MB, a leak of 12 kB a connector would add 120 MB.
 */
const toleranceBytes = 1_000_000;

/** Whatever schema type a plugin's settings may have (core's constraint, named through the plugin type). */
type SettingsSchema = CrmPlugin['settings']['schema'];

/** One plugin's tenants: the `index`th has an account of its own, so per-account state is made each time. */
interface Tenants {
  name: string;
  /** Creates and closes a connector for each of `count` tenants from `from`, as a platform does when tenants come and go. */
  createAndClose(from: number, count: number): Promise<void>;
}

function tenantsOf<TSchema extends SettingsSchema>(
  plugin: CrmPlugin<TSchema>,
  settings: (index: number) => ConnectorOptions<TSchema>['settings'],
): Tenants {
  return {
    name: plugin.id,
    async createAndClose(from, count) {
      for (let index = from; index < from + count; index += 1) {
        const connector = createConnector({ plugin, settings: settings(index) });
        await connector.close();
      }
    },
  };
}

const hex = (index: number, width: number) => index.toString(16).padStart(width, '0');

const tenants: Tenants[] = [
  tenantsOf(zendesk(), (index) => ({
    subdomain: `tenant${index}`,
    authMode: 'oauthClientCredentials' as const,
    oauthClientId: `crm_connect_tenant${index}`,
    oauthClientSecret: `${hex(index, 8)}b2a84e57a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4`,
  })),
  tenantsOf(salesforce(), (index) => ({
    orgId: `00D${index.toString(36).padStart(12, '0')}`,
    loginUrl: `https://tenant${index}.my.salesforce.com`,
    clientId: `3MVG9rZjd7MXFdLhZ4yRk1Vq7Qb8uW3n2Jm5pS6tX0aC9eD1fG2hI3jK4lM5nO6p${hex(index, 8)}`,
    clientSecret: `C8A2F07B3E9D4C16A5B0E7F2D9C3B8A14E6F0D2C7B9A3E5F1D8C4B6A${hex(index, 8)}`,
  })),
  tenantsOf(dynamics(), (index) => ({
    organizationUrl: `https://tenant${index}.crm4.dynamics.com`,
    tenantId: `8f3e1c2a-5b7d-4e9f-a1c3-${hex(index, 12)}`,
    clientId: `2c9d4e6f-8a1b-4c3d-9e5f-${hex(index, 12)}`,
    clientSecret: `Xq48Q~r2Yt.k9Lw3Zp7Vn1Bc6Df0Gh5Jm8Ks4${hex(index, 8)}`,
  })),
  tenantsOf(kustomer(), (index) => ({
    apiBaseUrl: `https://tenant${index}.api.kustomerapp.com`,
    apiKey: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJvcmciOiJ0ZW5hbnQ${hex(index, 8)}.q8K3Zk1mXv0R7oT2yN5bW4cJ9hL6gP1sD3fA8eU0iQ`,
  })),
];

beforeAll(() => {
  nock.disableNetConnect();
});
afterAll(() => {
  nock.enableNetConnect();
});

describe('connectors created and closed for months release everything they held', () => {
  it.each(tenants)(
    '$name: 10,000 connectors created and closed leave the heap where it was',
    async (tenant) => {
      const budgetsBefore = sharedRateBudgets.size();
      // Warm-up: compiled code, lazily built schemas and first-use caches are not a leak.
      await tenant.createAndClose(0, 1_000);
      const before = await heapAfterCollection();

      await tenant.createAndClose(1_000, connectors);
      const after = await heapAfterCollection();

      expect(sharedRateBudgets.size()).toBe(budgetsBefore);
      const grown = after - before;
      expect(
        grown,
        `${tenant.name}: the heap grew by ${grown} bytes (${Math.round(grown / connectors)} per connector)`,
      ).toBeLessThan(toleranceBytes);
    },
    20_000,
  );
});
