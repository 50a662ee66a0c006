import { renderTable } from '@crm-connect/sandbox-crms';
import { measuredEvents } from './bench-events.js';
import type { Machine } from './machine.js';
import { minimumCalls } from './minimum-calls.js';
import { type BenchResults, type CrmResults, type TargetCheck, targets } from './results.js';
import type { Summary } from './statistics.js';

/** The table `pnpm bench` prints (and the README shows): one row per figure, one column per CRM. */

const mark = (met: boolean) => (met ? 'ok' : 'MISSED');
const ms = (summary: Summary) => `${summary.median.toFixed(3)} / ${summary.p95.toFixed(3)}`;
const mb = (bytes: number) => (bytes / 1_000_000).toFixed(0);
const whole = (value: number) => Math.round(value).toLocaleString('en');
const kb = (bytes: number) => (bytes / 1000).toFixed(1);

function metFor(checks: readonly TargetCheck[], crm: CrmResults, figure: TargetCheck['figure'], detail = '') {
  return checks
    .filter((check) => check.crm === crm.id && check.figure === figure && check.detail.startsWith(detail))
    .every((check) => check.met);
}

function rows(results: BenchResults): string[][] {
  const { crms, targets: checks, options } = results;
  const row = (label: string, cell: (crm: CrmResults) => string) => [label, ...crms.map(cell)];
  const { requestsPerMinute, timeScale } = options.rate;
  return [
    row('1 cost ms, connector (median / p95)', (crm) => ms(crm.cost.connector)),
    row('  HTTP layer alone', (crm) => ms(crm.cost.httpLayer)),
    row('  bare keep-alive axios', (crm) => ms(crm.cost.bare)),
    row('  requests per interaction', (crm) => String(crm.cost.requests)),
    row(
      '  ratio median (p95), target ≤ 1.10',
      (crm) =>
        `${crm.cost.ratioMedian.toFixed(2)} (${crm.cost.ratioP95.toFixed(2)}) ${mark(metFor(checks, crm, 'cost'))}`,
    ),
    ...measuredEvents.map((event, index) =>
      row(`${index === 0 ? '2 calls' : '       '} ${event} (minimum)`, (crm) => {
        const calls = crm.calls[event].calls;
        return `${calls} (${minimumCalls[crm.id].calls[event]}) ${mark(metFor(checks, crm, 'calls', `${event}:`))}`;
      }),
    ),
    row(`3 token requests, ${options.tokenWrites.toLocaleString('en')} cold writes`, (crm) =>
      crm.tokens.applicable
        ? `${crm.tokens.tokenRequests} ${mark(metFor(checks, crm, 'tokens'))}`
        : `none (${crm.tokens.reason})`,
    ),
    row(
      `4 rate budget used, 429s (${requestsPerMinute}/min, ÷${timeScale})`,
      (crm) =>
        `${(crm.rate.share * 100).toFixed(1)} %, ${crm.rate.refused} ${mark(metFor(checks, crm, 'rate'))}`,
    ),
    row(`5 RSS MB, ${checkpointLabel(results)}`, (crm) => {
      const [first, last] = [crm.memory.snapshots[0], crm.memory.snapshots.at(-1)];
      return `${mb(first?.rssBytes ?? 0)} → ${mb(last?.rssBytes ?? 0)} (${signed(crm.memory.rssGrowthMb)}) ${mark(metFor(checks, crm, 'memory'))}`;
    }),
    row('  heap MB', (crm) => {
      const [first, last] = [crm.memory.snapshots[0], crm.memory.snapshots.at(-1)];
      return `${mb(first?.heapUsedBytes ?? 0)} → ${mb(last?.heapUsedBytes ?? 0)} (${signed(crm.memory.heapGrowthMb)})`;
    }),
    ...issue15Rows(results),
    row(
      '12 client CPU µs per write, no SDK / SDK',
      (crm) => `${whole(crm.telemetry.noSdkMicros)} / ${whole(crm.telemetry.sdkMicros)}`,
    ),
    row(
      `   ratio median (mean), target ≤ ${targets.telemetryRatio.toFixed(2)}`,
      (crm) =>
        `${crm.telemetry.ratio.toFixed(2)} (${crm.telemetry.ratioOfMeans.toFixed(2)}) ${mark(metFor(checks, crm, 'telemetry'))}`,
    ),
  ];
}

