import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  type ActorDecision,
  type AgentMatch,
  type OwnerReason,
  type PerformerReason,
  resolveActor,
} from './actor-resolution.js';
import { createAgentDirectory } from './agent-directory.js';
import { type AuditEvent, type AuditSink, createRedactingAuditSink } from './audit.js';
import {
  ConfigurationError,
  ConnectionClosedError,
  CrmConnectError,
  hasErrorCode,
  isCrmConnectError,
  NotFoundError,
} from './errors.js';
import {
  type AgentAssigned,
  type InteractionEnded,
  type InteractionEvent,
  isOpeningEvent,
  type OpeningEvent,
  parseInteractionEvent,
} from './events.js';
import type { RetryOptions } from './http/http-client.js';
import { type RateBudget, type RateBudgetRegistry, sharedRateBudgets } from './http/rate-budget.js';
import { createRedactingLogger, type Logger, silentLogger } from './logging.js';
import type {
  AddNoteResult,
  CredentialCheck,
  CrmConnection,
  CrmPlugin,
  PluginCapabilities,
  PluginContext,
} from './plugin.js';
import { createMemoryRecordLinkStore, type RecordLink, type RecordLinkStore } from './record-links.js';
import { createRedactor, type Redactor } from './redaction.js';
import type { PluginSettingsSchema } from './settings/common-settings.js';
import { countRecord, describeEvent, type HandleScope, withHandleSpan } from './telemetry/handle-span.js';
import { endNote, ticketDescription, ticketSubject } from './ticket-text.js';
import type { CrmUser } from './users.js';
import { parseSettings } from './validation.js';

export interface ConnectorOptions<TSchema extends PluginSettingsSchema> {
  plugin: CrmPlugin<TSchema>;
  /** The saved settings; validated against the plugin's schema (a `ConfigurationError` names bad fields). */
  settings: z.input<TSchema>;
  /** Receives one event per write. Default: none. */
  audit?: AuditSink | undefined;
  /** Default: silent. Everything logged is redacted. */
  logger?: Logger | undefined;
  /** The random source of the legacy random-agent rule. Default `Math.random`. */
  random?: (() => number) | undefined;
  /** Interaction → record links. Default: in memory, bounded. */
  recordLinks?: RecordLinkStore | undefined;
  /** Rate budgets per CRM account. Default: the process-wide registry, so connectors to one account share one budget. */
  rateBudgets?: RateBudgetRegistry | undefined;
  /** Agent lookup cache: lifetime (default 5 min) and size (default 5,000). */
  agentCache?: { ttlMs?: number | undefined; maxEntries?: number | undefined } | undefined;
  /**
   * The platform's id of the tenant this connector serves: an attribute of its OpenTelemetry
   * spans (never of its metrics, where one series per tenant would be too many). Default: none.
   */
  tenantId?: string | undefined;
  /** HTTP layer overrides (retry backoff, per-attempt timeout). */
  http?: { retry?: RetryOptions | undefined; timeoutMs?: number | undefined } | undefined;
}

/** One CRM, configured: hand it interaction events. */
export interface Connector {
  readonly pluginId: string;
  readonly capabilities: PluginCapabilities;
  /** Validates the event and makes the CRM writes it calls for; resolves to the audit event of the last write. */
  handle(event: unknown): Promise<AuditEvent>;
  /** The live credential check, as on save. */
  validateCredentials(): Promise<CredentialCheck>;
  /** Forgets cached CRM users (after agents were deactivated or added). */
  clearCaches(): void;
  /**
   * Releases what this connector holds: waits for events under way, closes the plugin's
   * connection (token sources, sockets, timers), and releases the account budgets no other open
   * connector uses. Later `handle` calls throw a retryable `connector_closed` error.
   */
  close(): Promise<void>;
  /** The redactor holding this connector's secrets, for the platform's own logs. */
  readonly redactor: Redactor;
}

