import { z } from 'zod';

/**
 * A steady rate limit like the CRMs' own: at most N requests per minute in any rolling window,
 * every request beyond that refused (429) with the wait until a slot frees up. `timeScale`
 * shortens the minute (60 makes it one second) so a benchmark of a client's rate budget runs in
 * seconds; Retry-After is scaled the same way.
 */

export const rateWindowSchema = z.object({
  /** Requests accepted per (scaled) minute, like a CRM plan's limit. */
  requestsPerMinute: z.number().int().positive(),
  /** How many times faster than real time the minute passes. Default 1 (a real minute). */
  timeScale: z.number().positive().max(60_000).default(1),
});
export type RateWindowOptions = z.output<typeof rateWindowSchema>;
export type RateWindowInput = z.input<typeof rateWindowSchema>;

export type Admission =
  | { admitted: true; limit: number; remaining: number }
  | { admitted: false; limit: number; remaining: 0; retryAfterMs: number };

export interface RateWindow {
  readonly options: RateWindowOptions;
  /** Counts a request that arrives at `now` if there is room; refused requests are not counted. */
  admit(now: number): Admission;
}

export function createRateWindow(input: RateWindowInput): RateWindow {
  const options = rateWindowSchema.parse(input);
  const windowMs = 60_000 / options.timeScale;
  // Arrival times of the accepted requests still inside the window, oldest first.
  let accepted: number[] = [];
  return {
    options,
    admit(now) {
      accepted = accepted.filter((time) => time > now - windowMs);
      const limit = options.requestsPerMinute;
      const oldest = accepted[0];
      if (accepted.length >= limit && oldest !== undefined) {
        return { admitted: false, limit, remaining: 0, retryAfterMs: Math.max(1, oldest + windowMs - now) };
      }
      accepted.push(now);
      return { admitted: true, limit, remaining: limit - accepted.length };
    },
  };
}

/** Retry-After in seconds: whole seconds when the wait is a second or more (what CRMs send), else a fraction. */
export function retryAfterHeader(ms: number): string {
  if (ms >= 1000) return String(Math.ceil(ms / 1000));
  return String(Math.ceil(ms) / 1000);
}
