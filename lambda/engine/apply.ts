/**
 * Applying one migration.
 *
 * Transactional files: BEGIN; SET LOCAL lock_timeout/statement_timeout; each
 * statement; each check; INSERT the state row; COMMIT — one transaction, so a
 * failure anywhere leaves no trace. A lock timeout (55P03) rolls back and is
 * retried with backoff; the final error names the sessions that blocked us,
 * sampled with pg_blocking_pids() while we waited.
 *
 * No-transaction files (`-- schemaguard:no-transaction`): statement by
 * statement with session-level timeouts; on failure the INVALID indexes the
 * file left behind are dropped and nothing is recorded.
 *
 * Every file starts from a clean session, as psql gives each file its own:
 * after a file's checks (which still see what its body set) and before its
 * state row, the driver's reset (`Session.resetSql`) undoes what the file set
 * in the session — search_path and other settings, SET ROLE, temporary
 * tables, prepared statements, LISTEN, advisory locks — and so does a failed
 * attempt's rollback.
 */
import {
  CheckFailedError, LockTimeoutError, MigrationError, StatementError, databaseFields, isConnectionLoss,
  type Blocker,
} from './errors';
import type { Queryable, Session, TransactionSettings } from './ports';
import { sleep } from './sleep';
import { runsOutsideTransaction, type Check, type Migration } from './source';
import { concurrentIndexName } from './sql/classify';
import { lineOfPosition, type SqlStatement } from './sql/splitter';
import { insertAppliedLiteralSql, insertAppliedSql } from './state';

export interface ApplySettings {
  stateSchema: string;
  appliedBy: string;
  /** Default lock_timeout when the file has no directive. */
  lockTimeoutMs: number;
  /** Default statement_timeout when the file has no directive (0 = none). */
  statementTimeoutMs: number;
  /** Upper bound for statement_timeout from the caller's deadline (0 = no bound). */
  statementTimeoutCapMs: number;
  /** How many times a lock timeout is retried before giving up. */
  lockRetries: number;
  /** First backoff delay; doubles each retry (with jitter). */
  retryDelayMs: number;
  /** A second connection for sampling blockers, if there is one. */
  monitor?: Queryable;
  onRetry?: (attempt: number, delayMs: number, blockers: Blocker[], error: MigrationError) => void;
  onNote?: (message: string) => void;
}

export interface ApplyResult {
  executionMs: number;
  attempts: number;
}

/** How many offending rows a failed check shows. */
export const CHECK_EXAMPLES = 5;
/** Checks count violations up to this many. */
export const CHECK_COUNT_LIMIT = 1000;

export function effectiveSettings(m: Migration, s: ApplySettings): TransactionSettings {
  const lockTimeoutMs = m.directives.lockTimeoutMs ?? s.lockTimeoutMs;
  let statementTimeoutMs = m.directives.statementTimeoutMs ?? s.statementTimeoutMs;
  if (s.statementTimeoutCapMs > 0) {
    statementTimeoutMs = statementTimeoutMs === 0 ? s.statementTimeoutCapMs : Math.min(statementTimeoutMs, s.statementTimeoutCapMs);
  }
  return { lockTimeoutMs, statementTimeoutMs };
}

export async function applyMigration(session: Session, m: Migration, s: ApplySettings): Promise<ApplyResult> {
  return runsOutsideTransaction(m) ? applyWithoutTransaction(session, m, s) : applyInTransaction(session, m, s);
}

function backoff(attempt: number, baseMs: number): number {
  const exp = Math.min(baseMs * 2 ** (attempt - 1), 10_000);
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

async function applyInTransaction(session: Session, m: Migration, s: ApplySettings): Promise<ApplyResult> {
  const settings = effectiveSettings(m, s);
  let lastBlockers: Blocker[] = [];
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    const watcher = new BlockerWatcher(s.monitor, () => session.pid, settings.lockTimeoutMs);
    try {
      // Round trips: BEGIN travels with the first statement and COMMIT with
      // the state row when the driver can (pg); one per statement otherwise.
      const [first, ...rest] = m.statements;
      if (first && session.beginWith) {
        await runStatement(session, m, first, watcher, () => session.beginWith!(settings, first.text));
      } else {
        await session.begin(settings);
        if (first) await runStatement(session, m, first, watcher);
      }
      for (const stmt of rest) await runStatement(session, m, stmt, watcher);
      for (const check of m.checks) await runCheck(session, m, check);
      const executionMs = Math.round(performance.now() - started);
      // The file's session state ends with its checks: the state row is written,
      // and the next file starts, as on a new connection. pg sends the reset
      // with the state row and COMMIT, in the round trip that was there anyway.
      const reset = session.resetSql?.(settings);
      if (session.commitWith) {
        const row = { version: m.version, name: m.name, checksum: m.checksum, executionMs, appliedBy: s.appliedBy };
        const sql = `${reset ? `${reset};\n` : ''}${insertAppliedLiteralSql(s.stateSchema, row)}`;
        await runStatement(session, m, null, watcher, () => session.commitWith!(sql));
      } else {
        if (reset) await runStatement(session, m, null, watcher, () => session.query(reset));
        await runStatement(session, m, null, watcher, () => session.query(insertAppliedSql(s.stateSchema), [m.version, m.name, m.checksum, executionMs, s.appliedBy]));
        await session.commit();
      }
      return { executionMs, attempts: attempt };
    } catch (e) {
      if (!session.broken) await session.rollback().then(() => resetSession(session)).catch(() => undefined);
      if (watcher.blockers.length) lastBlockers = watcher.blockers;
      const err = e instanceof MigrationError ? e : wrapUnknown(m, e);
      if (err.sqlstate !== '55P03' || session.broken) throw err;
      await backOffOrGiveUp(m, err, attempt, lastBlockers, s, settings.lockTimeoutMs);
    } finally {
      watcher.pause();
    }
  }
}

