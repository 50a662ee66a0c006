import type { CrmPlugin, CrmUser, InteractionEvent, PluginSettingsSchema } from '@crm-connect/core';
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

/** A note on a record already, as the connector made it: its text and its idempotency key. */
export interface PresentNote {
  body: string;
  key: string;
}

/** Stands for a mock a CRM cannot have: the check that needs it is skipped, this reason in its name. */
export interface NotApplicable {
  readonly notApplicable: string;
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
  /**
   * The lookup of an interaction's record by its interaction id (`findTicket`), finding `ticketId`,
   * or nothing when `ticketId` is `undefined`. Used when an assignment overtakes its opening event
   * (the connector looks the record up, then opens it owned by the agent). Optional: without it
   * that check is todo.
   */
  findTicket?: ((interactionId: string, ticketId: string | undefined) => Mock) | undefined;
  /**
   * The create of an interaction whose record exists already, owned now by `owner` (an earlier
   * delivery made it on a worker whose link this one does not share): answered as the CRM answers
   * such a create (an idempotency-key replay and a read of the record as it is now, a duplicate
   * refusal and a read-back, a lookup that finds it), the record left as it is. Optional: without
   * it that check is todo.
   */
  createTicketExisting?: ((ticketId: string, owner: CrmUser) => Mock) | undefined;
  /**
   * The note added to `ticketId` by a connection that did not create the record (it found it with
   * `findTicket`, after a restart): what the plugin looks up first, answered with no such note,
   * then the note. With `present`, the note is on the record already (written by an earlier
   * delivery; its text and idempotency key as the connector made them): the lookup finds it, or a
   * repeat is refused as the duplicate it is, and nothing more is written. Optional: without it
   * those checks are todo.
   */
  addNoteToFoundTicket?: ((ticketId: string, present?: PresentNote) => Mock) | undefined;
  /**
   * Everything one `createTicket` call sends for a description longer than the CRM holds in one
   * field or note (the suite's is a voicemail transcription of 70,000 characters): the create,
   * then every further write its rest goes to (further comments, notes, tasks), each answered as
   * the CRM would. `{ notApplicable: 'why' }` for a CRM whose field takes any length (the check is
   * skipped with the reason). Omitted, the check is todo.
   */
  createTicketLongDescription?: ((ticketId: string) => Mock) | NotApplicable | undefined;
  /**
   * Everything one `createTicket` call sends when the CRM refuses `rejected` as the owner (an
   * agent deactivated since the directory cached them), answered with the CRM's own refusal; then
   * the same create with the default user as owner, answered with `ticketId`. Optional: without it
   * the owner-fallback check is todo.
   */
  createTicketOwnerRejected?: ((ticketId: string, rejected: CrmUser) => Mock) | undefined;
  /**
   * A multi-step create whose first step the CRM makes (the contact, the record) and whose next
   * step it refuses with a server error on every attempt; then, registered `.optionally()`, what a
   * redelivery of the event sends, answered as the CRM would with the first step's record there (a
   * repeated contact create refused as a duplicate, a lookup finding it; a second record made by a
   * repeat without the CRM's key answered with another id). For a CRM whose create is one request
   * (the contact inline or deep-inserted), give `{ notApplicable: 'why' }`: the check is skipped
   * with that reason in its name. Omitted, the check is todo.
   */
  createTicketStepFails?: ((ticketId: string) => Mock) | NotApplicable | undefined;
  /**
   * A create whose contact step the CRM refuses for the end user's data (a validation rule, a
   * required field: not a duplicate, not a server error), answered as the CRM answers it, no
   * record made: `mock` registers it, `refusal` is a text of the CRM's refusal (its error code or
   * message, as the plugin's error reports it) that the plugin's error must carry. The suite expects a typed, non-retryable input
   * error that explains the contact's refusal rather than what followed from it (the record
   * refused for want of its contact), each write sent once. For a CRM whose create makes no
   * contact, give `{ notApplicable: 'why' }`. Omitted, the check is todo.
   */
  createTicketContactRefused?: { mock: Mock; refusal: string } | NotApplicable | undefined;
  /**
   * A create whose record the CRM refuses for its data (a picklist value, a validation rule on
   * the record: not its owner, not a duplicate, not a server error), its contact step (if any)
   * made or found: `mock` registers it, `refusal` is a text of the refusal the plugin's error must
   * carry. The suite expects a typed, non-retryable input error explaining the record's refusal,
   * each write sent once. Omitted, the check is todo.
   */
  createTicketRefused?: { mock: Mock; refusal: string } | NotApplicable | undefined;
}

/**
 * How a value in a captured request is matched: a literal (deep equality), a RegExp (tested
 * against a string), a predicate, or an object (each named field matched, others free) or array
 * (same length, each element matched).
 */
export type Matcher =
  | string
  | number
  | boolean
  | null
  | undefined
  | RegExp
  | ((value: unknown) => boolean)
  | readonly Matcher[]
  | { readonly [field: string]: Matcher };

/** Reads one field of a captured request (the body's owner field, a header, …). */
export type FieldOf = (request: CapturedRequest) => unknown;

