import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type AuditEvent, createConnector } from '@crm-connect/core';
import { connectRedis } from '@crm-connect/redis';
import type { DemoStep, RunningSandboxCrm } from '@crm-connect/sandbox-crms';
import { createProducer, type Producer } from '@crm-connect/worker';
import { CliError, UsageError, WorkerExitedError } from '../cli-error.js';
import { exitCodes } from '../exit-codes.js';
import { createFileTokenStore } from '../file-token-store.js';
import type { CliIo } from '../io.js';
import type { TenantsFile } from '../worker/tenants-file.js';
import {
  type DemoPassResult,
  type DemoPeople,
  demoInteractionId,
  demoPeople,
  demoRow,
} from './demo-runner.js';

/** How long the queue may take to drain the demo's events before the demo gives up. */
const drainTimeoutMs = 120_000;
/** How long a worker process may take to start, and to stop after SIGTERM before it is killed. */
const workerStartMs = 30_000;
const workerStopMs = 20_000;

export interface QueueDemoOptions {
  /** The Redis to queue through, its password included. */
  url: string;
  /** The URL as the worker processes get it on their command line: without a password. */
  workerUrl: string;
  /** How many `crm-connect worker` processes to start. */
  workers: number;
  /** Progress lines (each write as a worker reports it). */
  progress(line: string): void;
}

/** One scripted interaction of a pass, and the tenant whose settings it needs. */
interface PlannedInteraction {
  crm: RunningSandboxCrm;
  defaultUser: boolean;
  step: DemoStep;
  index: number;
  interactionId: string;
  tenantId: string;
}

/**
 * The demo through the queue: the same interactions as the in-process demo, enqueued with
 * `createProducer` and handled by `options.workers` real `crm-connect worker` processes sharing
 * budgets and record links in Redis. Each distinct set of settings (default user on or off,
 * abandoned-call tickets, an email alias) is a tenant of the workers. Resolves to the same passes
 * as the in-process demo, in the same order, once every mailbox is drained and the workers have
 * stopped; Redis keeps nothing of the run.
 */
