import type { CrmPlugin, CrmUser, PluginSettingsSchema } from '@crm-connect/core';
import type nock from 'nock';
import type { z } from 'zod';

/** A request the plugin actually sent, as the mocked CRM received it. */
export interface CapturedRequest {
  method: string;
  /** Path and query string. */
  path: string;
  /** Lowercased header names. */
  headers: Readonly<Record<string, string>>;
  /** The body, parsed as JSON when it is JSON, else the raw text (form bodies stay text). */
  body: unknown;
}

/** The users the mocked CRM is seeded with. */
export interface SeededUsers {
  /** The identity the configured credentials act as: the default user. */
  admin: CrmUser;
  /** An active agent; its `email` is how the platform knows them. */
  agent: CrmUser & { email: string };
  /** A second active agent, for the random rule. */
  otherAgent: CrmUser & { email: string };
  /** An agent the CRM has deactivated. */
  deactivatedAgent: CrmUser & { email: string };
}

/** Registers nock interceptors on `crm` (a scope for the CRM's origin that the harness records). */
export type Mock = (crm: () => nock.Scope) => void;

/**
 * Makes an interceptor stand for a write the CRM made whose answer was lost: `lose(crm().post(…))`
 * registers it answering 503, or holding its answer past the client's timeout (the suite runs both).
 */
export type LoseAnswer = (interceptor: nock.Interceptor) => nock.Scope;

/**
 * Everything the conformance suite needs to know about a plugin's wire format. Each function
 * registers the interceptors one plugin call makes against the mocked CRM, answering with
 * realistic, trimmed payloads; the harness fails the test if any is left unused.
 */
export interface ConformanceMocks {
  /** The live credential check succeeding, as `users.admin`. */
  validCredentials: Mock;
  /** The live credential check failing because the CRM refused the (well-formed) credentials in `invalidCredentials`. */
  invalidCredentials: Mock;
  /** Whatever `connectionUser()` needs before the first write (often the same call as the credential check). */
  connectionUser: Mock;
  /** A user lookup by email answering `user` (or nothing). */
  userByEmail: (email: string, user: CrmUser | undefined) => Mock;
  /** The list of assignable users for the random rule. */
  assignableUsers: (users: readonly CrmUser[]) => Mock;
  /** Everything one `createTicket` call sends (contact included), answering with `ticketId`. */
  createTicket: (ticketId: string) => Mock;
  /** The same create rejected once with a rate limit (Retry-After: 1), then succeeding with `ticketId`. */
  createTicketRateLimitedOnce: (ticketId: string) => Mock;
  /** The owner change on `ticketId`. */
  changeOwner: (ticketId: string) => Mock;
  /** The note added to `ticketId`. */
  addNote: (ticketId: string) => Mock;
  /**
   * Everything one `createTicket` call sends, its ticket create made by the CRM but answered as
   * `lose` says (pass it the create's interceptor). Then the CRM as it is afterwards, the ticket
   * there: register `.optionally()` what a correct plugin may send next, answered as the CRM would
   * (a lookup finds `ticketId`; a repeat with the CRM's own idempotency key answers `ticketId`; a
   * repeat without it makes a second ticket). Optional for now: without it these checks are todo.
   */
  createTicketAnswerLost?: ((ticketId: string, lose: LoseAnswer) => Mock) | undefined;
  /** The same for the note added to `ticketId`: made by the CRM, its answer lost, then found or repeated. */
  addNoteAnswerLost?: ((ticketId: string, lose: LoseAnswer) => Mock) | undefined;
}

export interface ConformanceFixture<TSchema extends PluginSettingsSchema> {
  plugin: CrmPlugin<TSchema>;
  /** The CRM origin(s) nock intercepts, e.g. `https://acme.zendesk.com`; the first is the API. */
  origins: readonly string[];
  /** Complete, valid settings (credentials included); the suite toggles the common options itself. */
  settings: z.input<TSchema>;
  /** Overrides that make the credentials well-formed but wrong (for the save rules). */
  invalidCredentials: Partial<z.input<TSchema>>;
  users: SeededUsers;
  /** A realistic id of the ticket the mocked CRM creates (Zendesk `35436`, Salesforce `500…`, a Dataverse GUID). Default `ticket-1`. */
  ticketId?: string | undefined;
  mocks: ConformanceMocks;
  /** The owner id a write request carries (assignee_id, OwnerId, ownerid@odata.bind, assignedUsers). */
  ownerOf: (request: CapturedRequest) => string | undefined;
  /** The user a write request is performed as (from its auth or impersonation header). */
  performerOf: (request: CapturedRequest) => string | undefined;
  /**
   * The key the CRM itself de-duplicates a write on, read as the CRM reads it: an idempotency
   * header it honours (Zendesk's `Idempotency-Key`), or an external id it refuses to store twice;
   * `undefined` when the request carries none. Omit it for a CRM without any. The lost-answer
   * checks count writes with the same key as one record, and every write without one as a record.
   */
  idempotencyKeyOf?: ((request: CapturedRequest) => string | undefined) | undefined;
}
