/**
 * Session-level advisory lock on a dedicated connection. The lock lives as long
 * as that session: released in `finally` by `release()`, and by PostgreSQL when
 * the connection drops (a killed runner never leaves it behind).
 *
 * Waiting holds nothing (see `lock-poll.ts`): `pg_try_advisory_lock` in short
 * autocommit statements with jittered backoff, never `pg_advisory_lock`, whose
 * waiting statement holds a snapshot that the holder's CREATE INDEX
 * CONCURRENTLY would wait for.
 *
 * Where PostgreSQL makes a wait unavoidable, and how it is bounded:
 * - each try, the holder report and `pg_advisory_unlock` are single statements
 *   on pg_locks/pg_stat_activity that take no lock a migration holds; while
 *   one runs it holds a snapshot, so a concurrent index build waits for that
 *   one statement (milliseconds), never for the whole wait;
 * - the state reads of `plan`/`status`, the blocker watcher's samples and the
 *   checks' catalog reads are the same kind of short statements; a contract
 *   check's transaction (lock_timeout 2 s, statement_timeout 15 s) delays an
 *   index build on its table by at most that transaction.
 *
 * The lease (`../data-api/lease-lock.ts`) is the same lock's other form: once
 * the session lock is taken, a live lease of another runner makes this one
 * back off — unlock, and wait as for a busy lock (`../lease-holders.ts`).
 *
 * The lock needs one server session. Behind a transaction-pooling proxy the
 * next statement may run in another session, and a session lock would stay
 * with a pooled server connection no client owns: every try therefore takes
 * the lock only on the session the connection started on (`pg_backend_pid()`
 * checked in the same statement) and refuses when the session moved. The pg
 * driver recognises poolers when it connects and uses the lease instead.
 */
import { randomBytes } from 'node:crypto';
import { holderName, lockLostError, lockWaitFix, LockWaitTimeoutError, PoolerError, type Blocker } from '../../engine/errors/errors';
import type { Driver, MigrationLock, Session } from '../../engine/ports';
import { advisoryLockKey } from '../../engine/state/runner-lock-names';
import { queryFileSql, workerFile } from '../../engine/lock/applying-file';
import { leaseTableExists, otherLeases } from '../lease-holders';
import { pollForLock } from '../lock-poll';

export { advisoryLockKey };

/**
 * The lock's holder, and the server process that applies its migrations: the
 * lock's own connection is idle by design (it only holds the lock), so a
 * waiting runner names the worker its holder announced (`announceWorker`: a
 * second advisory lock, two-key form, whose second key is the worker's pid),
 * and the file it runs (its application_name or the comment heading its
 * message; not its query). Without a worker (not connected yet, an older schemaguard),
 * the holder itself.
 */
const HOLDERS_SQL = `
SELECT coalesce(w.pid, a.pid) AS pid, coalesce(w.usename, a.usename) AS user,
       coalesce(w.application_name, a.application_name) AS application, coalesce(w.state, a.state) AS state,
       ${queryFileSql('coalesce(w.query, a.query)')} AS query_file,
       floor(extract(epoch FROM now() - coalesce(w.xact_start, a.xact_start)))::int AS xact_age_seconds,
       floor(extract(epoch FROM now() - coalesce(w.backend_start, a.backend_start)))::int AS connected_seconds,
       CASE WHEN w.pid IS NOT NULL THEN a.pid END AS lock_pid
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  LEFT JOIN pg_locks m ON m.pid = l.pid AND m.locktype = 'advisory' AND m.granted AND m.objsubid = 2
                      AND m.database = l.database AND m.classid = $2::int::oid
  LEFT JOIN pg_stat_activity w ON w.pid = m.objid::bigint::int
 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint
   AND a.pid <> pg_backend_pid()`;

interface HolderRow {
  pid: number;
  user: string;
  application: string;
  state: string;
  query_file: string | null;
  xact_age_seconds: number | null;
  connected_seconds: number | null;
  lock_pid: number | null;
}

/** The first key of the worker's announcement (`announceWorker`): 31 bits of the runner lock's key. */
export function workerKey(key: string): number {
  return Number(BigInt.asUintN(31, BigInt(key)));
}

export async function lockHolders(q: { query: Session['query'] }, key: string): Promise<Blocker[]> {
  const r = await q.query<HolderRow>(HOLDERS_SQL, [key, workerKey(key)]);
  return r.rows.map((x) => ({
    pid: x.pid,
    user: x.user,
    application: x.application,
    state: x.state,
    xactAgeSeconds: x.xact_age_seconds ?? undefined,
    connectedSeconds: x.connected_seconds ?? undefined,
    lockPid: x.lock_pid ?? undefined,
    file: x.lock_pid === null ? undefined : workerFile(x.application, x.query_file ?? undefined),
  }));
}

/** A key of this run's own (`heldSql`): random, so no other runner holds it. */
function runKey(): string {
  return randomBytes(8).readBigInt64BE().toString();
}

/** One try: takes the lock only when the statement runs on the session the connection started on. */
const TRY_SQL = `SELECT (SELECT pg_try_advisory_lock($1::bigint) WHERE $2::int IS NULL OR pg_backend_pid() = $2::int) AS ok,
       pg_backend_pid() AS pid`;

