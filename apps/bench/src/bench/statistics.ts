/** Order statistics of timings. */

export interface Summary {
  /** How many samples. */
  count: number;
  median: number;
  p95: number;
}

/**
 * The `fraction` quantile by the nearest-rank method: a value that was actually measured, never an
 * interpolation between two samples.
 */
export function quantile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) throw new RangeError('No samples');
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function summarise(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
}

/** The arithmetic mean: what the rounds cost in total, outliers (a major garbage collection, another process's burst) included. */
export function mean(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('No samples');
  return samples.reduce((sum, sample) => sum + sample, 0) / samples.length;
}

/**
 * Per-round samples of two contenders compared: the ratio of their medians (the figure: robust to
 * a few rounds that other work on the machine slowed down) and of their means (everything counted).
 */
export function compareRounds(
  measured: readonly number[],
  baseline: readonly number[],
): { ratio: number; ratioOfMeans: number } {
  return {
    ratio: summarise(measured).median / summarise(baseline).median,
    ratioOfMeans: mean(measured) / mean(baseline),
  };
}
