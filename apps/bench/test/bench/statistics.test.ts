import { describe, expect, it } from 'vitest';
import { quantile, summarise } from '../../src/bench/statistics.js';

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
});
