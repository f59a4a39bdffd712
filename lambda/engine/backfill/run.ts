/**
 * Running a backfill: batch after batch by key range, each its own short
 * transaction that commits its upper key with it (`progress.ts`), sized to
 * take the target duration, paused while the database is not healthy
 * (`health.ts`) and resumed by itself; when the pass over the key range
 * ends, the statement's own WHERE proves no row is left, or the rows it
 * finds (written meanwhile) are swept, from the first of them. Runners of
 * one backfill take turns batch by batch (the row is read FOR UPDATE), so a
 * second one (the CLI beside the deployed workflow) neither repeats nor
 * skips a range.
 */
import { BackfillError, databaseFields, isConnectionLoss, MigrationError, sqlstateOf } from '../errors/errors';
import { DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE, QUERY_CANCELED } from '../errors/sqlstate';
import { fusesTransactions, isTrue, type Queryable, type Session } from '../ports';
import { quoteLiteral } from '../sql/sql-quote';
import { sleep } from '../runtime/sleep';
import { HealthCheck, waitersBehind, type HealthBounds } from './health';
import { backfillTable, readBackfill, setBackfillState, type BackfillRow, type BackfillState } from './progress';
import { anyLeftoverSql, batchSql, leftoverSql, readBackfillStatement, type BackfillStatement } from '../files/backfill-statement';
import { present } from '../errors/present';

/** How a backfill's batches are sized and when they pause (`DEFAULT_BACKFILL`; the project file's `backfill`). */
export interface BackfillSettings extends HealthBounds {
  /** The duration each batch is sized to take. */
  batchTimeMs: number;
  /** The fewest keys one batch covers. */
  minRows: number;
  /** The most keys one batch covers. */
  maxRows: number;
}

/** Where a backfill stands, after each batch and each change of state. */
export interface BackfillProgress {
  file: string;
  version: number;
  table: string;
  state: BackfillState;
  /** Why it is paused or failed; null while it runs and once done. */
  reason: string | null;
  rowsDone: number;
  /** Rows updated per second by this runner, pauses left out. */
  rowsPerSecond: number;
  /** Seconds left at this runner's pace, from the table's estimated size; undefined before a pace is known. */
  etaSeconds?: number;
  /** The next batch's size in keys (halved at once when sessions piled up behind the last); `status` shows the last batch's. */
  batchRows: number;
  batches: number;
  sweeps: number;
}

export interface BackfillRun {
  /** The session batches run on (outside any transaction). */
  session: Session;
  /** A second connection, to see who waits behind a batch while it runs. @default - not looked at */
  monitor?: Queryable;
  stateSchema: string;
  version: number;
  settings: BackfillSettings;
  /** `done`: until done (a failure throws); `one-batch`: the first batch only; a number: no batch but the first starts after this epoch ms. */
  until: 'done' | 'one-batch' | number;
  onProgress?: (p: BackfillProgress) => void;
  /** Between health readings while paused. @default 1000 */
  pausePollMs?: number;
}

/** Rounds of sweeping after which rows the WHERE finds are taken to be written as fast as they are swept. */
const MAX_SWEEPS = 10;
const SERIALIZATION_FAILURE = '40001';

/** What one runner keeps between batches. */
interface Walk {
  run: BackfillRun;
  row: BackfillRow;
  statement: BackfillStatement;
  health: HealthCheck;
  started: number;
  pausedMs: number;
  rowsAtStart: number;
  keysAtStart: number;
  estimatedKeys: number;
  /** Ranges stepped by value, not walked through the index (`upperByValue`). */
  byValue: boolean;
  batchRows: number;
  /** Retries of a batch that waited (lock timeout, deadlock), in a row. */
  waits: number;
}

/** Runs the backfill of `run.version` as far as `run.until` says; returns where it stands. Throws BackfillError when it fails. */
export async function runBackfill(run: BackfillRun): Promise<BackfillProgress> {
  const row = await readBackfill(run.session, run.stateSchema, run.version);
  if (!row) throw new MigrationError(`no backfill is recorded for version ${run.version} in ${backfillTable(run.stateSchema)}`);
  const walk = await startWalk(run, row);
  if (row.state === 'done') return progressOf(walk);
  for (let batches = 0; ; ) {
    // A slice ends at its time, after its first batch at least: one that started late still moves the backfill on.
    if (typeof run.until === 'number' && batches > 0 && Date.now() >= run.until) return progressOf(walk);
    // After its first batch, a backfill left for later stops (a table that fitted in it is proven done first).
    if (run.until === 'one-batch' && batches > 0 && !walk.row.passEnded) return progressOf(walk);
    const crowded = walk.health.crowded();
    if (crowded) await giveWay(walk, crowded);
    const reason = await walk.health.reason();
    if (reason) {
      await pause(walk, reason);
      if (run.until !== 'done') return progressOf(walk);
      continue;
    }
    if (walk.row.passEnded) {
      if (await prove(walk)) {
        report(walk);
        return progressOf(walk);
      }
      if (run.until === 'one-batch' && batches > 0) return progressOf(walk);
      continue;
    }
    const outcome = await batch(walk);
    if (outcome === 'waited' && run.until !== 'done') return progressOf(walk);
    if (outcome === 'ran') batches++;
    report(walk);
  }
}