/** Issue #15's figures: the client's CPU, throughput, state left by agents, redaction, tenants. */
function issue15Rows(results: BenchResults): string[][] {
  const { crms, targets: checks, options } = results;
  const row = (label: string, cell: (crm: CrmResults) => string) => [label, ...crms.map(cell)];
  const met = (crm: CrmResults, figure: TargetCheck['figure']) => mark(metFor(checks, crm, figure));
  const perLevel = (crm: CrmResults, value: (level: CrmResults['throughput']['levels'][number]) => string) =>
    crm.throughput.levels.map(value).join(' / ');
  const callers = options.throughput.callers.join(' / ');
  return [
    row('6 client CPU µs per write, connector', (crm) => whole(crm.clientCpu.connectorMicros)),
    row('  HTTP layer alone', (crm) => whole(crm.clientCpu.httpLayerMicros)),
    row('  bare keep-alive axios', (crm) => whole(crm.clientCpu.bareMicros)),
    row(
      `  ratio median (mean), target ≤ ${targets.clientCpuRatio.toFixed(2)}`,
      (crm) =>
        `${crm.clientCpu.ratio.toFixed(2)} (${crm.clientCpu.ratioOfMeans.toFixed(2)}) ${met(crm, 'client-cpu')}`,
    ),
    row(`7 writes/s, ${callers} callers, connector`, (crm) =>
      perLevel(crm, (level) => whole(level.connectorPerSecond)),
    ),
    row('  bare keep-alive axios', (crm) => perLevel(crm, (level) => whole(level.barePerSecond))),
    row(
      `  ratio, target ≥ ${targets.throughputRatio.toFixed(2)} at ${targets.throughputCallers}`,
      (crm) => `${perLevel(crm, (level) => level.ratio.toFixed(2))} ${met(crm, 'throughput')}`,
    ),
    row(
      `8 CPU µs per write, ${options.agents.agents.toLocaleString('en')} agents met / fresh`,
      (crm) => `${whole(crm.agents.metMicros)} / ${whole(crm.agents.freshMicros)}`,
    ),
    row(
      `  ratio median (mean), target ≤ ${targets.agentsCpuRatio.toFixed(2)}`,
      (crm) => `${crm.agents.ratio.toFixed(2)} (${crm.agents.ratioOfMeans.toFixed(2)}) ${met(crm, 'agents')}`,
    ),
    row(
      `9 µs to redact an audit event, ${options.redaction.credentials.toLocaleString('en')} seen / none`,
      (crm) => `${crm.redaction.loadedMicros.toFixed(1)} / ${crm.redaction.freshMicros.toFixed(1)}`,
    ),
    row(
      `  ratio median (mean), target ≤ ${targets.redactionRatio.toFixed(2)}`,
      (crm) =>
        `${crm.redaction.ratio.toFixed(2)} (${crm.redaction.ratioOfMeans.toFixed(2)}) ${met(crm, 'redaction')}`,
    ),
    row(
      `10 heap kB per connector, ${options.tenants.tenants.toLocaleString('en')} tenants, target ≤ ${targets.tenantHeapBytes / 1000}`,
      (crm) => `${kb(crm.tenants.heapPerConnectorBytes)} ${met(crm, 'tenant-heap')}`,
    ),
    row(`   CPU ms per create (wall ms; in writes), target ≤ ${targets.tenantCreateMs}`, (crm) => {
      const inWrites = (crm.tenants.createCpuMs * 1000) / crm.clientCpu.connectorMicros;
      return `${crm.tenants.createCpuMs.toFixed(2)} (${crm.tenants.createMs.toFixed(2)}; ${inWrites.toFixed(2)}) ${met(crm, 'tenant-create')}`;
    }),
    row(
      `11 heap kB kept per closed connector, target 0 (≤ ${targets.closedKeptBytes / 1000})`,
      (crm) =>
        `${kb(crm.tenants.keptPerConnectorBytes)}${crm.tenants.resourcesLeft.length === 0 ? '' : `, ${crm.tenants.resourcesLeft.length} handles left`} ${met(crm, 'closed')}`,
    ),
  ];
}

function checkpointLabel(results: BenchResults): string {
  return results.options.memory.checkpoints.map((count) => `${count / 1000}k`).join(' → ');
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

export function machineLine(machine: Machine): string {
  return `${machine.cpus} CPUs (nproc), ${machine.cpuModel}, ${machine.memoryGib} GiB, Node ${machine.node}, ${machine.platform}, load average ${machine.loadAverage} at the start`;
}

export function renderReport(results: BenchResults): string {
  const header = ['figure', ...results.crms.map((crm) => crm.displayName)];
  const missed = results.targets.filter((check) => !check.met);
  return [
    renderTable(header, rows(results)),
    '',
    `Machine: ${machineLine(results.machine)}. Run time ${results.seconds.toFixed(0)} s.`,
    missed.length === 0
      ? 'Every target met.'
      : `Targets missed (reasons: docs/benchmarks.md):\n${missed.map((check) => `- ${check.crm} ${check.figure}: ${check.detail}`).join('\n')}`,
  ].join('\n');
}
