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
  type RequestLog,
  type SandboxSeed,
  salesforceSandboxSettings,
  zendeskSandboxSettings,
} from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import type { z } from 'zod';

/**
 * The four sandbox CRMs as the fault matrix drives them. The CLI's `demoCrms` starts the same
 * sandboxes and plugins, but its `RunningDemoCrm` keeps the sandbox itself private; the matrix
 * needs it (to revoke tokens, deactivate an agent, follow the request log, read every record and
 * every issued token), so each CRM is set up here the same way, with those handles kept.
 */

export type CrmId = 'zendesk' | 'salesforce' | 'dynamics' | 'kustomer';

export interface FaultCrmOptions {
  /**
   * Credentials whose access tokens the sandbox can expire (Zendesk switches from its API token to
   * OAuth client credentials for it; the other CRMs use OAuth tokens anyway). Default false.
   */
  expiringTokens?: boolean | undefined;
}

/** One CRM's sandbox, started, with the plugin configured against it through its normal settings. */
export interface FaultCrm {
  id: CrmId;
  displayName: string;
  plugin: CrmPlugin<z.ZodObject>;
  /** Plugin settings pointing at the sandbox, as an admin would save them. */
  settings: Record<string, unknown>;
  seed: SandboxSeed;
  faults: FaultInjector;
  log: RequestLog;
  deactivateUser(email: string): void;
  /** Makes every access token the sandbox issued stop working, so the plugin must get a new one. */
  expireAccessTokens(): void;
  /** Revokes one user's OAuth grants (Salesforce: its refresh token and the access tokens issued from it). */
  revokeCredential(name: string): void;
  /** Records in the sandbox's own store per interaction id, read directly rather than through the API. */
  recordCounts(): Map<string, number>;
  /** Notes and comments written twice: the same text on the same record more than once. */
  duplicateNotes(): number;
  /** Every secret the sandbox knows of: seeded credentials and every token it issued so far. */
  secrets(): Secret[];
  stop(): Promise<void>;
}

/** A secret and what it is, so a leak can be named without printing it. */
export interface Secret {
  kind: string;
  value: string;
}

export interface FaultCrmDefinition {
  id: CrmId;
  displayName: string;
  start(options?: FaultCrmOptions): Promise<FaultCrm>;
}

/** Entries beyond the first of each (record, text) pair. */
function repeats(notes: readonly (readonly [unknown, string | null])[]): number {
  const seen = new Set<string>();
  let repeated = 0;
  for (const [record, text] of notes) {
    const key = `${String(record)}\u0000${text ?? ''}`;
    if (seen.has(key)) repeated += 1;
    seen.add(key);
  }
  return repeated;
}

function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const value = key(item);
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

const zendeskCrm: FaultCrmDefinition = {
  id: 'zendesk',
  displayName: 'Zendesk',
  async start(options = {}) {
    const sandbox = createZendeskSandbox();
    await sandbox.start();
    const { credentials } = sandbox.seed;
    return {
      id: 'zendesk',
      displayName: 'Zendesk',
      plugin: zendesk() as unknown as CrmPlugin<z.ZodObject>,
      // API-token mode is what most accounts run; its token does not expire, OAuth access tokens do.
      settings: {
        ...zendeskSandboxSettings(sandbox, options.expiringTokens ? 'oauthClientCredentials' : 'apiToken'),
      },
      seed: sandbox.seed,
      faults: sandbox.faults,
      log: sandbox.log,
      deactivateUser: (email) => sandbox.deactivateUser(email),
      expireAccessTokens: () => sandbox.revokeCredential('oauthAccessTokens'),
      revokeCredential: (name) => sandbox.revokeCredential(name),
      recordCounts: () => countBy(sandbox.store.tickets.all(), (ticket) => ticket.external_id ?? undefined),
      duplicateNotes: () =>
        repeats(sandbox.store.comments.all().map((comment) => [comment.ticket_id, comment.body])),
      secrets: () => [
        { kind: 'API token', value: credentials.apiToken },
        { kind: 'OAuth client secret', value: credentials.oauthClientSecret },
        // The API token as it travels: Basic base64("{email}/token:{token}") for every user it acts as.
        ...sandbox.seed.users.map((user) => ({
          kind: 'API token (Basic credential)',
          value: Buffer.from(`${user.email}/token:${credentials.apiToken}`).toString('base64'),
        })),
        ...sandbox.store.accessTokens.all().map((token) => ({ kind: 'OAuth access token', value: token.id })),
      ],
      stop: () => sandbox.stop(),
    };
  },
};

