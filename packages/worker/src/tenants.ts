import {
  type AuditEvent,
  type Connector,
  type ConnectorOptions,
  type CrmPlugin,
  createConnector,
  isCrmConnectError,
  type Logger,
  parseInput,
} from '@crm-connect/core';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { tenantSourceFailed, tenantUnknown } from './worker-errors.js';

/** Tenant ids are part of Redis keys (`<tenant>:<interaction>`), so they hold no `:`. */
export const tenantIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/,
    'must be 1 to 128 characters of letters, digits and . _ @ - (starting with a letter or digit)',
  );

/** Validates a tenant id; throws `InvalidInputError` saying what is allowed. */
export function parseTenantId(input: unknown): string {
  return parseInput(tenantIdSchema, input, 'tenant id');
}

/** A tenant's CRM: the plugin and the settings saved for it (the plugin's schema validates them). */
export interface TenantCrm {
  plugin: CrmPlugin;
  settings: Record<string, unknown>;
}

/**
 * Where the worker reads a tenant's CRM, once per connector it creates: `undefined` when there is
 * no such tenant (its events are dead-lettered with `tenant_unknown`). A crm-connect error it
 * throws keeps its `retryable`; any other error is retried (a settings database that blinked).
 */
export type TenantSource = (tenantId: string) => Promise<TenantCrm | undefined>;

/** The connector options the worker takes from the platform, per tenant. */
export type TenantConnectorOptions = Omit<
  ConnectorOptions<CrmPlugin['settings']['schema']>,
  'plugin' | 'settings'
>;

export interface ConnectorPoolOptions {
  tenants: TenantSource;
  /** The options of the connector created for a tenant (record links, rate budgets, audit, …). */
  connectorOptions: (tenantId: string) => TenantConnectorOptions;
  /** At most this many connectors are open; the least recently used is closed first. */
  max: number;
  /** A connector no event used for this long is closed, in ms. */
  idleMs: number;
  logger: Logger;
}

/** The tenants' connectors: created on a tenant's first event, closed when idle. */
export interface ConnectorPool {
  /** Hands the event to the tenant's connector; throws typed errors only. */
  handle(tenantId: string, event: unknown): Promise<AuditEvent>;
  /** How many connectors are open. */
  readonly size: number;
  /** Closes every connector (each waits for its events under way). */
  close(): Promise<void>;
}

export function createConnectorPool(options: ConnectorPoolOptions): ConnectorPool {
  const { tenants, logger } = options;
  const closing = new Set<Promise<void>>();
  const connectors = new LRUCache<string, Connector>({
    max: options.max,
    ttl: options.idleMs,
    // Idle, not old: every event starts the tenant's idle time again.
    updateAgeOnGet: true,
    ttlAutopurge: true,
    dispose(connector, tenantId) {
      const closed = connector
        .close()
        .catch((error: unknown) =>
          logger.log('warn', 'closing an idle connector failed', { tenantId, error: String(error) }),
        )
        .finally(() => closing.delete(closed));
      closing.add(closed);
    },
    // Concurrent first events of one tenant share one connector: `fetch` calls this once per key.
    async fetchMethod(tenantId) {
      let tenant: TenantCrm | undefined;
      try {
        tenant = await tenants(tenantId);
      } catch (error) {
        throw tenantSourceFailed(tenantId, error);
      }
      if (tenant === undefined) return undefined;
      logger.log('debug', 'connector created', { tenantId, crm: tenant.plugin.id });
      return createConnector({
        ...options.connectorOptions(tenantId),
        plugin: tenant.plugin,
        settings: tenant.settings,
      });
    },
  });

  async function connectorFor(tenantId: string): Promise<Connector> {
    const connector = await connectors.fetch(tenantId);
    if (connector === undefined) throw tenantUnknown(tenantId);
    return connector;
  }

  return {
    async handle(tenantId, event) {
      for (let attempt = 1; ; attempt += 1) {
        const connector = await connectorFor(tenantId);
        try {
          return await connector.handle(event);
        } catch (error) {
          // Closed as idle (or over `max`) between the lookup and the call: a new connector takes it.
          if (attempt < 3 && isCrmConnectError(error) && error.code === 'connector_closed') continue;
          throw error;
        }
      }
    },
    get size() {
      return connectors.size;
    },
    async close() {
      connectors.clear();
      await Promise.allSettled([...closing]);
    },
  };
}
