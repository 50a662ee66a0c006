import { seededRandom } from '@crm-connect/sandbox-crms';
import { describe, expect, it } from 'vitest';

describe('seededRandom', () => {
  it('replays exactly: the same seed gives the same numbers, another seed others', () => {
    const draw = (seed: number) => Array.from({ length: 50 }, seededRandom(seed));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(8)).not.toEqual(draw(7));
  });

  it('draws from [0, 1)', () => {
    const random = seededRandom(9);
    for (let index = 0; index < 10_000; index += 1) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
