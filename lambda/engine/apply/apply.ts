/**
 * Applying one migration.
 *
 * Transactional files: BEGIN; SET LOCAL lock_timeout/statement_timeout; each
 * statement; each check; INSERT the state row; COMMIT — one transaction, so a
 * failure anywhere leaves no trace. A lock timeout (55P03) rolls back and is
 * retried with backoff; the final error names the sessions that blocked us,
 * sampled with pg_blocking_pids() while we waited. Where the session can take
 * several statements in one message (`Session.script`), all of that goes in
 * one round trip (`apply-script.ts`); otherwise one statement per round trip.
 * Where the session also pipelines, the runner has consecutive small files
 * in flight together (`apply-pipeline.ts`); this file applies the others.
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
import { withStateSchemaFix } from './dump-fixes';
import { checkFailure, checkRunError, CHECK_COUNT_LIMIT, refuseOutOfTime, statementError } from './apply-errors';
import { scriptAttempt } from './apply-script';
import type { BlockerWatcher } from '../lock/blockers';
import { MigrationError } from '../errors/errors';
import { retryLockTimeouts, type LockRetryPolicy } from './lock-retry';
import {
  dropLeftoverInvalidIndexes,
  dropNewInvalidIndexes,
  type InvalidBefore,
  invalidIndexes,
  newInvalidIndexes,
  refuseNewInvalidIndexes,
  refuseSkippedIndex,
} from './invalid-indexes';
import { fusesTransactions, scripts, type Session, type TransactionSettings } from '../ports';
import { checkSql } from './script';
import { bodyBatches, runsOutsideTransaction, type Check, type Migration } from '../files/source';
import type { SqlStatement } from '../sql/splitter';
import { insertAppliedLiteralSql, insertAppliedSql } from '../state/state';
import { noun, oneOrMany, verb } from '../errors/words';
import { recordBackfill, type BackfillRecord } from '../backfill/progress';
import { applyingName } from '../lock/applying-file';
import { present } from '../errors/present';

export { CHECK_COUNT_LIMIT, CHECK_EXAMPLES } from './apply-errors';

/** What applying a file needs; how lock timeouts are retried is the executor's part (`lock-retry.ts`). */
export interface ApplySettings extends LockRetryPolicy {
  stateSchema: string;
  appliedBy: string;
  /** Default lock_timeout when the file has no directive. */
  lockTimeoutMs: number;
  /** Default statement_timeout when the file has no directive (0 = none). */
  statementTimeoutMs: number;
  /** Upper bound for statement_timeout from the caller's deadline (0 = no bound). */
  statementTimeoutCapMs: number;
  /**
   * The runner lock's condition (`MigrationLock.heldSql`): each state row is
   * written only while it holds (`insertAppliedTimedSql`), so a file whose
   * runner lost the lock does not commit.
   * @default - no condition: the lock is asked before each file only
   */
  held?: string;
  onNote?: (message: string) => void;
  /** The first batch's size a backfill file records (the batches' bounds apply). @default 1000 */
  backfillBatchRows?: number;
  /**
   * Under a deadline: epoch ms by which the migration's statements must end
   * (`DeadlineWatchdog`). No statement or lock-timeout retry starts after it
   * (the migration stops with a DeadlineError), and each attempt's
   * statement_timeout is capped by the time left to it.
   * @default - no deadline
   */
  endsAt?: number;
}

export interface ApplyResult {
  executionMs: number;
  attempts: number;
}

export function effectiveSettings(m: Migration, s: ApplySettings): TransactionSettings {
  const lockTimeoutMs = m.directives.lockTimeoutMs ?? s.lockTimeoutMs;
  let statementTimeoutMs = m.directives.statementTimeoutMs ?? s.statementTimeoutMs;
  // A retry under a deadline has less time than the cap its migration started with.
  const capMs = s.endsAt === undefined ? s.statementTimeoutCapMs : Math.max(1, Math.min(s.statementTimeoutCapMs || Infinity, s.endsAt - Date.now()));
  if (capMs > 0) statementTimeoutMs = statementTimeoutMs === 0 ? capMs : Math.min(statementTimeoutMs, capMs);
  return { lockTimeoutMs, statementTimeoutMs };
}

