import {
  type AuditEvent,
  type CrmPlugin,
  createRedactor,
  type LogFields,
  type Logger,
  type LogLevel,
  type Redactor,
} from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { kustomer } from '@crm-connect/kustomer';
import {
  connectRedis,
  createRedisLocks,
  createRedisRateBudgetRegistry,
  createRedisRecordLinkStore,
  createRedisTokenCache,
  defaultPrefix,
} from '@crm-connect/redis';
import { salesforce } from '@crm-connect/salesforce';
import { createWorker, workerOptionsSchema } from '@crm-connect/worker';
import { zendesk } from '@crm-connect/zendesk';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import { createFileTokenStore } from '../file-token-store.js';
import type { CliIo } from '../io.js';
import { printJsonLine, reportFailure } from '../json-output.js';
import { type CrmId, pluginFor } from '../plugins.js';
import { resolveTenants, type TenantsFile } from './tenants-file.js';

export interface WorkerRunOptions {
  /** The Redis every producer and worker shares. */
  url: string;
  /** Secrets known before the tenants' (the password in the Redis URL). */
  secrets: readonly string[];
  tenantsPath: string;
  /** The tenants file as read (shape checked; settings without secrets). */
  tenants: TenantsFile;
  secretsFromStdin: boolean;
  tokenStorePath: string;
  /** Interactions handled at once. Default: the worker's (8). */
  concurrency: number | undefined;
  /** The key prefix. Default `crm-connect:`. */
  prefix: string | undefined;
  json: boolean;
  verbose: boolean;
}

/** The worker's own log lines that become lines of their own (the rest are warnings). */
const deadLettered = 'event dead-lettered';
const retrying = 'event failed, retrying';
/** Per request: the event's line says how it ended; shown with --verbose only. */
const perRequest = new Set(['crm request retried', 'crm request failed']);

/**
 * `crm-connect worker`, once the command line is read: checks every tenant, connects to Redis,
 * runs `createWorker` with budgets, record links and Salesforce's refreshes shared in Redis, and
 * prints a line per CRM write and per dead letter until Ctrl-C or SIGTERM, then closes gracefully.
 */
export async function runWorker(options: WorkerRunOptions, io: CliIo): Promise<ExitCode> {
  // From now on a signal means "stop gracefully", even while still starting.
  const interrupted = io.interrupted();
  let redactor = createRedactor(options.secrets);
  let redis: Awaited<ReturnType<typeof connectRedis>> | undefined;
  try {
    const { tenants, secrets } = await resolveTenants(
      options.tenantsPath,
      options.tenants,
      (crm) => pluginFor(crm, { tokenStorePath: options.tokenStorePath }),
      { secretsFromStdin: options.secretsFromStdin },
      io,
    );
    redactor = createRedactor([...options.secrets, ...secrets]);
    const lines = workerLines(io, options, redactor);
    const logger = lines.logger;
    const prefix = options.prefix ?? defaultPrefix;
    redis = await connectRedis({ url: options.url, logger });
    const client = redis;
    const plugins = new Map<CrmId, CrmPlugin>();
    const pluginOf = (crm: CrmId): CrmPlugin => {
      let plugin = plugins.get(crm);
      if (plugin === undefined) {
        plugin = workerPlugin(crm, { redis: client, prefix, tokenStorePath: options.tokenStorePath, logger });
        plugins.set(crm, plugin);
      }
      return plugin;
    };
    const worker = await createWorker({
      url: options.url,
      prefix,
      concurrency: options.concurrency,
      tenants: async (tenantId) => {
        const tenant = tenants.get(tenantId);
        return tenant === undefined ? undefined : { plugin: pluginOf(tenant.crm), settings: tenant.settings };
      },
      // Shared by every worker: an event handled again elsewhere finds the record this one opened.
      recordLinks: (tenantId) =>
        createRedisRecordLinkStore({ redis: client, prefix: `${prefix}tenant:${tenantId}:` }),
      // One budget per CRM account for every worker process.
      rateBudgets: createRedisRateBudgetRegistry({ redis: client, prefix, logger }),
      audit: (tenantId) => (event) => lines.write(tenantId, event),
      logger,
    });
    const concurrency = workerOptionsSchema.shape.concurrency.parse(options.concurrency);
    lines.ready({ tenants, concurrency, prefix });
    await interrupted;
    lines.stopping();
    // Finishes the events under way, hands the rest back to the queue, closes the connectors.
    await worker.close();
    lines.stopped();
    return exitCodes.ok;
  } catch (error) {
    return reportFailure(io, error, { json: options.json, command: 'worker', redactor, line: true });
  } finally {
    await redis?.quit().catch(() => redis?.disconnect());
  }
}

