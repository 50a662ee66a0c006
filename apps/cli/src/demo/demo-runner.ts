import {
  type AuditEvent,
  type Connector,
  type CrmUser,
  createConnector,
  createMemoryAuditSink,
  type InteractionEvent,
  isCrmConnectError,
} from '@crm-connect/core';
import type { DemoStep, ExpectedOwner, RunningSandboxCrm } from '@crm-connect/sandbox-crms';
import { loadSandboxCrms } from '../sandbox-modules.js';

/** One line of a CRM's table. */
export interface DemoRow {
  interaction: string;
  /** The ids of the records the sandbox holds for the interaction, joined; `none` when there is none. */
  record: string;
  /** The same ids, one per entry. */
  records: string[];
  performer: string;
  owner: string;
  reason: string;
  /** Why the row is wrong, when it is. */
  problem?: string | undefined;
}

export interface DemoPassResult {
  crm: RunningSandboxCrm;
  defaultUser: boolean;
  rows: DemoRow[];
}

export interface DemoRunOptions {
  /** The random source of the legacy rule. */
  random: () => number;
  /** Called as each interaction finishes, for progress output. */
  progress(line: string): void;
  /** Makes every step's connector; the default builds one like a platform would. */
  delivery?: { maxDeliveries: number } | undefined;
}

/** Runs the scripted interactions against one CRM with the default user on or off, and checks the store. */
export async function runDemoPass(
  crm: RunningSandboxCrm,
  defaultUser: boolean,
  options: DemoRunOptions,
): Promise<DemoPassResult> {
  const { demoSteps } = await loadSandboxCrms('demo');
  const audit = createMemoryAuditSink();
  const connectors = new Map<string, Connector>();
  const connectorFor = (step: DemoStep) => {
    const overrides = { defaultUser, abandonedCallTickets: true, ...step.settings };
    const key = JSON.stringify(overrides);
    let connector = connectors.get(key);
    if (connector === undefined) {
      connector = createConnector({
        plugin: crm.plugin,
        settings: { ...crm.settings, ...overrides },
        audit: audit.sink,
        random: options.random,
      });
      connectors.set(key, connector);
    }
    return connector;
  };

  const check = await connectorFor(demoSteps[0] as DemoStep).validateCredentials();
  const people = demoPeople(crm, check.connectionUser);

  const rows: DemoRow[] = [];
  for (const [index, step] of demoSteps.entries()) {
    const interactionId = demoInteractionId(crm, defaultUser, index);
    const connector = connectorFor(step);
    let failure: string | undefined;
    for (const event of step.events(interactionId)) {
      try {
        await deliver(connector, event, options.delivery?.maxDeliveries ?? 4);
      } catch (error) {
        failure = isCrmConnectError(error) ? `${error.code}: ${error.message}` : String(error);
        break;
      }
    }
    const events = audit.events().filter((event) => event.interactionId === interactionId);
    const row = demoRow({ crm, step, defaultUser, interactionId, events, failure, people });
    rows.push(row);
    options.progress(
      `${crm.plugin.displayName.padEnd(24)} ${defaultUser ? 'default user on ' : 'default user off'}  ${step.label.padEnd(34)} ${row.problem === undefined ? 'ok' : 'PROBLEM'}`,
    );
  }
  return { crm, defaultUser, rows };
}

/** The interaction id of a scripted step in a pass: the same in the in-process demo and through the queue. */
export function demoInteractionId(crm: RunningSandboxCrm, defaultUser: boolean, index: number): string {
  return `demo-${crm.id}-${defaultUser ? 'on' : 'off'}-${index + 1}`;
}

/** The CRM's people as the rows name them, and the ids the checks compare owners with. */
export interface DemoPeople {
  defaultUserId: string;
  agentId: string | undefined;
  activeIds: ReadonlySet<string>;
  nameOf(user: Pick<CrmUser, 'id' | 'name'> | undefined): string;
}

