/**
 * The errors of applying a migration, each with the file, the line and what
 * to do: a failing statement, a check that could not run or found rows, a
 * lock that could not be had.
 */
import {
  CheckFailedError,
  DeadlineError,
  LockTimeoutError,
  MigrationError,
  StatementError,
  databaseFields,
  isConnectionLoss,
  type Blocker,
} from '../errors/errors';
import { Redactor } from '../errors/redact';
import { deferredFix, serverFix } from './server-fixes';
import { STATE_TABLE } from '../state/state';
import { CHECK_PREFIX, checkRowsAsText } from './script';
import { runsOutsideTransaction, type Check, type Migration } from '../files/source';
import { classifyStatement, concurrentIndexTarget } from '../sql/classify';
import { isComment, tokenize } from '../sql/lexer';
import { lineOfPosition, textHead, textIncludes, type SqlStatement } from '../sql/splitter';
import { LOCK_NOT_AVAILABLE, QUERY_CANCELED, UNIQUE_VIOLATION } from '../errors/sqlstate';
import { noun, oneOrMany, plural } from '../errors/words';

/** How many offending rows a failed check shows. */
export const CHECK_EXAMPLES = 5;
/** Checks count violations up to this many. */
export const CHECK_COUNT_LIMIT = 1000;

export function shorten(text: string, max = 500): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A statement's failure. `position`, when given, replaces the server's: the
 * position in the statement's own text, or null when the server's points into
 * text the user did not write.
 */
export function statementError(m: Migration, stmt: SqlStatement | null, e: unknown, broken: boolean, position?: number | null): MigrationError {
  if (e instanceof MigrationError) return e;
  const fields = databaseFields(e);
  if (position !== undefined) fields.position = position ?? undefined;
  const line = stmt ? (doBlockLine(stmt, fields.where) ?? lineOfPosition(stmt, fields.position)) : undefined;
  // A password in the statement (ALTER ROLE … PASSWORD '…') never leaves in it, nor where the server repeats it.
  const shown = stmt ? shownText(stmt) : undefined;
  const secrets = new Redactor().learn(shown?.secretsIn, { words: true });
  const why = secrets.redact(e instanceof Error ? e.message : String(e));
  const lost = broken || isConnectionLoss(e);
  // No statement of the file failed: its transaction's end did (a deferred constraint's check).
  const deferred = stmt === null && !lost ? deferredFix(fields, why) : undefined;
  const explained = deferred ?? (lost ? undefined : (stateRowFix(m, fields) ?? serverFix(m, fields, why, stmt)));
  const where = line ? `${m.file}:${line}` : deferred ? `${m.file}: at COMMIT` : m.file;
  return new StatementError(`${where}: ${lost ? `connection lost: ${why}` : why}`, {
    ...secrets.redactValue(fields),
    file: m.file,
    version: m.version,
    line,
    statement: shown ? shorten(secrets.redact(shown.head)) : undefined,
    cause: e,
    fix: lost ? lostFix(m, stmt) : (cancelFix(fields.sqlstate, why) ?? explained ?? ownFix(e)),
  });
}

/**
 * The state row's primary key already holds this version: another runner
 * applied the file while this one ran it — this runner's lock was lost (its
 * connection ended) and another took it. In a transaction nothing of the
 * file committed here.
 */
function stateRowFix(m: Migration, fields: { sqlstate?: string; constraint?: string }): string | undefined {
  if (fields.sqlstate !== UNIQUE_VIOLATION || fields.constraint !== `${STATE_TABLE}_pkey`) return undefined;
  const here = runsOutsideTransaction(m)
    ? 'the statements of this no-transaction file ran here too and stay applied (make them safe to run twice: IF NOT EXISTS)'
    : "this runner's transaction rolled back, so nothing of the file ran twice";
  return `another runner applied version ${m.version} meanwhile and recorded it: ${here}. Two runners ran at once because this one's runner lock was lost (its connection ended) or taken over; run again to see the state and apply what is left`;
}

/** Room past what `shorten` keeps, so that a URL or literal the cut ends inside is masked whole (and then cut). */
const SHOWN_MARGIN = 8 * 1024;

