import { describe, expect, it } from 'vitest';
import { compareRounds, mean, quantile, summarise } from '../../src/bench/statistics.js';

describe('bench: order statistics', () => {
  it('takes the nearest-rank quantile: always a measured value', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantile(sorted, 0.5)).toBe(5);
    expect(quantile(sorted, 0.95)).toBe(10);
    expect(quantile([7], 0.95)).toBe(7);
  });

  it('summarises unsorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(summarise(samples)).toEqual({ count: 100, median: 50, p95: 95 });
  });

  it('refuses to summarise nothing', () => {
    expect(() => quantile([], 0.5)).toThrow(RangeError);
  });

  it('compares rounds by their medians, and by their means with the outliers', () => {
    const measured = [12, 12, 12, 12, 60];
    const baseline = [10, 10, 10, 10, 10];
    expect(mean(measured)).toBe(21.6);
    expect(compareRounds(measured, baseline)).toEqual({ ratio: 1.2, ratioOfMeans: 2.16 });
  });
});
