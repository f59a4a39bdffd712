/**
 * The engine's error hierarchy. Every failure that reaches a user is one of
 * these; library errors (pg's DatabaseError, the SDK's) are translated at one
 * boundary (`fromDatabaseError`) and kept as `cause`.
 *
 * Exit codes: 1 for a migration, check or refusal that failed, 2 for usage and
 * input errors (bad files, bad settings) — those are raised before anything
 * touches the database. The command line's own `UsageError` lives in
 * `bin/cli/errors.ts`.
 */

import { ADMIN_SHUTDOWN, CANNOT_CONNECT_NOW, CRASH_SHUTDOWN } from './sqlstate';
export interface ErrorLocation {
  /** Migration or contract file, relative to the directory it was read from. */
  file?: string;
  /** 1-based line in `file` of the failing statement (or of the bad input). */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
}

export interface DatabaseErrorFields {
  /** SQLSTATE, e.g. `23502`. */
  sqlstate?: string;
  detail?: string;
  hint?: string;
  /** 1-based character position in the statement, as PostgreSQL reports it. */
  position?: number;
  /** The statement that failed (possibly shortened). */
  statement?: string;
  /** PostgreSQL's `where` context (e.g. the PL/pgSQL line). */
  where?: string;
  schema?: string;
  table?: string;
  /** The column PostgreSQL names in the error (not a position). */
  columnName?: string;
  constraint?: string;
}

export interface MigrationErrorOptions extends ErrorLocation, DatabaseErrorFields {
  cause?: unknown;
  /** Migration version, when the error belongs to one. */
  version?: number;
  /** What the user should do about it. */
  fix?: string;
}

/** Base class: a migration, check or refusal failed. Exit code 1. */
export class MigrationError extends Error {
  readonly exitCode: number = 1;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly version?: number;
  readonly sqlstate?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: number;
  readonly statement?: string;
  readonly where?: string;
  readonly table?: string;
  readonly columnName?: string;
  readonly constraint?: string;
  /** What to do; a no-transaction file's failure adds what of the file stayed applied (`apply.ts`). */
  fix?: string;
  /** The files the failed run applied (committed) before it stopped, in order: `migrate --json` says them. */
  appliedBefore?: string[];
  /** A no-transaction file's failure: the lines of its statements that committed before it (none: nothing of the file stayed applied). */
  committedLines?: number[];

  constructor(message: string, options: MigrationErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MigrationError';
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
    this.version = options.version;
    this.sqlstate = options.sqlstate;
    this.detail = options.detail;
    this.hint = options.hint;
    this.position = options.position;
    this.statement = options.statement;
    this.where = options.where;
    this.table = options.table;
    this.columnName = options.columnName;
    this.constraint = options.constraint;
    this.fix = options.fix;
  }

