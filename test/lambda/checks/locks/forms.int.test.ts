/**
 * Every lock `plan` reports, checked against a real PostgreSQL: each form's
 * example is parsed and classified, then run — in a transaction that is
 * rolled back, reading pg_locks, the table's file node (a rewrite gives it a
 * new one) and pg_stat_xact_user_tables (scans in this transaction); or, for
 * statements that cannot run in a transaction block, behind a session that
 * holds SHARE UPDATE EXCLUSIVE (it lets the brief ACCESS SHARE look-ups
 * through and stops every lock from SHARE UPDATE EXCLUSIVE up), reading the
 * lock it waits for. The conflict table
 * behind "blocks writes" is checked pair by pair with LOCK TABLE … NOWAIT.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_EXAMPLE_SCHEMA, LOCK_EXAMPLE_TABLESPACE, LOCK_EXAMPLE_TABLESPACE_SQL, LOCK_FORMS, type LockForm } from '../../../../lambda/checks/locks/forms';
import { blocksReads, blocksWrites, conflicts, LOCK_MODES, pgLocksMode, strongest, type LockMode } from '../../../../lambda/checks/locks/modes';
import { statementLock, withCurrentTypes, type StatementLock } from '../../../../lambda/checks/locks/statement-lock';
import { loadParser, parseSql } from '../../../../lambda/checks/parser/parse';
import { allMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';

afterAll(dropDatabases);
beforeAll(loadParser);

const STRENGTH = LOCK_MODES.map(pgLocksMode);
const strongestHeld = (modes: string[]): string | undefined => modes.sort((a, b) => STRENGTH.indexOf(b) - STRENGTH.indexOf(a))[0];

async function classify(c: pg.Client, f: LockForm): Promise<StatementLock> {
  const sl = statementLock(parseSql(f.example).statements[0]!);
  const types = new Map(
    (
      await c.query<{ attname: string; t: string }>(
        "SELECT attname, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0",
      )
    ).rows.map((r) => [r.attname, r.t]),
  );
  return withCurrentTypes(sl, (col) => types.get(col));
}

/** The example schema, after the examples' second tablespace (one per server: it outlives the database). */
async function exampleSchema(c: pg.Client): Promise<void> {
  const has = (await c.query('SELECT 1 FROM pg_tablespace WHERE spcname = $1', [LOCK_EXAMPLE_TABLESPACE])).rowCount;
  if (!has) for (const sql of LOCK_EXAMPLE_TABLESPACE_SQL) await c.query(sql);
  await c.query(LOCK_EXAMPLE_SCHEMA);
}

interface Observed {
  lock?: string;
  other?: string;
  indexes?: string;
  rewrote: boolean;
  scanned: boolean;
}

/** Run a transactional example and roll it back, reporting what it held on its table and on its second table (`r` unless the form names one). */
async function observeInTransaction(c: pg.Client, f: LockForm): Promise<Observed> {
  const target = f.exampleTable ?? 't';
  await c.query('BEGIN');
  try {
    const before = (
      await c.query(
        `SELECT $1::regclass::oid AS oid, $2::regclass::oid AS r, pg_relation_filenode($1::regclass) AS node,
      coalesce((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = $1::regclass), 0) AS scans`,
        [target, f.exampleOther ?? 'r'],
      )
    ).rows[0];
    await c.query(f.example);
    const held = (
      await c.query<{ relation: number; mode: string }>(
        "SELECT relation::int AS relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted AND relation IN ($1, $2)",
        [before.oid, before.r],
      )
    ).rows;
    const onIndexes = (
      await c.query<{ mode: string }>(
        "SELECT mode FROM pg_locks l JOIN pg_index i ON i.indexrelid = l.relation WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND i.indrelid = $1",
        [before.oid],
      )
    ).rows;
    const after = (
      await c.query(
        `SELECT pg_relation_filenode($1::oid::regclass) AS node,
      coalesce((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = $1::oid), 0) AS scans`,
        [before.oid],
      )
    ).rows[0];
    return {
      lock: strongestHeld(held.filter((h) => h.relation === Number(before.oid)).map((h) => h.mode)),
      other: strongestHeld(held.filter((h) => h.relation === Number(before.r)).map((h) => h.mode)),
      indexes: strongestHeld(onIndexes.map((h) => h.mode)),
      rewrote: after.node !== null && after.node !== before.node,
      scanned: Number(after.scans) > Number(before.scans),
    };
  } finally {
    await c.query('ROLLBACK');
  }
}

