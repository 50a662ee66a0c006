import { parseArgs } from 'node:util';
import {
  demoSteps,
  type RunningSandboxCrm,
  renderTable,
  sandboxCrms,
  seededRandom,
} from '@crm-connect/sandbox-crms';
import { UsageError } from '../cli-error.js';
import { type DemoPassResult, runDemoPass } from '../demo/demo-runner.js';
import { selectCrms } from '../demo/select-crms.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export const demoHelp = `Usage: crm-connect demo [options]

Starts a local sandbox of each CRM on loopback (no CRM account needed), configures one connector
per CRM through its normal settings, and replays a scripted set of interactions — a chat before
any agent, a voicemail, abandoned calls with abandoned-call tickets on and off, a chat later
assigned to an agent, an agent known by an old address, a deactivated agent — first with the
default user on, then off (the legacy random agent). Prints one table per CRM and pass, and
checks every record in the sandbox's own store.

Options:
  --crm <names>   comma-separated CRMs to run (default: ${sandboxCrms.map((crm) => crm.id).join(',')})
  --seed <n>      seed of the random source for the legacy random-agent rule (default 7)
  --faults        inject a 429 (not for Salesforce, whose limit answer is a non-retryable 403), a 503
                  and a connection dropped after the write into each CRM's record creation, to show
                  that every interaction still yields exactly one record
  -h, --help      show this help

Exit codes: 0 every expected record present and owned as expected, 1 a record missing or wrong, 2 wrong command.
`;

export async function demoCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      crm: { type: 'string' },
      seed: { type: 'string', default: '7' },
      faults: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(demoHelp);
    return exitCodes.ok;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed))
    throw new UsageError(`--seed ${values.seed} is not a whole number.`, 'Use, e.g., --seed 7.');
  const selected = selectCrms(values.crm);

  io.stdout(
    `crm-connect demo: ${demoSteps.length} scripted interactions × ${selected.length} CRMs × default user on/off, against local sandboxes.\n\n`,
  );
  const running: RunningSandboxCrm[] = [];
  try {
    for (const crm of selected) {
      const started = await crm.start();
      running.push(started);
      io.stdout(`  started ${started.plugin.displayName} sandbox at ${started.sandbox.url}\n`);
    }
    io.stdout('\n');
    const results: DemoPassResult[] = [];
    for (const defaultUser of [true, false]) {
      const random = seededRandom(seed);
      for (const crm of running) {
        if (values.faults) injectFaults(crm);
        results.push(
          await runDemoPass(crm, defaultUser, { random, progress: (line) => io.stdout(`  ${line}\n`) }),
        );
      }
    }
    return report(results, seed, io);
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

function report(results: readonly DemoPassResult[], seed: number, io: CliIo): ExitCode {
  let problems = 0;
  for (const result of results) {
    const title = result.defaultUser
      ? 'default user ON'
      : `default user OFF (legacy random agent, seed ${seed})`;
    io.stdout(`\n${result.crm.plugin.displayName} — ${title}\n`);
    io.stdout(
      `${renderTable(
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
