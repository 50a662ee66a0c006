import type { SandboxCrm } from '@crm-connect/sandbox-crms';
import type { ClientCpuOptions } from './client-cpu.js';
import { compareRounds, summarise } from './statistics.js';
import { type TelemetryTask, telemetryReportSchema } from './telemetry-task.js';
import { runInWorker } from './worker-process.js';

/**
 * Figure 12 (issue #18): the client CPU per "chat before agent" through the connector with no
 * OpenTelemetry SDK registered and with one whose exporter does nothing, side by side in
 * alternating rounds as figure 6's, in a worker process (telemetry-worker.ts) so the bench's own
 * process never has an SDK registered.
 */
export interface TelemetryCostResult {
  /** µs of CPU per write with no SDK registered: the median of the rounds. */
  noSdkMicros: number;
  /** The same with the SDK's tracer and meter providers registered. */
  sdkMicros: number;
  /** with SDK ÷ without, medians of the rounds: our target is ≤ 1.25. */
  ratio: number;
  /** with SDK ÷ without, means of the rounds. */
  ratioOfMeans: number;
  /** Spans the no-op exporter was handed in the measured SDK rounds. */
  spansExported: number;
  /** Measured writes per mode. */
  writes: number;
}

export type TelemetryCostOptions = ClientCpuOptions;

export async function measureTelemetryCost(
  crm: SandboxCrm,
  options: TelemetryCostOptions,
): Promise<TelemetryCostResult> {
  const task: TelemetryTask = { crm: crm.id, ...options };
  const report = await runInWorker(
    new URL('./telemetry-worker.js', import.meta.url),
    task,
    telemetryReportSchema,
  );
  if ('error' in report) throw new Error(`The ${crm.displayName} telemetry worker failed: ${report.error}`);
  if (report.spansExported === 0) throw new Error(`The ${crm.displayName} SDK rounds exported no span`);
  if (report.spansWithoutSdk !== 0)
    throw new Error(`The ${crm.displayName} rounds without an SDK exported ${report.spansWithoutSdk} spans`);
  return {
    noSdkMicros: summarise(report.noSdkMicros).median,
    sdkMicros: summarise(report.sdkMicros).median,
    ...compareRounds(report.sdkMicros, report.noSdkMicros),
    spansExported: report.spansExported,
    writes: options.rounds * options.writesPerRound,
  };
}
