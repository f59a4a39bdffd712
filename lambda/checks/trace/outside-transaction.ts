/**
 * A statement PostgreSQL runs only outside a transaction block (CREATE
 * INDEX CONCURRENTLY, VACUUM, DETACH … CONCURRENTLY): its locks are gone
 * when it returns, and its work spans transactions of its own. Traced
 * behind a second session that holds SHARE UPDATE EXCLUSIVE on the row's
 * table: the brief ACCESS SHARE look-ups go through, and the statement
 * waits for the first lock it asks of SHARE UPDATE EXCLUSIVE or above,
 * which a third session reads in pg_locks (not granted) before the holder
 * lets go. A weaker lock is not seen (null).
 *
 * Its scans are the cumulative counters (pg_stat_all_tables.seq_scan),
 * flushed on demand from PostgreSQL 15 (pg_stat_force_next_flush: the
 * backend writes its counts before it answers). PostgreSQL 13 and 14 send
 * a backend's counts to the collector at most every 500 ms, when it goes
 * idle; until then `pg_stat_get_xact_numscans` reads them in the backend
 * itself. So the backend first idles past 500 ms (its counts go, the next
 * idle sends none), and reads its own counts right after the statement.
 * The window is timed from the sleep's start plus its length (the earliest
 * the backend can have sent), not from the statement's own start: on a
 * loaded machine the client may read the sleep's answer late, and the
 * collector's 500 ms run from the send. A window of 450 ms or more may
 * have had the statement's counts sent, and its scans are then not known
 * (null).
 */
import type { Driver, Queryable, Session } from '../../engine/ports';
import { sleep } from '../../engine/runtime/sleep';
import type { LockMode } from '../locks/modes';
import { lockModeOf } from './observe';
import { present } from '../../engine/errors/present';

/** The first PostgreSQL major with pg_stat_force_next_flush. */
const FORCED_FLUSH_FROM = 15;
/** PGSTAT_STAT_INTERVAL of PostgreSQL 13 and 14, and a margin past it. */
const COLLECTOR_INTERVAL_MS = 500;
const COUNTS_KEPT_BELOW_MS = 450;
/** How long to look for the statement's wait before reading it as no lock at SHARE UPDATE EXCLUSIVE or above. */
const WAIT_SEEN_WITHIN_MS = 5000;
const POLL_MS = 5;

export interface OutsideObservation {
  lock: LockMode | null;
  rewrites: boolean;
  scans: boolean | null;
  error?: unknown;
}

export interface OutsideTargets {
  /** The table whose lock the statement is expected to ask for. */
  lockOn?: number;
  storage: number[];
  tables: number[];
}

export async function observeOutside(copy: Driver, runner: Session, sql: string, t: OutsideTargets, major: number): Promise<OutsideObservation> {
  const watcher = await copy.connect();
  try {
    const nodesBefore = await fileNodes(watcher, t.storage);
    const counts = await scanCounter(runner, watcher, t.tables, major);
    const { lock, error } = await runBehindHolder(copy, runner, watcher, sql, t.lockOn);
    const scans = error ? false : await counts.scannedSince();
    const nodesAfter = await fileNodes(watcher, t.storage);
    const rewrites = [...nodesBefore].some(([oid, node]) => node !== null && nodesAfter.get(oid) !== undefined && nodesAfter.get(oid) !== node);
    return { lock, rewrites, scans, ...(error ? { error } : {}) };
  } finally {
    await watcher.close();
  }
}

async function fileNodes(q: Queryable, oids: number[]): Promise<Map<number, number | null>> {
  if (oids.length === 0) return new Map();
  const r = await q.query<{ oid: string; node: string | null }>(
    'SELECT o::int8 AS oid, pg_relation_filenode(o::oid)::int8 AS node FROM unnest($1::int8[]) AS o',
    [oids],
  );
  return new Map(r.rows.map((row) => [Number(row.oid), row.node === null ? null : Number(row.node)]));
}

/** The statement's wait, read while the holder holds SHARE UPDATE EXCLUSIVE on `table`; then the statement runs to its end. */
async function runBehindHolder(
  copy: Driver,
  runner: Session,
  watcher: Session,
  sql: string,
  table: number | undefined,
): Promise<{ lock: LockMode | null; error?: unknown }> {
  const holder = table === undefined ? undefined : await copy.connect();
  try {
    if (holder) {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE ONLY ${await regclassText(holder, present(table))} IN SHARE UPDATE EXCLUSIVE MODE`);
    }
    let settled = false;
    const running = runner.query(sql).then(
      () => undefined,
      (e: unknown) => e,
    );
    void running.then(() => {
      settled = true;
    });
    let lock: LockMode | null = null;
    const until = Date.now() + WAIT_SEEN_WITHIN_MS;
    while (holder && !settled && lock === null && Date.now() < until) {
      lock = await waitingFor(watcher, present(runner.pid), present(table));
      if (lock === null) await sleep(POLL_MS);
    }
    if (holder) await holder.query('ROLLBACK');
    const error = await running;
    return { lock, ...(error ? { error } : {}) };
  } finally {
    await holder?.close();
  }
}

async function regclassText(q: Queryable, oid: number): Promise<string> {
  return (await q.query<{ name: string }>('SELECT $1::int8::oid::regclass::text AS name', [oid])).rows[0].name;
}

async function waitingFor(watcher: Queryable, pid: number, table: number): Promise<LockMode | null> {
  const r = await watcher.query<{ mode: string }>(
    "SELECT mode FROM pg_locks WHERE pid = $1 AND locktype = 'relation' AND NOT granted AND relation = $2::int8::oid",
    [pid, table],
  );
  return r.rows[0] ? (lockModeOf(r.rows[0].mode) ?? null) : null;
}

/** Counts the tables' sequential scans from now: `scannedSince()` right after the statement. */
async function scanCounter(runner: Session, watcher: Queryable, tables: number[], major: number): Promise<{ scannedSince(): Promise<boolean | null> }> {
  if (tables.length === 0) return { scannedSince: async () => false };
  if (major >= FORCED_FLUSH_FROM) {
    const flushed = async () => {
      await runner.query('SELECT pg_stat_force_next_flush()');
      const r = await watcher.query<{ n: string }>(
        'SELECT coalesce(sum(seq_scan), 0)::int8 AS n FROM pg_stat_all_tables WHERE relid = ANY($1::int8[]::oid[])',
        [tables],
      );
      return Number(r.rows[0].n);
    };
    const before = await flushed();
    return { scannedSince: async () => (await flushed()) > before };
  }
  // The idle after this sends every count the backend held: it holds none, and sends none again for 500 ms.
  const sleepMs = COLLECTOR_INTERVAL_MS + 50;
  const sentNoEarlierThan = Date.now() + sleepMs;
  await runner.query(`SELECT pg_sleep(${sleepMs / 1000})`);
  return {
    scannedSince: async () => {
      if (Date.now() - sentNoEarlierThan >= COUNTS_KEPT_BELOW_MS) return null;
      const r = await runner.query<{ n: string }>('SELECT coalesce(sum(pg_stat_get_xact_numscans(o::oid)), 0)::int8 AS n FROM unnest($1::int8[]) AS o', [
        tables,
      ]);
      return Number(r.rows[0].n) > 0;
    },
  };
}