/**
 * After a lock timeout: report the retry and wait its backoff, or throw the
 * final LockTimeoutError (naming the blockers) once the retries are spent.
 */
async function backOffOrGiveUp(
  m: Migration, err: MigrationError, attempt: number, blockers: Blocker[], s: ApplySettings, lockTimeoutMs: number,
): Promise<void> {
  if (attempt > s.lockRetries) throw lockTimeoutError(m, err, attempt, blockers, lockTimeoutMs);
  const delay = backoff(attempt, s.retryDelayMs);
  s.onRetry?.(attempt, delay, blockers, err);
  await sleep(delay);
}

async function applyWithoutTransaction(session: Session, m: Migration, s: ApplySettings): Promise<ApplyResult> {
  const settings = effectiveSettings(m, s);
  const started = performance.now();
  let attempts = 1;
  await dropLeftoverInvalidIndexes(session, m, s);
  const invalidBefore = await invalidIndexes(session);
  await session.setTimeouts(settings);
  let ended = false;
  try {
    for (const stmt of m.statements) attempts += await runWithLockRetries(session, m, stmt, s, settings, invalidBefore);
    if (m.checks.length) await runChecksReadOnly(session, m, settings);
    await refuseNewInvalidIndexes(session, m, invalidBefore);
    const executionMs = Math.round(performance.now() - started);
    await endFileSession(session);
    ended = true;
    await session.query(insertAppliedSql(s.stateSchema), [m.version, m.name, m.checksum, executionMs, s.appliedBy]);
    return { executionMs, attempts };
  } catch (e) {
    if (!session.broken) await dropNewInvalidIndexes(session, invalidBefore, s).catch(() => undefined);
    throw e;
  } finally {
    if (!ended && !session.broken) await endFileSession(session).catch(() => undefined);
  }
}

