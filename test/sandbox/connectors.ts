import {
  type AuditEvent,
  type Connector,
  type ConnectorOptions,
  type CrmPlugin,
  createConnector,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  isCrmConnectError,
  type MemoryAuditSink,
} from '@crm-connect/core';

/** Whatever schema type a plugin's settings may have (core's constraint, named through the plugin type). */
type SettingsSchema = CrmPlugin['settings']['schema'];

/**
 * A connector as a platform would build one, with what tests need: a private rate budget (no
 * state shared between tests), fast retries (time scaled down), a memory audit sink, and an
 * injectable random source for the legacy random rule.
 */
export function connectorFor<TSchema extends SettingsSchema>(
  plugin: CrmPlugin<TSchema>,
  settings: ConnectorOptions<TSchema>['settings'],
  random: () => number = () => 0,
): Connector & { audit: MemoryAuditSink } {
  const audit = createMemoryAuditSink();
  const connector = createConnector({
    plugin,
    settings,
    audit: audit.sink,
    random,
    rateBudgets: createRateBudgetRegistry(),
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
  });
  return Object.assign(connector, { audit });
}

/**
 * Delivers an event at least once, as platforms do: an event that failed with a retryable error
 * (a write the HTTP layer may not repeat by itself) is delivered again.
 */
export async function deliver(connector: Connector, event: unknown, maxDeliveries = 4): Promise<AuditEvent> {
  for (let delivery = 1; ; delivery += 1) {
    try {
      return await connector.handle(event);
    } catch (error) {
      if (!isCrmConnectError(error) || !error.retryable || delivery >= maxDeliveries) throw error;
    }
  }
}