/**
 * What a failed statement's error shows (`head`: enough of its text to be
 * shortened) and the text its passwords are learned from. A long statement
 * (a data file's 16 MiB INSERT) is decoded whole only if a piece of it holds
 * the word password, without which no secret is learned from it (see
 * statementSecrets): an error deep inside it would otherwise hold its text
 * twice more.
 */
function shownText(stmt: SqlStatement): { head: string; secretsIn: string | undefined } {
  if (!stmt.textPieces || textIncludes(stmt, /password/i)) return { head: stmt.text, secretsIn: stmt.text };
  return { head: textHead(stmt, SHOWN_MARGIN), secretsIn: undefined };
}

/**
 * A connection lost during a statement. A transactional file's script is
 * held whole by the server, its COMMIT and state row included, so whether it
 * committed is not known; a no-transaction file has no COMMIT: its finished
 * statements stay, the one cut off may or may not have finished, and the file
 * is not recorded. A concurrent build cut off leaves an INVALID index, which
 * only a name finds again.
 */
function lostFix(m: Migration, stmt: SqlStatement | null): string {
  const again = 'run again once the database is reachable: it starts again from its first line, so each statement must be safe to run twice (IF NOT EXISTS)';
  const fix = !runsOutsideTransaction(m)
    ? 'whether the migration committed is not known (the server may have reached its COMMIT after the connection was lost): schemaguard status tells; run again once the database is reachable, and a migration that committed is not run again'
    : stmt
      ? `whether line ${stmt.line} finished before the connection was lost is not known (a no-transaction file has no COMMIT: each statement commits as it ends), and the file is not recorded; ${again}`
      : `the statements of this no-transaction file stay applied (each committed as it ended); schemaguard status tells whether the file was recorded before the connection was lost: if it was not, ${again}`;
  if (stmt?.words[0] !== 'create' || classifyStatement(stmt).kind !== 'concurrently') return fix;
  const target = concurrentIndexTarget(stmt.text);
  return `${fix}. The concurrent build cut off may have left an INVALID index: ${
    target
      ? `the next run drops ${target.index} before building it again`
      : 'it has no name, so the next run builds another beside it; find it with SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid and drop it with DROP INDEX CONCURRENTLY'
  }`;
}

/**
 * The file line of a failure inside a DO block, from the server's context
 * ("PL/pgSQL function inline_code_block line 6 at PERFORM"): PL/pgSQL counts
 * lines from the start of the body, the line the body's quote opens on being
 * line 1. Undefined for any other statement or context.
 */
export function doBlockLine(stmt: SqlStatement, where: string | undefined): number | undefined {
  const n = where ? /PL\/pgSQL function inline_code_block line (\d+)/.exec(where)?.[1] : undefined;
  if (!n || stmt.words[0] !== 'do') return undefined;
  const body = tokenize(stmt.text).find((t) => !isComment(t) && (t.kind === 'dollar-string' || t.kind === 'string'));
  return body ? stmt.line + body.line - 1 + Number(n) - 1 : undefined;
}

/** The fix a driver's error carries, where the driver knows more than the SQLSTATE (a Data API statement that outlived its call). */
function ownFix(e: unknown): string | undefined {
  const fix = (e as { fix?: unknown } | undefined)?.fix;
  return typeof fix === 'string' ? fix : undefined;
}

/** 57014 (query_canceled) says why in its message: statement_timeout, or a cancel (pg_cancel_backend, a client). */
function cancelFix(sqlstate: string | undefined, message: string): string | undefined {
  if (sqlstate !== QUERY_CANCELED || /waiting for a lock/.test(message)) return undefined;
  if (/statement timeout/i.test(message))
    return 'the statement ran past statement_timeout; raise it for this file with -- schemaguard:statement-timeout=… or make the statement cheaper';
  if (/user request/i.test(message)) return 'another session cancelled it (pg_cancel_backend, or an operator): run again when that is settled';
  return undefined;
}