async function startWalk(run: BackfillRun, row: BackfillRow): Promise<Walk> {
  const statement = readBackfillStatement(row.file, { text: row.statement, line: row.line });
  const est = await run.session.query<{ n: number | string }>('SELECT greatest(reltuples, 0)::float8 AS n FROM pg_catalog.pg_class WHERE oid = $1::regclass', [
    row.table,
  ]);
  const rows = Number(est.rows[0]?.n ?? 0);
  const ends = INTEGER_KEYS.has(row.keyType) ? await keyEnds(run.session, row, false) : undefined;
  const span = ends ? Number(ends.hi - ends.lo) + 1 : undefined;
  const byValue = span !== undefined && rows > 0 && span <= rows * MAX_KEYS_PER_ROW;
  return {
    run,
    row,
    statement,
    health: new HealthCheck(run.session, run.settings, row.table),
    started: Date.now(),
    pausedMs: 0,
    rowsAtStart: row.rowsDone,
    keysAtStart: row.keysScanned,
    estimatedKeys: byValue ? (span ?? rows) : rows,
    byValue,
    batchRows: clamp(row.batchRows, run.settings),
    waits: 0,
  };
}

/** Key types whose ranges can be stepped by value. */
const INTEGER_KEYS = new Set(['smallint', 'integer', 'bigint']);

/**
 * Key values per row, at most, for a table's ranges to be stepped by value:
 * a range of n values then holds n rows at most (the key is unique) and n/2
 * at least on average. Sparser keys (a table most of whose rows were
 * deleted) are walked through the index, so a batch still holds its rows.
 */
const MAX_KEYS_PER_ROW = 2;

/** Paused, with the reason (written once, on the change), waiting one poll; the next loop reads the health again. */
async function pause(walk: Walk, reason: string): Promise<void> {
  if (walk.row.state !== 'paused' || walk.row.reason !== reason) {
    await setBackfillState(walk.run.session, walk.run.stateSchema, walk.row.version, 'paused', reason);
    walk.row = { ...walk.row, state: 'paused', reason };
    report(walk);
  }
  if (walk.run.until !== 'done') return;
  const started = Date.now();
  await sleep(walk.run.pausePollMs ?? 1000);
  walk.pausedMs += Date.now() - started;
}

/**
 * Sessions piled up behind the last batch's row locks: they went on when it
 * committed, so no poll-long pause; the next batch is half as large (its
 * locks held half as long), after a tenth of a batch's time for the queue
 * to drain (each waiter's write is one short statement).
 */
async function giveWay(walk: Walk, reason: string): Promise<void> {
  walk.batchRows = clamp(Math.floor(walk.batchRows / 2), walk.run.settings);
  await setBackfillState(walk.run.session, walk.run.stateSchema, walk.row.version, 'paused', reason);
  walk.row = { ...walk.row, state: 'paused', reason };
  report(walk);
  const started = Date.now();
  await sleep(Math.ceil(walk.run.settings.batchTimeMs / 10));
  walk.pausedMs += Date.now() - started;
}

/**
 * One batch in its own transaction: the row locked (runners take turns), the
 * range's upper key found by walking the key's index `batchRows` keys on,
 * the statement run on the range, the progress written; committed together.
 * False when there was nothing to do (another runner ended the pass).
 */