export async function applyMigration(session: Session, m: Migration, s: ApplySettings): Promise<ApplyResult> {
  try {
    return await (runsOutsideTransaction(m) ? applyWithoutTransaction(session, m, s) : applyInTransaction(session, m, s));
  } catch (e) {
    throw withStateSchemaFix(e, s.stateSchema);
  }
}

/** A no-transaction file's statements are read in batches of this much SQL (a large file is never held whole). */
const NO_TRANSACTION_BATCH_CHARS = 256 * 1024;

async function applyInTransaction(session: Session, m: Migration, s: ApplySettings): Promise<ApplyResult> {
  const r = await retryLockTimeouts({
    session,
    m,
    policy: s,
    lockTimeoutMs: effectiveSettings(m, s).lockTimeoutMs,
    attempt: (watcher) => {
      // Each attempt's own: under a deadline a retry has less time left.
      const settings = effectiveSettings(m, s);
      // A backfill file records its backfill between its checks and its state row: a statement at a time.
      return scripts(session) && !m.backfill ? scriptAttempt(session, m, s, settings, watcher) : statementsAttempt(session, m, s, settings, watcher);
    },
    undo: () => rollbackAndReset(session),
  });
  return { executionMs: r.value, attempts: r.attempts };
}

/** One attempt, a statement per round trip (BEGIN with the first and COMMIT with the state row where the driver can); returns the execution time. */
async function statementsAttempt(session: Session, m: Migration, s: ApplySettings, settings: TransactionSettings, watcher: BlockerWatcher): Promise<number> {
  const started = performance.now();
  const [first, ...rest] = m.statements;
  if (first) refuseOutOfTime(m, first.line, s.endsAt);
  const fused = fusesTransactions(session) ? session : undefined;
  if (first && fused) {
    await runStatement(session, m, first, watcher, () => fused.beginWith(settings, first.text));
  } else {
    await session.begin(settings);
    if (first) await runStatement(session, m, first, watcher);
  }
  for (const stmt of rest) {
    refuseOutOfTime(m, stmt.line, s.endsAt);
    await runStatement(session, m, stmt, watcher);
  }
  for (const check of m.checks) await runCheck(session, m, check);
  if (m.backfill) await runStatement(session, m, null, watcher, () => recordBackfill(session, s.stateSchema, backfillRecord(m, s, settings)));
  const executionMs = Math.round(performance.now() - started);
  // The file's session state ends with its checks: the state row is written,
  // and the next file starts, as on a new connection. pg sends the reset
  // with the state row and COMMIT, in the round trip that was there anyway.
  const reset = session.resetSql?.(settings);
  if (fused) {
    const row = { version: m.version, name: m.name, checksum: m.checksum, executionMs, appliedBy: s.appliedBy };
    const sql = `${reset ? `${reset};\n` : ''}${insertAppliedLiteralSql(s.stateSchema, row)}`;
    await runStatement(session, m, null, watcher, () => fused.commitWith(sql));
  } else {
    if (reset) await runStatement(session, m, null, watcher, () => session.query(reset));
    await runStatement(session, m, null, watcher, () =>
      session.query(insertAppliedSql(s.stateSchema), [m.version, m.name, m.checksum, executionMs, s.appliedBy]),
    );
    await session.commit();
  }
  return executionMs;
}

/** The first batch's size: small enough to take a moment on any table, large enough that sizing up takes few batches. */
const FIRST_BATCH_ROWS = 1000;

/** The backfill's row as the expand records it: the file's own timeouts (not a deadline's cap), and the first batch's size. */
function backfillRecord(m: Migration, s: ApplySettings, settings: TransactionSettings): BackfillRecord {
  return {
    version: m.version,
    file: m.file,
    statement: present(m.backfill),
    lockTimeoutMs: settings.lockTimeoutMs,
    statementTimeoutMs: m.directives.statementTimeoutMs ?? s.statementTimeoutMs,
    batchRows: s.backfillBatchRows ?? FIRST_BATCH_ROWS,
  };
}

