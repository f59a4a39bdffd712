/**
 * Waiting for the runner lock without holding anything while waiting.
 *
 * A session parked in a blocking lock call (`pg_advisory_lock`, a row lock
 * behind an upsert) runs a statement the whole time, and a running statement
 * holds a snapshot. `CREATE INDEX CONCURRENTLY` (and DROP INDEX / REINDEX
 * CONCURRENTLY) waits for every transaction whose snapshot is older than its
 * own, so the lock holder's index build would wait for the waiters while they
 * wait for it, until a timeout breaks the cycle. Waiters therefore poll: one
 * short autocommit statement per try, then a sleep with no statement running
 * and no transaction open — jittered backoff from 50 ms doubling to 1 s —
 * until the wait (`--lock-wait`) runs out.
 *
 * Shared by the drivers' runner locks: the advisory lock (`pg/advisory-lock.ts`)
 * and the lease (`data-api/lease-lock.ts`, which the pg driver also takes
 * through a pooler). The engine only asks a lock to `acquire(waitMs)`.
 */
import { sleep } from '../engine/runtime/sleep';

export interface Backoff {
  /** First sleep before the doubling. */
  initialMs: number;
  /** Longest sleep. */
  maxMs: number;
}

/** 50 ms doubling to 1 s: a released lock is taken within a second, a busy one costs one short query a second. */
export const LOCK_POLL_BACKOFF: Backoff = { initialMs: 50, maxMs: 1000 };

/**
 * Sleep before try `attempt + 1` (attempt counts from 0): the backoff step,
 * jittered into its upper half so that runners started together spread out.
 */
export function pollDelay(attempt: number, backoff: Backoff = LOCK_POLL_BACKOFF, random: () => number = Math.random): number {
  const step = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

export interface LockPoll<H> {
  /** How long to keep trying, in ms (0 = one try). */
  waitMs: number;
  /** One short autocommit statement: true when the lock is now ours. */
  tryTake(): Promise<boolean>;
  /** Who holds the lock (a short read), for the first report and the final error. */
  holders(): Promise<H[]>;
  /** Told once, with the holders, when the first try finds the lock busy. */
  onBusy?(holders: H[]): void;
  /** The error to throw when the wait ran out. */
  timeout(holders: H[]): Error;
  /** A sooner wake-up than the backoff step, when the lock is known to free up then (a lease expiring). */
  wakeWithinMs?(): number | undefined;
  /** @default LOCK_POLL_BACKOFF */
  backoff?: Backoff;
}

/** Try until the lock is ours or `waitMs` ran out (then throw `timeout(holders)`). */
export async function pollForLock<H>(p: LockPoll<H>): Promise<void> {
  const deadline = Date.now() + Math.max(0, p.waitMs);
  let told = false;
  for (let attempt = 0; ; attempt++) {
    if (await p.tryTake()) return;
    const left = deadline - Date.now();
    if (!told || left <= 0) {
      const holders = await p.holders();
      if (!told) p.onBusy?.(holders);
      told = true;
      if (left <= 0) throw p.timeout(holders);
    }
    const step = pollDelay(attempt, p.backoff);
    await sleep(Math.max(1, Math.min(step, left, p.wakeWithinMs?.() ?? Infinity)));
  }
}
