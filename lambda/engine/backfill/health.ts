/**
 * Whether the database can take the next batch, read between batches: a
 * physical standby or Aurora reader lagging past a bound, a logical slot
 * retaining WAL past a bound, autovacuum working on the table, sessions
 * that waited for locks behind the last batch. The answer is the reason to
 * pause, in words a user acts on, or undefined. The lock waiters are known
 * after every batch; the database's readings (a few short queries) are
 * taken at most every `HEALTH_READ_EVERY_MS` while healthy and at every
 * poll while paused: a batch is a fraction of a second, and a lag bound of
 * seconds is not missed for one second more, where reading before each
 * batch spent round trips a batch could use. A view the role may not read
 * (positions hidden without pg_monitor) is taken as healthy: the bound
 * cannot be known, and a pause that never ends would be worse.
 */
import type { AutovacuumBound } from '../defaults';
import type { Queryable } from '../ports';
import { present } from '../errors/present';

/** The bounds a backfill pauses at (`BackfillSettings`, the project file's `backfill`). */
export interface HealthBounds {
  /** A standby's or reader's replay lag, in ms. */
  standbyLagMs: number;
  /** WAL a logical slot retains, in bytes. */
  slotRetainedBytes: number;
  /** `pause`: any autovacuum on the table; `wraparound`: only one to prevent wraparound; `ignore`: none. */
  autovacuum: AutovacuumBound;
  /** Sessions waiting behind one batch at once. */
  lockWaiters: number;
}

/** While healthy, the database's readings are this old at most. */
export const HEALTH_READ_EVERY_MS = 1000;

const MB = 1024 * 1024;
const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;

/** (When, where the primary's WAL was) samples: a standby's lag in time is how long ago the primary was where it has replayed to. */
interface WalSample {
  at: number;
  lsn: bigint;
}

/**
 * One backfill's health reader. It keeps the primary's WAL positions it has
 * seen, so a standby whose replay stopped (paused, or stuck behind a
 * conflict) shows its lag growing, where pg_stat_replication's replay_lag
 * keeps its last value.
 */
export class HealthCheck {
  private readonly samples: WalSample[] = [];
  /** Sessions that waited behind the batch that just ran (`noteLockWaiters`). */
  private waiters = 0;
  /** Until when the last healthy reading stands. */
  private healthyUntil = 0;

