/**
 * The runner lock for drivers without a session (the RDS Data API): a lease
 * row in the state schema instead of a session-level advisory lock.
 *
 * - Taken with one autocommitted upsert that succeeds only when the row is
 *   free, expired, or already ours; the database clock decides expiry, so
 *   runners with skewed clocks agree.
 * - Renewed on a timer while held (every ttl/3 by default); `assertHeld()`
 *   renews before each migration and throws when the lease is gone. A runner
 *   that dies stops renewing, and the next takes the lease over after `ttlMs`.
 * - `fence(q)`, in a migration's transaction just before COMMIT, locks the
 *   lease row (FOR UPDATE) and refuses unless the lease is still ours, so a
 *   runner whose lease was taken over cannot commit (the state table's
 *   primary key refuses a second record besides).
 * - Expiry alone loses nothing: until another runner takes the lease over, a
 *   late renewal or a commit goes ahead (through a pooler whose one server
 *   connection the migration holds, the renewal waits for that COMMIT).
 * - Waiting holds nothing (`lock-poll.ts`): each try reads the row first (a
 *   plain read never waits) and upserts only when it may win. Creating the
 *   lease table is serialised with `pg_try_advisory_xact_lock`
 *   (`lease-table.ts`).
 * - A lease under which nothing was committed removes, on release, the table
 *   and schema that taking it created: such a run leaves the database as it
 *   found it, as one under the advisory lock does.
 * - The advisory lock (`../pg/advisory-lock.ts`) is the same lock's other
 *   form: once the lease is taken, a session holding the advisory key makes
 *   this runner back off and wait as for a busy lock (`../lease-holders.ts`),
 *   reading pg_locks before each upsert so a long direct run costs no writes.
 *
 * The waits PostgreSQL makes unavoidable are one statement or commit long:
 * two first inserts of the row, an upsert meeting a renewal or a fence.
 * Neither is held across a no-transaction statement.
 */
import { randomUUID } from 'node:crypto';
import { holderName, lockWaitFix, LockWaitTimeoutError, MigrationError, type Blocker } from '../../engine/errors/errors';
import type { Driver, MigrationLock, Queryable, Session } from '../../engine/ports';
import { advisoryLockKey, DEFAULT_LEASE_NAME, LEASE_TABLE } from '../../engine/state/runner-lock-names';
import { leaseBlocker as toBlocker, type LeaseHolderRow as HolderRow } from '../lease-holders';
import { pollForLock } from '../lock-poll';
import { lockHolders } from '../pg/advisory-lock';
import { ensureLeaseTable, isLeaseTableGone, leaseTable, removeLeaseTable, type LeaseTableCreation } from './lease-table';
import { present } from '../../engine/errors/present';

export { LEASE_TABLE };

export interface LeaseTimings {
  /** How long a lease lives without renewal. @default 60000 */
  ttlMs?: number;
  /** Renewal period while held. @default ttlMs / 3 */
  renewEveryMs?: number;
  /** Longest sleep between two tries of a waiting runner (the backoff starts at 50 ms and doubles up to it). @default 1000 */
  pollMs?: number;
}

export interface LeaseLockOptions extends LeaseTimings {
  stateSchema: string;
  /** Recorded in the lease row (who is migrating). */
  owner: string;
  /** Lease name: one runner at a time per name. @default 'migrate' */
  name?: string;
  /** The connection to keep the lease with. @default - the lock opens its own */
  session?: Session;
}

/** The lease was lost (expired and possibly taken over) while a runner held it. */
export class LeaseLostError extends MigrationError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, {
      ...options,
      fix: 'the runner stalled longer than the lease lives (or its database calls failed); run again — every migration that committed is recorded, the others will be applied by the next run; raise the lease TTL if migrations legitimately pause that long',
    });
    this.name = 'LeaseLostError';
  }
}

export class LeaseLock implements MigrationLock {
  /** Unique per acquisition attempt object: two runners with the same owner never share a lease. */
  readonly holderId = randomUUID();
  readonly ttlMs: number;
  private readonly renewEveryMs: number;
  private readonly pollMs: number;
  private readonly name: string;
  private readonly table: string;
  private session?: Session;
  private timer?: NodeJS.Timeout;
  private held = false;
  private lost?: string;
  private renewing?: Promise<void>;
  /** What this lock created when it found no lease table (removed on release when nothing was committed under it). */
  private created?: LeaseTableCreation;
  /** A commit was fenced by this lease since it was taken: the run wrote to the database. */
  private committed = false;
  /** The advisory lock's holders the last try found (it backed off, or did not write, for them). */
  private advisory: Blocker[] = [];
  /** Other runners' live leases the last try found. */
  private seen: HolderRow[] = [];

