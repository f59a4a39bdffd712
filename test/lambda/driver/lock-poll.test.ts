import { describe, expect, it } from 'vitest';
import { LOCK_POLL_BACKOFF, pollDelay, pollForLock } from '../../../lambda/driver/lock-poll';

describe('Function: pollDelay', () => {
  it('doubles from 50 ms up to 1 s, jittered into the upper half of each step', () => {
    const low = (attempt: number) => pollDelay(attempt, LOCK_POLL_BACKOFF, () => 0);
    const high = (attempt: number) => pollDelay(attempt, LOCK_POLL_BACKOFF, () => 1);
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(high)).toEqual([50, 100, 200, 400, 800, 1000, 1000, 1000]);
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(low)).toEqual([25, 50, 100, 200, 400, 500, 500, 500]);
  });
});

describe('Function: pollForLock', () => {
  const fast = { initialMs: 2, maxMs: 8 };

  it('returns as soon as a try succeeds, telling the holders once', async () => {
    let tries = 0;
    const told: string[][] = [];
    await pollForLock({
      waitMs: 5000,
      backoff: fast,
      tryTake: async () => ++tries === 4,
      holders: async () => ['pid 7'],
      onBusy: (h) => told.push(h),
      timeout: () => new Error('timed out'),
    });
    expect(tries).toBe(4);
    expect(told).toEqual([['pid 7']]);
  });

  it('throws the timeout error with fresh holders once the wait ran out, after one last try', async () => {
    let tries = 0;
    let asked = 0;
    const started = Date.now();
    const e = await pollForLock({
      waitMs: 60,
      backoff: fast,
      tryTake: async () => {
        tries++;
        return false;
      },
      holders: async () => [`read ${++asked}`],
      timeout: (h) => new Error(`held by ${h.join()}`),
    }).catch((x: Error) => x);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    expect((e as Error).message).toBe('held by read 2');
    expect(tries).toBeGreaterThan(3);
  });

  it('with waitMs 0 tries once', async () => {
    let tries = 0;
    const e = await pollForLock({
      waitMs: 0,
      tryTake: async () => {
        tries++;
        return false;
      },
      holders: async () => [],
      timeout: () => new Error('busy'),
    }).catch((x: Error) => x);
    expect((e as Error).message).toBe('busy');
    expect(tries).toBe(1);
  });

  it('wakes sooner than the backoff step when told the lock frees up then', async () => {
    let tries = 0;
    const started = Date.now();
    await pollForLock({
      waitMs: 10_000,
      backoff: { initialMs: 5000, maxMs: 5000 },
      tryTake: async () => ++tries === 2,
      holders: async () => [],
      timeout: () => new Error('timed out'),
      wakeWithinMs: () => 20,
    });
    // Woken within 20 ms, not after the 5 s back-off.
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
