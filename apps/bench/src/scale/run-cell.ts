import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { InteractionEvent, PlatformAgent } from '@crm-connect/core';
import { connectRedis } from '@crm-connect/redis';
import { sandboxCertificatePath } from '@crm-connect/sandbox';
import { type CrmId, type RunningSandboxCrm, type SandboxCrm, seededRandom } from '@crm-connect/sandbox-crms';
import {
  bullPrefix,
  createProducer,
  type DeadLetter,
  type DrainJob,
  deadLetterQueueName,
  drainQueueName,
} from '@crm-connect/worker';
import { Queue } from 'bullmq';
import { noteFigures, recordFigures } from '../faults/cell-figures.js';
import { platformAgents } from '../faults/workload.js';
import {
  budgetFigures,
  defaultUsersOf,
  finalOwnerFigures,
  type LoggedRequest,
  orderFigures,
  peakInFlight,
  recoveryFigures,
} from './scale-figures.js';
import { scaleWorkload } from './scale-workload.js';
import {
  type AppliedEvent,
  appliedEventSchema,
  appliedKey,
  stopMessage,
  type WorkerConfig,
  type WorkerMessage,
} from './worker-config.js';

/**
 * One cell of `pnpm test:scale`: one CRM's sandbox, limited to N requests per (sped-up) minute;
 * Redis; worker processes consuming the queue; the producer, here, enqueueing the workload; one
 * worker SIGKILLed mid-run and replaced. Everything is checked from outside the workers: the
 * sandbox's store and request log, BullMQ's queues, and the applied-events list the workers'
 * audit sinks fill.
 */

export type BudgetKind = 'redis' | 'memory';

export interface ScaleCellOptions {
  redisUrl: string;
  /** `redis`: one shared budget per account; `memory`: core's per-process budgets (the control run). */
  budgets: BudgetKind;
  interactions: number;
  seed: number;
  /** The sandbox's limit: N requests per minute, the minute sped up `timeScale` times. */
  limit: { requestsPerMinute: number; timeScale: number };
  /**
   * Requests per window the budgets leave to what no account budget covers: a starting process's
   * token requests (Salesforce's and Entra's token endpoints, which the real CRMs do not count
   * against the API limit but the sandbox does) and Kustomer's identity call (charged to the
   * host's budget until the organization is known). The budgets get N minus this.
   */
  reserve: number;
  /** Worker processes consuming the queue at once. */
  workers: number;
  /** The share of the workload's events applied when one worker is SIGKILLed. */
  killAt: number;
  /** A cell still running after this long is stopped and fails. */
  timeoutMs: number;
  progress(line: string): void;
}

export interface ScaleCellResult {
  crm: CrmId;
  displayName: string;
  budgets: BudgetKind;
  interactions: number;
  /** Distinct events of the workload. */
  events: number;
  /** Calls to `producer.enqueue` (events plus redeliveries). */
  deliveries: number;
  /** Redeliveries the producer answered `duplicate`, of those made. */
  duplicatesDropped: number;
  redelivered: number;
  /** Interactions with two of their events delivered out of order. */
  reordered: number;
  /** Requests the sandbox received while limited. */
  requests: number;
  /** 429s (Salesforce: 403 REQUEST_LIMIT_EXCEEDED) from the sandbox's rate limit. */
  refused: number;
  /** The budgets' requests per window (the sandbox's limit minus the reserve). */
  budget: number;
  /** Whole windows during which work was queued, the share of their budget used, and the requests accepted in each. */
  windows: number;
  share: number;
  perWindow: number[];
  lost: number;
  duplicated: number;
  notesTwice: number;
  wrongOwner: number;
  outOfOrder: number;
  unapplied: number;
  /** Events applied more than once. */
  ranTwice: number;
  deadLetters: number;
  /** Drain jobs active, waiting or delayed once every worker stopped. */
  leftActive: number;
  recoveredJobs: number;
  /** From the SIGKILL until the killed worker's jobs were back in the queue, and until each had an event applied again. */
  backMs: number | undefined;
  recoveryMs: number | undefined;
  /** The most requests one CRM user had in flight at the sandbox at once. */
  peakInFlight: number;
  durationMs: number;
  /** A few examples of whatever is wrong, to start from. */
  examples: string[];
  /** Why the cell has no figures (it crashed or hung). */
  crashed?: string | undefined;
}

