import type { z } from 'zod';
import type { AuditSink } from './audit.js';
import type { OpeningEvent } from './events.js';
import type { RetryOptions } from './http/http-client.js';
import type { RateBudgetRegistry } from './http/rate-budget.js';
import type { Logger } from './logging.js';
import type { Redactor } from './redaction.js';
import type { SettingsDefinition } from './settings/settings-definition.js';
import type { CrmUser } from './users.js';

/**
 * The contract every CRM plugin implements. A plugin is a factory returning a plain object of
 * this type; `definePlugin` only helps type inference.
 */

/** What a plugin can do with a given configuration; the core rule and the conformance suite read it. */
export interface PluginCapabilities {
  /** A write can be made with the owning agent's identity (Zendesk token mode, Dynamics impersonation). */
  performsAsAgent: boolean;
  /** The plugin offers "always use the admin user": the connection user performs every write, agents keep ownership. */
  alwaysUseAdmin: boolean;
  /** The CRM never leaves a record unassigned (Dynamics): a record is never sent without an owner. */
  requiresOwner: boolean;
}

/** What a successful live credential check returns. */
export interface CredentialCheck {
  /** The CRM identity the credentials act as: the admin, the API key's user, the application user. It is the default user. */
  connectionUser: CrmUser;
  /** What the admin should know although the credentials work (an API token's retirement date, say). */
  warnings: readonly string[];
}

/** A record the connector created or found for an interaction. */
export interface TicketRef {
  /** The CRM's id of the ticket / case / incident / conversation. */
  id: string;
  /** The contact (requester / customer) the ticket belongs to, when known. */
  contactId?: string | undefined;
  /** A link an agent can open, when the CRM gives one. */
  url?: string | undefined;
}

export interface CreateTicketInput {
  event: OpeningEvent;
  owner: CrmUser;
  performer: CrmUser;
  /** Derived from the interaction id: the same interaction always yields the same key. */
  idempotencyKey: string;
  /** A one-line subject such as "Chat with Jane Doe". */
  subject: string;
  /** The first message, voicemail transcription or call summary. */
  description: string;
}

export interface CreateTicketResult {
  ticket: TicketRef;
  /** False when a ticket for this interaction already existed (redelivered event, retried create). */
  created: boolean;
  /** HTTP attempts it took. */
  attempts: number;
}

export interface ChangeOwnerInput {
  interactionId: string;
  ticket: TicketRef;
  owner: CrmUser;
  performer: CrmUser;
}

export interface AddNoteInput {
  interactionId: string;
  ticket: TicketRef;
  /** The full note; plugins split or attach long text, never truncate it. */
  body: string;
  performer: CrmUser;
  idempotencyKey: string;
}

export interface WriteResult {
  attempts: number;
}

/** What a plugin gets from the connector: shared machinery, never CRM-specific. */
export interface PluginContext {
  /** Register every secret the plugin obtains (tokens) so it is redacted everywhere. */
  redactor: Redactor;
  logger: Logger;
  /** For plugin-level events (a failover to a second admin connection, an owner fallback). */
  audit: AuditSink;
  rateBudgets: RateBudgetRegistry;
  /** Overrides for the HTTP layer (tests shorten timeouts and backoff). */
  http: { retry?: RetryOptions | undefined; timeoutMs?: number | undefined };
}

/** A plugin bound to one configuration. */
export interface CrmConnection {
  /** The identity the credentials act as — the default user. Checked once, then cached. */
  connectionUser(): Promise<CrmUser>;
  /** Finds a CRM user (active or not) by lowercased email, for agent identification. */
  findUserByEmail(email: string): Promise<CrmUser | undefined>;
  /** Active users records may be assigned to (the legacy random rule). */
  listAssignableUsers(): Promise<readonly CrmUser[]>;
  /** Finds or creates the contact and creates the ticket owned by `owner`; idempotent per interaction. */
  createTicket(input: CreateTicketInput): Promise<CreateTicketResult>;
  /** Finds the ticket created for an interaction (after a restart, when the link store has forgotten it). */
  findTicket(interactionId: string): Promise<TicketRef | undefined>;
  changeOwner(input: ChangeOwnerInput): Promise<WriteResult>;
  addNote(input: AddNoteInput): Promise<WriteResult>;
}

export interface CrmPlugin<TSchema extends z.ZodObject = z.ZodObject> {
  /** Matches the folder and package suffix: `zendesk`, `salesforce`, `dynamics`, `kustomer`. */
  id: string;
  displayName: string;
  settings: SettingsDefinition<TSchema>;
  capabilities(settings: z.output<TSchema>): PluginCapabilities;
  /** Live check on save: proves the credentials work and returns the identity they act as. Throws typed errors. */
  validateCredentials(settings: z.output<TSchema>, context: PluginContext): Promise<CredentialCheck>;
  connect(settings: z.output<TSchema>, context: PluginContext): CrmConnection;
}

/** Identity function that infers a plugin's settings type. */
export function definePlugin<TSchema extends z.ZodObject>(plugin: CrmPlugin<TSchema>): CrmPlugin<TSchema> {
  return plugin;
}
