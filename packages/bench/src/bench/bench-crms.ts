import type { CrmPlugin } from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { kustomer } from '@crm-connect/kustomer';
import {
  adminConnectionSchema,
  createMemoryTokenStore,
  type SalesforcePlugin,
  type SalesforceSettingsInput,
  type SalesforceTokenStore,
  type StoredAdminToken,
  salesforce,
} from '@crm-connect/salesforce';
import {
  createDynamicsSandbox,
  createKustomerSandbox,
  createSalesforceSandbox,
  createZendeskSandbox,
  dynamicsSandboxSettings,
  kustomerSandboxSettings,
  type RateWindowInput,
  type RequestLog,
  type Sandbox,
  salesforceSandboxSettings,
  zendeskSandboxSettings,
} from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import axios from 'axios';
import { z } from 'zod';

/**
 * The four CRMs as the bench runs them: a fresh sandbox per figure, the plugin configured through
 * its normal settings, and what the CLI demo's definitions (`demoCrms`) do not expose and the bench
 * needs: the sandbox's request log and steady rate limit, sandbox options (token lifetimes, the
 * Salesforce daily allocation), and credentials for a bare client.
 */

export type BenchCrmId = 'zendesk' | 'salesforce' | 'dynamics' | 'kustomer';

export interface BenchCrmOptions {
  /** Zendesk only: OAuth client credentials instead of the API token (a token endpoint to count). Default false. */
  oauth?: boolean | undefined;
  /** The plugin's own per-minute budget, where it has one (Zendesk's option, Kustomer's setting). Default: the plugin's. */
  requestsPerMinute?: number | undefined;
}

/** Admin refresh tokens of a linked Salesforce org, so a worker process can rebuild the plugin. */
export interface StoredSalesforceToken {
  orgId: string;
  userId: string;
  token: StoredAdminToken;
}

/** What a worker process needs to configure the same plugin against the same running sandbox. */
export interface PortableCrm {
  id: BenchCrmId;
  settings: Record<string, unknown>;
  salesforceTokens: StoredSalesforceToken[];
}

/** One CRM's sandbox, started, with its plugin configured against it. */
export interface RunningBenchCrm {
  id: BenchCrmId;
  displayName: string;
  url: string;
  plugin: CrmPlugin<z.ZodObject>;
  settings: Record<string, unknown>;
  /** Every request the sandbox received: the independent count of HTTP calls. */
  log: RequestLog;
  limitRate(limit: RateWindowInput | undefined): void;
  /** The ids of the records the sandbox holds for an interaction, read from its store. */
  recordIdsFor(interactionId: string): string[];
  /** Route names of the token endpoint the plugin uses; none for an API key (Kustomer). */
  tokenRoutes: readonly string[];
  /** An Authorization header for a bare client, obtained once (the token endpoint called directly). */
  bareAuthorization(): Promise<string>;
  portable(): Promise<PortableCrm>;
  stop(): Promise<void>;
}

export interface BenchCrm {
  id: BenchCrmId;
  displayName: string;
  start(options?: BenchCrmOptions): Promise<RunningBenchCrm>;
}

/** The plugin as configured for the bench; a worker process calls it with the tokens it was handed. */
export function benchPlugin(
  id: BenchCrmId,
  options: { tokenStore?: SalesforceTokenStore | undefined; requestsPerMinute?: number | undefined } = {},
): CrmPlugin<z.ZodObject> {
  switch (id) {
    case 'zendesk':
      return zendesk({ requestsPerMinute: options.requestsPerMinute }) as unknown as CrmPlugin<z.ZodObject>;
    case 'salesforce':
      return salesforce({ tokenStore: options.tokenStore }) as unknown as CrmPlugin<z.ZodObject>;
    case 'dynamics':
      return dynamics() as unknown as CrmPlugin<z.ZodObject>;
    case 'kustomer':
      return kustomer() as unknown as CrmPlugin<z.ZodObject>;
  }
}