async function batch(walk: Walk): Promise<'ran' | 'nothing' | 'waited'> {
  const { session, stateSchema, version } = walk.run;
  const started = Date.now();
  const watch = watchWaiters(walk);
  try {
    await begin(walk, true);
    const row = present(await readBackfill(session, stateSchema, version, true), `backfill ${version}'s row`);
    if (row.state === 'done' || row.passEnded) {
      await session.commit();
      walk.row = row;
      return 'nothing';
    }
    const upper = walk.byValue ? await upperByValue(session, row, walk.batchRows) : await upperKey(session, row, walk.batchRows);
    const lower = row.lastKey === null ? undefined : row.keyInclusive ? 'from' : 'after';
    const sql = batchSql(walk.statement, row.keyColumn, row.keyType, { lower, upper: upper !== null });
    const updated = await session.query(sql, [...(lower ? [row.lastKey] : []), ...(upper === null ? [] : [upper])]);
    const scanned = upper === null ? updated.rowCount : walk.batchRows;
    const progress = batchProgress(stateSchema, row, upper, updated.rowCount, scanned, walk.batchRows);
    await commitWith(session, progress.sql);
    walk.row = progress.row;
  } catch (e) {
    await rollback(session);
    await afterFailedBatch(walk, e);
    return 'waited';
  } finally {
    walk.health.noteLockWaiters(await watch.stop());
  }
  walk.waits = 0;
  walk.batchRows = nextSize(walk.batchRows, Date.now() - started, walk.run.settings);
  return 'ran';
}

/**
 * The batch's transaction, under the file's timeouts and search_path. A
 * batch (`batch`) commits without waiting for its WAL to reach disk
 * (synchronous_commit off, this transaction only): its rows and its progress
 * are one transaction, so a server crash that loses it loses both, as if it
 * had rolled back, and the next runner does that range again; what relies
 * on the backfill (the proof that marks it done, an after-backfill file)
 * commits synchronously, which flushes every earlier batch with it
 * (https://www.postgresql.org/docs/current/wal-async-commit.html). Waiting
 * for the flush took about 7% of each batch's time under the backfill
 * benchmark's writers.
 */
async function begin(walk: Walk, batch = false): Promise<void> {
  const { session } = walk.run;
  const settings = { lockTimeoutMs: walk.row.lockTimeoutMs, statementTimeoutMs: walk.row.statementTimeoutMs };
  // The file's search_path at its expand: the statement's names mean what they meant there.
  const path = `SELECT set_config('search_path', ${quoteLiteral(walk.row.searchPath)}, true)${batch ? ", set_config('synchronous_commit', 'off', true)" : ''}`;
  if (fusesTransactions(session)) return session.beginWith(settings, path);
  await session.begin(settings);
  await session.query(path);
}

/** The key `rows` keys on from the cursor (the range's upper end, included), or null when fewer are left: the last range is open. */
async function upperKey(q: Queryable, row: BackfillRow, rows: number): Promise<string | null> {
  const k = row.keyColumn;
  const bound = row.lastKey === null ? '' : `WHERE ${k} ${row.keyInclusive ? '>=' : '>'} $2::${row.keyType} `;
  const r = await q.query<{ k: string | null }>(`SELECT ${k}::text AS k FROM ${row.table} ${bound}ORDER BY ${k} OFFSET $1 LIMIT 1`, [
    rows - 1,
    ...(row.lastKey === null ? [] : [row.lastKey]),
  ]);
  return r.rows[0]?.k ?? null;
}

/**
 * An integer key's range by value: `rows` values on from the first key past
 * the cursor (a gap, such as an id far past the others added after the
 * start, is skipped, not stepped through), or null when they reach the
 * largest key (the last range is open). The key is unique, so the range
 * holds `rows` rows at most; it costs two lookups at the ends of the key's
 * index, where the walk through it (`upperKey`) reads every key of the
 * range, and a row's page where writers left it not all-visible: about an
 * eighth of a batch's time under the backfill benchmark's writers.
 */
async function upperByValue(q: Queryable, row: BackfillRow, rows: number): Promise<string | null> {
  const ends = await keyEnds(q, row, true);
  if (!ends) return null;
  const upper = ends.lo + BigInt(rows) - 1n;
  return upper >= ends.hi ? null : String(upper);
}

/**
 * An integer key's smallest value (past the cursor when `pastCursor`) and
 * its largest, each read at an end of the key's index; undefined when no key
 * is left there.
 */
async function keyEnds(q: Queryable, row: BackfillRow, pastCursor: boolean): Promise<{ lo: bigint; hi: bigint } | undefined> {
  const k = row.keyColumn;
  const cursor = pastCursor && row.lastKey !== null;
  const bound = cursor ? ` WHERE ${k} ${row.keyInclusive ? '>=' : '>'} $1::${row.keyType}` : '';
  const r = await q.query<{ lo: string | null; hi: string | null }>(
    `SELECT (SELECT min(${k})::text FROM ${row.table}${bound}) AS lo, (SELECT max(${k})::text FROM ${row.table}) AS hi`,
    cursor ? [row.lastKey] : [],
  );
  const { lo, hi } = r.rows[0] ?? { lo: null, hi: null };
  return lo === null || hi === null ? undefined : { lo: BigInt(lo), hi: BigInt(hi) };
}

