import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('the rate budget window', () => {
  it('counts a request until its answer: the next window starts a full interval after the first answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const budget = createRateBudgetRegistry().forAccount('answers', {
      requestsPerInterval: 3,
      intervalMs: 1_000,
    });
    const startedAt: number[] = [];
    const answeredAt: number[] = [];
    // Each request takes 200 ms to be answered; the CRM may count it at any moment in between.
    const request = () =>
      budget.schedule(async () => {
        startedAt.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, 200));
        answeredAt.push(Date.now());
      });
    const requests = Array.from({ length: 6 }, request);
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(requests);

    const first = startedAt[0] ?? 0;
    // The first window's three go at once; the fourth only once the first answer is a full interval old.
    expect(startedAt.slice(0, 3)).toEqual([first, first, first]);
    expect(startedAt[3]).toBeGreaterThanOrEqual((answeredAt[0] ?? 0) + 1_000);
    // So any instant the CRM could count each request at leaves at most three in any interval.
    for (let index = 3; index < startedAt.length; index += 1) {
      expect(startedAt[index]).toBeGreaterThanOrEqual((answeredAt[index - 3] ?? 0) + 1_000);
    }
  });

  it('a request that fails still leaves the window an interval after it ended', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const budget = createRateBudgetRegistry().forAccount('failures', {
      requestsPerInterval: 1,
      intervalMs: 1_000,
    });
    const startedAt: number[] = [];
    const failing = budget.schedule(async () => {
      startedAt.push(Date.now());
      throw new Error('transport failed');
    });
    const next = budget.schedule(async () => {
      startedAt.push(Date.now());
    });
    await expect(failing).rejects.toThrow('transport failed');
    await vi.advanceTimersByTimeAsync(1_500);
    await next;
    expect((startedAt[1] ?? 0) - (startedAt[0] ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect(budget.load()).toEqual({ waiting: 0, inFlight: 0 });
  });
});

describe('holding the account (a 429 with Retry-After)', () => {
  const createBudget = () =>
    createRateBudgetRegistry().forAccount(`hold-${Math.random()}`, {
      requestsPerInterval: 100,
      intervalMs: 1_000,
    });

  async function startedAfterHold(hold: (budget: ReturnType<typeof createBudget>) => void): Promise<number> {
    const budget = createBudget();
    const start = Date.now();
    hold(budget);
    let startedAt = -1;
    const task = budget.schedule(async () => {
      startedAt = Date.now() - start;
    });
    await vi.advanceTimersByTimeAsync(10_000);
    await task;
    return startedAt;
  }

  it('no request starts until the hold has passed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    expect(await startedAfterHold((budget) => budget.holdFor(2_000))).toBe(2_000);
  });

  it('a shorter hold does not cut a longer one short; a longer one extends it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    expect(
      await startedAfterHold((budget) => {
        budget.holdFor(3_000);
        budget.holdFor(1_000);
      }),
    ).toBe(3_000);
    expect(
      await startedAfterHold((budget) => {
        budget.holdFor(1_000);
        budget.holdFor(4_000);
      }),
    ).toBe(4_000);
  });

  it('a hold of zero holds nothing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    expect(await startedAfterHold((budget) => budget.holdFor(0))).toBe(0);
  });
});