interface Waits {
  reads: boolean;
  writes: boolean;
  rowWrites: boolean;
}

/**
 * What a second session meets while the example's transaction is open: does
 * a plain SELECT of t wait, an INSERT into t, an UPDATE of a row the example
 * may have read or changed (row 1)? Each tried under a short lock_timeout and rolled back.
 */
async function observeWaits(url: string, f: LockForm): Promise<Waits> {
  const [runner, other] = [new pg.Client(url), new pg.Client(url)];
  await Promise.all([runner.connect(), other.connect()]);
  const waits = async (sql: string) => {
    await other.query('BEGIN');
    try {
      await other.query("SET LOCAL lock_timeout = '20ms'"); // a conflicting lock waits at once; one that does not never times out
      return await other.query(sql).then(
        () => false,
        (e: { code?: string }) => {
          if (e.code !== '55P03') throw e;
          return true;
        },
      );
    } finally {
      await other.query('ROLLBACK');
    }
  };
  try {
    await runner.query('BEGIN');
    await runner.query(f.example);
    return {
      reads: await waits('SELECT count(*) FROM t'),
      writes: await waits('INSERT INTO t (id) VALUES (-1)'),
      rowWrites: await waits('UPDATE t SET id = id WHERE id = 1'),
    };
  } finally {
    await runner.query('ROLLBACK').catch(() => undefined);
    await Promise.all([runner.end(), other.end()]);
  }
}

/** What the lock table's "what waits" says of the form, as the three probes see it. */
function expectedWaits(f: LockForm): Waits {
  const lock = strongest(f.lock, f.indexLock);
  if (!lock) return { reads: false, writes: false, rowWrites: false };
  return { reads: blocksReads(lock), writes: blocksWrites(lock), rowWrites: blocksWrites(lock) || !!f.rowLocks };
}