/** A migration stopped at `line` because its deadline's time was up (`apply.ts`); `deadlineCutError` in the runner says the rest. */
export function outOfTimeError(m: Migration, line: number | undefined, why: string, cause?: unknown): DeadlineError {
  return new DeadlineError(`${line ? `${m.file}:${line}` : m.file}: ${why}`, { file: m.file, version: m.version, line, sqlstate: QUERY_CANCELED, cause });
}

/**
 * Under a deadline (`endsAt`, epoch ms) whose time is up: what starts at `line`
 * is not started (a cancel that reaches a session between two statements or
 * messages is dropped by the server, so the engine checks before each).
 */
export function refuseOutOfTime(m: Migration, line: number | undefined, endsAt: number | undefined): void {
  if (endsAt !== undefined && Date.now() >= endsAt) throw outOfTimeError(m, line, 'not started: no time is left before the deadline');
}

/** Said when the caller gives no fix of its own for a statement cut by its deadline. */
const DEADLINE_FIX = 'give the run more time, or split the migration into smaller files';

/**
 * A statement cancelled by the deadline's cap on statement_timeout (`capMs`,
 * the time the run had left) — or, `together`, a migration whose statements
 * together ran past that cap (cancelled, or the next one not started) — in a migration that had nearly all the time a
 * run gets, or in a no-transaction file (its statements before this one stay
 * committed, so it is not simply run again). A directive cannot help: the
 * timeout is the lower of the directive and the cap.
 */
export function deadlineCutError(e: MigrationError, m: Migration, capMs: number, fix = DEADLINE_FIX, together = false): StatementError {
  const kept = runsOutsideTransaction(m)
    ? 'the statements of this no-transaction file before it stay applied and it is not recorded, so it is not retried by itself: make its statements safe to run again (IF NOT EXISTS) and '
    : 'the migration was rolled back; ';
  const why = together
    ? `the statements together ran past the ${capMs} ms left before the deadline, and schemaguard stopped the migration there; statement_timeout bounds each statement, not the file`
    : `the statement timeout was the ${capMs} ms left before the deadline, not the file's`;
  return new StatementError(`${e.message} (${why})`, {
    file: e.file,
    line: e.line,
    version: e.version,
    sqlstate: e.sqlstate,
    detail: e.detail,
    hint: e.hint,
    position: e.position,
    statement: e.statement,
    where: e.where,
    cause: e,
    fix: `${kept}${fix}; -- schemaguard:statement-timeout cannot raise this limit (the timeout is the lower of the directive and the time left)`,
  });
}

export function wrapUnknown(m: Migration, e: unknown): MigrationError {
  return statementError(m, null, e, false);
}

/** The sessions that held a lock, for an error message. */
function blockedBy(blockers: Blocker[]): string {
  return blockers.length
    ? blockers
        .map(
          (b) =>
            `pid ${b.pid}${b.application ? ` (${b.application})` : ''}${b.user ? ` user ${b.user}` : ''}${b.state ? ` ${b.state}` : ''}${olderText(b)}${b.locks ? `, holding ${b.locks}` : ''}`,
        )
        .join('; ')
    : 'unknown (the blocker was gone before it could be sampled)';
}

/** ", an open transaction (12 s) holding no lock on the table" for a blocker the migration waits for only because it is older. */
function olderText(b: Blocker): string {
  return b.olderTransaction ? `, an open transaction${b.xactAgeSeconds !== undefined ? ` (${b.xactAgeSeconds} s)` : ''} holding no lock on the table` : '';
}

/**
 * What to do about a lock timeout: a lock held on the table, or (every
 * blocker an older transaction elsewhere) the wait of a concurrent index
 * build for every transaction older than it.
 */
function lockTimeoutFix(blockers: Blocker[]): string {
  if (!blockers.length || !blockers.every((b) => b.olderTransaction)) {
    return 'a long transaction holds a lock on the table: let it finish or end it (SELECT pg_terminate_backend(pid)), then run again; or raise --lock-timeout';
  }
  const pids = blockers.map((b) => b.pid).join(', ');
  return (
    `no session holds a lock on the table: a concurrent build (CREATE INDEX CONCURRENTLY, REINDEX or DROP INDEX CONCURRENTLY) waits for every transaction older than it to end, whatever it touches, and pid ${pids} ` +
    `${oneOrMany(blockers.length, 'has', 'have')} one open (an idle-in-transaction session, a long report, a REPEATABLE READ snapshot): let ${oneOrMany(blockers.length, 'it', 'them')} finish or end ${oneOrMany(blockers.length, 'it', 'them')} (SELECT pg_terminate_backend(${blockers[0].pid})), then run again; or raise --lock-timeout`
  );
}

