import type { FaultInjector, InjectedFault, RequestLog, RequestLogEntry } from '@crm-connect/sandbox';

/** A fault without its target: the periodic injector aims it at one route at a time. */
export type UntargetedFault =
  | { kind: 'rate-limit'; retryAfterSeconds: number }
  | { kind: 'server-error'; status: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'drop'; when: 'before-handling' | 'after-handling' }
  | { kind: 'drip'; byteIntervalMs: number };

export interface PeriodicFaultOptions {
  faults: FaultInjector;
  log: RequestLog;
  fault: UntargetedFault;
  /** On average, one matching request in this many gets the fault. */
  oneIn: number;
  /** Which routes take faults (the CRM's API, not its token endpoint). */
  eligible(route: string): boolean;
  random: () => number;
}

export interface PeriodicFaults {
  /** Faults applied so far. */
  applied(): number;
  /** Withdraws the armed faults and stops arming new ones. */
  stop(): void;
}

/**
 * Injects a fault into about one request in `oneIn` of every eligible route, all through a run:
 * each route has one armed fault that lets a random number of requests (0 to 2 × oneIn − 2) go
 * by, applies once, and is re-armed as soon as the request log shows it used up. Routes are
 * armed the first time they are seen, so the plugin's own choice of calls decides where faults land.
 */
export function injectPeriodically(options: PeriodicFaultOptions): PeriodicFaults {
  const armed = new Map<string, InjectedFault>();
  let applied = 0;
  let stopped = false;

  const arm = (route: string) => {
    const skip = Math.floor(options.random() * (2 * options.oneIn - 1));
    armed.set(route, options.faults.inject({ ...options.fault, route, skip, times: 1 }));
  };

  const unsubscribe = options.log.subscribe((entry: RequestLogEntry) => {
    if (stopped) return;
    for (const [route, fault] of armed) {
      if (fault.exhausted()) {
        applied += 1;
        arm(route);
      }
    }
    if (entry.route !== undefined && !armed.has(entry.route) && options.eligible(entry.route))
      arm(entry.route);
  });

  return {
    applied: () => applied + [...armed.values()].filter((fault) => fault.exhausted()).length,
    stop() {
      stopped = true;
      unsubscribe();
      for (const fault of armed.values()) fault.cancel();
    },
  };
}
