/**
 * The pg driver's runner lock. On a connection that is one server session:
 * the session-level advisory lock (`advisory-lock.ts`). Through a
 * pooler (see `pooler.ts`): the lease the Data API uses
 * (`../data-api/lease-lock.ts`), which needs no session — a session lock taken
 * there would stay with a pooled server connection that no client owns, and
 * the next runner would wait for it until --lock-wait ran out. While the
 * lease is held, every commit of this driver is fenced by it. Taking the
 * lease writes (on a database migrated directly, its table is created, and
 * dropped when the run committed nothing), so through a pooler the run's
 * state is read first (`skipWhen`) and a run with nothing to apply takes no
 * lease.
 */
import type { Blocker } from '../../engine/errors/errors';
import type { Driver, LockOptions, MigrationLock, Queryable, Session } from '../../engine/ports';
import { LeaseLock, type LeaseTimings } from '../data-api/lease-lock';
import { AdvisoryLock } from './advisory-lock';
import type { PoolerEvidence } from './pooler';

/** What the lock needs from the pg driver. */
export interface PgLockHost extends Driver {
  /** Set once a connection of this driver was found to go through a pooler. */
  readonly pooler?: PoolerEvidence;
  /** The lease while one is held through a pooler: commits are fenced by it. */
  lease?: LeaseLock;
  readonly leaseTimings?: LeaseTimings;
}

export class PgRunnerLock implements MigrationLock {
  private inner?: MigrationLock;
  /** The connection `skipWhen` opened, kept for `acquire`. */
  private opened?: Session;

  constructor(
    private readonly driver: PgLockHost,
    private readonly options: LockOptions,
  ) {}

  get monitor(): Session | undefined {
    return this.inner?.monitor as Session | undefined;
  }

  /** Which lock this runner uses: known once acquire() connected. */
  get kind(): 'advisory' | 'lease' | undefined {
    return this.inner instanceof LeaseLock ? 'lease' : this.inner ? 'advisory' : undefined;
  }

  /**
   * Through a pooler, taking the lease writes (on a database without its
   * table, a CREATE TABLE, then a DROP when the run committed nothing): the
   * run's `nothingToDo` is asked first, over this lock's connection. On one
   * server session the advisory lock writes nothing: false, unasked.
   */
  async skipWhen(nothingToDo: (q: Queryable) => Promise<boolean>): Promise<boolean> {
    const session = (this.opened ??= await this.driver.connect());
    if (this.driver.pooler === undefined) return false;
    try {
      return await nothingToDo(session);
    } catch {
      // The run under the lock says what went wrong, on a connection of its own (this one may be the cause).
      this.opened = undefined;
      await session.close().catch(() => undefined);
      return false;
    }
  }

  async acquire(waitMs: number, onWait?: (holders: Blocker[]) => void): Promise<void> {
    // Connecting tells whether this is one server session: decide before anything is written.
    const session = this.opened ?? (await this.driver.connect());
    this.opened = undefined;
    if (this.driver.pooler) {
      const lease = new LeaseLock(this.driver, { ...this.driver.leaseTimings, ...this.options, session });
      this.driver.lease = lease;
      this.inner = lease;
    } else {
      this.inner = new AdvisoryLock(this.driver, this.options.stateSchema, session);
    }
    await this.inner.acquire(waitMs, onWait);
  }

  get fencesCommits(): boolean {
    return this.inner instanceof LeaseLock && this.inner.fencesCommits;
  }

  async assertHeld(): Promise<void> {
    if (!this.inner) throw new Error('the runner lock was never acquired');
    await this.inner.assertHeld();
  }

  onLost(listener: () => void): void {
    this.inner?.onLost?.(listener);
  }

  async announceWorker(pid: number): Promise<void> {
    await this.inner?.announceWorker?.(pid);
  }

  async heldSql(): Promise<string | undefined> {
    return this.inner?.heldSql?.();
  }

  async release(): Promise<void> {
    const inner = this.inner;
    const opened = this.opened;
    this.inner = undefined;
    this.opened = undefined;
    try {
      await inner?.release();
    } finally {
      if (this.driver.lease === inner) this.driver.lease = undefined;
      // Opened by skipWhen, and the lock was not taken on it.
      await opened?.close();
    }
  }
}
