import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type CrmId, type SandboxCrm, sandboxCrms } from '@crm-connect/sandbox-crms';
import { measureAgentsCpu } from './agents-cpu.js';
import { countCalls } from './calls.js';
import { measureClientCpu, type RedactionSample } from './client-cpu.js';
import { measureCost } from './cost.js';
import { describeMachine } from './machine.js';
import { measureMemory } from './memory.js';
import { measureRateBudget } from './rate.js';
import { measureRedaction } from './redaction-cost.js';
import { renderReport } from './report.js';
import { type BenchResults, type CrmResults, checkTargets } from './results.js';
import { measureTelemetryCost } from './telemetry-cost.js';
import { measureTenants } from './tenants.js';
import { measureThroughput } from './throughput.js';
import { countTokenRequests } from './tokens.js';

/**
 * `pnpm bench`: the five figures of issue #9, the six of issue #15 and the one of issue #18 for
 * each CRM, against its sandbox on loopback, printed as one table and written to apps/bench/results.json (git-ignored:
 * figures depend on the machine). A benchmark, not a test: a missed target is reported, not
 * failed on; the exit code is 1 only when a figure could not be measured.
 * `--crm <id>` (repeatable) measures only those CRMs.
 */

const options: BenchResults['options'] = {
  cost: { warmup: 100, iterations: 500 },
  tokenWrites: 1_000,
  // Zendesk's default budget (its lowest plan), the minute passed 30 times faster: a 2 s window.
  rate: { requestsPerMinute: 200, timeScale: 30, windows: 3, concurrency: 32 },
  memory: { checkpoints: [1_000, 10_000], concurrency: 16 },
  // Issue #15. Fixed counts, so a busy machine makes the run longer, never the samples fewer.
  clientCpu: { warmupRounds: 10, rounds: 120, writesPerRound: 10 },
  throughput: { callers: [1, 8, 64], writesPerRound: 128, warmupRounds: 1, rounds: 5 },
  // Many short rounds: the two connectors differ by a few µs, so one GC pause in a round must not decide the median.
  agents: { agents: 2_000, meetingCallers: 8, warmupRounds: 10, rounds: 120, writesPerRound: 10 },
  redaction: { credentials: 20_000, warmupRounds: 3, rounds: 30, redactionsPerRound: 100 },
  tenants: { tenants: 1_000, warmup: 200 },
  // Issue #18: figure 6's rounds, with and without an OpenTelemetry SDK.
  telemetry: { warmupRounds: 10, rounds: 120, writesPerRound: 10 },
};

// From dist/bench/main.js up to the package folder, apps/bench.
const resultsFile = fileURLToPath(new URL('../../results.json', import.meta.url));

function progress(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function measure(crm: SandboxCrm, figure: string, run: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await run();
  progress(
    `${crm.displayName.padEnd(13)} ${figure.padEnd(8)} ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { crm: { type: 'string', multiple: true } } });
  const selected = sandboxCrms.filter((crm) => values.crm === undefined || values.crm.includes(crm.id));
  if (selected.length === 0)
    throw new Error(`--crm must name ${sandboxCrms.map((crm) => crm.id).join(', ')}`);
  const startedAt = new Date();
  const started = performance.now();
  const machine = describeMachine();
  const partial = new Map<string, Partial<CrmResults>>(selected.map((crm) => [crm.id, {}]));
  const of = (crm: SandboxCrm) => partial.get(crm.id) as Partial<CrmResults>;

  // Token requests first: Dynamics token sources are process-wide per sandbox URL, so the first
  // Dynamics sandbox of the process is the one whose cache is certainly cold.
  for (const crm of selected) {
    await measure(crm, 'tokens', async () => {
      of(crm).tokens = await countTokenRequests(crm, options.tokenWrites);
    });
  }
  for (const crm of selected) {
    await measure(crm, 'calls', async () => {
      of(crm).calls = await countCalls(crm);
    });
  }
  for (const crm of selected) {
    await measure(crm, 'cost', async () => {
      of(crm).cost = await measureCost(crm, options.cost);
    });
  }
  for (const crm of selected) {
    await measure(crm, 'rate', async () => {
      of(crm).rate = await measureRateBudget(crm, options.rate);
    });
  }
  for (const crm of selected) {
    await measure(crm, 'memory', async () => {
      of(crm).memory = await measureMemory(crm, options.memory);
    });
  }
  // The redaction figure redacts the audit event the client CPU figure's connector wrote.
  const samples = new Map<CrmId, RedactionSample>();
  for (const crm of selected) {
    await measure(crm, 'cpu', async () => {
      const { result, sample } = await measureClientCpu(crm, options.clientCpu);
      of(crm).clientCpu = result;
      samples.set(crm.id, sample);
    });
  }
  for (const crm of selected) {
    await measure(crm, 'writes/s', async () => {
      of(crm).throughput = await measureThroughput(crm, options.throughput);
    });
  }
  for (const crm of selected) {
    await measure(crm, 'agents', async () => {
      of(crm).agents = await measureAgentsCpu(crm, options.agents);
    });
  }
  for (const crm of selected) {
    await measure(crm, 'redact', async () => {
      const sample = samples.get(crm.id);
      if (sample === undefined) throw new Error(`No audit event of ${crm.displayName} to redact`);
      of(crm).redaction = await measureRedaction(sample, options.redaction);
    });
  }
  for (const crm of selected) {
    await measure(crm, 'tenants', async () => {
      of(crm).tenants = await measureTenants(crm, options.tenants);
    });
  }
  for (const crm of selected) {
    await measure(crm, 'otel', async () => {
      of(crm).telemetry = await measureTelemetryCost(crm, options.telemetry);
    });
  }

  const crms = selected.map(
    (crm) => ({ ...of(crm), id: crm.id, displayName: crm.displayName }) as CrmResults,
  );
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    seconds: (performance.now() - started) / 1000,
    machine,
    options,
    crms,
    targets: crms.flatMap(checkTargets),
  };
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  progress(`\n${renderReport(results)}\nFigures written to ${resultsFile}.`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `pnpm bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