export function lockTimeoutError(m: Migration, err: MigrationError, attempts: number, blockers: Blocker[], lockTimeoutMs: number): LockTimeoutError {
  const who = blockedBy(blockers);
  return new LockTimeoutError(
    `${err.file ?? m.file}${err.line ? `:${err.line}` : ''}: could not get a lock within ${lockTimeoutMs} ms after ${plural(attempts, 'attempt')}; blocked by ${who}`,
    {
      file: m.file,
      version: m.version,
      line: err.line,
      sqlstate: LOCK_NOT_AVAILABLE,
      statement: err.statement,
      cause: err,
      blockers,
      attempts,
      fix: lockTimeoutFix(blockers),
    },
  );
}

/** Creating or upgrading the state table timed out on its lock: nothing was run. */
export function stateLockTimeoutError(table: string, e: unknown, blockers: Blocker[], lockTimeoutMs: number): LockTimeoutError {
  return new LockTimeoutError(
    `could not get a lock on the state table ${table} within ${lockTimeoutMs} ms to bring it up to date; blocked by ${blockedBy(blockers)}; nothing was run`,
    {
      ...databaseFields(e),
      sqlstate: LOCK_NOT_AVAILABLE,
      cause: e,
      blockers,
      attempts: 1,
      fix: `a session holds ${table} in an open transaction (a status or query left open): let it finish or end it (SELECT pg_terminate_backend(pid)), then run again; or raise --lock-timeout`,
    },
  );
}

/**
 * A check query that failed to run. `position`: PostgreSQL's, in the check
 * as sent (wrapped in CHECK_PREFIX); the error gives it in the check's own text.
 */
export function checkRunError(m: Migration, check: Check, e: unknown, broken: boolean, position = databaseFields(e).position): StatementError {
  const fields = databaseFields(e);
  const own = position !== undefined ? Math.max(1, position - CHECK_PREFIX.length) : undefined;
  const line = lineOfPosition(check.statement, own);
  const why = e instanceof Error ? e.message : String(e);
  // A check cut off by a lost connection is not a wrong query: say so, and give the right advice.
  const lost = broken || isConnectionLoss(e);
  return new StatementError(`${m.file}:${line}: check "${check.description}" could not run: ${lost ? `connection lost: ${why}` : why}`, {
    ...fields,
    position: own,
    file: m.file,
    version: m.version,
    line,
    statement: shorten(check.statement.text),
    cause: e,
    fix: lost ? lostFix(m, null) : 'fix the check query; the migration was rolled back',
  });
}

/** The rows a check returned (at most CHECK_COUNT_LIMIT + 1, as `checkSql` returns them), as its failure, the examples as PostgreSQL prints them; undefined when it returned none. */
export function checkFailure(m: Migration, check: Check, rows: Record<string, unknown>[]): CheckFailedError | undefined {
  if (rows.length === 0) return undefined;
  const count = rows.length > CHECK_COUNT_LIMIT ? `more than ${CHECK_COUNT_LIMIT}` : String(rows.length);
  return new CheckFailedError(`${m.file}:${check.statement.line}: check failed: ${check.description} (${count} ${noun(rows.length, 'offending row')})`, {
    file: m.file,
    version: m.version,
    line: check.statement.line,
    check: check.description,
    rowCount: rows.length,
    rows: checkRowsAsText(rows.slice(0, CHECK_EXAMPLES)),
    fix: runsOutsideTransaction(m)
      ? 'the statements of this no-transaction file stay applied but it is not recorded; repair the data or the file and run again'
      : 'the migration was rolled back; repair the rows shown (or the migration) and run again',
  });
}
