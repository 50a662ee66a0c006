/** A day in ms, the unit of the stores' default TTLs. */
export const day = 24 * 60 * 60 * 1000;

/** `ms` when it is a positive whole number of milliseconds; a RangeError naming the option otherwise. */
export function positiveMs(name: string, ms: number): number {
  if (!Number.isInteger(ms) || ms < 1) throw new RangeError(`${name} must be a positive whole number of ms`);
  return ms;
}

/** A little later than `ms`, by up to a tenth (at most 20 ms), so processes woken together do not call Redis in lockstep. */
export function withJitter(ms: number): number {
  return ms + Math.random() * Math.min(ms / 10, 20);
}
