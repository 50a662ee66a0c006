import { crmIds } from '@crm-connect/sandbox-crms';
import { z } from 'zod';

/** The messages between the telemetry cost figure and its worker process (telemetry-worker.ts). */

export const telemetryTaskSchema = z.object({
  crm: z.enum(crmIds),
  warmupRounds: z.number().int().nonnegative(),
  rounds: z.number().int().positive(),
  writesPerRound: z.number().int().positive(),
});
export type TelemetryTask = z.infer<typeof telemetryTaskSchema>;

export const telemetryReportSchema = z.union([
  z.object({
    /** µs of CPU per write, one sample per measured round, with no SDK registered. */
    noSdkMicros: z.array(z.number()),
    /** The same with the SDK's tracer and meter providers registered. */
    sdkMicros: z.array(z.number()),
    /** Spans the no-op exporter was handed in the measured SDK rounds (shows the SDK saw the writes). */
    spansExported: z.number(),
    /** Spans it was handed in the measured rounds with no SDK (0 meant). */
    spansWithoutSdk: z.number(),
  }),
  z.object({ error: z.string() }),
]);
export type TelemetryReport = z.infer<typeof telemetryReportSchema>;