/** A memory token store holding these refresh tokens. */
export async function tokenStoreWith(
  tokens: readonly StoredSalesforceToken[],
): Promise<SalesforceTokenStore> {
  const store = createMemoryTokenStore();
  for (const { orgId, userId, token } of tokens) await store.set({ orgId, userId }, token);
  return store;
}

/** What differs between CRMs once the sandbox runs. */
interface Started {
  sandbox: Sandbox<unknown>;
  plugin: CrmPlugin<z.ZodObject>;
  settings: Record<string, unknown>;
  recordIdsFor(interactionId: string): string[];
  tokenRoutes: readonly string[];
  bareAuthorization(): Promise<string>;
  salesforceTokens(): Promise<StoredSalesforceToken[]>;
}

function benchCrm(
  id: BenchCrmId,
  displayName: string,
  startSandbox: (options: BenchCrmOptions) => Promise<Started>,
): BenchCrm {
  return {
    id,
    displayName,
    async start(options = {}) {
      const started = await startSandbox(options);
      const { sandbox } = started;
      return {
        id,
        displayName,
        url: sandbox.url,
        plugin: started.plugin,
        settings: started.settings,
        log: sandbox.log,
        limitRate: (limit) => sandbox.limitRate(limit),
        recordIdsFor: started.recordIdsFor,
        tokenRoutes: started.tokenRoutes,
        bareAuthorization: started.bareAuthorization,
        portable: async () => ({
          id,
          settings: started.settings,
          salesforceTokens: await started.salesforceTokens(),
        }),
        stop: () => sandbox.stop(),
      };
    },
  };
}

const noTokens = async (): Promise<StoredSalesforceToken[]> => [];

