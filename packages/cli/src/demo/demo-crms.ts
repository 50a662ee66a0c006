import type { CrmPlugin } from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { kustomer } from '@crm-connect/kustomer';
import {
  createMemoryTokenStore,
  type SalesforcePlugin,
  type SalesforceSettingsInput,
  salesforce,
} from '@crm-connect/salesforce';
import {
  createDynamicsSandbox,
  createKustomerSandbox,
  createSalesforceSandbox,
  createZendeskSandbox,
  dynamicsSandboxSettings,
  type FaultInjector,
  kustomerSandboxSettings,
  type SandboxSeed,
  salesforceSandboxSettings,
  zendeskSandboxSettings,
} from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import type { z } from 'zod';

/** A record the sandbox holds for an interaction, and who owns it. */
export interface StoredRecord {
  id: string;
  ownerId: string | undefined;
}

/** One sandbox CRM, started, with the plugin configured against it. */
export interface RunningDemoCrm {
  id: string;
  displayName: string;
  url: string;
  plugin: CrmPlugin<z.ZodObject>;
  /** Plugin settings pointing at the sandbox (its URL and seeded credentials). */
  settings: Record<string, unknown>;
  seed: SandboxSeed;
  faults: FaultInjector;
  /** Reads the sandbox's own store: the independent check that each record exists exactly once. */
  recordsFor(interactionId: string): StoredRecord[];
  /** Route names whose requests create records, where the fault demo aims. */
  createRoutes: readonly string[];
  /**
   * Whether the CRM's rate-limit answer means "try again shortly" (a 429 with Retry-After). Salesforce
   * answers an exhausted daily allocation with 403 REQUEST_LIMIT_EXCEEDED, which no client should retry blindly.
   */
  rateLimitRetryable: boolean;
  stop(): Promise<void>;
}

/** How to start one CRM's sandbox for the demo. */
export interface DemoCrm {
  id: string;
  start(): Promise<RunningDemoCrm>;
}

/** What a sandbox offers the demo, whatever the CRM. */
interface DemoSandbox {
  start(): Promise<string>;
  stop(): Promise<void>;
  seed: SandboxSeed;
  faults: FaultInjector;
}

/** What differs between CRMs: how to create the sandbox, configure the plugin, and read records back. */
interface DemoCrmDefinition<TSandbox extends DemoSandbox, TPlugin extends CrmPlugin<z.ZodObject>> {
  id: string;
  displayName: string;
  createSandbox(): TSandbox;
  plugin(): TPlugin;
  /** Settings as an admin would save them, pointing at the started sandbox (linking what must be linked). */
  settings(sandbox: TSandbox, plugin: TPlugin): Promise<Record<string, unknown>>;
  recordsFor(sandbox: TSandbox, interactionId: string): StoredRecord[];
  createRoutes: readonly string[];
  rateLimitRetryable: boolean;
}

function demoCrm<TSandbox extends DemoSandbox, TPlugin extends CrmPlugin<z.ZodObject>>(
  definition: DemoCrmDefinition<TSandbox, TPlugin>,
): DemoCrm {
  return {
    id: definition.id,
    async start() {
      const sandbox = definition.createSandbox();
      const url = await sandbox.start();
      // One plugin instance per CRM: Salesforce's linked admins live in its token store.
      const plugin = definition.plugin();
      return {
        id: definition.id,
        displayName: definition.displayName,
        url,
        plugin,
        settings: await definition.settings(sandbox, plugin),
        seed: sandbox.seed,
        faults: sandbox.faults,
        recordsFor: (interactionId) => definition.recordsFor(sandbox, interactionId),
        createRoutes: definition.createRoutes,
        rateLimitRetryable: definition.rateLimitRetryable,
        stop: () => sandbox.stop(),
      };
    },
  };
}

const zendeskDemo = demoCrm({
  id: 'zendesk',
  displayName: 'Zendesk',
  createSandbox: () => createZendeskSandbox(),
  plugin: () => zendesk() as unknown as CrmPlugin<z.ZodObject>,
  settings: async (sandbox) => ({ ...zendeskSandboxSettings(sandbox) }),
  recordsFor: (sandbox, interactionId) =>
    sandbox.store.tickets
      .filter((ticket) => ticket.external_id === interactionId)
      .map((ticket) => ({
        id: String(ticket.id),
        ownerId: ticket.assignee_id === null ? undefined : String(ticket.assignee_id),
      })),
  createRoutes: ['tickets.create'],
  rateLimitRetryable: true,
});

const kustomerDemo = demoCrm({
  id: 'kustomer',
  displayName: 'Kustomer',
  createSandbox: () => createKustomerSandbox(),
  plugin: () => kustomer() as unknown as CrmPlugin<z.ZodObject>,
  settings: async (sandbox) => ({ ...kustomerSandboxSettings(sandbox) }),
  recordsFor: (sandbox, interactionId) =>
    sandbox.store.conversations
      .filter((conversation) => conversation.externalId === interactionId)
      .map((conversation) => ({ id: conversation.id, ownerId: conversation.assignedUsers[0] })),
  createRoutes: ['conversations.create'],
  rateLimitRetryable: true,
});

const dynamicsDemo = demoCrm({
  id: 'dynamics',
  displayName: 'Microsoft Dynamics 365',
  createSandbox: () => createDynamicsSandbox(),
  plugin: () => dynamics() as unknown as CrmPlugin<z.ZodObject>,
  settings: async (sandbox) => ({ ...dynamicsSandboxSettings(sandbox) }),
  // The case id is derived inside the plugin; the description names the interaction, independently.
  recordsFor: (sandbox, interactionId) =>
    sandbox.store.incidents
      .filter((incident) => incident.description?.includes(`Interaction ${interactionId} `) === true)
      .map((incident) => ({ id: incident.incidentid, ownerId: incident._ownerid_value })),
  createRoutes: ['incidents.create'],
  rateLimitRetryable: true,
});

const salesforceDemo = demoCrm({
  id: 'salesforce',
  displayName: 'Salesforce',
  // Auto-approve stands in for the admin at the browser; everything else is the real OAuth flow.
  createSandbox: () => createSalesforceSandbox({ autoApprove: true }),
  plugin: () =>
    salesforce({ tokenStore: createMemoryTokenStore() }) as SalesforcePlugin & CrmPlugin<z.ZodObject>,
  settings: async (sandbox, plugin) => {
    let settings: SalesforceSettingsInput = salesforceSandboxSettings(sandbox);
    // Two admins, as the setup guide asks: the second takes over if the first is deactivated.
    for (const loginHint of ['ada.admin@acme.test', 'integration@acme.test']) {
      settings = await linkAdmin(plugin, settings, loginHint);
    }
    return { ...settings };
  },
  recordsFor: (sandbox, interactionId) =>
    sandbox.store.cases
      .filter((record) => record.CrmConnect_Interaction_Id__c === interactionId)
      .map((record) => ({ id: record.Id, ownerId: record.OwnerId })),
  createRoutes: ['composite'],
  rateLimitRetryable: false,
});

/** The plugin's own two linking calls around the sandbox's (auto-approving) authorize endpoint. */
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

/** The CRMs the demo runs, in table order. */
export const demoCrms: readonly DemoCrm[] = [zendeskDemo, salesforceDemo, dynamicsDemo, kustomerDemo];