  constructor(
    private readonly driver: Driver,
    private readonly options: LeaseLockOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.renewEveryMs = options.renewEveryMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    this.pollMs = options.pollMs ?? 1000;
    this.session = options.session;
    this.name = options.name ?? DEFAULT_LEASE_NAME;
    this.table = leaseTable(options.stateSchema);
    if (!(this.ttlMs > 0) || this.renewEveryMs >= this.ttlMs) {
      throw new MigrationError(`lease: renewEveryMs (${this.renewEveryMs}) must be positive and below ttlMs (${this.ttlMs})`, {
        fix: 'renew at least twice per TTL, e.g. ttlMs 60000 and renewEveryMs 20000',
      });
    }
  }

  /** Whether this lock currently believes it holds the lease. */
  get isHeld(): boolean {
    return this.held && !this.lost;
  }

  /** The lease's own session, for side queries (blocker sampling) while the lease is held. */
  get monitor(): Session | undefined {
    return this.held ? this.session : undefined;
  }

  /** True from acquire() to release(), even once the lease is known lost: commits in that span must be fenced. */
  get fencing(): boolean {
    return this.held;
  }

  /** The session acquire() opened: every step after it runs on this one. */
  private get open(): Session {
    return present(this.session, "the lease lock's session");
  }

  /** The drivers fence every commit while the lease is held (`fence`). */
  get fencesCommits(): boolean {
    return this.fencing;
  }

  async acquire(waitMs: number, onWait?: (holders: Blocker[]) => void): Promise<void> {
    this.session ??= await this.driver.connect();
    this.created = undefined;
    this.committed = false;
    this.seen = [];
    this.advisory = [];
    if (!((await this.advisoryFree()) && (await this.createTableTaking()) && (await this.clearOfAdvisory()))) await this.waitForLease(waitMs, onWait);
    this.held = true;
    this.lost = undefined;
    this.startRenewing();
  }

  /** Creates the lease table when there is none, taking the lease in the same transaction: true when it did. */
  private async createTableTaking(): Promise<boolean> {
    const created = await ensureLeaseTable(this.open, this.options.stateSchema, (q) => this.tryTake(q));
    if (created) this.created = created;
    return created !== undefined;
  }

  /**
   * Called once the lease is taken (committed): true when no other session
   * holds the advisory lock; otherwise backs off — the lease row deleted, or
   * the table removed when taking the lease created it — and says false.
   */
  private async clearOfAdvisory(): Promise<boolean> {
    const s = this.open;
    if (await this.advisoryFree()) return true;
    if (!(await this.removeCreatedTable(s))) {
      await s.query(`DELETE FROM ${this.table} WHERE name = $1 AND holder = $2`, [this.name, this.holderId]);
    }
    return false;
  }

  private async waitForLease(waitMs: number, onWait?: (holders: Blocker[]) => void): Promise<void> {
    await pollForLock({
      waitMs,
      backoff: { initialMs: Math.min(50, this.pollMs), maxMs: this.pollMs },
      tryTake: () => this.tryWhileWaiting(),
      holders: async () => [...this.seen.map(toBlocker), ...this.advisory],
      onBusy: (holders) => onWait?.(holders),
      timeout: (holders) => this.waitError(waitMs, this.seen, holders),
      // Wake up when the current lease would expire, if that is sooner than the next step.
      wakeWithinMs: () => (this.seen.length ? Math.max(10, Number(this.seen[0].expires_in_ms) + 5) : undefined),
    });
  }

  /**
   * One try of a waiting runner: reads first — another runner's live lease,
   * then the advisory lock's holders — and writes (takes the lease) only when
   * both are free, then looks for the advisory lock once more (`clearOfAdvisory`).
   */
  private async tryWhileWaiting(): Promise<boolean> {
    const s = this.open;
    this.advisory = [];
    try {
      this.seen = (await this.holders()).filter((h) => h.holder !== this.holderId && Number(h.expires_in_ms) > 0);
      if (this.seen.length > 0 || !(await this.advisoryFree())) return false;
      return (await this.tryTake(s)) && (await this.clearOfAdvisory());
    } catch (e) {
      // The holder removed the table it had created (its run committed nothing): create it again, with the lease.
      if (!isLeaseTableGone(e)) throw e;
      this.seen = [];
      return (await this.advisoryFree()) && (await this.createTableTaking()) && (await this.clearOfAdvisory());
    }
  }

  /** No other session holds the advisory lock (its holders are kept for the wait's report). */
  private async advisoryFree(): Promise<boolean> {
    this.advisory = await lockHolders(this.open, advisoryLockKey(this.options.stateSchema));
    return this.advisory.length === 0;
  }