export class AdvisoryLock implements MigrationLock {
  private session?: Session;
  private held = false;
  /** This run's own key, held by the lock's session once `heldSql` was asked (or the worker announced). */
  private runKey?: string;
  readonly key: string;
  /** The live leases the last try found after taking the lock (it backed off for them). */
  private leases: Blocker[] = [];

  /** `session`: the connection to hold the lock on; by default the lock opens its own. */
  constructor(
    private readonly driver: Driver,
    private readonly stateSchema: string,
    session?: Session,
  ) {
    this.key = advisoryLockKey(stateSchema);
    this.session = session;
  }

  get monitor(): Session | undefined {
    return this.held ? this.session : undefined;
  }

  async acquire(waitMs: number, onWait?: (holders: Blocker[]) => void): Promise<void> {
    const s = (this.session ??= await this.driver.connect());
    await pollForLock({
      waitMs,
      tryTake: () => this.tryTake(s),
      holders: async () => [...(await lockHolders(s, this.key)), ...this.leases],
      onBusy: onWait,
      timeout: (holders) => this.waitError(waitMs, holders),
    });
    this.held = true;
  }

  private async tryTake(s: Session): Promise<boolean> {
    const trying = s.query<{ pid: number; ok: boolean | null }>(TRY_SQL, [this.key, s.pid ?? null]);
    // Where the session pipelines, the lease table's check goes in the same round trip, run after the try (`leaseTableExists`).
    const leaseTable = s.capabilities.pipelines ? leaseTableExists(s, this.stateSchema) : undefined;
    leaseTable?.catch(() => undefined);
    const row = (await trying).rows[0];
    if (s.pid !== undefined && row.pid !== s.pid) {
      throw new PoolerError(
        `the connection to ${this.driver.target} is not one server session: it started on server pid ${s.pid}, and the next statement ran on pid ${row.pid}; it goes through a transaction-pooling proxy (such as PgBouncer with pool_mode=transaction), where a session lock would be left with a pooled server connection; nothing was run`,
        { fix: 'point --database-url (DATABASE_URL) at the database server itself for migrations, not at the pooler' },
      );
    }
    this.leases = [];
    if (row.ok !== true) return false;
    // Taken: now a runner holding the lease (the Data API, a pooler) sees it; and one that took the lease before, this one sees.
    this.leases = await otherLeases(s, this.stateSchema, leaseTable);
    if (this.leases.length === 0) return true;
    await s.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]);
    return false;
  }

  private waitError(waitMs: number, holders: Blocker[]): LockWaitTimeoutError {
    const who = holders.length ? holders.map(holderName).join(', ') : 'another session';
    return new LockWaitTimeoutError(`another migration runner holds the lock: ${who}; waited ${waitMs} ms`, {
      holders,
      holder: who,
      fix: lockWaitFix(holders, 'wait for it to finish, or raise --lock-wait'),
    });
  }

  onLost(listener: () => void): void {
    this.session?.onLost?.(() => {
      if (this.held) listener();
    });
  }

  /**
   * A second advisory lock on the lock's session, (workerKey, pid):
   * `lockHolders` of a waiting runner reads the worker from it. In the same
   * round trip, this run's own key (`heldSql`), which the first file asks for next.
   */
  async announceWorker(pid: number): Promise<void> {
    const s = this.session;
    if (!this.held || !s || s.broken || !Number.isSafeInteger(pid)) return;
    if (this.runKey !== undefined) {
      await s.query('SELECT pg_try_advisory_lock($1::int, $2::int)', [workerKey(this.key), pid]);
      return;
    }
    const key = runKey();
    const r = await s.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int), pg_try_advisory_lock($3::bigint) AS ok', [
      workerKey(this.key),
      pid,
      key,
    ]);
    if (r.rows[0]?.ok === true) this.runKey = key;
  }

  assertHeld(): void {
    if (!this.held || !this.session || this.session.broken) throw lockLostError();
  }

  /**
   * True, on the server, while this lock's session lives (and so holds the
   * lock). The session takes a second advisory lock, on a key of this run's
   * own (random), the first time it is asked; a shared transaction-level try
   * on that key then fails exactly while the session is there. One
   * lock-table lookup a file (reading pg_locks would copy every lock of every
   * session); and a runner that took the main lock over after this one's
   * connection closed does not hold this key. When nobody holds it, the try
   * takes a shared lock that ends with the transaction the guard fails.
   */
  async heldSql(): Promise<string | undefined> {
    const s = this.session;
    if (!this.held || !s || s.broken) return undefined;
    if (this.runKey === undefined) {
      const key = runKey();
      const r = await s.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
      if (r.rows[0]?.ok !== true) return undefined;
      this.runKey = key;
    }
    return `NOT pg_try_advisory_xact_lock_shared(${this.runKey}::bigint)`;
  }

  async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (!s) return;
    try {
      if (this.held && !s.broken) {
        if (this.runKey === undefined) await s.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]);
        else await s.query('SELECT pg_advisory_unlock($1::bigint), pg_advisory_unlock($2::bigint)', [this.key, this.runKey]);
      }
    } catch {
      // The lock goes with the session below either way.
    } finally {
      this.held = false;
      await s.close();
    }
  }
}