async function applyWithoutTransaction(session: Session, m: Migration, s: ApplySettings): Promise<ApplyResult> {
  const settings = effectiveSettings(m, s);
  const started = performance.now();
  let attempts = 1;
  const invalidBefore = await invalidIndexes(session, m);
  await session.setTimeouts(settings);
  await nameTheFile(session, m);
  let ended = false;
  /** The statements that committed, while they run (undefined once they all did). */
  let committed: SqlStatement[] | undefined = [];
  /** Every statement that committed (its checks may fail after the last). */
  const finished: number[] = [];
  try {
    for (const batch of bodyBatches(m, NO_TRANSACTION_BATCH_CHARS)) {
      for (const stmt of batch) {
        attempts += await runWithLockRetries(session, m, stmt, s, settings, invalidBefore);
        await refuseSkippedIndex(session, m, stmt);
        committed.push(stmt);
        finished.push(stmt.line);
      }
    }
    committed = undefined;
    if (m.checks.length) await runChecksReadOnly(session, m, settings);
    await refuseNewInvalidIndexes(session, m, invalidBefore);
    const executionMs = Math.round(performance.now() - started);
    await endFileSession(session);
    ended = true;
    // Its error too names the file (a cancel at the deadline may meet it): the statements committed, the file is not recorded.
    await session.query(insertAppliedSql(s.stateSchema, s.held), [m.version, m.name, m.checksum, executionMs, s.appliedBy]).catch((e: unknown) => {
      throw statementError(m, null, e, session.broken);
    });
    return { executionMs, attempts };
  } catch (e) {
    if (!session.broken) await dropOrNameNewInvalidIndexes(session, invalidBefore, s);
    if (e instanceof MigrationError) e.committedLines = finished;
    if (e instanceof MigrationError && committed?.length) e.fix = `${committedBefore(committed)}${e.fix ? `; ${e.fix}` : ''}`;
    throw e;
  } finally {
    if (!ended && !session.broken) await endFileSession(session).catch(() => undefined);
  }
}

/**
 * What of a no-transaction file stayed applied when a statement failed: each
 * statement before it committed on its own, and the file is not recorded, so
 * the next run starts again from its first line.
 */
function committedBefore(committed: SqlStatement[]): string {
  const shown = committed
    .slice(0, 5)
    .map((c) => c.line)
    .join(', ');
  const lines = `${noun(committed.length, 'line')} ${shown}${committed.length > 5 ? ` and ${committed.length - 5} more` : ''}`;
  const once = committed.filter(failsTwice).map((c) => c.line);
  const named = !once.length
    ? ''
    : `; as written, ${noun(once.length, 'line')} ${once.slice(0, 5).join(', ')}${once.length > 5 ? ` and ${once.length - 5} more` : ''} ${verb(once.length, 'fail')} when run again (already exists)`;
  return `${lines} of this no-transaction file committed before it and ${verb(committed.length, 'stay')} applied, but the file is not recorded: the next run starts again from its first line, so make ${oneOrMany(committed.length, 'that statement', 'those statements')} safe to run twice (IF NOT EXISTS) or undo ${oneOrMany(committed.length, 'it', 'them')} first${named}`;
}

/**
 * A CREATE or an ALTER TABLE … ADD that says no IF NOT EXISTS (nor OR
 * REPLACE): run again after it committed, it fails with "already exists".
 * From the words alone, so a guess on the safe side: an ADD CONSTRAINT is
 * counted (it has no IF NOT EXISTS), a CREATE … IF NOT EXISTS anywhere is not.
 */
function failsTwice(stmt: SqlStatement): boolean {
  const w = stmt.words;
  const guarded = w.some((x, k) => x === 'if' && w[k + 1] === 'not' && w[k + 2] === 'exists') || w.includes('replace');
  if (guarded) return false;
  return w[0] === 'create' ? !['temp', 'temporary'].includes(w[1] ?? '') : w[0] === 'alter' && w[1] === 'table' && w.includes('add');
}

/**
 * A no-transaction file's statements are the file's own text: its name goes in
 * the session's application_name (back to the connection's with the reset
 * that ends the file), so pg_stat_activity and a runner waiting for the lock
 * say which file runs. On a session of its own only (the pg driver's, not
 * through a pooler nor the Data API, whose server sessions are shared).
 */
async function nameTheFile(session: Session, m: Migration): Promise<void> {
  if (session.pid === undefined || !scripts(session)) return;
  await session.query("SELECT set_config('application_name', $1, false)", [applyingName(m.file)]);
}