export async function runQueueDemo(
  running: readonly RunningSandboxCrm[],
  demoSteps: readonly DemoStep[],
  options: QueueDemoOptions,
  io: CliIo,
): Promise<DemoPassResult[]> {
  const startCommand = io.startCommand;
  if (startCommand === undefined)
    throw new UsageError(
      'demo --redis cannot start worker processes from here.',
      'Run it as the crm-connect command.',
    );
  const redis = await connectRedis({ url: options.url });
  // A prefix of the run's own: nothing another run or a real deployment queued is touched.
  const prefix = `crm-connect:demo:${randomUUID()}:`;
  const folder = await mkdtemp(join(tmpdir(), 'crm-connect-demo-'));
  const workers: WorkerProcess[] = [];
  let producer: Producer | undefined;
  try {
    // Before the tokens are handed over: a Salesforce check may rotate the refresh token.
    const people = new Map<string, DemoPeople>();
    for (const crm of running) {
      const connector = createConnector({ plugin: crm.plugin, settings: crm.settings });
      try {
        people.set(crm.id, demoPeople(crm, (await connector.validateCredentials()).connectionUser));
      } finally {
        await connector.close();
      }
    }
    const plan = planTenants(running, demoSteps);
    const tenantsPath = join(folder, 'tenants.json');
    const tokenStorePath = join(folder, 'salesforce-tokens.json');
    await writeFile(tenantsPath, JSON.stringify(plan.tenants, null, 2), { mode: 0o600 });
    const tokenStore = createFileTokenStore(tokenStorePath);
    for (const crm of running)
      for (const { orgId, userId, token } of (await crm.portable()).adminTokens)
        await tokenStore.set({ orgId, userId }, token);

    const crmOfTenant = new Map(plan.interactions.map((planned) => [planned.tenantId, planned.crm]));
    const args = [
      'worker',
      ...['--redis', options.workerUrl, '--tenants', tenantsPath, '--token-store', tokenStorePath],
      ...['--prefix', prefix, '--secrets-stdin', '--json'],
    ];
    for (let number = 1; number <= options.workers; number += 1) {
      const worker = watchWorker(
        number,
        startCommand(args, plan.secretLines.join('\n')),
        (tenantId, event) => {
          const crm = crmOfTenant.get(tenantId);
          options.progress(
            `worker ${number}  ${(crm?.displayName ?? tenantId).padEnd(24)} ${event.interactionId.padEnd(22)} ${event.eventType}: ${event.operation} ${event.outcome}`,
          );
        },
      );
      workers.push(worker);
    }
    await Promise.all(workers.map((worker) => worker.ready));
    options.progress(
      `${options.workers} worker processes ready (pids ${workers.map((worker) => worker.pid).join(', ')}); enqueueing ${plan.interactions.length} interactions`,
    );

    producer = await createProducer({ url: options.url, prefix });
    const queue = producer;
    // Interactions all at once, the events of each in order, as a platform delivers them.
    await Promise.all(
      plan.interactions.map(async ({ step, tenantId, interactionId }) => {
        for (const event of step.events(interactionId)) await queue.enqueue(tenantId, event);
      }),
    );
    await waitUntilDrained(redis, prefix, workers);
    for (const worker of workers) {
      const code = await worker.stop();
      if (code !== exitCodes.ok)
        throw new WorkerExitedError(
          `Worker ${worker.number} did not stop cleanly (exit ${code ?? 'by signal'})${worker.lastError()}.`,
        );
    }

    const results: DemoPassResult[] = [];
    for (const defaultUser of [true, false]) {
      for (const crm of running) {
        const rows = plan.interactions
          .filter((planned) => planned.crm === crm && planned.defaultUser === defaultUser)
          .map(({ step, interactionId }) =>
            demoRow({
              crm,
              step,
              defaultUser,
              interactionId,
              events: workers
                .flatMap((worker) => worker.writes(interactionId))
                .sort((left, right) => left.at.localeCompare(right.at)),
              failure: workers.map((worker) => worker.deadLetter(interactionId)).find(Boolean),
              people: people.get(crm.id) as DemoPeople,
            }),
          );
        results.push({ crm, defaultUser, rows });
      }
    }
    return results;
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await producer?.close();
    await deleteKeys(redis, prefix).catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * The workers' tenants: one per CRM and distinct settings of a pass, with the sandbox's settings
 * (no secrets: those go to the workers' standard input as `<tenant>.<field>=…` lines).
 */
function planTenants(
  running: readonly RunningSandboxCrm[],
  demoSteps: readonly DemoStep[],
): { tenants: TenantsFile; secretLines: string[]; interactions: PlannedInteraction[] } {
  const tenants: TenantsFile = {};
  const secretLines: string[] = [];
  const interactions: PlannedInteraction[] = [];
  for (const defaultUser of [true, false]) {
    for (const crm of running) {
      const tenantOf = new Map<string, string>();
      const secretFields: readonly string[] = crm.plugin.settings.secretFields;
      const plain = Object.fromEntries(
        Object.entries(crm.settings).filter(([field]) => !secretFields.includes(field)),
      );
      for (const [index, step] of demoSteps.entries()) {
        const overrides = { defaultUser, abandonedCallTickets: true, ...step.settings };
        const key = JSON.stringify(overrides);
        let tenantId = tenantOf.get(key);
        if (tenantId === undefined) {
          tenantId = `${crm.id}-${defaultUser ? 'on' : 'off'}-${tenantOf.size + 1}`;
          tenantOf.set(key, tenantId);
          tenants[tenantId] = { crm: crm.id, settings: { ...plain, ...overrides } };
          for (const field of secretFields) {
            const value = crm.settings[field];
            if (typeof value === 'string' && value !== '') secretLines.push(`${tenantId}.${field}=${value}`);
          }
        }
        const interactionId = demoInteractionId(crm, defaultUser, index);
        interactions.push({ crm, defaultUser, step, index, interactionId, tenantId });
      }
    }
  }
  return { tenants, secretLines, interactions };
}

/** A `crm-connect worker --json` process, read line by line. */
interface WorkerProcess {
  number: number;
  pid: number | undefined;
  /** Resolves on its `ready` line; rejects if it ends first. */
  ready: Promise<void>;
  /** Whether it has ended, and how. */
  ended(): { code: number | null } | undefined;
  /** The audit events of its writes for an interaction. */
  writes(interactionId: string): AuditEvent[];
  /** `code: message` of an event of the interaction it dead-lettered. */
  deadLetter(interactionId: string): string | undefined;
  /** `: <its error message>` when it reported one, for the message of its failure. */
  lastError(): string;
  /** SIGTERM (graceful), SIGKILL after `workerStopMs`; resolves to its exit code once its output is read. */
  stop(): Promise<number | null>;
}

function watchWorker(
  number: number,
  child: ChildProcessWithoutNullStreams,
  onWrite: (tenantId: string, event: AuditEvent) => void,
): WorkerProcess {
  const writes = new Map<string, AuditEvent[]>();
  const deadLetters = new Map<string, string>();
  let error: string | undefined;
  let stderr = '';
  let ended: { code: number | null } | undefined;
  let markReady = () => {};
  const closed = new Promise<number | null>((resolve) => {
    // `close`: the process has exited and its output has been read to the end.
    child.once('close', (code) => {
      ended ??= { code };
      resolve(code);
    });
    // It could not be started at all.
    child.once('error', (failure) => {
      error ??= failure.message;
      ended ??= { code: null };
      resolve(null);
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    void closed.then((code) =>
      reject(
        new WorkerExitedError(
          `Worker ${number} ended (exit ${code ?? 'by signal'}) before it was ready${lastError()}.`,
        ),
      ),
    );
    setTimeout(
      () =>
        reject(
          new WorkerExitedError(
            `Worker ${number} was not ready within ${workerStartMs / 1000} s${lastError()}.`,
          ),
        ),
      workerStartMs,
    ).unref();
  });
  // Rejections are read through `ready`; one nobody awaits any more must not end the process.
  ready.catch(() => {});
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-2_000);
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (line.type === 'ready') markReady();
    if (line.type === 'error') error = String((line.error as { message?: unknown } | undefined)?.message);
    if (line.type === 'write' && typeof line.tenantId === 'string') {
      const { type: _type, tenantId, ...event } = line;
      const audit = event as unknown as AuditEvent;
      writes.set(audit.interactionId, [...(writes.get(audit.interactionId) ?? []), audit]);
      onWrite(tenantId, audit);
    }
    if (line.type === 'dead-letter' && typeof line.interactionId === 'string')
      deadLetters.set(line.interactionId, `${String(line.code)}: ${String(line.message)}`);
  });
  const lastError = () => {
    const reported = error ?? stderr.trim().split('\n').at(-1);
    return reported === undefined || reported === '' ? '' : `: ${reported}`;
  };
  return {
    number,
    pid: child.pid,
    ready,
    ended: () => ended,
    writes: (interactionId) => writes.get(interactionId) ?? [],
    deadLetter: (interactionId) => deadLetters.get(interactionId),
    lastError,
    stop() {
      if (ended !== undefined) return Promise.resolve(ended.code);
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), workerStopMs);
      return closed.finally(() => clearTimeout(killer));
    },
  };
}

