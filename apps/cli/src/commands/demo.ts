import { createRedactor, type Redactor } from '@crm-connect/core';
import type { RunningSandboxCrm } from '@crm-connect/sandbox-crms';
import { UsageError } from '../cli-error.js';
import { type DemoPassResult, runDemoPass } from '../demo/demo-runner.js';
import { selectCrms } from '../demo/select-crms.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { printJson, reportFailure } from '../json-output.js';
import { parseOptions } from '../parse-options.js';
import { crmIds } from '../plugins.js';
import {
  loadSandbox,
  loadSandboxCrms,
  type SandboxCrmsModule,
  trustSandboxCertificate,
} from '../sandbox-modules.js';

export const demoHelp = `Usage: crm-connect demo [options]

Starts a local sandbox of each CRM on loopback (no CRM account needed), configures one connector
per CRM through its normal settings, and replays a scripted set of interactions — a chat before
any agent, a voicemail, abandoned calls with abandoned-call tickets on and off, a chat later
assigned to an agent, an agent known by an old address, a deactivated agent — first with the
default user on, then off (the legacy random agent). Prints one table per CRM and pass, and
checks every record in the sandbox's own store.

Options:
  --crm <names>   comma-separated CRMs to run (default: ${crmIds.join(',')})
  --seed <n>      seed of the random source for the legacy random-agent rule (default 7)
  --faults        inject a 429 (not for Salesforce, whose limit answer is a non-retryable 403), a 503
                  and a connection dropped after the write into each CRM's record creation, to show
                  that every interaction still yields exactly one record
  --json          print one JSON document on standard output (fields: docs/cli.md); progress goes to standard error
  -h, --help      show this help

Needs the optional packages @crm-connect/sandbox-crms and @crm-connect/sandbox (a checkout of the
repository has them).
Exit codes: 0 every expected record present and owned as expected, 1 a record missing or wrong, 2 wrong command.
`;

export async function demoCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseOptions('demo', args, {
    crm: { type: 'string' },
    seed: { type: 'string', default: '7' },
    faults: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(demoHelp);
    return exitCodes.ok;
  }
  const json = values.json;
  try {
    const seed = Number(values.seed);
    if (!Number.isInteger(seed))
      throw new UsageError(`--seed ${values.seed} is not a whole number.`, 'Use, e.g., --seed 7.');
    const sandboxCrms = await loadSandboxCrms('demo');
    const selected = selectCrms(sandboxCrms.sandboxCrms, values.crm);
    // The Dynamics sandbox serves https: the connectors of this process must trust its certificate.
    const restarted = await trustSandboxCertificate(await loadSandbox('demo'), io);
    if (restarted !== undefined) return restarted;
    return await runDemo(sandboxCrms, selected, { seed, faults: values.faults, json }, io);
  } catch (error) {
    return reportFailure(io, error, { json, command: 'demo' });
  }
}

async function runDemo(
  sandboxCrms: SandboxCrmsModule,
  selected: ReturnType<typeof selectCrms>,
  options: { seed: number; faults: boolean; json: boolean },
  io: CliIo,
): Promise<ExitCode> {
  const { demoSteps, seededRandom } = sandboxCrms;
  // With --json, standard output carries only the final document.
  const say = options.json ? io.stderr : io.stdout;
  say(
    `crm-connect demo: ${demoSteps.length} scripted interactions × ${selected.length} CRMs × default user on/off, against local sandboxes.\n\n`,
  );
  const running: RunningSandboxCrm[] = [];
  try {
    for (const crm of selected) {
      const started = await crm.start();
      running.push(started);
      say(`  started ${started.plugin.displayName} sandbox at ${started.sandbox.url}\n`);
    }
    say('\n');
    const results: DemoPassResult[] = [];
    for (const defaultUser of [true, false]) {
      const random = seededRandom(options.seed);
      for (const crm of running) {
        if (options.faults) injectFaults(crm);
        results.push(await runDemoPass(crm, defaultUser, { random, progress: (line) => say(`  ${line}\n`) }));
      }
    }
    if (!options.json) return report(sandboxCrms, results, options.seed, io);
    // Every secret the sandboxes know (seeded credentials, tokens they issued) is kept out of the document.
    const redactor = createRedactor(running.flatMap((crm) => crm.secrets().map((secret) => secret.value)));
    return reportJson(results, options, io, redactor);
  } finally {
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
  seed: number,
  io: CliIo,
): ExitCode {
  let problems = 0;
  for (const result of results) {
    const title = result.defaultUser
      ? 'default user ON'
      : `default user OFF (legacy random agent, seed ${seed})`;
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
  options: { seed: number; faults: boolean },
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
    },
    redactor,
  );
}