export function createConnector<TSchema extends PluginSettingsSchema>(
  options: ConnectorOptions<TSchema>,
): Connector {
  const { plugin } = options;
  const settings: z.output<TSchema> = parseSettings(plugin.settings.schema, options.settings, plugin.id);
  const redactor = createRedactor(
    plugin.settings.secretFields.map((field) => stringOrUndefined(settings[field])),
  );
  const logger = createRedactingLogger(options.logger ?? silentLogger, redactor);
  // Without a sink nothing is written, so nothing is redacted either (a copy of every event, per write).
  const sink: AuditSink =
    options.audit === undefined ? () => {} : createRedactingAuditSink(options.audit, redactor);
  const budgets = heldBudgets(options.rateBudgets ?? sharedRateBudgets, plugin.id);
  const context: PluginContext = {
    redactor,
    logger,
    audit: sink,
    rateBudgets: budgets.registry,
    http: { retry: options.http?.retry, timeoutMs: options.http?.timeoutMs },
  };
  const capabilities = plugin.capabilities(settings);
  const connection: CrmConnection = plugin.connect(settings, context);
  const directory = createAgentDirectory({
    lookup: connection,
    aliases: settings.agentEmailAliases,
    ttlMs: options.agentCache?.ttlMs,
    maxEntries: options.agentCache?.maxEntries,
  });
  const links = options.recordLinks ?? createMemoryRecordLinkStore();
  /** The HTTP layer's per-attempt deadline: how long a write the client gave up on may still take to land. */
  const timeoutMs = options.http?.timeoutMs ?? 30_000;
  const random = options.random ?? Math.random;
  const defaultUserEnabled = settings.defaultUser;
  const alwaysUseAdmin = capabilities.alwaysUseAdmin && settings.alwaysUseAdmin;
  const telemetryScope: HandleScope = {
    pluginId: plugin.id,
    tenantId: options.tenantId,
    redact: redactor.redact,
  };
  let closed = false;
  // Events of one interaction are handled in order, so an assignment never races its ticket's creation.
  const inFlight = new Map<string, Promise<unknown>>();

  async function decide(eventType: InteractionEvent['type'], agent: AgentMatch): Promise<ActorDecision> {
    const input = {
      eventType,
      agent,
      connectionUser: await connection.connectionUser(),
      defaultUserEnabled,
      abandonedCallTickets: settings.abandonedCallTickets,
      alwaysUseAdmin,
      performsAsAgent: capabilities.performsAsAgent,
      random,
    };
    const decision = resolveActor(input);
    if (decision.action !== 'needs-agent-pool') return decision;
    return resolveActor({ ...input, agentPool: await directory.assignablePool() });
  }

  async function emit(event: Omit<AuditEvent, 'at' | 'crm'>): Promise<AuditEvent> {
    const full: AuditEvent = { at: new Date().toISOString(), crm: plugin.id, ...event };
    countRecord(telemetryScope, full);
    await sink(full);
    return full;
  }

  /** The interaction's record: from the store, else looked up on the CRM (and remembered as found there). */
  async function findLink(interactionId: string): Promise<RecordLink | undefined> {
    const linked = await links.get(plugin.id, interactionId);
    if (linked !== undefined) return linked;
    const found = await connection.findTicket(interactionId);
    if (found === undefined) return undefined;
    const link: RecordLink = { ticket: found, createdHere: false };
    await links.set(plugin.id, interactionId, link);
    return link;
  }

  async function openRecord(event: OpeningEvent): Promise<AuditEvent> {
    const base = {
      interactionId: event.interactionId,
      eventType: event.type,
      operation: 'create-ticket' as const,
    };
    const linked = await links.get(plugin.id, event.interactionId);
    if (linked !== undefined) {
      return emit({
        ...base,
        recordId: linked.ticket.id,
        reason: 'already-linked',
        attempts: 0,
        outcome: 'existing',
      });
    }
    const agent = await directory.identify(event.agent);
    const decision = await decide(event.type, agent);
    if (decision.action === 'skip') {
      return emit({
        ...base,
        reason: decision.reason,
        agentStatus: decision.agentStatus,
        attempts: 0,
        outcome: 'skipped',
      });
    }
    if (decision.action !== 'write') {
      throw new ConfigurationError(
        `${plugin.displayName} has no active agent to assign interaction ${event.interactionId} to. Enable the default user, or activate at least one agent in ${plugin.displayName}.`,
        { pluginId: plugin.id },
      );
    }
    let { owner, performer, reason } = decision;
    if (owner === undefined) throw new Error('actor rule returned no owner for a new record');
    const write = (to: CrmUser, by: CrmUser, ownerReason: OwnerReason) =>
      connection.createTicket({
        event,
        owner: to,
        performer: by,
        ownerReason,
        idempotencyKey: idempotencyKey(event.interactionId, 'create-ticket'),
        subject: ticketSubject(event),
        description: ticketDescription(event),
      });
    let result: Awaited<ReturnType<typeof write>>;
    try {
      result = await write(owner, performer, reason);
    } catch (error) {
      const fallback = await ownerFallback(error, owner, base);
      if (fallback === undefined) throw error;
      owner = fallback;
      performer = fallback;
      reason = 'default-user';
      result = await write(owner, performer, reason);
    }
    await links.set(plugin.id, event.interactionId, {
      ticket: result.ticket,
      createdHere: result.created,
      // Only an agent's ownership is guarded against late assignments: a record the default user
      // (or a random agent) holds takes any assignment. The owner of a record found existing was
      // set by an event this store never saw.
      ownerSetAt: result.created && reason === 'identified-agent' ? Date.parse(event.occurredAt) : undefined,
    });
    // An existing record keeps its owner: the audit names the one the plugin reports, or none.
    const actualOwner = result.created ? (result.owner ?? owner) : result.owner;
    return emit({
      ...base,
      recordId: result.ticket.id,
      ...performedBy(performer, decision.performerReason, result.performer),
      owner: actualOwner === undefined ? undefined : summary(actualOwner),
      reason,
      agentStatus: decision.agentStatus,
      attempts: result.attempts,
      outcome: result.created ? 'created' : 'existing',
    });
  }

  /** When the CRM refuses an owner (deactivated since we cached them), the default user takes the record if enabled. */
  async function ownerFallback(
    error: unknown,
    owner: CrmUser,
    base: Pick<AuditEvent, 'interactionId' | 'eventType' | 'operation' | 'recordId'>,
  ): Promise<CrmUser | undefined> {
    if (!hasErrorCode(error, 'owner_rejected')) return undefined;
    // Deactivated since listed: never offered again by the random rule until the CRM lists it again.
    directory.forgetUser(owner.id);
    if (!defaultUserEnabled) return undefined;
    const connectionUser = await connection.connectionUser();
    if (connectionUser.id === owner.id) return undefined;
    directory.clear();
    await emit({
      ...base,
      owner: summary(owner),
      reason: 'owner-fallback',
      attempts: error.attempts ?? 1,
      outcome: 'failed',
      error: { code: error.code, message: error.message },
      detail: `${plugin.displayName} refused owner ${owner.id}; the default user ${connectionUser.id} takes the record.`,
    });
    return connectionUser;
  }

  async function assignAgent(event: AgentAssigned): Promise<AuditEvent> {
    const base = {
      interactionId: event.interactionId,
      eventType: event.type,
      operation: 'change-owner' as const,
    };
    const agent = await directory.identify(event.agent);
    const decision = await decide(event.type, agent);
    if (decision.action === 'skip') {
      return emit({
        ...base,
        reason: decision.reason,
        agentStatus: decision.agentStatus,
        attempts: 0,
        outcome: 'skipped',
      });
    }
    if (decision.action !== 'write' || decision.owner === undefined)
      throw new Error('unexpected actor decision');
    const link = await findLink(event.interactionId);
    if (link === undefined) {
      // The assignment overtook the opening event: open the record now, owned by the agent.
      return openRecord({ ...event, type: 'chat.started' });
    }
    const { ticket } = link;
    const occurredAt = Date.parse(event.occurredAt);
    if (link.ownerSetAt !== undefined && occurredAt < link.ownerSetAt) {
      // Delivered late: a later assignment (or the opening) already decided the owner.
      return emit({
        ...base,
        recordId: ticket.id,
        owner: summary(decision.owner),
        reason: 'superseded-assignment',
        agentStatus: decision.agentStatus,
        attempts: 0,
        outcome: 'skipped',
      });
    }
    let { owner, performer, reason } = decision;
    const change = (to: CrmUser, by: CrmUser) =>
      connection.changeOwner({ interactionId: event.interactionId, ticket, owner: to, performer: by });
    let result: Awaited<ReturnType<typeof change>>;
    try {
      result = await change(owner, performer);
    } catch (error) {
      // The agent was deactivated (or lost the right to own records) since the directory cached
      // them: as on a create, the default user takes the record rather than the event failing
      // for good with the record left to whoever held it before.
      const fallback = await ownerFallback(error, owner, { ...base, recordId: ticket.id });
      if (fallback === undefined) throw error;
      owner = fallback;
      performer = fallback;
      reason = 'default-user';
      result = await change(owner, performer);
    }
    // This assignment decided the owner (by fallback too): an older one delivered late is superseded.
    await links.set(plugin.id, event.interactionId, { ...link, ownerSetAt: occurredAt });
    return emit({
      ...base,
      recordId: ticket.id,
      ...performedBy(performer, decision.performerReason, result.performer),
      owner: summary(owner),
      reason,
      agentStatus: decision.agentStatus,
      attempts: result.attempts,
      outcome: 'updated',
    });
  }

  async function endInteraction(event: InteractionEnded): Promise<AuditEvent> {
    const base = {
      interactionId: event.interactionId,
      eventType: event.type,
      operation: 'add-note' as const,
    };
    const body = endNote(event);
    if (body === '') return emit({ ...base, reason: 'nothing-to-write', attempts: 0, outcome: 'skipped' });
    const agent = await directory.identify(event.agent);
    const decision = await decide(event.type, agent);
    if (decision.action !== 'write') throw new Error('unexpected actor decision');
    const link = await findLink(event.interactionId);
    if (link === undefined) {
      throw new NotFoundError(
        `${plugin.displayName} has no record for interaction ${event.interactionId}: deliver its opening event (chat.started, voicemail.received or call.abandoned) first, then this one again.`,
        { pluginId: plugin.id, retryable: true },
      );
    }
    const { ticket } = link;
    const noteKey = idempotencyKey(event.interactionId, 'add-note', body);
    const known = await links.noteState(plugin.id, event.interactionId, noteKey);
    const written = {
      ...base,
      recordId: ticket.id,
      performer: summary(decision.performer),
      agentStatus: decision.agentStatus,
      performerReason: decision.performerReason,
    };
    if (known?.status === 'written')
      return emit({ ...written, reason: 'already-written', attempts: 0, outcome: 'existing' });
    // A write that failed moments ago (a timeout) may still be landing: a lookup now would miss it
    // and the note would be written twice. Give the CRM as long again as the timeout first.
    if (known?.status === 'pending') await settle(known.at + timeoutMs - Date.now());
    // Marked before the write: if its answer is lost, the redelivery knows to look before writing again.
    await links.setNoteState(plugin.id, event.interactionId, noteKey, { status: 'pending', at: Date.now() });
    let result: AddNoteResult;
    try {
      result = await connection.addNote({
        interactionId: event.interactionId,
        ticket,
        body,
        performer: decision.performer,
        idempotencyKey: noteKey,
        mayExist: known?.status === 'pending' || !link.createdHere,
      });
    } catch (error) {
      await links.setNoteState(plugin.id, event.interactionId, noteKey, {
        status: 'pending',
        at: Date.now(),
      });
      throw error;
    }
    await links.setNoteState(plugin.id, event.interactionId, noteKey, { status: 'written' });
    return emit({
      ...written,
      ...performedBy(decision.performer, decision.performerReason, result.performer),
      reason: result.written ? decision.reason : 'already-written',
      attempts: result.attempts,
      outcome: result.written ? 'updated' : 'existing',
    });
  }

  async function dispatch(event: InteractionEvent): Promise<AuditEvent> {
    const operation = isOpeningEvent(event)
      ? 'create-ticket'
      : event.type === 'agent.assigned'
        ? 'change-owner'
        : 'add-note';
    try {
      if (isOpeningEvent(event)) return await openRecord(event);
      if (event.type === 'agent.assigned') return await assignAgent(event);
      return await endInteraction(event);
    } catch (error) {
      const typed = isCrmConnectError(error)
        ? error
        : new CrmConnectError('internal_error', redactor.redact(`Unexpected failure: ${String(error)}`), {
            pluginId: plugin.id,
            cause: error,
          });
      await emit({
        interactionId: event.interactionId,
        eventType: event.type,
        operation,
        reason: 'error',
        attempts: typed.attempts ?? 0,
        outcome: 'failed',
        error: { code: typed.code, message: redactor.redact(typed.message) },
      });
      // Callers get typed errors only; an unexpected one is wrapped, the original kept as its cause.
      throw typed;
    }
  }

  return {
    pluginId: plugin.id,
    capabilities,
    redactor,
    handle: (input) =>
      withHandleSpan(telemetryScope, async (span) => {
        if (closed) {
          throw new ConnectionClosedError(`This ${plugin.displayName} connector`, { pluginId: plugin.id });
        }
        const event = parseInteractionEvent(input);
        describeEvent(span, telemetryScope, event);
        const previous = inFlight.get(event.interactionId) ?? Promise.resolve();
        const current = previous.then(
          () => dispatch(event),
          () => dispatch(event),
        );
        inFlight.set(event.interactionId, current);
        try {
          return await current;
        } finally {
          if (inFlight.get(event.interactionId) === current) inFlight.delete(event.interactionId);
        }
      }),
    validateCredentials: () => plugin.validateCredentials(settings, context),
    clearCaches: () => directory.clear(),
    async close() {
      if (closed) return;
      closed = true;
      // Events under way finish first (their failures were already reported to their callers).
      await Promise.allSettled([...inFlight.values()]);
      await connection.close?.();
      // A background listing of the agent pool ends now (the closed connection sends nothing more).
      await directory.idle();
      budgets.releaseAll();
      directory.clear();
    },
  };
}