/**
 * Waits until no interaction of the run has a drain marker (`<prefix>drain:<tenant>:<interaction>`,
 * @crm-connect/worker's README): a marker exists whenever a mailbox holds events, and is removed
 * by the drain job that finds it empty. Every event was enqueued before this is called.
 */
async function waitUntilDrained(
  redis: Awaited<ReturnType<typeof connectRedis>>,
  prefix: string,
  workers: readonly WorkerProcess[],
): Promise<void> {
  const deadline = Date.now() + drainTimeoutMs;
  for (;;) {
    const gone = workers.find((worker) => worker.ended() !== undefined);
    if (gone !== undefined)
      throw new WorkerExitedError(
        `Worker ${gone.number} ended (exit ${gone.ended()?.code ?? 'by signal'}) before the queue was drained${gone.lastError()}.`,
      );
    if ((await keysOf(redis, `${prefix}drain:*`)).length === 0) return;
    if (Date.now() > deadline)
      throw new CliError(
        'timed_out',
        `The workers did not drain the demo's mailboxes within ${drainTimeoutMs / 1000} s.`,
        'Check that the worker processes can reach Redis and the sandboxes, then run again.',
        exitCodes.unavailable,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function keysOf(redis: Awaited<ReturnType<typeof connectRedis>>, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}

/** Removes everything the run left under its prefix: record links, queues, budgets. */
async function deleteKeys(redis: Awaited<ReturnType<typeof connectRedis>>, prefix: string): Promise<void> {
  const keys = await keysOf(redis, `${prefix}*`);
  for (let start = 0; start < keys.length; start += 500)
    await redis.unlink(...keys.slice(start, start + 500));
}