  constructor(
    private readonly q: Queryable,
    private readonly bounds: HealthBounds,
    /** The table's oid as text (regclass), for autovacuum. */
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The most sessions seen waiting behind the last batch (sampled while it ran). */
  noteLockWaiters(count: number): void {
    this.waiters = count;
  }

  /** Why the last batch held too many sessions waiting (read once), or undefined. */
  crowded(): string | undefined {
    const waiters = this.waiters;
    this.waiters = 0;
    if (waiters < this.bounds.lockWaiters) return undefined;
    return `${waiters} sessions waited for locks behind the last batch (bound ${this.bounds.lockWaiters}): the next batch is half as large`;
  }

  /** Why to pause now, or undefined: the database is healthy. */
  async reason(): Promise<string | undefined> {
    if (this.now() < this.healthyUntil) return undefined;
    const why = (await this.standbyLag()) ?? (await this.retainedWal()) ?? (await this.autovacuum());
    this.healthyUntil = why === undefined ? this.now() + HEALTH_READ_EVERY_MS : 0;
    return why;
  }

  private async standbyLag(): Promise<string | undefined> {
    const r = await this.q.query<{ recovery: boolean | string; aurora: boolean | string; lsn: string | null; standbys: string | null }>(STANDBY_SQL);
    const row = r.rows[0];
    if (!row || isTrue(row.recovery)) return undefined;
    if (isTrue(row.aurora)) return this.auroraLag();
    if (row.lsn === null) return undefined;
    const now = this.now();
    const current = lsnOf(row.lsn);
    this.samples.push({ at: now, lsn: current });
    if (this.samples.length > 1000) this.samples.splice(0, 500);
    for (const s of JSON.parse(row.standbys ?? '[]') as { name: string; replay: string | null }[]) {
      if (s.replay === null) continue;
      const replay = lsnOf(s.replay);
      const lagMs = this.lagOf(replay, now);
      if (lagMs > this.bounds.standbyLagMs)
        return `standby ${s.name} is ${Math.round(lagMs / 1000)} s behind (${mb(Number(current - replay))} of WAL to replay; bound ${Math.round(this.bounds.standbyLagMs / 1000)} s)`;
    }
    return undefined;
  }

  /**
   * How long ago the primary passed `replay`, at least: the time of the first
   * sample beyond it (0 when the standby has replayed the newest one).
   */
  private lagOf(replay: bigint, now: number): number {
    const beyond = this.samples.find((s) => s.lsn > replay);
    return beyond ? now - beyond.at : 0;
  }

  private async auroraLag(): Promise<string | undefined> {
    const r = await this.q.query<{ name: string; lag: number | string | null }>(
      `SELECT server_id AS name, replica_lag_in_msec AS lag FROM aurora_replica_status() WHERE session_id <> 'MASTER_SESSION_ID' ORDER BY replica_lag_in_msec DESC NULLS LAST LIMIT 1`,
    );
    const top = r.rows[0];
    const lag = top?.lag == null ? undefined : Number(top.lag);
    if (lag === undefined || lag <= this.bounds.standbyLagMs) return undefined;
    return `Aurora reader ${present(top, 'the lagging reader').name} is ${Math.round(lag / 1000)} s behind (bound ${Math.round(this.bounds.standbyLagMs / 1000)} s)`;
  }

  private async retainedWal(): Promise<string | undefined> {
    const r = await this.q.query<{ slot: string; retained: string | number | null }>(SLOT_SQL);
    const top = r.rows[0];
    const retained = top?.retained == null ? 0 : Number(top.retained);
    if (retained <= this.bounds.slotRetainedBytes) return undefined;
    return `logical slot ${present(top, 'the slot').slot} retains ${mb(retained)} of WAL (bound ${mb(this.bounds.slotRetainedBytes)}): its consumer is behind`;
  }

  private async autovacuum(): Promise<string | undefined> {
    if (this.bounds.autovacuum === 'ignore') return undefined;
    const r = await this.q.query<{ query: string | null }>(AUTOVACUUM_SQL, [this.table]);
    const found = r.rows.find((x) => this.bounds.autovacuum === 'pause' || /to prevent wraparound/.test(x.query ?? ''));
    if (!found) return undefined;
    return `autovacuum is working on ${this.table}${/to prevent wraparound/.test(found.query ?? '') ? ' (to prevent wraparound)' : ''}`;
  }
}

/** Sessions waiting behind `pid` (a batch's), as pg_blocking_pids sees them. */
export async function waitersBehind(q: Queryable, pid: number): Promise<number> {
  const r = await q.query<{ n: number | string }>(
    'SELECT count(*)::int AS n FROM pg_catalog.pg_stat_activity WHERE $1::int = ANY (pg_catalog.pg_blocking_pids(pid))',
    [pid],
  );
  return Number(r.rows[0]?.n ?? 0);
}

const isTrue = (v: unknown) => v === true || v === 't' || v === 'true';

/** An LSN (`16/B374D848`) as a number of bytes. */
function lsnOf(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

// Streaming standbys only: a walsender holding a logical slot (a subscription, DMS) is a slot's consumer, bounded by retained WAL.
const STANDBY_SQL = `
SELECT pg_is_in_recovery() AS recovery, to_regprocedure('aurora_replica_status()') IS NOT NULL AS aurora,
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn,
       (SELECT json_agg(json_build_object('name', r.application_name, 'replay', r.replay_lsn::text))
          FROM pg_stat_replication r
         WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots s WHERE s.active_pid = r.pid AND s.slot_type = 'logical'))::text AS standbys`;

const SLOT_SQL = `
SELECT slot_name AS slot, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 AS retained
  FROM pg_replication_slots WHERE slot_type = 'logical' AND restart_lsn IS NOT NULL
 ORDER BY 2 DESC LIMIT 1`;

const AUTOVACUUM_SQL = `
SELECT a.query FROM pg_stat_progress_vacuum p JOIN pg_stat_activity a ON a.pid = p.pid
 WHERE p.relid = $1::regclass AND a.backend_type = 'autovacuum worker'`;
