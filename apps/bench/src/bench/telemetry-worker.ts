import { sandboxCrms } from '@crm-connect/sandbox-crms';
import {
  metrics,
  ProxyTracerProvider,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { unthrottledBudgets } from '../unthrottled-budgets.js';
import { benchConnector } from './bench-connector.js';
import { chatBeforeAgent } from './bench-events.js';
import { cpuMicros } from './cpu-time.js';
import { startRemoteSandbox } from './remote-sandbox.js';
import { inRotation } from './rotation.js';
import { type TelemetryReport, type TelemetryTask, telemetryTaskSchema } from './telemetry-task.js';

/**
 * The telemetry cost figure's worker process (started by telemetry-cost.ts): figure 6's client
 * CPU rounds, the sandbox in a process of its own, with one connector written through in
 * alternating rounds with no OpenTelemetry SDK registered and with one (a tracer provider whose
 * spans go through a simple processor to an exporter that does nothing, a meter provider whose
 * reader is never collected). In a worker so the bench's own process never has an SDK registered.
 */

type Mode = 'noSdk' | 'sdk';
const modes: readonly Mode[] = ['noSdk', 'sdk'];

/** An exporter that drops what it is handed and reports success: the SDK's own cost, no export's. */
class NoopExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], resultCallback: (result: { code: 0 }) => void): void {
    this.spans += spans.length;
    resultCallback({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A reader nothing ever collects: the SDK records into its storage, and nothing reads it. */
class UncollectedReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The core keeps one API proxy tracer per module, and that proxy keeps the first real tracer it is
 * given for good: `trace.disable()` would not take an SDK's tracer away from it again. So what is
 * registered is this switch, once, and it sends each span to the SDK's tracer or, with no SDK, to
 * a tracer of a provider nothing is registered on (the API's no-op path, as with no SDK at all).
 */
class SwitchingTracerProvider implements TracerProvider {
  on = false;
  constructor(private readonly sdk: TracerProvider) {}
  getTracer(name: string, version?: string): Tracer {
    const off = new ProxyTracerProvider().getTracer(name, version);
    const on = this.sdk.getTracer(name, version);
    const current = () => (this.on ? on : off);
    return {
      startSpan: (
        spanName: string,
        options?: SpanOptions,
        context?: Parameters<Tracer['startSpan']>[2],
      ): Span => current().startSpan(spanName, options, context),
      startActiveSpan: ((...args: Parameters<Tracer['startActiveSpan']>) => {
        const tracer = current();
        return Reflect.apply(tracer.startActiveSpan, tracer, args);
      }) as Tracer['startActiveSpan'],
    };
  }
}

async function run(task: TelemetryTask): Promise<TelemetryReport> {
  const crm = sandboxCrms.find((candidate) => candidate.id === task.crm);
  if (crm === undefined) return { error: `unknown CRM ${task.crm}` };
  const exporter = new NoopExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const meterProvider = new MeterProvider({ readers: [new UncollectedReader()] });
  const switching = new SwitchingTracerProvider(tracerProvider);
  if (!trace.setGlobalTracerProvider(switching)) return { error: 'a tracer provider was already registered' };
  const use = (mode: Mode) => {
    switching.on = mode === 'sdk';
    metrics.disable();
    if (mode === 'sdk' && !metrics.setGlobalMeterProvider(meterProvider))
      throw new Error('The meter provider could not be registered');
  };
  const remote = await startRemoteSandbox(crm);
  try {
    const connector = benchConnector(remote.plugin, remote.settings, unthrottledBudgets());
    const micros: Record<Mode, number[]> = { noSdk: [], sdk: [] };
    const exported: Record<Mode, number> = { noSdk: 0, sdk: 0 };
    await inRotation(modes, task.warmupRounds + task.rounds, async (mode, round) => {
      use(mode);
      // Untimed: the core makes its instruments again when the meter provider changes.
      await connector.handle(chatBeforeAgent(`otel-${mode}-${round}-switch`));
      const spansBefore = exporter.spans;
      const started = cpuMicros();
      for (let index = 0; index < task.writesPerRound; index += 1)
        await connector.handle(chatBeforeAgent(`otel-${mode}-${round}-${index}`));
      if (round >= task.warmupRounds) {
        micros[mode].push((cpuMicros() - started) / task.writesPerRound);
        exported[mode] += exporter.spans - spansBefore;
      }
    });
    await connector.close();
    return {
      noSdkMicros: micros.noSdk,
      sdkMicros: micros.sdk,
      spansExported: exported.sdk,
      spansWithoutSdk: exported.noSdk,
    };
  } finally {
    use('noSdk');
    await remote.stop();
  }
}

process.once('message', (message: unknown) => {
  const reply = (report: TelemetryReport) => process.send?.(report, () => process.disconnect());
  const task = telemetryTaskSchema.safeParse(message);
  if (!task.success) {
    reply({ error: `unreadable task: ${task.error.message}` });
    return;
  }
  run(task.data).then(reply, (error: unknown) =>
    reply({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
