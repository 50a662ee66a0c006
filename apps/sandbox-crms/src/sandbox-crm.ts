import type { CrmPlugin } from '@crm-connect/core';
import type { SalesforceTokenStore } from '@crm-connect/salesforce';
import type { Sandbox } from '@crm-connect/sandbox';
import type { CrmId } from './crm-ids.js';
import type { PortableCrm } from './portable-crm.js';

/** How a run wants its CRM: what the demo, the benchmark and the fault matrix vary. */
export interface SandboxCrmOptions {
  /**
   * Zendesk: OAuth client credentials instead of the API token, so the sandbox issues access
   * tokens (counted by the benchmark, expired by the fault matrix). Salesforce and Dynamics use
   * OAuth tokens anyway; a Kustomer API key has none. Default false.
   */
  oauth?: boolean | undefined;
  /** The plugin's own per-minute budget where it has one (Zendesk's option, Kustomer's setting). Default: the plugin's. */
  requestsPerMinute?: number | undefined;
}

/** What a plugin is built with: the same in the process that started the sandbox and in a worker given its portable form. */
export interface PluginOptions {
  /** Where Salesforce keeps its linked admins' refresh tokens; the other plugins ignore it. */
  tokenStore: SalesforceTokenStore;
  requestsPerMinute?: number | undefined;
}

/** A record the sandbox holds, read from its own store rather than through the API. */
export interface StoredRecord {
  id: string;
  /** The interaction the record was written for, as the record names it. */
  interactionId: string | undefined;
  ownerId: string | undefined;
}

/** A note or comment on a record, for spotting the same text written twice. */
export interface RecordNote {
  recordId: string;
  text: string;
}

/** A CRM user as the sandbox's store holds them, to check owners against. */
export interface StoredUser {
  /** The id records name as their owner. */
  id: string;
  /** Lowercased; `undefined` for a user without one (a Dynamics application user). */
  email: string | undefined;
  /** False once suspended, deactivated, disabled or deleted. */
  active: boolean;
}

/** A secret and what it is, so a leak can be named without printing it. */
export interface Secret {
  kind: string;
  value: string;
}

/** One CRM's sandbox, started, with the plugin configured against it through its normal settings. */
export interface RunningSandboxCrm {
  id: CrmId;
  /** The name tables show. */
  displayName: string;
  /** The sandbox itself: its URL, seed, request log, fault injection, rate limit, revocations. */
  sandbox: Sandbox<unknown>;
  /** One plugin instance per started CRM: Salesforce's linked admins live in its token store. */
  plugin: CrmPlugin;
  /** Plugin settings pointing at the sandbox, as an admin would save them. */
  settings: Record<string, unknown>;
  /** Route names whose requests create records, where a fault demonstration aims. */
  createRoutes: readonly string[];
  /** Route names of the token endpoint the plugin uses; none for an API key (Kustomer). */
  tokenRoutes: readonly string[];
  /**
   * Route names of the requests that write a note or comment (some also carry other writes: a
   * Zendesk comment is a ticket update), where a fault on notes aims.
   */
  noteRoutes: readonly string[];
  /**
   * Whether the CRM's rate-limit answer means "try again shortly" (a 429 with Retry-After).
   * Salesforce answers an exhausted daily allocation with 403 REQUEST_LIMIT_EXCEEDED, which no
   * client should retry blindly.
   */
  rateLimitRetryable: boolean;
  /** The records the sandbox holds for an interaction: the independent check that each exists exactly once. */
  recordsFor(interactionId: string): StoredRecord[];
  /** Records per interaction id, over the whole store. */
  recordCounts(): Map<string, number>;
  /** Notes and comments written twice: the same text on the same record more than once. */
  duplicateNotes(): number;
  /** Every record the store holds, with the interaction it names and its owner now. */
  records(): StoredRecord[];
  /** Every note and comment the store holds, with its record. */
  notes(): RecordNote[];
  /** The CRM's users (agents, admins, application and API-key users; not customers), from the store. */
  users(): StoredUser[];
  /** Every secret the sandbox knows of: seeded credentials and every token it issued so far. */
  secrets(): Secret[];
  /** Makes every access token the sandbox issued stop working, so the plugin must get a new one. Throws for an API key. */
  expireAccessTokens(): void;
  /** An Authorization header for a bare client, obtained directly from the sandbox, not through the plugin. */
  bareAuthorization(): Promise<string>;
  /** What another process needs to build the same plugin against this sandbox (`restorePlugin`). */
  portable(): Promise<PortableCrm>;
  stop(): Promise<void>;
}

/** How to start one CRM's sandbox with its plugin configured. */
export interface SandboxCrm {
  id: CrmId;
  displayName: string;
  start(options?: SandboxCrmOptions): Promise<RunningSandboxCrm>;
  /** The plugin as `start` builds it. */
  plugin(options: PluginOptions): CrmPlugin;
}
