import type { z } from 'zod';
import type { OwnerReason } from './actor-resolution.js';
import type { AuditSink } from './audit.js';
import type { OpeningEvent } from './events.js';
import type { RetryOptions } from './http/http-client.js';
import type { RateBudgetRegistry } from './http/rate-budget.js';
import type { Logger } from './logging.js';
import type { Redactor } from './redaction.js';
import type { PluginSettingsSchema } from './settings/common-settings.js';
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
  /**
   * Why `owner` owns it. With `default-user` the owner is the connection's own identity: a plugin
   * whose connection fails over to another identity during the write (a second Salesforce admin)
   * makes that identity the owner, and says so in `CreateTicketResult.owner`.
   */
  ownerReason: OwnerReason;
  /** Derived from the interaction id: the same interaction always yields the same key. */
  idempotencyKey: string;
  /** A one-line subject such as "Chat with Jane Doe". */
  subject: string;
  /** The first message, voicemail transcription or call summary. */
  description: string;
}

export interface CreateTicketResult {
  ticket: TicketRef;
  /**
   * False when a ticket for this interaction already existed (redelivered event, retried create).
   * An existing ticket is never changed by a create: its owner, subject and description stay.
   */
  created: boolean;
  /** HTTP attempts it took. */
  attempts: number;
  /**
   * Who owns the record now, when it is not `input.owner`: the identity that actually wrote it
   * after a failover, or the existing record's owner. Omit when unknown (an existing record
   * whose owner the CRM did not return): the audit then names no owner rather than a wrong one.
   */
  owner?: CrmUser | undefined;
  /** Who made the write, when it is not `input.performer` (a failover to another identity, an agent without a session). */
  performer?: CrmUser | undefined;
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
  /** Derived from the interaction and the note's text: the same note always yields the same key. */
  idempotencyKey: string;
  /**
   * True when this note may already be on the record: an earlier attempt may have landed (its
   * answer was lost), or the record was found on the CRM rather than created by a connector
   * sharing this one's store, so the store cannot know. The plugin then looks the note up (by
   * `idempotencyKey`: an external id, a marker, audit metadata) and writes only what is missing.
   * False on the happy path: write without a lookup.
   */
  mayExist: boolean;
}

export interface AddNoteResult extends WriteResult {
  /** False when the note (every part of it) was found already on the record, so nothing was written. */
  written: boolean;
}

export interface WriteResult {
  attempts: number;
  /**
   * Who made the write, when it is not `input.performer`: the connection user, because the agent
   * could not write as themselves (no session, their token or their access refused).
   */
  performer?: CrmUser | undefined;
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
  /** Releases what the connection holds beyond garbage collection (token sources in a process-wide registry, timers). Optional. */
  close?(): Promise<void>;
  /** Writes the note once: with `mayExist`, only after looking it up. */
  addNote(input: AddNoteInput): Promise<AddNoteResult>;
}

/**
 * A plugin's settings schema must include the common settings (spread `commonSettingsShape`), so
 * the connector reads `defaultUser`, `alwaysUseAdmin`, … with their types, never through casts.
 */
export interface CrmPlugin<TSchema extends PluginSettingsSchema = PluginSettingsSchema> {
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
export function definePlugin<TSchema extends PluginSettingsSchema>(
  plugin: CrmPlugin<TSchema>,
): CrmPlugin<TSchema> {
  return plugin;
}