/** The plugins as a worker process runs them: Salesforce's admins in the token file, refreshed one at a time across processes. */
function workerPlugin(
  crm: CrmId,
  options: {
    redis: Awaited<ReturnType<typeof connectRedis>>;
    prefix: string;
    tokenStorePath: string;
    logger: Logger;
  },
): CrmPlugin {
  switch (crm) {
    case 'salesforce':
      return salesforce({
        tokenStore: createFileTokenStore(options.tokenStorePath),
        lock: createRedisLocks({ redis: options.redis, prefix: options.prefix, logger: options.logger }),
        accessTokenCache: createRedisTokenCache({
          redis: options.redis,
          prefix: options.prefix,
          name: 'salesforce-access-token',
        }),
      });
    case 'zendesk':
      return zendesk();
    case 'dynamics':
      return dynamics();
    case 'kustomer':
      return kustomer();
  }
}

/** What the worker prints: human lines, or JSON Lines with `--json`; everything redacted. */
function workerLines(io: CliIo, options: WorkerRunOptions, redactor: Redactor) {
  const line = (fields: Record<string, unknown>, text: string, stream: 'stdout' | 'stderr' = 'stdout') => {
    if (options.json) printJsonLine(io, fields, redactor);
    else io[stream](redactor.redact(text));
  };
  const logger: Logger = {
    enabled: (level) => options.verbose || level === 'warn' || level === 'error' || level === 'info',
    log(level: LogLevel, message: string, fields: LogFields = {}) {
      if (options.verbose)
        io.stderr(`${JSON.stringify(redactor.redactValue({ level, message, ...fields }))}\n`);
      const where = `${String(fields.tenantId)} ${String(fields.interactionId)}`;
      if (message === deadLettered) {
        const attempts = Number(fields.attempts);
        line(
          {
            type: 'dead-letter',
            tenantId: fields.tenantId,
            interactionId: fields.interactionId,
            code: fields.code,
            message: fields.message,
            attempts,
          },
          `✖ ${where} dead-lettered after ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}: ${String(fields.code)}: ${String(fields.message)}\n`,
        );
      } else if (message === retrying) {
        const attempt = Number(fields.attempt);
        const delayMs = Number(fields.delayMs);
        line(
          {
            type: 'retry',
            tenantId: fields.tenantId,
            interactionId: fields.interactionId,
            code: fields.code,
            attempt,
            delayMs,
          },
          `… ${where} ${String(fields.code)}; attempt ${attempt + 1} in ${(delayMs / 1000).toFixed(1)} s\n`,
        );
      } else if (
        (level === 'warn' || level === 'error' || message === 'redis connection restored') &&
        !perRequest.has(message)
      ) {
        line({ type: 'warning', level, message, fields }, `⚠ ${message}${summary(fields)}\n`, 'stderr');
      }
    },
  };
  return {
    logger,
    ready(state: { tenants: ReadonlyMap<string, { crm: CrmId }>; concurrency: number; prefix: string }) {
      const byCrm = new Map<string, number>();
      for (const { crm } of state.tenants.values()) byCrm.set(crm, (byCrm.get(crm) ?? 0) + 1);
      const count = state.tenants.size;
      const crms = [...byCrm].map(([crm, tenants]) => `${tenants} ${crm}`).join(', ');
      line(
        {
          type: 'ready',
          pid: process.pid,
          tenants: [...state.tenants].map(([id, { crm }]) => ({ id, crm })),
          concurrency: state.concurrency,
          prefix: state.prefix,
        },
        `crm-connect worker: ${count} ${count === 1 ? 'tenant' : 'tenants'} (${crms}), concurrency ${state.concurrency}, Redis ${shownUrl(options.url)}, prefix ${state.prefix}.\n` +
          'Waiting for events; Ctrl-C or SIGTERM stops after the events under way.\n',
      );
    },
    write(tenantId: string, event: AuditEvent) {
      line({ type: 'write', tenantId, ...event }, writeText(tenantId, event));
    },
    stopping() {
      line({ type: 'stopping' }, 'Stopping: finishing the events under way…\n', 'stderr');
    },
    stopped() {
      line({ type: 'stopped', exitCode: exitCodes.ok }, 'Stopped.\n', 'stderr');
    },
  };
}

/** `✔ acme demo-1 chat.started: create-ticket 35436 created (default-user), owner Ada Admin` */
function writeText(tenantId: string, event: AuditEvent): string {
  const mark = event.outcome === 'failed' ? '✖' : event.outcome === 'skipped' ? '·' : '✔';
  const record = event.recordId === undefined ? '' : ` ${event.recordId}`;
  const owner = event.owner === undefined ? '' : `, owner ${event.owner.name ?? event.owner.id}`;
  const error = event.error === undefined ? '' : `: ${event.error.code}: ${event.error.message}`;
  return `${mark} ${tenantId} ${event.interactionId} ${event.eventType}: ${event.operation}${record} ${event.outcome} (${event.reason})${owner}${error}\n`;
}

/** The Redis URL as printed: a password (too short for the redactor, maybe) as `***`. */
function shownUrl(url: string): string {
  const shown = new URL(url);
  if (shown.password !== '') shown.password = '***';
  return shown.href;
}

/** ` (tenantId=acme, error=…)`: a warning's plain fields. */
function summary(fields: Record<string, unknown>): string {
  const shown = Object.entries(fields)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .map(([name, value]) => `${name}=${String(value)}`);
  return shown.length === 0 ? '' : ` (${shown.join(', ')})`;
}
