import { createRedactor, type Redactor } from '@crm-connect/core';
import type { RunningSandboxCrm } from '@crm-connect/sandbox-crms';
import { UsageError } from '../cli-error.js';
import { type DemoPassResult, demoInteractionId, runDemoPass } from '../demo/demo-runner.js';
import {
  type DemoTrace,
  type DemoTraceRecorder,
  renderDemoTrace,
  startDemoTrace,
} from '../demo/demo-trace.js';
import { selectCrms } from '../demo/select-crms.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { printJson, reportFailure } from '../json-output.js';
import { parseOptions, positiveInteger } from '../parse-options.js';
import { crmIds } from '../plugins.js';
import { redisUrl } from '../redis-url.js';
import {
  loadSandbox,
  loadSandboxCrms,
  type SandboxCrmsModule,
  trustSandboxCertificate,
} from '../sandbox-modules.js';

/** The demo through the queue (`--redis`): where, and how many worker processes. */
interface QueueRun {
  /** The Redis URL, its password (from CRM_CONNECT_REDIS_PASSWORD) included. */
  url: string;
  /** The URL as given, for the workers' command line. */
  workerUrl: string;
  workers: number;
  /** The Redis password, for the redactor. */
  secrets: string[];
}

const maxWorkers = 16;

export const demoHelp = `Usage: crm-connect demo [options]

Starts a local sandbox of each CRM on loopback (no CRM account needed), configures one connector
per CRM through its normal settings, and replays a scripted set of interactions — a chat before
any agent, a voicemail, abandoned calls with abandoned-call tickets on and off, a chat later
assigned to an agent, an agent known by an old address, a deactivated agent — first with the
default user on, then off (the legacy random agent). Prints one table per CRM and pass, and
checks every record in the sandbox's own store.

Options:
  --crm <names>    comma-separated CRMs to run (default: ${crmIds.join(',')})
  --seed <n>       seed of the random source for the legacy random-agent rule (default 7; not with --redis)
  --faults         inject a 429 (not for Salesforce, whose limit answer is a non-retryable 403), a 503
                   and a connection dropped after the write into each CRM's record creation, to show
                   that every interaction still yields exactly one record
  --redis <url>    run through the queue instead: enqueue the events in this Redis and let worker
                   processes (crm-connect worker) handle them; a password goes in CRM_CONNECT_REDIS_PASSWORD
  --workers <n>    with --redis, how many worker processes to start (default 3)
  --trace          record the OpenTelemetry spans and print, for the first interaction of each CRM,
                   a short tree: each event's crm-connect.handle span and its HTTP attempts (not with --redis)
  --json           print one JSON document on standard output (fields: docs/cli.md); progress goes to standard error
  -h, --help       show this help

Needs the optional packages @crm-connect/sandbox-crms and @crm-connect/sandbox (a checkout of the
repository has them).
Exit codes: 0 every expected record present and owned as expected, 1 a record missing or wrong
(or a worker process ended early), 2 wrong command, 3 Redis unreachable or not drained in time.
`;

export async function demoCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseOptions('demo', args, {
    crm: { type: 'string' },
    seed: { type: 'string' },
    faults: { type: 'boolean', default: false },
    redis: { type: 'string' },
    workers: { type: 'string' },
    trace: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(demoHelp);
    return exitCodes.ok;
  }
  const json = values.json;
  let secrets: string[] = [];
  try {
    const seed = Number(values.seed ?? '7');
    if (!Number.isInteger(seed))
      throw new UsageError(`--seed ${values.seed} is not a whole number.`, 'Use, e.g., --seed 7.');
    const queue = queueOptions(values, io);
    if (values.trace && queue !== undefined)
      throw new UsageError(
        '--trace does not apply with --redis: the worker processes handle the events, and their spans go to their own exporters.',
        'Leave out --trace, or --redis.',
      );
    secrets = queue?.secrets ?? [];
    const sandboxCrms = await loadSandboxCrms('demo');
    const selected = selectCrms(sandboxCrms.sandboxCrms, values.crm);
    // The Dynamics sandbox serves https: the connectors of this process (and the workers it
    // starts, which inherit its environment) must trust its certificate.
    const restarted = await trustSandboxCertificate(await loadSandbox('demo'), io);
    if (restarted !== undefined) return restarted;
    return await runDemo(
      sandboxCrms,
      selected,
      { seed, faults: values.faults, json, queue, trace: values.trace },
      io,
    );
  } catch (error) {
    return reportFailure(io, error, { json, command: 'demo', redactor: createRedactor(secrets) });
  }
}

