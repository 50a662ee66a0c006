import { describe, expect, it } from 'vitest';
import { inRotation, withCallers } from '../../src/bench/rotation.js';

describe('bench: rotation and callers', () => {
  it('rotates who goes first every round', async () => {
    const order: string[] = [];
    await inRotation(['a', 'b', 'c'], 3, (contender) => {
      order.push(contender);
    });
    expect(order.join('')).toBe('abcbcacab');
  });

  it('runs every job once with no more callers in flight than asked', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await withCallers(4, 10, async (index) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      done.push(index);
      inFlight -= 1;
    });
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).toBe(4);
  });
});