/** A no-transaction file's session state ends: its timeouts, and whatever else it set (the driver's reset). */
async function endFileSession(session: Session): Promise<void> {
  await session.setTimeouts({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
  await resetSession(session);
}

/** Outside a transaction: return the session to a new connection's state, where the driver has something to reset. */
export async function resetSession(session: Session): Promise<void> {
  const reset = session.resetSql?.();
  if (reset) await session.query(reset);
}

/**
 * A transaction's attempt failed: rolled back, and the session reset to a new
 * connection's state (what the file set before the failure), unless it is gone.
 */
export async function rollbackAndReset(session: Session): Promise<void> {
  if (!session.broken)
    await session
      .rollback()
      .then(() => resetSession(session))
      .catch(() => undefined);
}

/** One statement of a no-transaction file, retried on lock timeout; returns how many retries it took. */
async function runWithLockRetries(
  session: Session,
  m: Migration,
  stmt: SqlStatement,
  s: ApplySettings,
  settings: TransactionSettings,
  invalidBefore: InvalidBefore,
): Promise<number> {
  /** The statement's own lock timeout (file and line), which the last one to give up names. */
  let timedOut: MigrationError | undefined;
  /** An INVALID index of an earlier run that this statement builds, to drop first (looked up now: after the file's own SET search_path). */
  let leftover = true;
  let dropNew = false;
  let dropping = true;
  const { attempts } = await retryLockTimeouts({
    session,
    m,
    policy: s,
    lockTimeoutMs: settings.lockTimeoutMs,
    attempt: async (watcher) => {
      dropping = true;
      refuseOutOfTime(m, stmt.line, s.endsAt);
      // Under a deadline each statement and retry gets the time left, not the file's start's (statement_timeout is per statement).
      if (s.endsAt !== undefined) await session.setTimeouts(effectiveSettings(m, s));
      // A drop waits for the same sessions as a build, under the same lock_timeout: when it times out, it is the attempt that failed.
      watcher.start();
      if (leftover) await dropLeftoverInvalidIndexes(session, m, stmt, s);
      leftover = false;
      // A CREATE INDEX CONCURRENTLY that timed out left an INVALID index, dropped before the retry.
      if (dropNew) await dropNewInvalidIndexes(session, invalidBefore, s);
      dropNew = false;
      watcher.pause();
      dropping = false;
      await runStatement(session, m, stmt, watcher);
    },
    // Outside a transaction: each statement committed or did nothing.
    undo: async () => undefined,
    errorOf: (e, err, lockTimeout) => {
      if (!lockTimeout) return dropping ? dropError(m, stmt, e, session.broken) : err;
      if (!dropping) timedOut = err;
      dropNew = !dropping || dropNew;
      return timedOut ?? dropError(m, stmt, e, false);
    },
  });
  return attempts - 1;
}

/** A drop of an INVALID index before `stmt` failed: the statement's file and line, the DROP's message (its position is not the statement's). */
function dropError(m: Migration, stmt: SqlStatement, e: unknown, broken: boolean): MigrationError {
  return e instanceof MigrationError ? e : statementError(m, stmt, e, broken, null);
}

/**
 * After a failed no-transaction file: its new INVALID indexes dropped, or,
 * when the drop cannot be done now (it waits for the sessions that blocked the
 * build), named in a note with what drops them.
 */
async function dropOrNameNewInvalidIndexes(session: Session, invalidBefore: InvalidBefore, s: ApplySettings): Promise<void> {
  try {
    await dropNewInvalidIndexes(session, invalidBefore, s);
  } catch {
    if (session.broken) return;
    for (const name of await newInvalidIndexes(session, invalidBefore).catch(() => [])) {
      s.onNote?.(
        `INVALID index ${name} is left: its DROP INDEX CONCURRENTLY waited for the same sessions as the build. Once they ended, run DROP INDEX CONCURRENTLY ${name}; (the next run drops it itself when the file names it: CREATE INDEX CONCURRENTLY IF NOT EXISTS <name>)`,
      );
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
  session: Session,
  m: Migration,
  stmt: SqlStatement | null,
  watcher: BlockerWatcher,
  run: () => Promise<unknown> = () => session.query(present(stmt).text),
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
  let rows: Record<string, unknown>[];
  try {
    rows = (await session.query(checkSql(check, CHECK_COUNT_LIMIT))).rows;
  } catch (e) {
    throw checkRunError(m, check, e, session.broken);
  }
  const failed = checkFailure(m, check, rows);
  if (failed) throw failed;
}