/**
 * The registry a connector hands its plugin: each account budget the plugin asks for is acquired
 * once for this connector, and released when it closes, so budgets no open connector uses go.
 */
function heldBudgets(registry: RateBudgetRegistry, pluginId: string) {
  const held = new Map<string, RateBudget>();
  let released = false;
  const view: RateBudgetRegistry = {
    forAccount: (key, budgetOptions) => view.acquire(key, budgetOptions),
    acquire(key, budgetOptions) {
      // A budget joined after the connector released its own would never be released.
      if (released) throw new ConnectionClosedError(`This ${pluginId} connector`, { pluginId });
      let budget = held.get(key);
      if (budget === undefined) {
        budget = registry.acquire(key, budgetOptions);
        held.set(key, budget);
      }
      return budget;
    },
    release: () => {},
    size: registry.size,
  };
  return {
    registry: view,
    releaseAll() {
      released = true;
      for (const key of held.keys()) registry.release(key);
      held.clear();
    },
  };
}

/** The same interaction and operation always give the same key; a note's key also covers its text. */
export function idempotencyKey(interactionId: string, operation: string, content?: string): string {
  const suffix =
    content === undefined ? '' : `:${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
  return `crm-connect:${interactionId}:${operation}${suffix}`;
}

/** Waits `ms` (nothing when it is not positive). */
function settle(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** The performer the audit names: the decided one, unless the plugin reports that another made the write. */
function performedBy(
  decided: CrmUser,
  reason: PerformerReason,
  reported: CrmUser | undefined,
): Pick<AuditEvent, 'performer' | 'performerReason'> {
  if (reported === undefined || reported.id === decided.id) {
    return { performer: summary(decided), performerReason: reason };
  }
  return { performer: summary(reported), performerReason: 'connection-user-fallback' };
}

function summary(user: CrmUser): { id: string; name?: string | undefined } {
  return { id: user.id, name: user.name };
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
