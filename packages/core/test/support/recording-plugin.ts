import { z } from 'zod';
import { type AuditEvent, createMemoryAuditSink } from '../../src/audit.js';
import { type ConnectorOptions, createConnector } from '../../src/connector.js';
import { OwnerRejectedError } from '../../src/errors.js';
import {
  type AddNoteInput,
  type AddNoteResult,
  type ChangeOwnerInput,
  type CreateTicketInput,
  type CreateTicketResult,
  type CrmConnection,
  definePlugin,
  type PluginCapabilities,
  type PluginContext,
  type TicketRef,
  type WriteResult,
} from '../../src/plugin.js';
import { commonSettingsShape } from '../../src/settings/common-settings.js';
import type { CrmUser } from '../../src/users.js';

/**
 * A CRM kept in memory for the connector's tests: it stores records and notes, and records every
 * call the connector makes, in order. Tests change one method's answer with `override`.
 */

/** The identity the credentials act as: the default user. */
export const admin: CrmUser = {
  id: 'u-admin',
  email: 'admin@acme.test',
  name: 'Ada Admin',
  active: true,
  role: 'admin',
};
export const alex: CrmUser = { id: 'u-alex', email: 'alex@acme.test', name: 'Alex Agent', active: true };
export const bea: CrmUser = { id: 'u-bea', email: 'bea@acme.test', name: 'Bea Agent', active: true };
/** A CRM user deactivated in the CRM. */
export const gus: CrmUser = { id: 'u-gus', email: 'gus@acme.test', name: 'Gus Gone', active: false };

/** The API token the recording plugin's settings hold by default (a secret field). */
export const apiToken = 'rec_tok_9f8e7d6c5b4a3210';

export interface StoredRecord {
  id: string;
  owner: string;
  performer: string;
  subject: string;
  description: string;
  notes: { key: string; body: string; performer: string }[];
}

export interface RecordingCrmOptions {
  /** The assignable agents the legacy random rule picks from. Default: Alex and Bea. */
  assignable?: readonly CrmUser[] | undefined;
  capabilities?: Partial<PluginCapabilities> | undefined;
  /** Owner ids the CRM refuses on create and on an owner change (deactivated since the directory cached them). */
  refusedOwners?: readonly string[] | undefined;
}

export type RecordingCrm = ReturnType<typeof recordingCrm>;