/** Run a no-transaction example behind a session holding SHARE UPDATE EXCLUSIVE; report the lock it waits for. */
async function observeWaiting(url: string, f: LockForm): Promise<Observed> {
  const target = f.exampleTable ?? 't';
  const [holder, runner, watcher] = [new pg.Client(url), new pg.Client(url), new pg.Client(url)];
  await Promise.all([holder.connect(), runner.connect(), watcher.connect()]);
  try {
    const pid = (await runner.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const node = async () => (await watcher.query('SELECT pg_relation_filenode($1::regclass) AS n', [target])).rows[0].n;
    const before = await node();
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE ${target} IN SHARE UPDATE EXCLUSIVE MODE`);
    const running = runner.query(f.example);
    let waiting: string | undefined;
    for (let k = 0; k < 200 && !waiting; k++) {
      waiting = (
        await watcher.query<{ mode: string }>(
          "SELECT mode FROM pg_locks WHERE pid = $1 AND locktype = 'relation' AND NOT granted AND relation = $2::regclass",
          [pid, target],
        )
      ).rows[0]?.mode;
      if (!waiting) await new Promise((r) => setTimeout(r, 25));
    }
    await holder.query('ROLLBACK');
    await running;
    return { lock: waiting, rewrote: (await node()) !== before, scanned: f.scans };
  } finally {
    await Promise.all([holder.end(), runner.end(), watcher.end()]);
  }
}

describe.each(allMajors)('Lock forms against $name', (target) => {
  let url: string;
  let c: pg.Client;
  beforeAll(async () => {
    url = await freshDatabase(target, 'lock_forms');
    c = new pg.Client(url);
    await c.connect();
    await exampleSchema(c);
  });
  afterAll(async () => {
    await c.end();
  });

  /** A form whose syntax this server lacks: it refuses the example (42601), and there is nothing to observe. */
  const olderThan = (f: LockForm) => f.minMajor !== undefined && target.major > 0 && target.major < f.minMajor;

  it.each(LOCK_FORMS.filter((f) => !f.noTransaction).map((f) => [f.id, f] as const))('%s: the lock, rewrite and scan PostgreSQL shows', async (_id, f) => {
    if (olderThan(f)) {
      await expect(observeInTransaction(c, f)).rejects.toMatchObject({ code: '42601' });
      return;
    }
    const classified = await classify(c, f);
    const seen = await observeInTransaction(c, f);
    expect(classified.form.id).toBe(f.id);
    const older = f.until && target.major > 0 && target.major <= f.until.major ? f.until : undefined;
    const lock = older ? older.lock : classified.lock;
    expect(seen.lock).toBe(lock ? pgLocksMode(lock) : undefined);
    if (classified.other) expect(seen.other).toBe(pgLocksMode(older?.other ?? classified.other.lock));
    if (f.other) expect({ lock: classified.other?.lock, table: classified.other?.table.name }).toEqual({ lock: f.other, table: f.exampleOther ?? 'r' });
    if (f.indexLock) expect(seen.indexes).toBe(pgLocksMode(f.indexLock));
    if (f.emptiesTable) {
      // New, empty storage: a new file node, and index rebuilds that read nothing; no row is copied or scanned.
      expect({ newFile: seen.rewrote, rewrites: classified.rewrites, scans: classified.scans }).toEqual({ newFile: true, rewrites: false, scans: false });
    } else {
      expect({ rewrites: seen.rewrote, scans: seen.scanned }).toEqual({ rewrites: classified.rewrites, scans: classified.scans });
    }
  });

  // The examples on t and on its index t_a (whose lock queries on t meet when they plan): the lock table's "what waits", seen from a second session.
  it.each(LOCK_FORMS.filter((f) => !f.noTransaction && (!f.exampleTable || f.exampleTable === 't_a') && !f.until).map((f) => [f.id, f] as const))(
    '%s: what waits for it, as a second session sees',
    async (_id, f) => {
      expect(await observeWaits(url, f)).toEqual(expectedWaits(f));
    },
  );

  it.each(LOCK_FORMS.filter((f) => f.noTransaction).map((f) => [f.id, f] as const))(
    '%s (no transaction): the lock it waits for, and no rewrite',
    async (_id, f) => {
      const db = await freshDatabase(target, `lock_${f.id}`);
      await withClient(db, exampleSchema);
      if (olderThan(f)) {
        await expect(withClient(db, (k) => k.query(f.example))).rejects.toMatchObject({ code: '42601' });
        return;
      }
      const classified = statementLock(parseSql(f.example).statements[0]!);
      const seen = await observeWaiting(db, f);
      expect(classified.form.id).toBe(f.id);
      expect(seen.lock).toBe(pgLocksMode(classified.lock!));
      expect(seen.rewrote).toBe(classified.rewrites);
    },
  );

  it('the conflict table: every pair of modes conflicts exactly when LOCK TABLE … NOWAIT says so', async () => {
    const other = new pg.Client(url);
    await other.connect();
    const mismatches: string[] = [];
    try {
      for (const a of LOCK_MODES) {
        for (const b of LOCK_MODES) {
          await c.query('BEGIN');
          await c.query(`LOCK TABLE r IN ${a} MODE`);
          await other.query('BEGIN');
          const blocked = await other.query(`LOCK TABLE r IN ${b} MODE NOWAIT`).then(
            () => false,
            (e: { code?: string }) => e.code === '55P03',
          );
          await other.query('ROLLBACK');
          await c.query('ROLLBACK');
          if (blocked !== conflicts(a as LockMode, b as LockMode)) mismatches.push(`${a} vs ${b}: server ${blocked ? 'conflicts' : 'allows'}`);
        }
      }
    } finally {
      await other.end();
    }
    expect(mismatches).toEqual([]);
  });
});