  private async tryTake(q: Queryable): Promise<boolean> {
    const r = await q.query<{ holder: string }>(
      `INSERT INTO ${this.table} AS l (name, holder, owner, acquired_at, renewed_at, expires_at)
       VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp(), clock_timestamp() + $4::bigint * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE
          SET holder = excluded.holder, owner = excluded.owner, acquired_at = excluded.acquired_at,
              renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
        WHERE l.expires_at <= clock_timestamp() OR l.holder = excluded.holder
       RETURNING holder`,
      [this.name, this.holderId, this.options.owner, this.ttlMs],
    );
    return r.rows.length === 1;
  }

  private async holders(): Promise<HolderRow[]> {
    const r = await this.open.query<HolderRow>(
      `SELECT holder, owner, floor(extract(epoch FROM clock_timestamp() - acquired_at))::int AS held_for_s,
              greatest(0, floor(extract(epoch FROM expires_at - clock_timestamp()) * 1000))::bigint AS expires_in_ms
         FROM ${this.table} WHERE name = $1`,
      [this.name],
    );
    return r.rows;
  }

  private waitError(waitMs: number, seen: HolderRow[], holders: Blocker[]): LockWaitTimeoutError {
    const h = seen[0];
    const who = h
      ? `lease ${h.holder} of ${h.owner}, expires in ${Math.ceil(Number(h.expires_in_ms) / 1000)} s unless renewed`
      : holders.length
        ? holders.map(holderName).join(', ')
        : 'another runner';
    return new LockWaitTimeoutError(`another migration runner holds the lock: ${who}; waited ${waitMs} ms`, {
      holders,
      holder: who,
      fix:
        h || !holders.length
          ? `wait for it to finish or raise --lock-wait; a runner that died leaves a lease that expires by itself within ${Math.ceil(this.ttlMs / 1000)} s`
          : lockWaitFix(holders, 'wait for it to finish (a runner connected to the server directly holds the advisory lock), or raise --lock-wait'),
    });
  }

  private startRenewing(): void {
    this.stopRenewing();
    this.timer = setInterval(() => {
      if (!this.renewing)
        this.renewing = this.renew()
          .catch(() => undefined)
          .finally(() => {
            this.renewing = undefined;
          });
    }, this.renewEveryMs);
    this.timer.unref?.();
  }

  private stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Extend the lease, expired or not, while it is ours; marks it lost once another runner took it over. */
  private async renew(): Promise<void> {
    if (!this.held || this.lost) return;
    const r = await this.open.query<{ ok: number }>(
      `UPDATE ${this.table}
          SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + $3::bigint * interval '1 millisecond'
        WHERE name = $1 AND holder = $2
       RETURNING 1 AS ok`,
      [this.name, this.holderId, this.ttlMs],
    );
    if (r.rows.length === 0) {
      this.lost = 'another runner took the lease over after it expired';
      this.stopRenewing();
    }
  }

  async assertHeld(): Promise<void> {
    if (!this.held) throw new LeaseLostError('the migration lease is not held; stopping before the next migration');
    await this.renewing;
    try {
      await this.renew();
    } catch (e) {
      throw new LeaseLostError(`could not renew the migration lease: ${e instanceof Error ? e.message : String(e)}; stopping before the next migration`, {
        cause: e,
      });
    }
    if (this.lost) throw new LeaseLostError(`lost the migration lease: ${this.lost}; stopping before the next migration`);
  }

  /**
   * Inside the migration's transaction, just before COMMIT: lock the lease row
   * and refuse unless it is still ours (expired or not: nobody took it over).
   */
  async fence(q: Queryable): Promise<void> {
    const r = await q.query<{ holder: string }>(`SELECT holder FROM ${this.table} WHERE name = $1 FOR UPDATE`, [this.name]);
    const row = r.rows[0];
    if (!row || row.holder !== this.holderId) {
      this.lost = row ? 'another runner took the lease over' : 'the lease row was deleted';
      this.stopRenewing();
      throw new LeaseLostError(`lost the migration lease before COMMIT (${this.lost}); the migration was rolled back`);
    }
    this.committed = true;
  }

  /**
   * A run that committed nothing under the lease (refused for its input, or
   * nothing to do) leaves the database as it found it: the lease table it
   * created goes, with its own row, unless another runner's row is there.
   */
  private async removeCreatedTable(s: Session): Promise<boolean> {
    if (!this.created || this.committed) return false;
    const removed = await removeLeaseTable(s, this.options.stateSchema, this.created, { name: this.name, holder: this.holderId });
    if (removed) this.created = undefined;
    return removed;
  }

  async release(): Promise<void> {
    this.stopRenewing();
    await this.renewing;
    const s = this.session;
    this.session = undefined;
    const wasHeld = this.held;
    this.held = false;
    if (!s) return;
    try {
      if (wasHeld && !s.broken && !(await this.removeCreatedTable(s))) {
        await s.query(`DELETE FROM ${this.table} WHERE name = $1 AND holder = $2`, [this.name, this.holderId]);
      }
    } catch {
      // The lease expires by itself.
    } finally {
      await s.close();
    }
  }
}