export function recordingCrm(options: RecordingCrmOptions = {}) {
  /** The CRM's users, found by email, active or not. */
  const users = [admin, alex, bea, gus];
  const records = new Map<string, StoredRecord>();
  /** Every call the connector made, in order (overridden ones too): `createTicket`, `findUserByEmail alex@acme.test`, … */
  const calls: string[] = [];
  const creates: CreateTicketInput[] = [];
  const ownerChanges: ChangeOwnerInput[] = [];
  const noteWrites: AddNoteInput[] = [];
  const contexts: PluginContext[] = [];
  const connectedWith: unknown[] = [];

  const byTicketId = (ticket: TicketRef) => [...records.values()].find((record) => record.id === ticket.id);

  const base = {
    async connectionUser(): Promise<CrmUser> {
      return admin;
    },
    async findUserByEmail(email: string): Promise<CrmUser | undefined> {
      return users.find((user) => user.email === email);
    },
    async listAssignableUsers(): Promise<readonly CrmUser[]> {
      return options.assignable ?? [alex, bea];
    },
    async createTicket(input: CreateTicketInput): Promise<CreateTicketResult> {
      if (options.refusedOwners?.includes(input.owner.id)) {
        throw new OwnerRejectedError(`user ${input.owner.id} is deactivated`, {
          pluginId: 'recording',
          ownerId: input.owner.id,
        });
      }
      const existing = records.get(input.event.interactionId);
      if (existing !== undefined) {
        return { ticket: { id: existing.id }, created: false, attempts: 1, owner: userById(existing.owner) };
      }
      const record: StoredRecord = {
        id: `T-${records.size + 1}`,
        owner: input.owner.id,
        performer: input.performer.id,
        subject: input.subject,
        description: input.description,
        notes: [],
      };
      records.set(input.event.interactionId, record);
      return { ticket: { id: record.id }, created: true, attempts: 1 };
    },
    async findTicket(interactionId: string): Promise<TicketRef | undefined> {
      const record = records.get(interactionId);
      return record === undefined ? undefined : { id: record.id };
    },
    async changeOwner(input: ChangeOwnerInput): Promise<WriteResult> {
      const record = byTicketId(input.ticket);
      if (record === undefined) throw new Error(`no record ${input.ticket.id}`);
      if (options.refusedOwners?.includes(input.owner.id)) {
        throw new OwnerRejectedError(`user ${input.owner.id} is deactivated`, {
          pluginId: 'recording',
          ownerId: input.owner.id,
        });
      }
      record.owner = input.owner.id;
      return { attempts: 1 };
    },
    async addNote(input: AddNoteInput): Promise<AddNoteResult> {
      const record = byTicketId(input.ticket);
      if (record === undefined) throw new Error(`no record ${input.ticket.id}`);
      if (input.mayExist && record.notes.some((note) => note.key === input.idempotencyKey)) {
        return { attempts: 1, written: false };
      }
      record.notes.push({ key: input.idempotencyKey, body: input.body, performer: input.performer.id });
      return { attempts: 1, written: true };
    },
  };

  type Base = typeof base;
  type Override<K extends keyof Base> = (
    original: Base[K],
    ...args: Parameters<Base[K]>
  ) => ReturnType<Base[K]>;
  const overrides: { [K in keyof Base]?: Override<K> } = {};
  /** The in-memory method, or the test's replacement of it. */
  function method<K extends keyof Base>(name: K): Base[K] {
    const wrapped = (...args: unknown[]) => {
      const [input] = args;
      calls.push(typeof input === 'string' ? `${name} ${input}` : name);
      if (name === 'createTicket') creates.push(input as CreateTicketInput);
      if (name === 'changeOwner') ownerChanges.push(input as ChangeOwnerInput);
      if (name === 'addNote') noteWrites.push(input as AddNoteInput);
      const original = base[name] as (...args: unknown[]) => unknown;
      const override = overrides[name] as ((...args: unknown[]) => unknown) | undefined;
      return override === undefined ? original(...args) : override(original, ...args);
    };
    return wrapped as Base[K];
  }

  function userById(id: string): CrmUser | undefined {
    return users.find((user) => user.id === id);
  }

  const plugin = definePlugin({
    id: 'recording',
    displayName: 'Recording CRM',
    settings: {
      schema: z.object({
        ...commonSettingsShape,
        account: z.string().default('acme'),
        apiToken: z.string().default(apiToken),
      }),
      secretFields: ['apiToken'],
      credentialGroups: [],
    },
    capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false, ...options.capabilities }),
    validateCredentials: async () => ({ connectionUser: admin, warnings: [] }),
    connect(settings, context) {
      contexts.push(context);
      connectedWith.push(settings);
      // As every real plugin's client does: one budget per CRM account.
      context.rateBudgets.forAccount(`recording:${settings.account}`, { requestsPerInterval: 100 });
      const connection: CrmConnection = {
        connectionUser: method('connectionUser'),
        findUserByEmail: method('findUserByEmail'),
        listAssignableUsers: method('listAssignableUsers'),
        createTicket: method('createTicket'),
        findTicket: method('findTicket'),
        changeOwner: method('changeOwner'),
        addNote: method('addNote'),
      };
      return connection;
    },
  });

  return {
    plugin,
    records,
    calls,
    creates,
    ownerChanges,
    noteWrites,
    contexts,
    connectedWith,
    /** Changes how one method answers; `original` is the in-memory behaviour. */
    override<K extends keyof Base>(name: K, replacement: Override<K>): void {
      overrides[name] = replacement as (typeof overrides)[K];
    },
    /** Calls of one kind: `count('createTicket')`, `count('findUserByEmail')`. */
    count(prefix: string): number {
      return calls.filter((call) => call === prefix || call.startsWith(`${prefix} `)).length;
    },
  };
}

type RecordingSchema = ReturnType<typeof recordingCrm>['plugin'] extends { settings: { schema: infer S } }
  ? S
  : never;

/** A connector over the recording CRM, with an in-memory audit sink. */
export function connectTo(
  crm: RecordingCrm,
  settings: ConnectorOptions<RecordingSchema>['settings'] = { defaultUser: true },
  extra: Omit<Partial<ConnectorOptions<RecordingSchema>>, 'plugin' | 'settings'> = {},
) {
  const audit = createMemoryAuditSink();
  const connector = createConnector({ plugin: crm.plugin, settings, audit: audit.sink, ...extra });
  return { connector, audit, events: (): readonly AuditEvent[] => audit.events() };
}

export const endUser = { name: 'Jane Doe', email: 'jane@example.com' };
export const at = '2026-12-01T10:00:00Z';

/** A platform agent whose email is this CRM user's. */
export function platformAgent(user: CrmUser, id = `p-${user.id}`) {
  return { id, emails: [user.email ?? `${user.id}@unknown.test`] };
}

export const chatStarted = {
  type: 'chat.started',
  interactionId: 'i-1',
  channel: 'chat',
  occurredAt: at,
  endUser,
  firstMessage: 'My order never came',
} as const;

export const voicemail = {
  type: 'voicemail.received',
  interactionId: 'i-1',
  channel: 'voice',
  occurredAt: at,
  endUser,
  transcription: 'Please call me back',
} as const;

export const abandonedCall = {
  type: 'call.abandoned',
  interactionId: 'i-1',
  channel: 'voice',
  occurredAt: at,
  endUser,
  waitSeconds: 95,
} as const;

export function assignedTo(user: CrmUser, occurredAt = at) {
  return {
    type: 'agent.assigned',
    interactionId: 'i-1',
    channel: 'chat',
    occurredAt,
    endUser,
    agent: platformAgent(user),
  } as const;
}

export const ended = {
  type: 'interaction.ended',
  interactionId: 'i-1',
  channel: 'chat',
  occurredAt: at,
  endUser,
  transcript: 'Jane: hello\nAlex: hi',
} as const;
