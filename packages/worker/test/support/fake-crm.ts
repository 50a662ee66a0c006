import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CrmConnectError, type CrmUser, commonSettingsShape, definePlugin } from '@crm-connect/core';
import { z } from 'zod';

/**
 * A CRM kept in memory by the tests, behind a small API a fake plugin calls, in process or over
 * loopback HTTP (for a worker in a child process). Like real CRMs, a create with an idempotency
 * key already used returns the existing record, and a note can be looked up by its key. It
 * records every write in order per interaction, and the peak number of calls in flight for one
 * interaction (across every worker), which must stay 1.
 */

export const admin: CrmUser = { id: 'admin', email: 'admin@acme.test', name: 'Ada Admin', active: true };
export const agents: CrmUser[] = [1, 2, 3, 4].map((index) => ({
  id: `agent-${index}`,
  email: `agent${index}@acme.test`,
  name: `Agent ${index}`,
  active: true,
}));
const users = [admin, ...agents];

export type Operation = 'createTicket' | 'findTicket' | 'changeOwner' | 'addNote';

/** The fake CRM's API: what the plugin calls. */
export interface FakeCrmApi {
  createTicket(input: { interactionId: string; ownerId: string; key: string }): Promise<{
    id: string;
    created: boolean;
    ownerId: string;
  }>;
  findTicket(input: { interactionId: string }): Promise<{ id: string } | undefined>;
  changeOwner(input: { interactionId: string; ticketId: string; ownerId: string }): Promise<void>;
  addNote(input: {
    interactionId: string;
    ticketId: string;
    key: string;
    body: string;
    mayExist: boolean;
  }): Promise<{ written: boolean }>;
}

interface FakeTicket {
  id: string;
  interactionId: string;
  key: string;
  ownerId: string;
  notes: { key: string; body: string }[];
}

/** A fault: thrown instead of the call it matches (before any write). `times` defaults to once. */
export interface Fault {
  operation: Operation;
  interactionId?: string | undefined;
  error: () => CrmConnectError;
  times?: number | undefined;
}

/** A call the CRM applies, then answers only once released (a slow CRM, a worker killed waiting). */
export interface Hold {
  /** Resolves when the held call arrived (and was applied). */
  arrived: Promise<void>;
  release(): void;
}

export interface FakeCrm {
  api: FakeCrmApi;
  tickets: Map<string, FakeTicket>;
  /** Every applied write per interaction, in order: `create:<owner>`, `owner:<owner>`, `note`. */
  writes: Map<string, string[]>;
  /** Every call, applied or failed, in order, with when it arrived (ms since the epoch). */
  calls: { operation: Operation; interactionId: string; at: number }[];
  /** The most calls for one interaction that were ever in flight at once. */
  peakInFlight(): number;
  fail(fault: Fault): void;
  hold(operation: Operation, interactionId: string): Hold;
  /** Each call waits a random time up to this, in ms, so workers interleave. */
  latencyMs: number;
}

