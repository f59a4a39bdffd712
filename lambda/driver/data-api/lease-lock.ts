/**
 * The runner lock for drivers without a session (the RDS Data API): a lease
 * row in the state schema instead of a session-level advisory lock.
 *
 * - Taken with one autocommitted upsert that succeeds only when the row is
 *   free, expired, or already ours; the database clock decides expiry, so
 *   runners on machines with skewed clocks agree.
 * - Renewed on a timer while held (every ttl/3 by default); `assertHeld()`
 *   renews once more before each migration and throws when the lease is gone.
 * - A runner that dies stops renewing: its lease expires after `ttlMs` and the
 *   next runner takes it over.
 * - `fence(q)` runs inside a migration's transaction just before COMMIT: it
 *   locks the lease row (FOR UPDATE) and refuses to commit unless the lease is
 *   still ours and unexpired. While that row lock is held nobody can take the
 *   lease over, so a runner whose lease lapsed mid-migration cannot commit; the
 *   state table's primary key (version) independently refuses a second record.
 */
import { randomUUID } from 'node:crypto';
import { LockWaitTimeoutError, MigrationError, sqlstateOf, type Blocker } from '../../engine/errors';
import { quoteIdent } from '../../engine/identifiers';
import type { Driver, MigrationLock, Queryable, Session } from '../../engine/ports';
import { sleep } from '../../engine/sleep';
import { advisoryLockKey } from '../pg/advisory-lock';

export const LEASE_TABLE = 'runner_lease';

export interface LeaseTimings {
  /** How long a lease lives without renewal. @default 60000 */
  ttlMs?: number;
  /** Renewal period while held. @default ttlMs / 3 */
  renewEveryMs?: number;
  /** How often a waiting runner tries again. @default 500 */
  pollMs?: number;
}

export interface LeaseLockOptions extends LeaseTimings {
  stateSchema: string;
  /** Recorded in the lease row (who is migrating). */
  owner: string;
  /** Lease name: one runner at a time per name. @default 'migrate' */
  name?: string;
}

export function leaseTable(schema: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(LEASE_TABLE)}`;
}

export function leaseDdl(schema: string): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`,
    `CREATE TABLE IF NOT EXISTS ${leaseTable(schema)} (
  name        text        PRIMARY KEY,
  holder      text        NOT NULL,
  owner       text        NOT NULL,
  acquired_at timestamptz NOT NULL,
  renewed_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
)`,
    `COMMENT ON TABLE ${leaseTable(schema)} IS 'schemaguard: the migration runner lease (one runner at a time; expires unless renewed)'`,
  ];
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

interface HolderRow {
  holder: string;
  owner: string;
  held_for_s: number | string;
  expires_in_ms: number | string;
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

  constructor(private readonly driver: Driver, private readonly options: LeaseLockOptions) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.renewEveryMs = options.renewEveryMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    this.pollMs = options.pollMs ?? 500;
    this.name = options.name ?? 'migrate';
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

  async acquire(waitMs: number, onWait?: (holders: Blocker[]) => void): Promise<void> {
    this.session ??= await this.driver.connect();
    await this.ensureTable();
    const deadline = Date.now() + Math.max(0, waitMs);
    let told = false;
    for (;;) {
      if (await this.tryTake()) {
        this.held = true;
        this.lost = undefined;
        this.startRenewing();
        return;
      }
      const holders = await this.holders();
      if (!told) {
        onWait?.(holders.map(toBlocker));
        told = true;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw this.waitError(waitMs, holders);
      // Wake up when the current lease would expire, if that is sooner than the next poll.
      const expiresIn = holders.length ? Math.max(10, Number(holders[0]!.expires_in_ms) + 5) : this.pollMs;
      await sleep(Math.min(this.pollMs, expiresIn, left));
    }
  }

  private async ensureTable(): Promise<void> {
    const s = this.session!;
    const exists = await s.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [this.table]);
    if (exists.rows[0]?.t) return;
    for (let attempt = 1; ; attempt++) {
      try {
        // Runners starting together serialise on a transaction-level advisory lock
        // (that works without a session); IF NOT EXISTS alone races in the catalog.
        await s.begin({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
        try {
          await s.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey(`${this.options.stateSchema}:lease-ddl`)]);
          for (const stmt of leaseDdl(this.options.stateSchema)) await s.query(stmt);
          await s.commit();
        } catch (e) {
          if (!s.broken) await s.rollback().catch(() => undefined);
          throw e;
        }
        return;
      } catch (e) {
        // A duplicate in the catalog all the same (another tool creating the schema): try again.
        const code = sqlstateOf(e);
        if (attempt < 5 && (code === '23505' || code === '42P06' || code === '42P07' || code === '42710')) continue;
        throw e;
      }
    }
  }