/** What the connector handed the plugin for one write: what the CRM must receive. */
export interface WriteExpectation {
  /** The event being written (an assignment that opened the record shows as the opening it stands for). */
  event: InteractionEvent;
  /** The record written to (the id the mocked CRM answers; for a create, the id it creates). */
  ticketId: string;
  /** The owner the record must get (create, change owner). */
  owner?: CrmUser | undefined;
  /** The user the write must be performed as. */
  performer: CrmUser;
}

/**
 * One request the CRM must receive for an operation, declared by the fixture: where it goes, what
 * CRM-specific headers and body fields it must carry, and where the interaction's content, owner,
 * performer and idempotency key sit in it. The suite finds it among the captured writes (method
 * and path, in the declared order), then checks each declared member and fails with the request's
 * `label`, the member and the value received.
 */
export interface ExpectedRequest {
  /** What the request is, for failure messages: `the ticket create`, `the internal note`. */
  label: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path without its query string: equal to a string, or matching a RegExp. */
  path: string | RegExp;
  /** The request may be absent (a step the CRM's state decides, such as a contact found already). */
  optional?: boolean | undefined;
  /** Query parameters that matter (what the CRM answers with): `{ $select: 'incidentid' }`. */
  query?: Readonly<Record<string, Matcher>> | undefined;
  /** Headers that matter to the CRM (lowercase names): `{ 'sforce-auto-assign': 'FALSE' }`. */
  headers?: Readonly<Record<string, Matcher>> | undefined;
  /** Body fields the CRM needs, matched partially: `{ allOrNone: false }`, `{ ticket: { tags: […] } }`. */
  body?: Matcher;
  /** The body's top-level field names, exactly: a field more (or one missing) fails. */
  bodyFields?: readonly string[] | undefined;
  /** Where the interaction's text is (description, comment, note body): it must be the connector's text, whole and alone. */
  content?: FieldOf | undefined;
  /** Where the subject is: it must equal the connector's subject. */
  subject?: FieldOf | undefined;
  /** Where the owner's id is: it must equal the owner's. */
  owner?: FieldOf | undefined;
  /** Who the request is performed as; default: the fixture's `performerOf`. It must be the performer. */
  performer?: FieldOf | undefined;
  /**
   * The key that makes a repeat of this write safe, as the CRM (or the plugin's lookup before a
   * repeat) reads it: an idempotency header, an upsert key, an external id it refuses to store
   * twice or that the plugin looks the record up by. It must be present, the same on every attempt
   * and delivery of the write, and another for another interaction.
   */
  idempotencyKey?: FieldOf | undefined;
  /** Where the interaction id is stored (the record's external id): it must equal it. */
  interactionId?: FieldOf | undefined;
  /** `'internal'` or `'public'` as the CRM reads the note or comment: crm-connect's are always internal. */
  visibility?: ((request: CapturedRequest) => 'internal' | 'public' | undefined) | undefined;
}

/**
 * The requests the CRM must receive for each write operation, given what the connector handed the
 * plugin; every write an operation sends must be declared (an undeclared write fails). At least
 * one request of `createTicket` declares `owner`, `subject`, `content` and `idempotencyKey`; one of
 * `changeOwner` declares `owner`; one of `addNote` declares `content` and `visibility` (or the CRM's
 * notes are never public: say so with `visibility: () => 'internal'` and a comment).
 */
export interface WriteDeclarations {
  createTicket: (expected: WriteExpectation) => readonly ExpectedRequest[];
  changeOwner: (expected: WriteExpectation) => readonly ExpectedRequest[];
  addNote: (expected: WriteExpectation) => readonly ExpectedRequest[];
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
  /**
   * What the plugin reports of an existing record's owner besides its id (a create that found the
   * record, answered by `createTicketExisting`), as the CRM returns it with the record: each named
   * detail must equal the seeded user's (`email` lowercased); with `active`, an owner deactivated
   * since is checked too. `[]` when the plugin reports the id alone (the audit checks have it). Omitted, the checks are todo.
   */
  existingOwnerDetails?: readonly ('name' | 'email' | 'active')[] | undefined;
  /** What the CRM must receive for each write: the suite checks every write it makes against it. */
  writes: WriteDeclarations;
  /**
   * For a CRM where the client chooses a new record's id (Dataverse's `incidentid`): the id a
   * create request gives the record. A create whose answer is unreadable is then reported with
   * this id, which the suite accepts besides `ticketId`. Omit it when the CRM assigns ids.
   */
  createdIdOf?: ((request: CapturedRequest) => string | undefined) | undefined;
  /**
   * Ids this CRM cannot have (another CRM's, a corrupted link-store row) that the plugin refuses
   * with a typed input error before it writes anything: `ticket` for a record id, `user` for an
   * owner id. Omit one the plugin does not check (an id sent URL-encoded, or in a body, for the
   * CRM to refuse): its checks are todo.
   */
  foreignIds?: { ticket?: string | undefined; user?: string | undefined } | undefined;
  /**
   * Tests of this suite the plugin is known to fail, by name, each with the reason (a bug report):
   * they run as expected failures (`it.fails`), so a fix shows up as a failure to remove from here.
   */
  knownFailures?: Readonly<Record<string, string>> | undefined;
}