/** The sandbox's seeded users, and the connection's user (the default user) the credential check named. */
export function demoPeople(crm: RunningSandboxCrm, connectionUser: CrmUser): DemoPeople {
  const defaultUserId = connectionUser.id;
  const users = new Map<string, string>(crm.sandbox.seed.users.map((user) => [user.id, user.name]));
  users.set(defaultUserId, connectionUser.name ?? defaultUserId);
  return {
    defaultUserId,
    agentId: crm.sandbox.seed.users.find((user) => user.key === 'agent')?.id,
    activeIds: new Set(crm.sandbox.seed.users.filter((user) => user.active).map((user) => user.id)),
    nameOf: (user) => (user === undefined ? '—' : (user.name ?? users.get(user.id) ?? user.id)),
  };
}

/**
 * One row of a table: the records the sandbox's own store holds for the interaction, checked
 * against what the step expects and against the audit events of its writes (wherever they ran).
 */
export function demoRow(row: {
  crm: RunningSandboxCrm;
  step: DemoStep;
  defaultUser: boolean;
  interactionId: string;
  /** The audit events of the interaction's writes, in order. */
  events: readonly AuditEvent[];
  /** Why an event of it could not be handled, when one could not. */
  failure: string | undefined;
  people: DemoPeople;
}): DemoRow {
  const { crm, step, events, people } = row;
  const ownerEvent = [...events]
    .reverse()
    .find((event) => event.owner !== undefined && event.outcome !== 'failed');
  const stored = crm.recordsFor(row.interactionId);
  const expected = row.defaultUser ? step.expected.defaultUserOn : step.expected.defaultUserOff;
  const problem = row.failure ?? verify(expected, stored, ownerEvent, people);
  const last = events.at(-1);
  return {
    interaction: step.label,
    record: stored.length === 0 ? 'none' : stored.map((record) => record.id).join(', '),
    records: stored.map((record) => record.id),
    performer: ownerEvent === undefined ? '—' : people.nameOf(ownerEvent.performer),
    owner: stored[0]?.ownerId === undefined ? '—' : people.nameOf({ id: stored[0].ownerId, name: undefined }),
    reason: ownerEvent?.reason ?? last?.reason ?? '—',
    problem,
  };
}

function verify(
  expected: ExpectedOwner,
  stored: readonly { id: string; ownerId: string | undefined }[],
  ownerEvent: AuditEvent | undefined,
  people: { defaultUserId: string; agentId: string | undefined; activeIds: ReadonlySet<string> },
): string | undefined {
  if (expected === 'no-record')
    return stored.length === 0 ? undefined : `expected no record, found ${stored.length}`;
  if (stored.length !== 1) return `expected exactly one record, found ${stored.length}`;
  const ownerId = stored[0]?.ownerId;
  if (ownerEvent?.owner?.id !== ownerId)
    return `the CRM says owner ${ownerId ?? 'none'}, the audit says ${ownerEvent?.owner?.id ?? 'none'}`;
  if (expected === 'default-user' && ownerId !== people.defaultUserId)
    return `expected the default user, got ${ownerId ?? 'none'}`;
  if (expected === 'agent' && ownerId !== people.agentId)
    return `expected the identified agent, got ${ownerId ?? 'none'}`;
  if (
    expected === 'random-agent' &&
    (ownerEvent?.reason !== 'random-agent' || ownerId === undefined || !people.activeIds.has(ownerId))
  ) {
    return `expected a random active agent, got ${ownerId ?? 'none'} (${ownerEvent?.reason ?? 'no reason'})`;
  }
  return undefined;
}

/** At-least-once delivery, as platforms do it: an event that failed with a retryable error is delivered again. */
async function deliver(
  connector: Connector,
  event: InteractionEvent,
  maxDeliveries: number,
): Promise<AuditEvent> {
  for (let delivery = 1; ; delivery += 1) {
    try {
      return await connector.handle(event);
    } catch (error) {
      if (!isCrmConnectError(error) || !error.retryable || delivery >= maxDeliveries) throw error;
    }
  }
}