/**
 * Drain jobs per worker process at once (the worker's default is 8): each job handles its
 * interaction's events one at a time, with Redis round trips between them, so on two busy cores
 * 4 × 8 interactions in flight do not always keep the budget busy; 4 × 16 do.
 */
const concurrency = 16;
/** Recovery within seconds: a lock lasts 3 s unless renewed, every worker checks each second. */
const lockDurationMs = 3_000;
const stalledIntervalMs = 1_000;
/** A dead process's budget places come free after 3 s (15 s by default, against a minute). */
const leaseMs = 3_000;
/**
 * The HTTP deadline per attempt. It also bounds recovery: a note the killed worker had marked
 * `pending` is looked up only one timeout after (its write may still land), so keep it short;
 * the sandbox answers in milliseconds, 3 s leaves room for two busy cores.
 */
const timeoutMs = 3_000;
/** How often the parent looks at the queue. */
const pollMs = 100;

interface WorkerProcess {
  label: string;
  child: ChildProcess;
}

async function startWorker(config: WorkerConfig, onMessage: (message: WorkerMessage) => void) {
  const child = fork(fileURLToPath(new URL('./scale-worker.js', import.meta.url)), {
    // The Dynamics sandbox serves https with the loopback certificate; Node reads this at start-up.
    env: { ...process.env, NODE_EXTRA_CA_CERTS: sandboxCertificatePath },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: WorkerMessage) => {
      if (message.kind === 'ready') resolve();
      else onMessage(message);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`worker ${config.label} exited with ${code ?? signal}`)),
    );
  });
  child.send(config);
  await ready;
  return { label: config.label, child };
}

async function stopWorker(worker: WorkerProcess): Promise<void> {
  const { child } = worker;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.send(stopMessage);
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
}

function warmInteraction(id: string): InteractionEvent[] {
  const at = (minute: number) => new Date(Date.parse('2026-11-21T07:00:00Z') + minute * 60_000).toISOString();
  const base = {
    interactionId: id,
    channel: 'chat' as const,
    endUser: { name: 'Warm Up', email: 'warm@example.com' },
  };
  return [
    { type: 'chat.started', ...base, occurredAt: at(0), agent: platformAgents.alex },
    { type: 'interaction.ended', ...base, occurredAt: at(1), transcript: 'Warm up.' },
  ];
}