/**
 * The batch's progress as SQL text (its values literals: the key as the
 * server gave it, numbers we counted), so that it travels with COMMIT in
 * one round trip; and the row as it then stands.
 */
function batchProgress(
  schema: string,
  row: BackfillRow,
  upper: string | null,
  rows: number,
  keys: number,
  batchRows: number,
): { sql: string; row: BackfillRow } {
  const int = (n: number) => String(Math.trunc(n));
  const sql = `UPDATE ${backfillTable(schema)} SET last_key = ${upper === null ? 'NULL' : quoteLiteral(upper)}, key_inclusive = false, pass_ended = ${upper === null},
            rows_done = rows_done + ${int(rows)}, keys_scanned = keys_scanned + ${int(keys)}, batches = batches + 1, batch_rows = ${int(batchRows)},
            state = 'running', reason = NULL, updated_at = clock_timestamp(), progress_at = clock_timestamp()
      WHERE version = ${int(row.version)}`;
  return {
    sql,
    row: {
      ...row,
      lastKey: upper,
      keyInclusive: false,
      passEnded: upper === null,
      rowsDone: row.rowsDone + rows,
      keysScanned: row.keysScanned + keys,
      batches: row.batches + 1,
      batchRows,
      state: 'running',
      reason: null,
      progressAt: new Date(),
    },
  };
}

/** `sql` and COMMIT, in one round trip where the driver fuses them. */
async function commitWith(session: Session, sql: string): Promise<void> {
  if (fusesTransactions(session)) return session.commitWith(sql);
  await session.query(sql);
  await session.commit();
}

/**
 * A batch that waited too long (a lock timeout, a deadlock, a serialization
 * failure) or ran past statement_timeout is tried again smaller, after a
 * pause that says why; any other error fails the backfill, its reason kept.
 */
async function afterFailedBatch(walk: Walk, e: unknown): Promise<void> {
  const code = sqlstateOf(e);
  const waited = code === LOCK_NOT_AVAILABLE || code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE;
  const cut = code === QUERY_CANCELED && /statement timeout/i.test((e as Error).message);
  if ((waited || cut) && !walk.run.session.broken) {
    walk.waits++;
    walk.batchRows = clamp(Math.floor(walk.batchRows / 2), walk.run.settings);
    const why = cut ? 'ran past statement_timeout' : 'waited for a lock past lock_timeout, or met a deadlock';
    await pause(walk, `the last batch ${why} (${(e as Error).message}): trying again with ${walk.batchRows} rows`);
    if (walk.run.until === 'done') await sleep(Math.min(30_000, 250 * 2 ** Math.min(walk.waits, 7)));
    return;
  }
  if (isConnectionLoss(e) || walk.run.session.broken) throw e;
  const message = `${walk.row.file}:${walk.row.line}: a batch of the backfill of ${walk.row.table} failed: ${(e as Error).message}`;
  await setBackfillState(walk.run.session, walk.run.stateSchema, walk.row.version, 'failed', (e as Error).message).catch(() => undefined);
  walk.row = { ...walk.row, state: 'failed', reason: (e as Error).message };
  report(walk);
  throw new BackfillError(message, {
    ...databaseFields(e),
    file: walk.row.file,
    line: walk.row.line,
    version: walk.row.version,
    cause: e,
    fix: `fix what the error names (the rows it cannot update, the statement), then run migrate again: the backfill continues after its last committed batch (${walk.row.rowsDone.toLocaleString('en-US')} rows done)`,
  });
}

/**
 * The pass ended: the statement's WHERE, on the whole table, finds no row
 * (done), or its first leftover key starts another sweep. Run in the row's
 * lock, as a batch. True once done.
 */