  /** A plain object for `--json` output and custom-resource responses. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { error: this.name, message: this.message };
    for (const key of [
      'file',
      'line',
      'column',
      'version',
      'sqlstate',
      'detail',
      'hint',
      'position',
      'statement',
      'where',
      'table',
      'columnName',
      'constraint',
      'fix',
      'appliedBefore',
    ] as const) {
      if (this[key] !== undefined) out[key] = this[key];
    }
    return out;
  }
}

/** Bad input (files, flags, URLs, events). Raised before the database is touched. Exit code 2. */
export class InputError extends MigrationError {
  override readonly exitCode: number = 2;
  /** The offending value, when there is one. Never a secret. */
  readonly value?: string;
  constructor(message: string, options: MigrationErrorOptions & { value?: string } = {}) {
    super(message, options);
    this.name = 'InputError';
    this.value = options.value;
  }
  override toJSON(): Record<string, unknown> {
    const out = super.toJSON();
    if (this.value !== undefined) out.value = this.value;
    return out;
  }
}

/** How many of an `InputProblemsError`'s problems its message shows; the others are counted. */
export const SHOWN_PROBLEMS = 20;

/**
 * Several pieces of bad input found in one pass over the files (a pg_dump
 * file with a psql meta-command, a COPY … FROM stdin and a SET of
 * standard_conforming_strings): each with its file, line, value and fix, in
 * order of file and line, so that one run names them all. Raised only for
 * two or more: one problem is thrown as the InputError it is. Its file and
 * line are the first problem's. Exit code 2.
 */
export class InputProblemsError extends InputError {
  /** The problems, the first SHOWN_PROBLEMS of them. */
  readonly problems: InputError[];
  /** How many there are in all (the message counts those not shown). */
  readonly total: number;
  constructor(problems: readonly InputError[], total = problems.length) {
    const shown = problems.slice(0, SHOWN_PROBLEMS);
    const first = shown[0];
    const lines = shown.map((p) => `  ${p.message}${p.fix ? `\n    fix: ${p.fix}` : ''}`);
    if (total > shown.length) lines.push(`  and ${total - shown.length} more (fix these and run again to see them)`);
    super(`${total} problems in the migration files, each below with its fix:\n${lines.join('\n')}`, {
      file: first.file,
      line: first.line,
      value: first.value,
      version: first.version,
      fix: 'fix each problem as its line says, then run again (nothing was run)',
    });
    this.problems = shown;
    this.total = total;
  }
  override toJSON(): Record<string, unknown> {
    const problems = this.problems.map((p) => {
      const { error: _error, ...fields } = p.toJSON();
      return fields;
    });
    return { ...super.toJSON(), problems, total: this.total };
  }
}

/** A statement of a migration failed; carries PostgreSQL's fields. */
export class StatementError extends MigrationError {
  constructor(message: string, options: MigrationErrorOptions) {
    super(message, options);
    this.name = 'StatementError';
  }
}

/**
 * Another session, as an error names it: who (pid, user, application), what
 * it does (state, ages, the locks it holds that are waited for), never its
 * SQL: another session's query may carry its data (a literal, an e-mail
 * address) and reaches logs and CloudFormation through the error.
 */
export interface Blocker {
  pid: number;
  user?: string;
  application?: string;
  state?: string;
  /** The locks it holds that the waiter waits for: `ACCESS EXCLUSIVE on public.leads`. */
  locks?: string;
  /** Seconds since the blocker's transaction started (absent when it is not in a transaction). */
  xactAgeSeconds?: number;
  /** Seconds since the blocker's connection started (backend_start). */
  connectedSeconds?: number;
  /** Seconds since a lease holder took the lease. */
  heldForSeconds?: number;
  /**
   * A runner's worker (the process applying its migrations, `pid`): the pid of
   * the idle connection that holds the runner lock for it.
   */
  lockPid?: number;
  /** The migration file the runner's worker runs, where it could be read. */
  file?: string;
  /**
   * True when the migration waits for this session's transaction to end
   * (pg_locks: a `virtualxid` lock, as CREATE INDEX CONCURRENTLY waits for
   * every transaction older than it) and the session holds no lock on a
   * table the migration has locked: an open snapshot, not a lock on the table.
   */
  olderTransaction?: boolean;
}

/** How a runner-lock holder is named in a wait's message: `pid 4242 (schemaguard)`, or a lease (pid 0) and its owner. */
export function holderName(h: Blocker): string {
  if (h.pid === 0) return (h.state ?? 'lease').replace(/^lease( \S+?)?(,|$)/, `lease$1 of ${h.application ?? 'another runner'}$2`);
  if (h.lockPid !== undefined) {
    return `pid ${h.pid}${h.file ? ` applying ${h.file}` : h.application ? ` (${h.application})` : ''} (its runner lock is held by its idle connection, pid ${h.lockPid})`;
  }
  return `pid ${h.pid}${h.application ? ` (${h.application})` : ''}`;
}

/**
 * What to do about a runner that holds the lock: `wait` first. To stop it,
 * cancel the process applying its migrations (its file rolls back, the runner
 * stops and releases the lock); ending the lock's idle connection would stop
 * it too, but says nothing about why.
 */
export function lockWaitFix(holders: Blocker[], wait: string): string {
  const workers = holders.filter((h) => h.lockPid !== undefined).map((h) => h.pid);
  if (workers.length) {
    return `${wait}; to stop it, cancel the migration it runs with SELECT pg_cancel_backend(${workers[0]}) (that file rolls back and the runner stops, releasing the lock); not its lock's idle connection`;
  }
  if (holders.some((h) => h.pid > 0))
    return `${wait}; a runner applies its migrations on a second connection from the same client: if one is stuck, cancel that one (pg_cancel_backend), not the lock's idle connection`;
  return wait;
}

/** `lock_timeout` was hit on every attempt; names the sessions that held the lock. */
export class LockTimeoutError extends MigrationError {
  readonly blockers: Blocker[];
  readonly attempts: number;
  constructor(message: string, options: MigrationErrorOptions & { blockers: Blocker[]; attempts: number }) {
    super(message, options);
    this.name = 'LockTimeoutError';
    this.blockers = options.blockers;
    this.attempts = options.attempts;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), attempts: this.attempts, blockers: this.blockers };
  }
}

