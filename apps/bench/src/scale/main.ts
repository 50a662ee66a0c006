import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type SandboxCrm, sandboxCrm, sandboxCrms } from '@crm-connect/sandbox-crms';
import { findRedisServer, startScaleRedisServer } from './redis-server.js';
import { brokenCell, runScaleCell, type ScaleCellOptions, type ScaleCellResult } from './run-cell.js';
import { renderScaleTable, scalePasses } from './scale-report.js';

/**
 * `pnpm test:scale`: the multi-process fault matrix. Per CRM: Redis, the CRM's sandbox limited to
 * N requests per sped-up minute, worker processes consuming one queue with budgets and record
 * links shared through Redis, the workload enqueued at once with redeliveries and events out of
 * order, one worker SIGKILLed and replaced. Then a control run with core's per-process budgets,
 * which the sandbox must refuse. Prints the table; exits 1 when a cell or the control fails.
 */

const help = `Usage: node apps/bench/dist/scale/main.js [options]   (or: pnpm test:scale)

Options:
  --crm <ids>            comma-separated CRMs (default: ${sandboxCrms.map((crm) => crm.id).join(',')})
  --control <id|none>    the CRM of the control run with per-process budgets (default: zendesk)
  --interactions <n>     interactions per cell (default 600)
  --workers <n>          worker processes per cell (default 4)
  --rate <n>             requests per (sped-up) minute, the sandbox's and the budgets' (default 200)
  --time-scale <n>       how much faster than real time the minute passes (default 30: 2 s)
  --reserve <n>          requests per window the budgets leave for start-up requests no
                         account budget covers (default 2 % of --rate, at least 2)
  --seed <n>             seed of the traffic (default 9)
  -h, --help             show this help

Needs a redis-server: REDIS_SERVER_BIN, .redis/bin/redis-server (bash scripts/install-redis.sh)
or the PATH. Exit codes: 0 every cell passed, 1 a cell or the control failed, 2 wrong options or
no redis-server.
`;

const { values } = parseArgs({
  options: {
    crm: { type: 'string' },
    control: { type: 'string', default: 'zendesk' },
    interactions: { type: 'string', default: '600' },
    workers: { type: 'string', default: '4' },
    rate: { type: 'string', default: '200' },
    'time-scale': { type: 'string', default: '30' },
    reserve: { type: 'string' },
    seed: { type: 'string', default: '9' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(help);
  process.exit(0);
}

function whole(name: string, text: string, minimum: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum) {
    process.stderr.write(`--${name} takes a whole number of at least ${minimum}.\n`);
    process.exit(2);
  }
  return value;
}

function crmNamed(id: string): SandboxCrm {
  const found = sandboxCrms.find((crm) => crm.id === id.trim());
  if (found === undefined) {
    process.stderr.write(`Unknown CRM "${id}": use ${sandboxCrms.map((crm) => crm.id).join(', ')}.\n`);
    process.exit(2);
  }
  return found;
}

const crms = values.crm === undefined ? [...sandboxCrms] : values.crm.split(',').map(crmNamed);
const control = values.control === 'none' ? undefined : crmNamed(values.control);
const interactions = whole('interactions', values.interactions, 1);
const workers = whole('workers', values.workers, 2);
const requestsPerMinute = whole('rate', values.rate, 1);
const timeScale = whole('time-scale', values['time-scale'], 1);
const reserve =
  values.reserve === undefined
    ? Math.max(2, Math.ceil(requestsPerMinute * 0.02))
    : whole('reserve', values.reserve, 0);
if (reserve >= requestsPerMinute) {
  process.stderr.write('--reserve must be below --rate.\n');
  process.exit(2);
}
const seed = whole('seed', values.seed, 0);

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const binary = findRedisServer(root);
if (typeof binary !== 'string') {
  process.stderr.write(`${binary.problem}\n`);
  process.exit(2);
}

const started = performance.now();
const redis = await startScaleRedisServer(binary);
const load = loadavg()
  .map((value) => value.toFixed(1))
  .join(' ');
process.stdout.write(
  `Scale-out matrix: ${interactions} interactions per CRM, ${workers} worker processes (one SIGKILLed and replaced), ${requestsPerMinute} requests per minute sped up ${timeScale}× (a ${(60 / timeScale).toFixed(1)} s window; budgets ${requestsPerMinute - reserve}, ${reserve} left for start-up requests), 10 % of events delivered twice, a quarter of the interactions with two events swapped; Redis ${redis.version} on ${redis.url}.\n` +
    `Machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load ${load}.\n\n`,
);

const base = {
  redisUrl: redis.url,
  interactions,
  seed,
  limit: { requestsPerMinute, timeScale },
  reserve,
  workers,
  killAt: 0.3,
  // A cell takes 20 to 50 s on 2 busy cores; one that hangs must not hold CI.
  timeoutMs: 150_000,
  progress: (line: string) => process.stdout.write(`${line}\n`),
} satisfies Omit<ScaleCellOptions, 'budgets'>;

async function run(crm: SandboxCrm, budgets: ScaleCellOptions['budgets']): Promise<ScaleCellResult> {
  const cellStarted = performance.now();
  process.stdout.write(
    `  ${crm.displayName}, ${budgets === 'redis' ? 'Redis budgets' : 'control: per-process budgets'}…\n`,
  );
  try {
    const result = await runScaleCell(crm, { ...base, budgets });
    process.stdout.write(`  ${crm.displayName}: ${(result.durationMs / 1000).toFixed(1)} s\n`);
    return result;
  } catch (error) {
    const why = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return brokenCell(crm, budgets, why, Math.round(performance.now() - cellStarted));
  }
}

const cells: ScaleCellResult[] = [];
let controlCell: ScaleCellResult | undefined;
try {
  for (const crm of crms) cells.push(await run(crm, 'redis'));
  if (control !== undefined) controlCell = await run(sandboxCrm(control.id), 'memory');
} finally {
  await redis.stop();
}

const passed = scalePasses(cells, controlCell);
process.stdout.write(`\n${renderScaleTable(cells, controlCell)}\n\n`);
for (const cell of [...cells, ...(controlCell === undefined ? [] : [controlCell])]) {
  if (cell.examples.length === 0) continue;
  process.stdout.write(`${cell.displayName} (${cell.budgets}):\n`);
  for (const example of cell.examples) process.stdout.write(`  ${example}\n`);
}
process.stdout.write(
  `429: the sandbox's rate-limit answers (Salesforce: 403 REQUEST_LIMIT_EXCEEDED). Budget used: the requests the sandbox accepted in the whole windows while drain jobs were waiting, of the budgets' ${requestsPerMinute - reserve} per window (the sandbox allows ${requestsPerMinute}). Ran twice: the killed worker's drain jobs, taken over by others (and the events among them applied a second time). Recovery: until the last of those jobs was back in the queue, and until each had an event applied by another worker. Peak in flight: the most requests one CRM user had at the sandbox at once (Dynamics allows 52).\n`,
);
process.stdout.write(
  `\n${passed ? 'PASS' : 'FAIL'}: ${cells.length} CRMs${controlCell === undefined ? '' : ' and the control'} in ${((performance.now() - started) / 1000).toFixed(0)} s.\n`,
);
process.exitCode = passed ? 0 : 1;
