import {
  type Connector,
  type CrmPlugin,
  createConnector,
  createMemoryAuditSink,
  type RateBudgetRegistry,
} from '@crm-connect/core';
import type { RequestLog, RequestLogEntry } from '@crm-connect/sandbox';

/**
 * A connector as a platform runs it for the bench: the default user on (the rule the figures are
 * about), abandoned-call tickets on, an audit sink that keeps recent events (a platform has one),
 * and the rate budgets the figure asks for (default: the process-wide registry, as a platform's).
 */
export function benchConnector(
  plugin: CrmPlugin,
  settings: Record<string, unknown>,
  rateBudgets?: RateBudgetRegistry,
): Connector {
  return createConnector({
    plugin,
    settings: { ...settings, defaultUser: true, abandonedCallTickets: true },
    audit: createMemoryAuditSink(1_000).sink,
    rateBudgets,
  });
}

/** The sequence number of the sandbox's latest request (0 before any). */
export function lastSequence(log: RequestLog): number {
  return log.entries().at(-1)?.sequence ?? 0;
}

/** The requests the sandbox received after `sequence`. */
export function entriesAfter(log: RequestLog, sequence: number): RequestLogEntry[] {
  return log.entries().filter((entry) => entry.sequence > sequence);
}