/** `--redis` and `--workers`: the demo through the queue, or `undefined` for the in-process demo. */
function queueOptions(
  values: { redis?: string | undefined; workers?: string | undefined; seed?: string | undefined },
  io: CliIo,
): QueueRun | undefined {
  if (values.redis === undefined) {
    if (values.workers !== undefined)
      throw new UsageError(
        '--workers needs --redis.',
        'Add --redis redis://host:port, or leave out --workers.',
      );
    return undefined;
  }
  if (values.seed !== undefined)
    throw new UsageError(
      '--seed does not apply with --redis: the worker processes pick the legacy random agents themselves.',
      'Leave out --seed, or --redis.',
    );
  const workers = positiveInteger('--workers', values.workers) ?? 3;
  if (workers > maxWorkers)
    throw new UsageError(`--workers ${workers} is more than the demo needs.`, `Use at most ${maxWorkers}.`);
  const { url, secrets } = redisUrl(values.redis, io.env, { fromEnvironment: false });
  return { url, workerUrl: values.redis, workers, secrets };
}

async function runDemo(
  sandboxCrms: SandboxCrmsModule,
  selected: ReturnType<typeof selectCrms>,
  options: { seed: number; faults: boolean; json: boolean; queue: QueueRun | undefined; trace: boolean },
  io: CliIo,
): Promise<ExitCode> {
  const { demoSteps, seededRandom } = sandboxCrms;
  const { queue } = options;
  // With --json, standard output carries only the final document.
  const say = options.json ? io.stderr : io.stdout;
  say(
    `crm-connect demo: ${demoSteps.length} scripted interactions × ${selected.length} CRMs × default user on/off, against local sandboxes${queue === undefined ? '' : `, through the queue with ${queue.workers} worker processes`}.\n\n`,
  );
  const running: RunningSandboxCrm[] = [];
  // Registered before any connector runs, so that every span of the demo is recorded.
  let recorder: DemoTraceRecorder | undefined;
  if (options.trace) {
    recorder = startDemoTrace();
    if (recorder.unavailable !== undefined) say(`  --trace: ${recorder.unavailable}.\n`);
  }
  try {
    for (const crm of selected) {
      const started = await crm.start();
      running.push(started);
      say(`  started ${started.plugin.displayName} sandbox at ${started.sandbox.url}\n`);
    }
    say('\n');
    const progress = (line: string) => say(`  ${line}\n`);
    const results: DemoPassResult[] = [];
    if (queue === undefined) {
      for (const defaultUser of [true, false]) {
        const random = seededRandom(options.seed);
        for (const crm of running) {
          if (options.faults) injectFaults(crm);
          results.push(await runDemoPass(crm, defaultUser, { random, progress }));
        }
      }
    } else {
      // Both passes run at once through the queue: the faults of each are there from the start.
      if (options.faults)
        for (const crm of running) {
          injectFaults(crm);
          injectFaults(crm);
        }
      // bullmq and ioredis take a while to load: only this mode and the worker command need them.
      const { runQueueDemo } = await import('../demo/queue-demo.js');
      results.push(...(await runQueueDemo(running, demoSteps, { ...queue, progress }, io)));
    }
    const seed = queue === undefined ? options.seed : undefined;
    // Every secret the sandboxes know (seeded credentials, tokens they issued) is kept out of the output.
    const redactor = createRedactor([
      ...running.flatMap((crm) => crm.secrets().map((secret) => secret.value)),
      ...(queue?.secrets ?? []),
    ]);
    // One interaction per CRM: the first scripted one, with the default user on.
    const traces = recorder?.collect(
      running.map((crm) => ({
        crm: crm.id,
        displayName: crm.plugin.displayName,
        interaction: demoSteps[0]?.label ?? '',
        interactionId: demoInteractionId(crm, true, 0),
      })),
    );
    if (!options.json) {
      const code = report(sandboxCrms, results, seed, io);
      if (traces !== undefined) io.stdout(renderDemoTrace(traces, redactor));
      return code;
    }
    return reportJson(
      results,
      { seed, faults: options.faults, workers: queue?.workers, trace: traces },
      io,
      redactor,
    );
  } finally {
    recorder?.stop();
    await Promise.all(running.map((crm) => crm.stop()));
  }
}