/** The runner could not get the per-database migration lock within `--lock-wait`. */
export class LockWaitTimeoutError extends MigrationError {
  readonly holders: Blocker[];
  /** Who holds the lock, as the message says it (`pid 4242 (deploy)`, a lease and when it expires). */
  readonly holder: string;
  constructor(message: string, options: MigrationErrorOptions & { holders: Blocker[]; holder?: string }) {
    super(message, options);
    this.name = 'LockWaitTimeoutError';
    this.holders = options.holders;
    this.holder = options.holder ?? 'another runner';
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), holders: this.holders };
  }
}

/** A post-condition check returned rows: the migration was rolled back. */
export class CheckFailedError extends MigrationError {
  readonly check: string;
  readonly rowCount: number;
  /** The first offending rows (at most a handful), each value as PostgreSQL prints it (its text output, as psql shows it; null for NULL), the same through every driver. */
  readonly rows: Record<string, unknown>[];
  constructor(message: string, options: MigrationErrorOptions & { check: string; rowCount: number; rows: Record<string, unknown>[] }) {
    super(message, options);
    this.name = 'CheckFailedError';
    this.check = options.check;
    this.rowCount = options.rowCount;
    this.rows = options.rows;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), check: this.check, rowCount: this.rowCount, rows: this.rows };
  }
}

/** An applied migration's file changed since it was applied. */
export class ChecksumMismatchError extends MigrationError {
  readonly appliedChecksum: string;
  readonly fileChecksum: string;
  constructor(message: string, options: MigrationErrorOptions & { appliedChecksum: string; fileChecksum: string }) {
    super(message, options);
    this.name = 'ChecksumMismatchError';
    this.appliedChecksum = options.appliedChecksum;
    this.fileChecksum = options.fileChecksum;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), appliedChecksum: this.appliedChecksum, fileChecksum: this.fileChecksum };
  }
}

/** The database has applied versions the files don't know (it is ahead of the code). */
export class DatabaseAheadError extends MigrationError {
  readonly unknownVersions: number[];
  constructor(message: string, options: MigrationErrorOptions & { unknownVersions: number[] }) {
    super(message, options);
    this.name = 'DatabaseAheadError';
    this.unknownVersions = options.unknownVersions;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), unknownVersions: this.unknownVersions };
  }
}

/**
 * A pending migration's text (checksum) was applied under another version:
 * an applied migration renumbered, or a copy of one. Running it would run
 * its statements a second time; nothing was run.
 */
export class AlreadyAppliedError extends MigrationError {
  /** The version the same text was applied as. */
  readonly appliedVersion: number;
  /** That version has no file now: the pending file is it, renumbered. */
  readonly renumbered: boolean;
  constructor(message: string, options: MigrationErrorOptions & { appliedVersion: number; renumbered: boolean }) {
    super(message, options);
    this.name = 'AlreadyAppliedError';
    this.appliedVersion = options.appliedVersion;
    this.renumbered = options.renumbered;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), appliedVersion: this.appliedVersion, renumbered: this.renumbered };
  }
}

/** A pending migration is older than the newest applied one. */
export class OutOfOrderError extends MigrationError {
  constructor(message: string, options: MigrationErrorOptions = {}) {
    super(message, options);
    this.name = 'OutOfOrderError';
  }
}