  private async tryTake(): Promise<boolean> {
    const r = await this.session!.query<{ holder: string }>(
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
    const r = await this.session!.query<HolderRow>(
      `SELECT holder, owner, floor(extract(epoch FROM clock_timestamp() - acquired_at))::int AS held_for_s,
              greatest(0, floor(extract(epoch FROM expires_at - clock_timestamp()) * 1000))::bigint AS expires_in_ms
         FROM ${this.table} WHERE name = $1`,
      [this.name],
    );
    return r.rows;
  }

  private waitError(waitMs: number, holders: HolderRow[]): LockWaitTimeoutError {
    const h = holders[0];
    const who = h
      ? `lease ${h.holder} of ${h.owner}, expires in ${Math.ceil(Number(h.expires_in_ms) / 1000)} s unless renewed`
      : 'another runner';
    return new LockWaitTimeoutError(`another migration runner holds the lock: ${who}; waited ${waitMs} ms`, {
      holders: holders.map(toBlocker),
      fix: `wait for it to finish or raise --lock-wait; a runner that died leaves a lease that expires by itself within ${Math.ceil(this.ttlMs / 1000)} s`,
    });
  }

  private startRenewing(): void {
    this.stopRenewing();
    this.timer = setInterval(() => {
      if (!this.renewing) this.renewing = this.renew().catch(() => undefined).finally(() => { this.renewing = undefined; });
    }, this.renewEveryMs);
    this.timer.unref?.();
  }

  private stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Extend the lease; marks it lost when it is no longer ours or has expired. */
  private async renew(): Promise<void> {
    if (!this.held || this.lost) return;
    const r = await this.session!.query<{ ok: number }>(
      `UPDATE ${this.table}
          SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + $3::bigint * interval '1 millisecond'
        WHERE name = $1 AND holder = $2 AND expires_at > clock_timestamp()
       RETURNING 1 AS ok`,
      [this.name, this.holderId, this.ttlMs],
    );
    if (r.rows.length === 0) {
      this.lost = 'the lease expired before it was renewed (or another runner took it over)';
      this.stopRenewing();
    }
  }

  async assertHeld(): Promise<void> {
    if (!this.held) throw new LeaseLostError('the migration lease is not held; stopping before the next migration');
    await this.renewing;
    try {
      await this.renew();
    } catch (e) {
      throw new LeaseLostError(`could not renew the migration lease: ${e instanceof Error ? e.message : String(e)}; stopping before the next migration`, { cause: e });
    }
    if (this.lost) throw new LeaseLostError(`lost the migration lease: ${this.lost}; stopping before the next migration`);
  }

  /**
   * Inside the migration's transaction, just before COMMIT: lock the lease row
   * and refuse unless it is still ours and unexpired.
   */
  async fence(q: Queryable): Promise<void> {
    const r = await q.query<{ holder: string; live: boolean }>(
      `SELECT holder, expires_at > clock_timestamp() AS live FROM ${this.table} WHERE name = $1 FOR UPDATE`,
      [this.name],
    );
    const row = r.rows[0];
    if (!row || row.holder !== this.holderId || !row.live) {
      this.lost = row && row.holder !== this.holderId ? 'another runner took the lease over' : 'the lease expired';
      this.stopRenewing();
      throw new LeaseLostError(`lost the migration lease before COMMIT (${this.lost}); the migration was rolled back`);
    }
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
      if (wasHeld && !s.broken) {
        await s.query(`DELETE FROM ${this.table} WHERE name = $1 AND holder = $2`, [this.name, this.holderId]);
      }
    } catch {
      // The lease expires by itself.
    } finally {
      await s.close();
    }
  }
}

/** Lease holders have no server process; `pid` is 0 and the holder is named in `application`/`state`. */
function toBlocker(h: HolderRow): Blocker {
  return {
    pid: 0,
    application: h.owner,
    state: `lease ${h.holder}, expires in ${Math.ceil(Number(h.expires_in_ms) / 1000)} s unless renewed`,
    xactAgeSeconds: Number(h.held_for_s),
  };
}
