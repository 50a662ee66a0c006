import { describe, expect, it } from 'vitest';
import { cacheOnSuccess } from '../src/cache-on-success.js';

describe('cacheOnSuccess', () => {
  it('runs the load once and shares its answer, while pending and after', async () => {
    let runs = 0;
    const cached = cacheOnSuccess(async () => {
      runs += 1;
      return { id: 'admin' };
    });
    const [first, second] = await Promise.all([cached(), cached()]);
    expect(first).toBe(second);
    expect(await cached()).toBe(first);
    expect(runs).toBe(1);
  });

  it('forgets a failure, so the next call runs the load again', async () => {
    let runs = 0;
    const cached = cacheOnSuccess(async () => {
      runs += 1;
      if (runs === 1) throw new Error('unreachable');
      return 'admin';
    });
    const failed = [cached(), cached()];
    for (const call of failed) await expect(call).rejects.toThrow('unreachable');
    expect(await cached()).toBe('admin');
    expect(await cached()).toBe('admin');
    expect(runs).toBe(2);
  });

  it('treats a load that throws at once like one that rejects', async () => {
    let runs = 0;
    const cached = cacheOnSuccess((): Promise<string> => {
      runs += 1;
      if (runs === 1) throw new Error('bad settings');
      return Promise.resolve('ok');
    });
    await expect(cached()).rejects.toThrow('bad settings');
    expect(await cached()).toBe('ok');
  });
});