/** A bare client's token request: a plain form POST, made once before any measurement. */
async function postForm(url: string, form: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await axios.post(url, new URLSearchParams(form).toString(), {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  return response.data as Record<string, unknown>;
}

const zendeskBench = benchCrm('zendesk', 'Zendesk', async (options) => {
  // OAuth tokens with a lifetime (two hours), so the plugin's expiry bookkeeping is on the path; a run stays within one.
  const sandbox = createZendeskSandbox({ oauthTokenLifetimeSeconds: 7_200 });
  await sandbox.start();
  const settings = {
    ...zendeskSandboxSettings(sandbox, options.oauth ? 'oauthClientCredentials' : 'apiToken'),
  };
  return {
    sandbox,
    plugin: benchPlugin('zendesk', { requestsPerMinute: options.requestsPerMinute }),
    settings,
    recordIdsFor: (interactionId) =>
      sandbox.store.tickets
        .filter((ticket) => ticket.external_id === interactionId)
        .map((ticket) => String(ticket.id)),
    tokenRoutes: ['oauth.token'],
    async bareAuthorization() {
      const { email, apiToken } = settings;
      return `Basic ${Buffer.from(`${email}/token:${apiToken}`).toString('base64')}`;
    },
    salesforceTokens: noTokens,
  };
});

const salesforceBench = benchCrm('salesforce', 'Salesforce', async () => {
  // The default daily allocation (15,000) would run out during the memory figure's 10,000 interactions.
  const sandbox = createSalesforceSandbox({ autoApprove: true, apiRequestsPerDay: 100_000_000 });
  await sandbox.start();
  const tokenStore = createMemoryTokenStore();
  const plugin = salesforce({ tokenStore });
  let settings: SalesforceSettingsInput = salesforceSandboxSettings(sandbox);
  // Two admins, as the plugin's setup guide asks (the second is the failover).
  for (const loginHint of ['ada.admin@acme.test', 'integration@acme.test']) {
    settings = await linkAdmin(plugin, settings, loginHint);
  }
  const linked = z.array(adminConnectionSchema).parse(settings.adminConnections ?? []);
  const salesforceTokens = async (): Promise<StoredSalesforceToken[]> => {
    const tokens: StoredSalesforceToken[] = [];
    for (const { orgId, userId } of linked) {
      const token = await tokenStore.get({ orgId, userId });
      if (token !== undefined) tokens.push({ orgId, userId, token });
    }
    return tokens;
  };
  return {
    sandbox,
    plugin: plugin as unknown as CrmPlugin<z.ZodObject>,
    settings: { ...settings },
    recordIdsFor: (interactionId) =>
      sandbox.store.cases
        .filter((record) => record.CrmConnect_Interaction_Id__c === interactionId)
        .map((record) => record.Id),
    tokenRoutes: ['oauth.token'],
    async bareAuthorization() {
      const [first] = await salesforceTokens();
      if (first === undefined) throw new Error('No Salesforce admin is linked');
      const answer = await postForm(`${sandbox.url}/services/oauth2/token`, {
        grant_type: 'refresh_token',
        refresh_token: first.token.refreshToken,
        client_id: sandbox.seed.credentials.clientId ?? '',
        client_secret: sandbox.seed.credentials.clientSecret ?? '',
      });
      return `Bearer ${String(answer.access_token)}`;
    },
    salesforceTokens,
  };
});

/** The plugin's own two linking calls around the sandbox's auto-approving authorize endpoint (as the CLI demo does). */
async function linkAdmin(
  plugin: SalesforcePlugin,
  settings: SalesforceSettingsInput,
  loginHint: string,
): Promise<SalesforceSettingsInput> {
  const redirectUri = 'http://127.0.0.1:8723/oauth/callback';
  const { url, state, codeVerifier } = plugin.admin.start(settings, { redirectUri, loginHint });
  const answer = await fetch(url, { redirect: 'manual' });
  const callback = new URL(answer.headers.get('location') ?? redirectUri).searchParams;
  const linked = await plugin.admin.complete(settings, { callback, state, codeVerifier, redirectUri });
  return linked.settings as SalesforceSettingsInput;
}

const dynamicsBench = benchCrm('dynamics', 'Dynamics 365', async () => {
  const sandbox = createDynamicsSandbox();
  await sandbox.start();
  const settings = { ...dynamicsSandboxSettings(sandbox) };
  return {
    sandbox,
    plugin: benchPlugin('dynamics'),
    settings,
    // The case id is derived inside the plugin; the description names the interaction, independently.
    recordIdsFor: (interactionId) =>
      sandbox.store.incidents
        .filter((incident) => incident.description?.includes(`Interaction ${interactionId} `) === true)
        .map((incident) => incident.incidentid),
    tokenRoutes: ['oauth.token'],
    async bareAuthorization() {
      const { tenantId, clientId, clientSecret } = sandbox.seed.credentials;
      const answer = await postForm(`${sandbox.url}/${tenantId}/oauth2/v2.0/token`, {
        grant_type: 'client_credentials',
        client_id: clientId ?? '',
        client_secret: clientSecret ?? '',
        scope: `${sandbox.url}/.default`,
      });
      return `Bearer ${String(answer.access_token)}`;
    },
    salesforceTokens: noTokens,
  };
});

const kustomerBench = benchCrm('kustomer', 'Kustomer', async (options) => {
  const sandbox = createKustomerSandbox();
  await sandbox.start();
  const settings = {
    ...kustomerSandboxSettings(sandbox),
    ...(options.requestsPerMinute === undefined ? {} : { rateLimitPerMinute: options.requestsPerMinute }),
  };
  return {
    sandbox,
    plugin: benchPlugin('kustomer'),
    settings,
    recordIdsFor: (interactionId) =>
      sandbox.store.conversations
        .filter((conversation) => conversation.externalId === interactionId)
        .map((conversation) => conversation.id),
    // An API key: no token endpoint at all.
    tokenRoutes: [],
    bareAuthorization: async () => `Bearer ${settings.apiKey}`,
    salesforceTokens: noTokens,
  };
});

/** The CRMs, in table order (the demo's). */
export const benchCrms: readonly BenchCrm[] = [zendeskBench, salesforceBench, dynamicsBench, kustomerBench];