/** A no-transaction file's session state ends: its timeouts, and whatever else it set (the driver's reset). */
async function endFileSession(session: Session): Promise<void> {
  await session.setTimeouts({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
  await resetSession(session);
}

/** Outside a transaction: return the session to a new connection's state, where the driver has something to reset. */
async function resetSession(session: Session): Promise<void> {
  const reset = session.resetSql?.();
  if (reset) await session.query(reset);
}

/** One statement of a no-transaction file, retried on lock timeout; returns how many retries it took. */
async function runWithLockRetries(
  session: Session, m: Migration, stmt: SqlStatement, s: ApplySettings, settings: TransactionSettings, invalidBefore: Set<string>,
): Promise<number> {
  let lastBlockers: Blocker[] = [];
  for (let attempt = 1; ; attempt++) {
    const watcher = new BlockerWatcher(s.monitor, () => session.pid, settings.lockTimeoutMs);
    try {
      await runStatement(session, m, stmt, watcher);
      return attempt - 1;
    } catch (e) {
      if (watcher.blockers.length) lastBlockers = watcher.blockers;
      const err = e instanceof MigrationError ? e : wrapUnknown(m, e);
      if (err.sqlstate !== '55P03' || session.broken) throw err;
      // A CREATE INDEX CONCURRENTLY that timed out leaves an INVALID index: drop it before retrying.
      await dropNewInvalidIndexes(session, invalidBefore, s);
      await backOffOrGiveUp(m, err, attempt, lastBlockers, s, settings.lockTimeoutMs);
    } finally {
      watcher.pause();
    }
  }
}

/** Checks of a no-transaction file see the committed result; they run read-only. */
async function runChecksReadOnly(session: Session, m: Migration, settings: TransactionSettings): Promise<void> {
  await session.begin(settings);
  try {
    await session.query('SET TRANSACTION READ ONLY');
    for (const check of m.checks) await runCheck(session, m, check);
  } finally {
    if (!session.broken) await session.rollback().catch(() => undefined);
  }
}

/** Run one statement; errors become StatementError with the file's line. */
async function runStatement(
  session: Session, m: Migration, stmt: SqlStatement | null, watcher: BlockerWatcher,
  run: () => Promise<unknown> = () => session.query(stmt!.text),
): Promise<void> {
  watcher.start();
  try {
    await run();
  } catch (e) {
    throw statementError(m, stmt, e, session.broken);
  } finally {
    watcher.pause();
  }
}

async function runCheck(session: Session, m: Migration, check: Check): Promise<void> {
  // Wrapped so a check that returns millions of rows costs at most CHECK_COUNT_LIMIT + 1.
  const prefix = 'SELECT * FROM (\n';
  const sql = `${prefix}${check.statement.text}\n) AS schemaguard_check LIMIT ${CHECK_COUNT_LIMIT + 1}`;
  let rows: Record<string, unknown>[];
  try {
    rows = (await session.query(sql)).rows;
  } catch (e) {
    const fields = databaseFields(e);
    const position = fields.position !== undefined ? Math.max(1, fields.position - prefix.length) : undefined;
    const line = lineOfPosition(check.statement, position);
    const why = e instanceof Error ? e.message : String(e);
    // A check cut off by a lost connection is not a wrong query: say so, and give the right advice.
    const lost = session.broken || isConnectionLoss(e);
    throw new StatementError(`${m.file}:${line}: check "${check.description}" could not run: ${lost ? `connection lost: ${why}` : why}`, {
      ...fields, position, file: m.file, version: m.version, line, statement: shorten(check.statement.text), cause: e,
      fix: lost
        ? 'nothing of this migration was recorded; run again once the database is reachable'
        : 'fix the check query; the migration was rolled back',
    });
  }
  if (rows.length > 0) {
    const count = rows.length > CHECK_COUNT_LIMIT ? `more than ${CHECK_COUNT_LIMIT}` : String(rows.length);
    throw new CheckFailedError(`${m.file}:${check.statement.line}: check failed: ${check.description} (${count} offending row${rows.length === 1 ? '' : 's'})`, {
      file: m.file, version: m.version, line: check.statement.line, check: check.description,
      rowCount: rows.length, rows: rows.slice(0, CHECK_EXAMPLES).map(plainRow),
      fix: runsOutsideTransaction(m)
        ? 'the statements of this no-transaction file stay applied but it is not recorded; repair the data or the file and run again'
        : 'the migration was rolled back; repair the rows shown (or the migration) and run again',
    });
  }
}

function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v;
  return out;
}

export function shorten(text: string, max = 500): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function statementError(m: Migration, stmt: SqlStatement | null, e: unknown, broken: boolean): MigrationError {
  if (e instanceof MigrationError) return e;
  const fields = databaseFields(e);
  const line = stmt ? lineOfPosition(stmt, fields.position) : undefined;
  const why = e instanceof Error ? e.message : String(e);
  const where = line ? `${m.file}:${line}` : m.file;
  const lost = broken || isConnectionLoss(e);
  return new StatementError(`${where}: ${lost ? `connection lost: ${why}` : why}`, {
    ...fields, file: m.file, version: m.version, line, statement: stmt ? shorten(stmt.text) : undefined, cause: e,
    fix: lost
      ? 'nothing of this migration was recorded; run again once the database is reachable'
      : fields.sqlstate === '57014'
        ? 'the statement ran past statement_timeout; raise it for this file with -- schemaguard:statement-timeout=… or make the statement cheaper'
        : undefined,
  });
}

function wrapUnknown(m: Migration, e: unknown): MigrationError {
  return statementError(m, null, e, false);
}

function lockTimeoutError(m: Migration, err: MigrationError, attempts: number, blockers: Blocker[], lockTimeoutMs: number): LockTimeoutError {
  const who = blockers.length
    ? blockers.map((b) => `pid ${b.pid}${b.application ? ` (${b.application})` : ''}${b.state ? ` ${b.state}` : ''}${b.query ? `: ${b.query.replace(/\s+/g, ' ').slice(0, 120)}` : ''}`).join('; ')
    : 'unknown (the blocker was gone before it could be sampled)';
  return new LockTimeoutError(
    `${err.file ?? m.file}${err.line ? `:${err.line}` : ''}: could not get a lock within ${lockTimeoutMs} ms after ${attempts} attempts; blocked by ${who}`,
    {
      file: m.file, version: m.version, line: err.line, sqlstate: '55P03', statement: err.statement, cause: err,
      blockers, attempts,
      fix: 'a long transaction holds a lock on the table: let it finish or end it (SELECT pg_terminate_backend(pid)), then run again; or raise --lock-timeout',
    },
  );
}

/**
 * Samples pg_blocking_pids() for the migration's session from a second
 * connection while a statement runs, so a lock-timeout error can name who
 * blocked it. Costs nothing for statements faster than the first sample.
 */
class BlockerWatcher {
  blockers: Blocker[] = [];
  private timer?: NodeJS.Timeout;
  private busy = false;
  private readonly interval: number;

  // The pid is read at each sample: a Data API session only has one while a transaction is open.
  constructor(private readonly monitor: Queryable | undefined, private readonly pid: () => number | undefined, lockTimeoutMs: number) {
    const base = lockTimeoutMs > 0 ? lockTimeoutMs / 3 : 1000;
    this.interval = Math.max(25, Math.min(1000, Math.floor(base)));
  }

  start(): void {
    if (!this.monitor || this.timer) return;
    this.timer = setInterval(() => void this.sample(), this.interval);
    this.timer.unref?.();
  }

  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sample(): Promise<void> {
    const pid = this.pid();
    if (this.busy || !this.monitor || pid === undefined) return;
    this.busy = true;
    try {
      const found = await sampleBlockers(this.monitor, pid);
      if (found.length) this.blockers = found;
    } catch {
      // Sampling is best effort; the migration's own error is what matters.
    } finally {
      this.busy = false;
    }
  }
}

export async function sampleBlockers(q: Queryable, pid: number): Promise<Blocker[]> {
  const r = await q.query<{ pid: number; user: string; application: string; state: string; query: string; xact_age_seconds: number | null }>(
    `SELECT b.pid, b.usename AS user, b.application_name AS application, b.state, left(b.query, 300) AS query,
            floor(extract(epoch FROM now() - b.xact_start))::int AS xact_age_seconds
       FROM unnest(pg_blocking_pids($1::int)) AS p(pid) JOIN pg_stat_activity b ON b.pid = p.pid`,
    [pid],
  );
  return r.rows.map((x) => ({
    pid: x.pid, user: x.user, application: x.application, state: x.state, query: x.query,
    xactAgeSeconds: x.xact_age_seconds ?? undefined,
  }));
}

// --- INVALID indexes left by CREATE INDEX CONCURRENTLY ---------------------

async function invalidIndexes(q: Queryable): Promise<Set<string>> {
  const r = await q.query<{ oid: string }>('SELECT indexrelid::bigint::text AS oid FROM pg_index WHERE NOT indisvalid');
  return new Set(r.rows.map((x) => x.oid));
}

async function newInvalidIndexes(q: Queryable, before: Set<string>): Promise<string[]> {
  const r = await q.query<{ oid: string; name: string }>(
    `SELECT i.indexrelid::bigint::text AS oid, format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid`,
  );
  return r.rows.filter((x) => !before.has(x.oid)).map((x) => x.name);
}

/** An index build that failed without its error reaching us still leaves an INVALID index: refuse to record the file. */
async function refuseNewInvalidIndexes(session: Session, m: Migration, before: Set<string>): Promise<void> {
  const leftover = await newInvalidIndexes(session, before);
  if (leftover.length) {
    throw new MigrationError(`${m.file}: left INVALID index ${leftover.join(', ')}`, {
      file: m.file, version: m.version,
      fix: 'an index build failed without an error reaching schemaguard; it has been dropped — run again',
    });
  }
}

async function dropNewInvalidIndexes(session: Session, before: Set<string>, s: ApplySettings): Promise<void> {
  for (const name of await newInvalidIndexes(session, before)) {
    // `name` comes from format('%I.%I'), so it is already quoted.
    await session.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
    s.onNote?.(`dropped INVALID index ${name} left by the failed statement`);
  }
}

/**
 * An INVALID index with the name a file creates is a leftover of an earlier
 * failed run; `CREATE INDEX CONCURRENTLY IF NOT EXISTS` would silently keep it.
 */
async function dropLeftoverInvalidIndexes(session: Session, m: Migration, s: ApplySettings): Promise<void> {
  for (const stmt of m.statements) {
    const index = concurrentIndexName(stmt.text);
    if (!index) continue;
    const r = await session.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid AND i.indexrelid = to_regclass($1)`,
      [index],
    );
    for (const row of r.rows) {
      await session.query(`DROP INDEX CONCURRENTLY IF EXISTS ${row.name}`);
      s.onNote?.(`${m.file}: dropped INVALID index ${row.name} left by an earlier failed run`);
    }
  }
}