/**
 * The state table contradicts what `baseline` or `repair` would record (an
 * applied file that changed, a version already past the baseline, a file that
 * is not applied): nothing was written.
 */
export class StateRefusalError extends MigrationError {
  /** The versions the refusal is about. */
  readonly versions: number[];
  constructor(message: string, options: MigrationErrorOptions & { versions: number[] }) {
    super(message, options);
    this.name = 'StateRefusalError';
    this.versions = options.versions;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), versions: this.versions };
  }
}

/**
 * `migrate` on a database another tool migrated (its history table is here)
 * while schemaguard has recorded nothing: the files would run again on the
 * schema that tool built. Nothing was run; `baseline --from` records them.
 */
export class ForeignHistoryError extends MigrationError {
  /** The tool whose history it is (`flyway`, `node-pg-migrate`, …). */
  readonly source: string;
  /** How many migrations its table records as applied; undefined when it could not be read. */
  readonly appliedCount?: number;
  constructor(message: string, options: MigrationErrorOptions & { source: string; appliedCount?: number }) {
    super(message, options);
    this.name = 'ForeignHistoryError';
    this.source = options.source;
    this.appliedCount = options.appliedCount;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), source: this.source, appliedCount: this.appliedCount };
  }
}

/**
 * A pending migration changes a table that logical replication carries (a
 * publication, or a logical slot whose plugin decodes every table: RDS
 * Blue/Green, AWS DMS, Debezium, a subscription), and neither the file nor
 * the run says it was planned for. Nothing was run. Exit code 2: the fix is
 * the plan (the subscriber first, or the replication ended), not the SQL.
 */
export class ReplicationError extends MigrationError {
  override readonly exitCode: number = 2;
  /** Each statement refused, with the table and what carries it. */
  readonly statements: { file: string; line: number; table: string; carriedBy: string[] }[];
  constructor(message: string, options: MigrationErrorOptions & { statements: ReplicationError['statements'] }) {
    super(message, options);
    this.name = 'ReplicationError';
    this.statements = options.statements;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), statements: this.statements };
  }
}

/** After applying, a standby had not replayed the migrations' last commit within the wait, and the run asked for a strict gate. */
export class StandbyLagError extends MigrationError {
  constructor(message: string, options: MigrationErrorOptions = {}) {
    super(message, options);
    this.name = 'StandbyLagError';
  }
}

/**
 * A batch of a backfill failed for a reason another try will not cure (its
 * statement's own error: a constraint, a cast, a missing privilege): the
 * backfill is marked failed with the message, its progress kept; the next
 * run continues after the last committed batch once the cause is fixed.
 */
export class BackfillError extends MigrationError {
  constructor(message: string, options: MigrationErrorOptions = {}) {
    super(message, options);
    this.name = 'BackfillError';
  }
}

/**
 * A pending file says `-- schemaguard:after-backfill <file>` and that
 * backfill is not done: the file is refused (the files before it stay
 * applied), naming the backfill and how far it is. Exit code 2: what is
 * needed is time (or `migrate` without `--backfill-later`), not another SQL.
 */
export class BackfillPendingError extends MigrationError {
  override readonly exitCode: number = 2;
  /** The backfill waited for: its file and state (`running`, `paused`, `failed`); a caller that can wait waits for one not failed. */
  readonly awaited?: { file: string; state: string };
  constructor(message: string, options: MigrationErrorOptions & { awaited?: { file: string; state: string } } = {}) {
    super(message, options);
    this.name = 'BackfillPendingError';
    if (options.awaited) this.awaited = options.awaited;
  }
}

