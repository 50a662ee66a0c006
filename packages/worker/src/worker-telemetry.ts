import {
  type Counter,
  context,
  type Histogram,
  type MeterProvider,
  metrics,
  type ObservableGauge,
  propagation,
  ROOT_CONTEXT,
} from '@opentelemetry/api';

const scope = { name: '@crm-connect/worker', version: '0.1.0' } as const;

/**
 * The platform's trace context where an event was enqueued, in W3C Trace Context form
 * (`traceparent`, `tracestate`), so the worker continues the same trace. Empty when no SDK (or
 * no propagator) is registered, or no span was active.
 */
export function currentTraceCarrier(): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length === 0 ? undefined : carrier;
}

/** Runs `task` in the trace context an event was enqueued with (the root context without one). */
export function inEnqueuedContext<T>(
  carrier: Record<string, string> | undefined,
  task: () => Promise<T>,
): Promise<T> {
  const parent = carrier === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, carrier);
  return context.with(parent, task);
}

interface WorkerInstruments {
  jobAge: Histogram;
  deadLetters: Counter;
  depth: ObservableGauge;
}

let cached: { provider: MeterProvider; instruments: WorkerInstruments } | undefined;

/** The worker's instruments on the meter provider registered now (made again when it changes). */
export function workerInstruments(): WorkerInstruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) {
    const meter = provider.getMeter(scope.name, scope.version);
    cached = {
      provider,
      instruments: {
        jobAge: meter.createHistogram('crm_connect.worker.event.age', {
          description: 'Time from enqueueing an event to the start of its handling',
          unit: 's',
        }),
        deadLetters: meter.createCounter('crm_connect.worker.dead_letters', {
          description: 'Events moved to the dead-letter queue, by typed error code',
          unit: '{event}',
        }),
        depth: meter.createObservableGauge('crm_connect.worker.queue.depth', {
          description: 'Jobs in the worker queues, by queue and state',
          unit: '{job}',
        }),
      },
    };
  }
  return cached.instruments;
}

/** What the queue-depth gauge reads when a metrics reader collects. */
export type QueueCounts = () => Promise<Record<string, Record<string, number>>>;

/**
 * Reports the queues' depth (drain jobs waiting, delayed, active; dead letters) on each collection.
 * Returns the function that stops it (on close).
 */
export function observeQueueDepth(counts: QueueCounts): () => void {
  const { depth } = workerInstruments();
  const callback = async (result: { observe(value: number, attributes: Record<string, string>): void }) => {
    let read: Record<string, Record<string, number>>;
    try {
      read = await counts();
    } catch {
      return; // Redis unreachable: no observation rather than a wrong zero.
    }
    for (const [queue, states] of Object.entries(read))
      for (const [state, value] of Object.entries(states))
        result.observe(value, { 'crm_connect.queue': queue, 'crm_connect.queue.state': state });
  };
  depth.addCallback(callback);
  return () => depth.removeCallback(callback);
}