async function prove(walk: Walk): Promise<boolean> {
  const { session, stateSchema, version } = walk.run;
  try {
    await begin(walk);
    const row = present(await readBackfill(session, stateSchema, version, true), `backfill ${version}'s row`);
    if (row.state === 'done' || !row.passEnded) {
      await session.commit();
      walk.row = row;
      return row.state === 'done';
    }
    const first = await firstLeftover(session, walk.statement, row.keyColumn);
    if (first === undefined) {
      await setBackfillState(session, stateSchema, version, 'done', null);
      await session.commit();
      walk.row = { ...row, state: 'done', reason: null };
      return true;
    }
    if (row.sweeps >= MAX_SWEEPS) {
      await session.rollback();
      return sweptTooOften(walk);
    }
    await session.query(
      `UPDATE ${backfillTable(stateSchema)} SET last_key = $2, key_inclusive = true, pass_ended = false, sweeps = sweeps + 1, updated_at = clock_timestamp(), progress_at = clock_timestamp() WHERE version = $1`,
      [version, first],
    );
    await session.commit();
    walk.row = { ...row, lastKey: first, keyInclusive: true, passEnded: false, sweeps: row.sweeps + 1, progressAt: new Date() };
    return false;
  } catch (e) {
    await rollback(session);
    if (e instanceof MigrationError) throw e;
    await afterFailedBatch(walk, e);
    return false;
  }
}

/** The first key of a row the statement's WHERE still finds, or undefined: asked first in any order, which ends at the first row or scans the table once. */
async function firstLeftover(session: Session, statement: BackfillStatement, key: string): Promise<string | undefined> {
  const any = await session.query<{ left: boolean | string }>(anyLeftoverSql(statement));
  if (!isTrue(any.rows[0]?.left)) return undefined;
  return (await session.query<{ k: string }>(leftoverSql(statement, key))).rows[0]?.k;
}

async function sweptTooOften(walk: Walk): Promise<never> {
  const reason = `after ${MAX_SWEEPS} sweeps the statement's WHERE still finds rows: they are written as fast as they are swept`;
  await setBackfillState(walk.run.session, walk.run.stateSchema, walk.row.version, 'failed', reason);
  walk.row = { ...walk.row, state: 'failed', reason };
  report(walk);
  throw new BackfillError(`${walk.row.file}:${walk.row.line}: the backfill of ${walk.row.table} failed: ${reason}`, {
    file: walk.row.file,
    line: walk.row.line,
    version: walk.row.version,
    fix: 'keep new and changed rows done as the application writes them (a column default, or a trigger made in the expand), then run migrate again',
  });
}

async function rollback(session: Session): Promise<void> {
  if (!session.broken) await session.rollback().catch(() => undefined);
}

/** While a batch runs: the most sessions seen waiting behind it, sampled on the monitor connection. */
function watchWaiters(walk: Walk): { stop(): Promise<number> } {
  const { monitor, session, settings } = walk.run;
  if (!monitor || session.pid === undefined) return { stop: async () => 0 };
  let most = 0;
  let reading: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      reading = waitersBehind(monitor, present(session.pid, "the batch session's pid")).then(
        (n) => {
          most = Math.max(most, n);
        },
        () => undefined,
      );
    },
    Math.max(20, Math.floor(settings.batchTimeMs / 2)),
  );
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await reading;
      return most;
    },
  };
}

/** The next batch's size: scaled to the target duration, at most four times larger or half as large at once, within the bounds. */
export function nextSize(rows: number, tookMs: number, s: Pick<BackfillSettings, 'batchTimeMs' | 'minRows' | 'maxRows'>): number {
  const scaled = Math.round((rows * s.batchTimeMs) / Math.max(1, tookMs));
  return clamp(Math.min(rows * 4, Math.max(Math.floor(rows / 2), scaled)), s);
}

function clamp(rows: number, s: Pick<BackfillSettings, 'minRows' | 'maxRows'>): number {
  return Math.min(s.maxRows, Math.max(s.minRows, rows));
}

function progressOf(walk: Walk): BackfillProgress {
  const seconds = (Date.now() - walk.started - walk.pausedMs) / 1000;
  const rows = walk.row.rowsDone - walk.rowsAtStart;
  const keys = walk.row.keysScanned - walk.keysAtStart;
  const keysLeft = Math.max(0, walk.estimatedKeys - walk.row.keysScanned);
  const keysPerSecond = seconds > 0 ? keys / seconds : 0;
  return {
    file: walk.row.file,
    version: walk.row.version,
    table: walk.row.table,
    state: walk.row.state,
    reason: walk.row.reason,
    rowsDone: walk.row.rowsDone,
    rowsPerSecond: seconds > 0 ? Math.round(rows / seconds) : 0,
    ...(keysPerSecond > 0 && keysLeft > 0 && walk.row.state !== 'done' ? { etaSeconds: Math.round(keysLeft / keysPerSecond) } : {}),
    batchRows: walk.batchRows,
    batches: walk.row.batches,
    sweeps: walk.row.sweeps,
  };
}

function report(walk: Walk): boolean {
  walk.run.onProgress?.(progressOf(walk));
  return walk.row.state === 'done';
}