/** The database could not be reached (or refused us) within the bounded retries. */
export class ConnectionError extends MigrationError {
  constructor(message: string, options: MigrationErrorOptions = {}) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

/**
 * The connection is not one server session (a transaction-pooling proxy such
 * as PgBouncer with pool_mode=transaction), and what was asked needs one.
 * Exit code 2: the fix is the URL, not the migration.
 */
export class PoolerError extends MigrationError {
  override readonly exitCode: number = 2;
  constructor(message: string, options: MigrationErrorOptions = {}) {
    super(message, options);
    this.name = 'PoolerError';
  }
}

/**
 * The caller's deadline left no time for a migration's next statement or
 * lock-timeout retry: the migration was stopped there (and rolled back, in a
 * transaction) rather than run past the deadline.
 */
export class DeadlineError extends MigrationError {
  constructor(message: string, options: MigrationErrorOptions = {}) {
    super(message, options);
    this.name = 'DeadlineError';
  }
}

/** Shape of pg's DatabaseError (and of the Data API driver's translated errors). */
export interface PgErrorLike {
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
  position?: string | number;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

export function isPgError(e: unknown): e is PgErrorLike & Error {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((e as unknown as { code: string }).code);
}

/** SQLSTATE of an error, if it carries one. */
export function sqlstateOf(e: unknown): string | undefined {
  if (e instanceof MigrationError) return e.sqlstate;
  return isPgError(e) ? e.code : undefined;
}

/** The fields of a PostgreSQL error, normalised. */
export function databaseFields(e: unknown): DatabaseErrorFields {
  if (!isPgError(e)) return {};
  const position = e.position === undefined ? undefined : Number(e.position);
  return {
    sqlstate: e.code,
    detail: e.detail || undefined,
    hint: e.hint || undefined,
    position: Number.isFinite(position) ? position : undefined,
    where: e.where || undefined,
    schema: e.schema || undefined,
    table: e.table || undefined,
    columnName: e.column || undefined,
    constraint: e.constraint || undefined,
  };
}

/** SQLSTATE classes that mean "the connection went away", not "the SQL was wrong". */
export function isConnectionLoss(e: unknown): boolean {
  const code = sqlstateOf(e);
  if (code && (code.startsWith('08') || code === ADMIN_SHUTDOWN || code === CRASH_SHUTDOWN || code === CANNOT_CONNECT_NOW)) return true;
  if (!(e instanceof Error)) return false;
  const sys = (e as { code?: string }).code;
  if (sys && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(sys)) return true;
  return /Connection terminated|connection terminated|Client has encountered a connection error|Connection ended|not queryable/i.test(e.message);
}

/** What a LockLostError knows of the file in flight when the lock was lost. */
export interface LostWhile {
  file: string;
  version: number;
  /** The file runs outside a transaction: its finished statements stay. */
  noTransaction: boolean;
  /** Its state row was found written after all (its COMMIT ran before the loss). */
  recorded?: boolean;
  cause?: unknown;
}

const LOCK_LOST_FIX =
  'run again: every migration that committed is recorded, the next run applies the rest. ' +
  "The lock's connection is idle by design while the migrations run on a second one: look for what ended it (pg_terminate_backend on that pid, " +
  "idle_session_timeout, a proxy's or firewall's idle timeout, a failover); to stop a run, cancel the process applying the file (pg_cancel_backend), not the lock's connection";

/**
 * The runner lock's session is gone (its connection closed): the run stopped —
 * before the next migration, or in the middle of one, whose connection was
 * dropped at once so that it rolls back instead of committing without the
 * lock (its state row's guard fails on the server if it got that far).
 */
export class LockLostError extends MigrationError {
  constructor(during?: LostWhile) {
    super(during ? lostWhileMessage(during) : 'lost the runner lock: its connection closed; stopping before the next migration', {
      fix: LOCK_LOST_FIX,
      file: during?.file,
      version: during?.version,
      cause: during?.cause,
    });
    this.name = 'LockLostError';
  }
}

function lostWhileMessage(d: LostWhile): string {
  if (d.recorded) {
    return `lost the runner lock as ${d.file} finished: its connection closed; ${d.file} committed just before (it is recorded); no further migration starts`;
  }
  const what = d.noTransaction
    ? `the statement it ran was stopped; statements of it that finished before stay applied (each commits on its own), and ${d.file} is not recorded`
    : `${d.file} rolled back and is not recorded`;
  return `lost the runner lock while ${d.file} ran: its connection closed; this runner dropped the migration's connection at once, so ${what}; no further migration starts`;
}

/** The runner lock's session is gone (its connection closed): nothing more may start, or the file in flight is stopped. */
export function lockLostError(during?: LostWhile): LockLostError {
  return new LockLostError(during);
}
