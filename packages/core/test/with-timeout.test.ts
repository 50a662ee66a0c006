import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withTimeout } from '../src/with-timeout.js';

const timedOut = () => new Error('timed out');

describe('withTimeout', () => {
  it('settles as the work does when it is in time', async () => {
    await expect(withTimeout(Promise.resolve('token'), 1_000, timedOut)).resolves.toBe('token');
    await expect(withTimeout(Promise.reject(new Error('refused')), 1_000, timedOut)).rejects.toThrow(
      'refused',
    );
  });

  it('rejects with the timeout error when the work is slower', async () => {
    await expect(withTimeout(sleep(200, 'late'), 10, timedOut)).rejects.toThrow('timed out');
  });
});
