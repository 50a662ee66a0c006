import { z } from 'zod';

/**
 * Faults a sandbox injects on purpose, so a client's retries, backoff and duplicate prevention
 * can be seen working. A fault targets requests (by method, route name and/or path) and applies
 * to a number of them; each request takes at most one fault, the oldest matching one first.
 * The input is validated with zod because it also comes from the CLI's command line.
 */

const methodSchema = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

const targetShape = {
  /** Only requests with this method. Default: every method. */
  method: methodSchema.optional(),
  /** Only requests to the route with this name (`tickets.create`; each sandbox's README lists them). Default: every route. */
  route: z.string().min(1).optional(),
  /** Only requests whose path matches this pattern, `*` standing for any text within one segment. Default: every path. */
  path: z.string().startsWith('/', 'must start with /').optional(),
  /** Matching requests that arrive before the fault starts (whatever becomes of them). Default 0. */
  skip: z.number().int().nonnegative().default(0),
  /** How many matching requests get the fault; `always` never runs out. Default 1. */
  times: z.union([z.number().int().positive(), z.literal('always')]).default(1),
};

export const faultSchema = z.discriminatedUnion('kind', [
  /** The CRM's rate-limit answer (Zendesk and Kustomer: 429 with Retry-After); the request is not processed. */
  z.object({
    kind: z.literal('rate-limit'),
    ...targetShape,
    /** The Retry-After sent, in seconds; fractions are allowed so tests can scale time down. Default 1. */
    retryAfterSeconds: z.number().nonnegative().default(1),
  }),
  /** A server error in the CRM's shape; the request is not processed. */
  z.object({
    kind: z.literal('server-error'),
    ...targetShape,
    /** Default 503. */
    status: z.number().int().min(500).max(599).default(503),
    /** A Retry-After to send with it, in seconds. Default: none. */
    retryAfterSeconds: z.number().nonnegative().optional(),
  }),
  /** The request waits this long before it is processed (a client with a shorter timeout gives up, yet the write still happens). */
  z.object({
    kind: z.literal('slow'),
    ...targetShape,
    delayMs: z.number().int().positive(),
  }),
  /**
   * The connection is destroyed without an answer. `before-handling`: nothing was processed.
   * `after-handling`: the request was processed (a write is committed) and then the answer was
   * lost — the case only idempotency keys or a lookup before retrying can get right.
   */
  z.object({
    kind: z.literal('drop'),
    ...targetShape,
    when: z.enum(['before-handling', 'after-handling']).default('before-handling'),
  }),
  /**
   * The answer drips: its status and headers go out at once, then its body one byte every
   * `byteIntervalMs`, so a client's idle-socket timer never fires and only a deadline for the whole
   * exchange ends the wait. `after-handling` (default): the request is processed first (a write is
   * committed), as a slow CRM does; `before-handling`: nothing is processed and the CRM's 503 is
   * what drips. Dripping stops when the client goes away.
   */
  z.object({
    kind: z.literal('drip'),
    ...targetShape,
    byteIntervalMs: z.number().int().positive(),
    when: z.enum(['before-handling', 'after-handling']).default('after-handling'),
  }),
  /**
   * The request is processed (a write is committed) and answered, but with a body that is not the
   * CRM's documented shape: a proxy's page, an API change, another service behind the URL.
   */
  z.object({
    kind: z.literal('malformed-answer'),
    ...targetShape,
    /** Sent instead of the route's body: JSON, or a string sent as text. Default `{}`. */
    body: z.json().default({}),
    /** The status sent; default the route's own (201 for a create). */
    status: z.number().int().min(100).max(599).optional(),
  }),
]);
export type Fault = z.output<typeof faultSchema>;
export type FaultInput = z.input<typeof faultSchema>;
export type FaultKind = Fault['kind'];

/** What a fault is matched against. */
export interface FaultTarget {
  method: string;
  path: string;
  /** The matched route's name, if any route matched. */
  route: string | undefined;
}

/** An injected fault, to watch it being used up or to withdraw it. */
export interface InjectedFault {
  readonly fault: Fault;
  /** Requests it has been applied to so far. */
  applied(): number;
  /** True once it applies to no further request. */
  exhausted(): boolean;
  cancel(): void;
}

export interface FaultInjector {
  /** Validates `fault` (a `ZodError` names a bad field) and arms it. */
  inject(fault: FaultInput): InjectedFault;
  /** Faults that can still apply, oldest first. */
  active(): readonly InjectedFault[];
  /** Withdraws every fault. */
  clear(): void;
  /** The fault to apply to this request, if any; counts it as applied. Called once per request. */
  take(target: FaultTarget): Fault | undefined;
}

/** `*` matches any characters except `/`; everything else is literal; the whole path must match. */
function pathPattern(glob: string): RegExp {
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${source}$`);
}

interface ArmedFault extends InjectedFault {
  matches(target: FaultTarget): boolean;
  /** Counts a matching request; true once `skip` requests have gone by, i.e. the fault is due. */
  see(): boolean;
  /** Applies the fault to the request just seen. */
  apply(): void;
}

function arm(fault: Fault, withdraw: (armed: ArmedFault) => void): ArmedFault {
  const path = fault.path === undefined ? undefined : pathPattern(fault.path);
  let seen = 0;
  let applied = 0;
  const armed: ArmedFault = {
    fault,
    applied: () => applied,
    exhausted: () => fault.times !== 'always' && applied >= fault.times,
    cancel: () => withdraw(armed),
    matches: (target) =>
      (fault.method === undefined || fault.method === target.method) &&
      (fault.route === undefined || fault.route === target.route) &&
      (path === undefined || path.test(target.path)),
    see() {
      seen += 1;
      return seen > fault.skip;
    },
    apply() {
      applied += 1;
      if (armed.exhausted()) withdraw(armed);
    },
  };
  return armed;
}

export function createFaultInjector(): FaultInjector {
  let armed: ArmedFault[] = [];
  const withdraw = (fault: ArmedFault) => {
    armed = armed.filter((candidate) => candidate !== fault);
  };
  return {
    inject(input) {
      const fault = arm(faultSchema.parse(input), withdraw);
      armed.push(fault);
      return fault;
    },
    active: () => [...armed],
    clear() {
      armed = [];
    },
    take(target) {
      // Every matching fault counts the request towards its `skip`, whatever happens to it; the
      // oldest fault that is due applies, and a fault still skipping lets a younger one apply.
      let chosen: ArmedFault | undefined;
      for (const fault of [...armed]) {
        if (!fault.matches(target)) continue;
        const due = fault.see();
        if (due && chosen === undefined) chosen = fault;
      }
      chosen?.apply();
      return chosen?.fault;
    },
  };
}