export function createFakeCrm(options: { latencyMs?: number } = {}): FakeCrm {
  const tickets = new Map<string, FakeTicket>();
  const writes = new Map<string, string[]>();
  const calls: FakeCrm['calls'] = [];
  const faults: Fault[] = [];
  const holds: {
    operation: Operation;
    interactionId: string;
    arrive: () => void;
    released: Promise<void>;
  }[] = [];
  const inFlight = new Map<string, number>();
  let peak = 0;

  const write = (interactionId: string, what: string) => {
    writes.set(interactionId, [...(writes.get(interactionId) ?? []), what]);
  };

  async function call<T>(operation: Operation, interactionId: string, apply: () => T): Promise<T> {
    calls.push({ operation, interactionId, at: Date.now() });
    const current = (inFlight.get(interactionId) ?? 0) + 1;
    inFlight.set(interactionId, current);
    peak = Math.max(peak, current);
    try {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * crm.latencyMs));
      const fault = faults.find(
        (candidate) =>
          candidate.operation === operation &&
          (candidate.interactionId === undefined || candidate.interactionId === interactionId) &&
          (candidate.times ?? 1) > 0,
      );
      if (fault !== undefined) {
        fault.times = (fault.times ?? 1) - 1;
        throw fault.error();
      }
      const result = apply();
      const holdIndex = holds.findIndex(
        (candidate) => candidate.operation === operation && candidate.interactionId === interactionId,
      );
      const hold = holdIndex === -1 ? undefined : holds.splice(holdIndex, 1)[0];
      if (hold !== undefined) {
        hold.arrive();
        await hold.released;
      }
      return result;
    } finally {
      inFlight.set(interactionId, (inFlight.get(interactionId) ?? 1) - 1);
    }
  }

  const api: FakeCrmApi = {
    createTicket: ({ interactionId, ownerId, key }) =>
      call('createTicket', interactionId, () => {
        // The idempotency key is kept on the record, as a CRM's external-id field would hold it.
        const existing = [...tickets.values()].find((ticket) => ticket.key === key);
        if (existing !== undefined) return { id: existing.id, created: false, ownerId: existing.ownerId };
        const ticket = { id: `T-${tickets.size + 1}`, interactionId, key, ownerId, notes: [] };
        tickets.set(interactionId, ticket);
        write(interactionId, `create:${ownerId}`);
        return { id: ticket.id, created: true, ownerId };
      }),
    findTicket: ({ interactionId }) =>
      call('findTicket', interactionId, () => {
        const ticket = tickets.get(interactionId);
        return ticket === undefined ? undefined : { id: ticket.id };
      }),
    changeOwner: ({ interactionId, ownerId }) =>
      call('changeOwner', interactionId, () => {
        const ticket = tickets.get(interactionId);
        if (ticket === undefined) throw new Error(`no ticket for ${interactionId}`);
        ticket.ownerId = ownerId;
        write(interactionId, `owner:${ownerId}`);
      }),
    addNote: ({ interactionId, key, body, mayExist }) =>
      call('addNote', interactionId, () => {
        const ticket = tickets.get(interactionId);
        if (ticket === undefined) throw new Error(`no ticket for ${interactionId}`);
        if (mayExist && ticket.notes.some((note) => note.key === key)) return { written: false };
        ticket.notes.push({ key, body });
        write(interactionId, 'note');
        return { written: true };
      }),
  };

  const crm: FakeCrm = {
    api,
    tickets,
    writes,
    calls,
    peakInFlight: () => peak,
    fail: (fault) => faults.push(fault),
    hold(operation, interactionId) {
      let arrive = () => {};
      let release = () => {};
      const arrived = new Promise<void>((resolve) => {
        arrive = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      holds.push({ operation, interactionId, arrive, released });
      return { arrived, release };
    },
    latencyMs: options.latencyMs ?? 0,
  };
  return crm;
}

/** How many times the fake plugin's connections were opened and closed. */
export interface PluginCounters {
  connects: number;
  closes: number;
}

/**
 * A plugin over a fake CRM's API. Its settings carry nothing CRM-specific; the API (in process or
 * over HTTP) is bound when the plugin is made.
 */
export function fakePlugin(api: FakeCrmApi, counters: PluginCounters = { connects: 0, closes: 0 }) {
  const plugin = definePlugin({
    id: 'fake',
    displayName: 'Fake CRM',
    settings: { schema: z.object({ ...commonSettingsShape }), secretFields: [], credentialGroups: [] },
    capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: false }),
    validateCredentials: async () => ({ connectionUser: admin, warnings: [] }),
    connect() {
      counters.connects += 1;
      return {
        connectionUser: async () => admin,
        findUserByEmail: async (email) => users.find((user) => user.email === email),
        listAssignableUsers: async () => agents,
        async createTicket(input) {
          const result = await api.createTicket({
            interactionId: input.event.interactionId,
            ownerId: input.owner.id,
            key: input.idempotencyKey,
          });
          const owner = users.find((user) => user.id === result.ownerId);
          return { ticket: { id: result.id }, created: result.created, attempts: 1, owner };
        },
        findTicket: (interactionId) => api.findTicket({ interactionId }),
        async changeOwner(input) {
          await api.changeOwner({
            interactionId: input.interactionId,
            ticketId: input.ticket.id,
            ownerId: input.owner.id,
          });
          return { attempts: 1 };
        },
        async addNote(input) {
          const result = await api.addNote({
            interactionId: input.interactionId,
            ticketId: input.ticket.id,
            key: input.idempotencyKey,
            body: input.body,
            mayExist: input.mayExist,
          });
          return { attempts: 1, written: result.written };
        },
        async close() {
          counters.closes += 1;
        },
      };
    },
  });
  return { plugin, counters };
}

/** Serves a fake CRM's API on loopback: `POST /<operation>` with the input as JSON. */
export async function serveFakeCrm(crm: FakeCrm): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      const operation = (request.url ?? '').slice(1) as Operation;
      const method = crm.api[operation] as (input: unknown) => Promise<unknown>;
      method(JSON.parse(body)).then(
        (result) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ result: result ?? null }));
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: String(error) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fake CRM's API over HTTP (for a worker in a child process). */
export function httpFakeCrmApi(url: string): FakeCrmApi {
  async function post<T>(operation: Operation, input: unknown): Promise<T> {
    const response = await fetch(`${url}/${operation}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const answer = (await response.json()) as { result?: unknown; error?: string };
    if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
    return (answer.result ?? undefined) as T;
  }
  return {
    createTicket: (input) => post('createTicket', input),
    findTicket: (input) => post('findTicket', input),
    changeOwner: (input) => post('changeOwner', input),
    addNote: (input) => post('addNote', input),
  };
}