/** The hard cases, once each per pass: a rate limit, a server error, and a write committed whose answer is lost. */
function injectFaults(crm: RunningSandboxCrm): void {
  for (const route of crm.createRoutes) {
    const { faults } = crm.sandbox;
    if (crm.rateLimitRetryable) faults.inject({ kind: 'rate-limit', route, retryAfterSeconds: 0.2 });
    faults.inject({ kind: 'server-error', route, status: 503, skip: 1 });
    faults.inject({ kind: 'drop', route, when: 'after-handling', skip: 2 });
  }
}

function report(
  sandboxCrms: SandboxCrmsModule,
  results: readonly DemoPassResult[],
  seed: number | undefined,
  io: CliIo,
): ExitCode {
  let problems = 0;
  for (const result of results) {
    const title = result.defaultUser
      ? 'default user ON'
      : `default user OFF (legacy random agent, ${seed === undefined ? 'picked by the workers' : `seed ${seed}`})`;
    io.stdout(`\n${result.crm.plugin.displayName} — ${title}\n`);
    io.stdout(
      `${sandboxCrms.renderTable(
        ['interaction', 'record', 'performer', 'owner', 'reason'],
        result.rows.map((row) => [row.interaction, row.record, row.performer, row.owner, row.reason]),
      )}\n`,
    );
    for (const row of result.rows.filter((candidate) => candidate.problem !== undefined)) {
      problems += 1;
      io.stdout(`✖ ${row.interaction}: ${row.problem}\n`);
    }
  }
  const interactions = results.reduce((total, result) => total + result.rows.length, 0);
  io.stdout(
    `\n${interactions} interactions, ${problems === 0 ? 'every record present and owned as expected' : `${problems} problem(s)`}.\n`,
  );
  return problems === 0 ? exitCodes.ok : exitCodes.failed;
}

function reportJson(
  results: readonly DemoPassResult[],
  options: {
    seed: number | undefined;
    faults: boolean;
    workers: number | undefined;
    trace: DemoTrace[] | undefined;
  },
  io: CliIo,
  redactor: Redactor,
): ExitCode {
  // The table's "—" (nobody, no reason) is null here.
  const value = (text: string) => (text === '—' ? null : text);
  const problems = results.reduce(
    (total, result) => total + result.rows.filter((row) => row.problem !== undefined).length,
    0,
  );
  return printJson(
    io,
    {
      command: 'demo',
      exitCode: problems === 0 ? exitCodes.ok : exitCodes.failed,
      seed: options.seed,
      faults: options.faults,
      workers: options.workers,
      interactions: results.reduce((total, result) => total + result.rows.length, 0),
      problems,
      passes: results.map((result) => ({
        crm: result.crm.id,
        displayName: result.crm.plugin.displayName,
        defaultUser: result.defaultUser,
        rows: result.rows.map((row) => ({
          interaction: row.interaction,
          records: row.records,
          performer: value(row.performer),
          owner: value(row.owner),
          reason: value(row.reason),
          problem: row.problem,
        })),
      })),
      trace: options.trace,
    },
    redactor,
  );
}
