/**
 * The runner lock: one migration runner at a time per database and state schema.
 * `advisory-lock.ts` implements it with a session-level advisory lock; drivers
 * without a session (the Data API) bring a lease instead.
 */
import type { Blocker } from './errors';
import type { Queryable } from '../driver/driver';

export interface MigrationLock {
  /**
   * Take the lock, waiting at most `waitMs` (0 = do not wait).
   * Calls `onWait` once with the current holders when the lock is busy.
   * Throws LockWaitTimeoutError when the wait runs out.
   */
  acquire(waitMs: number, onWait?: (holders: Blocker[]) => void): Promise<void>;
  /** Throws when the lock is known to be lost (its connection died, its lease expired). */
  assertHeld(): Promise<void> | void;
  /** Release; safe to call when not held and after the connection died. */
  release(): Promise<void>;
  /** A connection for read-only side queries (blocker sampling) while the lock is held, if the lock has one. */
  readonly monitor?: Queryable;
}