const kustomerCrm: FaultCrmDefinition = {
  id: 'kustomer',
  displayName: 'Kustomer',
  async start() {
    const sandbox = createKustomerSandbox();
    await sandbox.start();
    const { credentials } = sandbox.seed;
    return {
      id: 'kustomer',
      displayName: 'Kustomer',
      plugin: kustomer() as unknown as CrmPlugin<z.ZodObject>,
      settings: { ...kustomerSandboxSettings(sandbox) },
      seed: sandbox.seed,
      faults: sandbox.faults,
      log: sandbox.log,
      deactivateUser: (email) => sandbox.deactivateUser(email),
      expireAccessTokens: () => {
        throw new Error('A Kustomer API key has no access tokens to expire');
      },
      revokeCredential: (name) => sandbox.revokeCredential(name),
      recordCounts: () =>
        countBy(sandbox.store.conversations.all(), (conversation) => conversation.externalId ?? undefined),
      duplicateNotes: () =>
        repeats(sandbox.store.notes.all().map((note) => [note.conversationId, note.body])),
      secrets: () => [
        { kind: 'API key', value: credentials.apiKey },
        { kind: 'API key', value: credentials.limitedApiKey },
      ],
      stop: () => sandbox.stop(),
    };
  },
};

/** The plugin writes "Interaction {id} (channel) at …" as the first line of every case description. */
const describedInteraction = /^Interaction (\S+) \(/;

const dynamicsCrm: FaultCrmDefinition = {
  id: 'dynamics',
  displayName: 'Dynamics 365',
  async start() {
    const sandbox = createDynamicsSandbox();
    await sandbox.start();
    const { credentials } = sandbox.seed;
    return {
      id: 'dynamics',
      displayName: 'Dynamics 365',
      plugin: dynamics() as unknown as CrmPlugin<z.ZodObject>,
      settings: { ...dynamicsSandboxSettings(sandbox) },
      seed: sandbox.seed,
      faults: sandbox.faults,
      log: sandbox.log,
      deactivateUser: (email) => sandbox.deactivateUser(email),
      expireAccessTokens: () => sandbox.revokeCredential('accessTokens'),
      revokeCredential: (name) => sandbox.revokeCredential(name),
      // The case id is derived inside the plugin; the description names the interaction independently.
      recordCounts: () =>
        countBy(
          sandbox.store.incidents.all(),
          (incident) => describedInteraction.exec(incident.description ?? '')?.[1],
        ),
      duplicateNotes: () =>
        repeats(sandbox.store.annotations.all().map((note) => [note._objectid_value, note.notetext])),
      secrets: () => [
        { kind: 'client secret', value: credentials.clientSecret },
        { kind: 'client secret', value: credentials.unlinkedClientSecret },
        ...sandbox.store.accessTokens.all().map((token) => ({ kind: 'access token', value: token.id })),
      ],
      stop: () => sandbox.stop(),
    };
  },
};

const salesforceCrm: FaultCrmDefinition = {
  id: 'salesforce',
  displayName: 'Salesforce',
  async start() {
    // Auto-approve stands in for the admin at the browser; everything else is the real OAuth flow.
    const sandbox = createSalesforceSandbox({ autoApprove: true });
    await sandbox.start();
    const plugin = salesforce({ tokenStore: createMemoryTokenStore() });
    let settings: SalesforceSettingsInput = salesforceSandboxSettings(sandbox);
    // Two admins, as the setup guide asks: the second takes over when the first one's grant ends.
    for (const loginHint of ['ada.admin@acme.test', 'integration@acme.test']) {
      settings = await linkAdmin(plugin, settings, loginHint);
    }
    const { store } = sandbox;
    return {
      id: 'salesforce',
      displayName: 'Salesforce',
      plugin: plugin as SalesforcePlugin & CrmPlugin<z.ZodObject>,
      settings: { ...settings },
      seed: sandbox.seed,
      faults: sandbox.faults,
      log: sandbox.log,
      deactivateUser: (email) => sandbox.deactivateUser(email),
      // A session that timed out: the access token stops working, the refresh token still works.
      expireAccessTokens: () => {
        for (const token of store.accessTokens.filter((candidate) => !candidate.revoked))
          store.accessTokens.update(token.id, { revoked: true });
      },
      revokeCredential: (name) => sandbox.revokeCredential(name),
      recordCounts: () =>
        countBy(store.cases.all(), (record) => record.CrmConnect_Interaction_Id__c ?? undefined),
      duplicateNotes: () =>
        repeats([
          ...store.caseComments.all().map((comment) => [comment.ParentId, comment.CommentBody] as const),
          ...store.tasks.all().map((task) => [task.WhatId, task.Description] as const),
        ]),
      secrets: () => [
        { kind: 'consumer secret', value: sandbox.seed.credentials.clientSecret },
        ...store.authorizationCodes.all().map((code) => ({ kind: 'authorization code', value: code.id })),
        ...store.refreshTokens.all().map((token) => ({ kind: 'refresh token', value: token.id })),
        ...store.accessTokens.all().map((token) => ({ kind: 'access token', value: token.id })),
      ],
      stop: () => sandbox.stop(),
    };
  },
};

/** The plugin's own two linking calls around the sandbox's auto-approving authorize endpoint. */
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

/** The CRMs of the matrix, in table order. */
export const faultCrms: readonly FaultCrmDefinition[] = [zendeskCrm, salesforceCrm, dynamicsCrm, kustomerCrm];