export async function runScaleCell(
  definition: SandboxCrm,
  options: ScaleCellOptions,
): Promise<ScaleCellResult> {
  const started = performance.now();
  const overdue = () => {
    if (performance.now() - started > options.timeoutMs)
      throw new Error(`not finished after ${options.timeoutMs / 1000} s`);
  };
  const { requestsPerMinute, timeScale } = options.limit;
  // Never shorter than the sandbox's window (60,000 / timeScale, which may have a fraction).
  const windowMs = Math.ceil(60_000 / timeScale);
  const budget = { requestsPerWindow: requestsPerMinute - options.reserve, windowMs };
  const crm = await definition.start({ requestsPerMinute });
  const prefix = `crm-connect:scale-${crm.id}-${options.budgets}:`;
  const tenantId = `acme-${crm.id}`;
  const connection = { url: options.redisUrl };
  const redis = await connectRedis({ url: options.redisUrl, commandTimeoutMs: 10_000 });
  const queue = new Queue<DrainJob>(drainQueueName, { connection, prefix: bullPrefix(prefix) });
  const deadLetters = new Queue<DeadLetter>(deadLetterQueueName, { connection, prefix: bullPrefix(prefix) });
  const producer = await createProducer({ url: options.redisUrl, prefix });
  const workers: WorkerProcess[] = [];
  let unsubscribe = () => {};
  try {
    const stalled: { jobId: string; interactionId: string | undefined; at: number }[] = [];
    const jobInteractions = new Map<string, string>();
    const onMessage = (message: WorkerMessage) => {
      if (message.kind !== 'stalled') return;
      const job = { jobId: message.jobId, interactionId: jobInteractions.get(message.jobId), at: message.at };
      stalled.push(job);
      if (job.interactionId === undefined)
        void queue.getJob(message.jobId).then((found) => {
          job.interactionId ??= found?.data.interactionId;
        });
    };
    const portable = await crm.portable();
    const config = (label: string): WorkerConfig => ({
      label,
      redisUrl: options.redisUrl,
      prefix,
      tenantId,
      crm: portable,
      settings: { ...crm.settings, defaultUser: true, abandonedCallTickets: true },
      budgets: options.budgets,
      limit: budget,
      concurrency,
      lockDurationMs,
      stalledIntervalMs,
      leaseMs,
      timeoutMs,
    });
    const labels = Array.from({ length: options.workers }, (_, index) => `w${index + 1}`);
    workers.push(...(await Promise.all(labels.map((label) => startWorker(config(label), onMessage)))));

    const idle = async () => {
      const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (Object.values(counts).some((count) => count > 0)) return false;
      // KEYS, not SCAN: this Redis holds only the run's keys, and a SCAN page could miss one.
      return (await redis.keys(`${prefix}mailbox:*`)).length === 0;
    };
    const applied = async (): Promise<AppliedEvent[]> =>
      (await redis.lrange(appliedKey(prefix), 0, -1)).map((line) =>
        appliedEventSchema.parse(JSON.parse(line)),
      );

    // Warm-up, the limit off: every worker opens its connector (tokens, the CRM's users), as a
    // long-running deployment has; then one window passes, so the sandbox and budgets start empty.
    for (let round = 0; round < 10; round += 1) {
      const seen = new Set((await applied()).map((event) => event.worker));
      if (labels.every((label) => seen.has(label))) break;
      for (let index = 0; index < options.workers * 4; index += 1)
        for (const event of warmInteraction(`${crm.id}-warm-${round}-${index}`))
          await producer.enqueue(tenantId, event);
      while (!(await idle())) {
        overdue();
        await sleep(pollMs);
      }
    }
    await sleep(windowMs + 500);
    const warmEvents = await redis.llen(appliedKey(prefix));

    const requests: LoggedRequest[] = [];
    unsubscribe = crm.sandbox.log.subscribe((entry) =>
      requests.push({
        arrivedAt: Date.parse(entry.at),
        durationMs: entry.durationMs,
        principal: entry.principal,
        refused: entry.fault === 'rate-window',
        route: entry.route,
      }),
    );
    crm.sandbox.limitRate({ requestsPerMinute, timeScale });

    const workload = scaleWorkload(options.interactions, seededRandom(options.seed), `scale-${crm.id}`);
    const events = workload.interactions.reduce((sum, interaction) => sum + interaction.events.length, 0);
    const redelivered = workload.deliveries.filter((delivery) => delivery.again).length;
    let duplicatesDropped = 0;
    let enqueued = false;
    const enqueueing = (async () => {
      for (const { event } of workload.deliveries) {
        const result = await producer.enqueue(tenantId, event);
        if (result.status === 'duplicate') duplicatesDropped += 1;
      }
      enqueued = true;
    })();

    // Watch the queue: when work was last waiting, when to kill a worker, when everything is done.
    let queuedUntil = Date.now();
    let killed: { label: string; at: number } | undefined;
    let idleTwice = 0;
    for (;;) {
      await sleep(pollMs);
      const counts = await queue.getJobCounts('wait', 'prioritized');
      if ((counts.wait ?? 0) + (counts.prioritized ?? 0) > 0) queuedUntil = Date.now();
      if (
        killed === undefined &&
        (await redis.llen(appliedKey(prefix))) - warmEvents >= options.killAt * events
      ) {
        for (const job of await queue.getActive())
          if (job.id !== undefined) jobInteractions.set(job.id, job.data.interactionId);
        const victim = workers[1] ?? workers[0];
        if (victim === undefined) throw new Error('no worker to kill');
        const exited = once(victim.child, 'exit');
        victim.child.kill('SIGKILL');
        killed = { label: victim.label, at: Date.now() };
        await exited;
        options.progress(
          `    ${crm.displayName}: SIGKILLed ${victim.label} (${jobInteractions.size} drain jobs active across the workers); starting w${options.workers + 1}`,
        );
        workers.push(await startWorker(config(`w${options.workers + 1}`), onMessage));
      }
      if (enqueued && killed !== undefined && (await idle())) idleTwice += 1;
      else idleTwice = 0;
      if (idleTwice >= 2) break;
      overdue();
    }
    await enqueueing;
    crm.sandbox.limitRate(undefined);
    unsubscribe();
    await Promise.all(workers.map(stopWorker));

    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
    const letters = await deadLetters.getJobs(['wait', 'delayed', 'prioritized', 'completed', 'failed']);
    const all = await applied();
    const users = crm.users();
    const userOf = (agent: PlatformAgent) => {
      const emails = new Set(agent.emails.map((email) => email.toLowerCase()));
      return users.find((user) => user.active && user.email !== undefined && emails.has(user.email))?.id;
    };
    const ids = workload.interactions.map((interaction) => interaction.id);
    const records = recordFigures(ids, crm.recordCounts(), new Set(ids));
    const notes = noteFigures(crm.notes(), crm.records());
    const order = orderFigures(workload.interactions, all, userOf);
    const owners = finalOwnerFigures(workload.interactions, crm.records(), userOf, defaultUsersOf(all));
    const used = budgetFigures(requests, budget, queuedUntil);
    const recovery = recoveryFigures(killed?.at ?? 0, killed?.label ?? '', stalled, all);
    return {
      crm: crm.id,
      displayName: crm.displayName,
      budgets: options.budgets,
      interactions: workload.interactions.length,
      events,
      deliveries: workload.deliveries.length,
      duplicatesDropped,
      redelivered,
      reordered: workload.interactions.filter((interaction) =>
        interaction.delivered.some((event, index) => event !== interaction.events[index]),
      ).length,
      requests: requests.length,
      refused: used.refused,
      budget: budget.requestsPerWindow,
      windows: used.windows,
      share: used.share,
      perWindow: used.perWindow,
      lost: records.lost,
      duplicated: records.duplicated,
      notesTwice: notes.twice,
      wrongOwner: owners.wrong,
      outOfOrder: order.outOfOrder,
      unapplied: order.unapplied,
      ranTwice: order.ranTwice,
      deadLetters: letters.length,
      leftActive: Object.values(counts).reduce((sum, count) => sum + count, 0),
      recoveredJobs: recovery.jobs,
      backMs: recovery.backMs,
      recoveryMs: recovery.appliedMs,
      peakInFlight: peakInFlight(requests),
      durationMs: Math.round(performance.now() - started),
      examples: [
        ...requests
          .filter((request) => request.refused)
          .slice(0, 3)
          .map(
            (request) =>
              `refused: ${request.route ?? 'an unknown route'} at ${((request.arrivedAt - (requests[0]?.arrivedAt ?? 0)) / 1000).toFixed(2)} s (the SIGKILL at ${(((killed?.at ?? 0) - (requests[0]?.arrivedAt ?? 0)) / 1000).toFixed(2)} s)`,
          ),
        ...letters
          .slice(0, 3)
          .map(
            (letter) =>
              `dead letter ${letter.data.interactionId}: ${(letter.data.event as { type?: string }).type} → ${letter.data.error.code}: ${letter.data.error.message}`,
          ),
        ...notes.examples,
        ...order.examples,
        ...owners.examples,
      ],
    };
  } finally {
    unsubscribe();
    crm.sandbox.limitRate(undefined);
    for (const { child } of workers)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.allSettled([producer.close(), queue.close(), deadLetters.close()]);
    await redis.quit().catch(() => {});
    await crm.stop();
  }
}

/** A cell that crashed or hung: every figure unknown, reported as a failure. */
export function brokenCell(
  crm: RunningSandboxCrm | SandboxCrm,
  budgets: BudgetKind,
  why: string,
  durationMs: number,
): ScaleCellResult {
  return {
    crm: crm.id,
    displayName: crm.displayName,
    budgets,
    interactions: 0,
    events: 0,
    deliveries: 0,
    duplicatesDropped: 0,
    redelivered: 0,
    reordered: 0,
    requests: 0,
    refused: 0,
    budget: 0,
    windows: 0,
    share: 0,
    perWindow: [],
    lost: 0,
    duplicated: 0,
    notesTwice: 0,
    wrongOwner: 0,
    outOfOrder: 0,
    unapplied: 0,
    ranTwice: 0,
    deadLetters: 0,
    leftActive: 0,
    recoveredJobs: 0,
    backMs: undefined,
    recoveryMs: undefined,
    peakInFlight: 0,
    durationMs,
    examples: [],
    crashed: why,
  };
}
