import { metrics, trace } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * An OpenTelemetry SDK registered in the cell's process, so everything crm-connect reports as
 * telemetry (spans with their attributes, events and status; metric data points' attributes) is
 * captured as text and searched for secrets with the logs, audit events and errors.
 */
export interface TelemetryCapture {
  /**
   * Starts a cell: drops what earlier cells of this process reported and sends every exported
   * span, as a piece of text, to `sink` from now on.
   */
  start(sink: (text: string) => void): Promise<void>;
  /** Ends the cell: sends the spans not yet sent, then every metric data point's attributes as one piece. */
  finish(): Promise<void>;
}

/** Spans kept as objects before they are serialized to text (bounds the exporter's memory). */
const spansPerChunk = 512;

/** Keeps spans until `spansPerChunk` are waiting, then hands each to the sink as a piece of text. */
class ChunkingSpanExporter extends InMemorySpanExporter {
  sink: ((text: string) => void) | undefined;

  override export(
    spans: ReadableSpan[],
    resultCallback: Parameters<InMemorySpanExporter['export']>[1],
  ): void {
    super.export(spans, resultCallback);
    if (this.getFinishedSpans().length >= spansPerChunk) this.drain();
  }

  drain(): void {
    const spans = this.getFinishedSpans();
    this.reset();
    for (const span of spans) this.sink?.(serializeSpan(span));
  }
}

function serializeSpan(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events.map((event) => ({ name: event.name, attributes: event.attributes ?? {} })),
    links: span.links.map((link) => link.attributes ?? {}),
    status: span.status,
  });
}

/** A reader the cell collects from itself; delta temporality so each cell sees only its own points. */
class CellMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

let registered: TelemetryCapture | undefined;

/**
 * The process's telemetry capture, registering the global tracer and meter providers the first
 * time (before any connector of the process runs; the API allows one registration per process).
 */
export function telemetryCapture(): TelemetryCapture {
  if (registered !== undefined) return registered;
  const exporter = new ChunkingSpanExporter();
  const reader = new CellMetricReader();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  // No context manager: @opentelemetry/context-async-hooks is not a dependency of the bench. Spans
  // lose their parent across awaits without one, but every span is still exported and searched.
  const collectMetrics = async (): Promise<string> => {
    const { resourceMetrics } = await reader.collect();
    const lines: string[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints) {
          lines.push(`${metric.descriptor.name} ${JSON.stringify(point.attributes)}`);
        }
      }
    }
    return lines.join('\n');
  };
  registered = {
    async start(sink) {
      exporter.reset();
      await collectMetrics();
      exporter.sink = sink;
    },
    async finish() {
      exporter.drain();
      const points = await collectMetrics();
      if (points !== '') exporter.sink?.(points);
      exporter.sink = undefined;
    },
  };
  return registered;
}
