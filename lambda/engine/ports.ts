/**
 * The engine's ports: what it needs from a database connection and from the
 * runner lock. The engine depends on these interfaces only; the drivers in
 * `lambda/driver/` implement them:
 *
 * - `driver/pg/` — a PostgreSQL session over the wire protocol (RDS instances,
 *   local servers, the embedded one), locked with a session-level advisory lock
 *   (or, through a connection pooler, with the lease);
 * - `driver/data-api/` — the RDS Data API (Aurora), which has no session and
 *   therefore brings its own lock, a lease row.
 *
 * Where the engine takes a different path by driver, it asks the guards at
 * the end of this file, which read each capability from one place: a fast
 * path is a method the session has or lacks, so no flag can claim a method
 * that is not there.
 *
 * - `script` (a method) — the connection is one server session (pg, not
 *   through a pooler): several statements go in one message, so a file costs
 *   one round trip and a syntax error anywhere runs nothing;
 * - `capabilities.pipelines` (a flag, as no method says it) — the client
 *   writes a script while earlier ones await their answers (pg's pipeline
 *   mode): files go ahead of their answers;
 * - `beginWith` and `commitWith` (methods) — BEGIN rides with the first
 *   statement and COMMIT with the state row (pg, pooled or not): two round
 *   trips fewer a file.
 *
 * The RDS Data API has none of them: a call is one statement, and BEGIN and
 * COMMIT are calls of their own.
 */
import type { Blocker } from './errors/errors';
import type { Migration } from './files/source';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  /** One statement, with `$1…` parameters. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /**
   * The most one result may hold, in bytes, where the driver bounds it (the
   * RDS Data API: 1 MiB). Readers of results that grow with the schema (the
   * catalog) read them in pages below it.
   * @default - no limit: one query returns everything
   */
  readonly responseLimitBytes?: number;
  /**
   * `sql` as one statement through the extended protocol (one Parse
   * message): the server refuses text it reads as several statements
   * (42601), where `query` without parameters may send it as a simple query,
   * which runs each.
   * @default - `query`, where the driver sends one statement per call anyway (the RDS Data API)
   */
  queryOne?<R = Record<string, unknown>>(sql: string): Promise<QueryResult<R>>;
}

/** What `Session.script` returns. */
export interface ScriptResult {
  /** Rows of the statements asked for, by their index in the script (`[]` when one returned none). */
  rows: Map<number, Record<string, unknown>[]>;
  /** How many statements the server completed. */
  completed: number;
}

export interface TransactionSettings {
  /** `SET LOCAL lock_timeout`, in ms (0 = wait forever). */
  lockTimeoutMs: number;
  /** `SET LOCAL statement_timeout`, in ms (0 = none). */
  statementTimeoutMs: number;
}

/**
 * What a session can do that no method's presence says. A fast path a
 * session has is a method it has (`script`, `beginWith`/`commitWith`): the
 * guards below read the method itself, so a flag cannot disagree with it.
 */
export interface SessionCapabilities {
  /**
   * `script` calls may overlap: each call's message is written at once,
   * behind the ones not yet answered, and the server runs them one after
   * another, in the order written, each answered in turn. After an error the
   * server goes on with the next message (the engine makes the next ones fail
   * then: `apply-pipeline.ts`). Off: each answer is awaited before the next.
   */
  readonly pipelines: boolean;
}

export interface Session extends Queryable {
  /** The paths this session allows; may change when it connects (`script` is off through a pooler). */
  readonly capabilities: SessionCapabilities;
  /** The server process id, when the driver has a real session. */
  readonly pid?: number;
  /** BEGIN and apply `settings` for this transaction only. */
  begin(settings: TransactionSettings): Promise<void>;
  commit(): Promise<void>;
  /**
   * Fast path, with `commitWith` (a session has both or neither): BEGIN, `settings` and `sql` (one statement, no
   * parameters) in one round trip. An error's `position` is relative to `sql`.
   * @default - the engine calls `begin` and then `query`
   */
  beginWith?(settings: TransactionSettings, sql: string): Promise<void>;
  /**
   * Fast path, with `beginWith`: `sql` (one or more statements, no parameters) then
   * COMMIT in one round trip; if `sql` fails, COMMIT does not run and the
   * transaction stays open (aborted).
   * @default - the engine calls `query` and then `commit`
   */
  commitWith?(sql: string): Promise<void>;
  /**
   * Several statements in one message: `sql` (its text in pieces, to be sent as one: strings,
   * and a long statement as UTF-8 bytes), several
   * statements without parameters, in one round trip (a simple-query message). The server parses all of it first (a
   * syntax error anywhere runs nothing), then runs the statements in order and
   * skips the rest after an error; the error then carries `statementIndex` (how
   * many statements completed before it) and, when the server gives one, a
   * `position` in `sql`. Rows come back only for the statements in `keepRowsOf`.
   * A session whose server connection may change between transactions (through
   * a pooler) has none.
   * The server's notices while it runs the script go to `onNotice` (instead
   * of the session's listener), where the driver has notices.
   * @default - the engine sends one statement per round trip
   */
  script?(sql: readonly (string | Uint8Array)[], keepRowsOf?: ReadonlySet<number>, onNotice?: (message: string) => void): Promise<ScriptResult>;
  rollback(): Promise<void>;
  /** Session-level timeouts for statements outside a transaction (no-transaction files). */
  setTimeouts(settings: TransactionSettings): Promise<void>;
  /**
   * SQL that returns the session to the state of a new connection, undoing
   * what a migration file set in it (settings, role, temporary tables,
   * prepared statements, cursors, LISTEN, session-level advisory locks): one
   * or more statements that may run inside a transaction block. `within` is
   * the open transaction's settings, set again at the end (the reset clears
   * them too); undefined outside a transaction. The engine sends it after each
   * file's checks, ahead of its state row (and the lease fence), and after a
   * failed attempt; undefined when nothing is left to reset.
   * @default - nothing of a file outlives its transaction on this driver
   */
  resetSql?(within?: TransactionSettings): string | undefined;
  /**
   * True when a failed statement ends the open transaction (the RDS Data API
   * rolls it back and forgets its id: "The transaction was aborted due to an
   * error from a previous call"). No savepoint recovers from the error, and
   * what the transaction's connection held — a prepared statement — is gone
   * with it: the caller rolls back and begins another transaction.
   * @default false - the transaction stays open, aborted; ROLLBACK TO SAVEPOINT recovers it
   */
  readonly errorEndsTransaction?: boolean;
  /**
   * False when the session reads '…' strings with backslash escapes
   * (standard_conforming_strings off, set for the database or the role;
   * PostgreSQL's default is on since 9.1): the engine then refuses a pending
   * file with a backslash in such a string before anything runs.
   * @default - not known: read as on
   */
  readonly standardStrings?: boolean;
  /**
   * The server's `server_version_num` (180001), where the driver read it on
   * connecting: checks that need it then ask nothing more.
   * @default - not known: asked
   */
  readonly serverVersion?: number;
  /**
   * True while a transaction begun with `begin` is open, where the driver
   * knows it (readers that page a result through a cursor declare it there,
   * or begin a transaction of their own).
   * @default - not known
   */
  readonly inTransaction?: boolean;
  /** True once the connection is known to be gone. */
  readonly broken: boolean;
  /**
   * Call `listener` once when the connection is lost (the server ended the
   * session, the socket closed) without this side's `close`, where the
   * driver learns of it while idle (the runner lock's connection).
   * @default - the loss is seen at the next call (`broken`)
   */
  onLost?(listener: () => void): void;
  /**
   * Drop the connection at once, without waiting for a statement in flight
   * (whose transaction the server then rolls back): the runner lock was lost
   * while a file ran.
   * @default - `close`
   */
  abandon?(): void;
  /** Receive the server's NOTICE/WARNING messages (RAISE NOTICE in a migration), where the driver has them. */
  setNoticeListener?(listener: ((message: string) => void) | undefined): void;
  close(): Promise<void>;
}

export interface Driver {
  /** `pg` or `data-api`. */
  readonly kind: string;
  /** Where this driver points, for messages: never contains a secret. */
  readonly target: string;
  connect(): Promise<Session>;
  /** The runner lock that fits this driver (advisory lock or lease). */
  createLock(options: LockOptions): MigrationLock;
  /**
   * Called by the runner under the lock, before any migration runs: throws
   * (or rejects) when this connection cannot run one of the pending
   * migrations safely (a no-transaction file through a transaction pooler;
   * through the Data API, a DO block whose outcome marker the role may not
   * create). It may also remove what a runner that died left behind (the
   * Data API's outcome markers): nothing else holds the lock.
   * @default - every migration can run
   */
  assertRunnable?(pending: Migration[]): void | Promise<void>;
  /** Release anything pooled. */
  end(): Promise<void>;
}

export interface LockOptions {
  /** Schema that holds schemaguard's state; the lock is per database and state schema. */
  stateSchema: string;
  /** Who is asking, recorded where the lock allows it. */
  owner: string;
}

/**
 * The runner lock: one migration runner at a time per database and state
 * schema. A driver creates the one that fits it (`Driver.createLock`).
 */
export interface MigrationLock {
  /**
   * Take the lock, waiting at most `waitMs` (0 = do not wait).
   * Calls `onWait` once with the current holders when the lock is busy.
   * Throws LockWaitTimeoutError when the wait runs out.
   */
  acquire(waitMs: number, onWait?: (holders: Blocker[]) => void): Promise<void>;
  /**
   * Asked once before `acquire` by the runner: true when the run need not take
   * the lock. A lock whose taking writes to the database (a lease whose table
   * is created on first use, and removed when the run committed nothing) runs
   * `nothingToDo` over its connection and answers with it, so a run with
   * nothing to apply leaves the database untouched; `acquire` is then not
   * called, and `release` closes what this opened. When `nothingToDo`
   * throws (a refusal, a state it cannot read, a connection lost), the answer
   * is false and that connection is dropped: `acquire` connects afresh. Any
   * other lock answers false (or has no such method).
   * @default - the lock is always taken
   */
  skipWhen?(nothingToDo: (q: Queryable) => Promise<boolean>): Promise<boolean>;
  /** Throws when the lock is known to be lost (its connection died, its lease expired). */
  assertHeld(): Promise<void> | void;
  /**
   * A condition (an SQL boolean expression) that is true on the server while
   * the lock is held: a migration written ahead of the answers checks it
   * before it runs (`apply-pipeline.ts`), since the runner cannot call
   * `assertHeld` between it and the one before. Asked once a run, when
   * files are about to be written ahead.
   * @default - none: the runner does not write migrations ahead
   */
  heldSql?(): Promise<string | undefined> | string | undefined;
  /**
   * True while every COMMIT is checked against the lock inside its own
   * transaction (a lease's fence): the runner then does not call
   * `assertHeld` in an open transaction, which would ask over a second
   * connection (through a pool of one server connection, a wait for the
   * COMMIT it precedes). @default false
   */
  readonly fencesCommits?: boolean;
  /**
   * Call `listener` once when the lock is known lost while held (its
   * connection ended), at once rather than at the next `assertHeld`: the
   * runner then drops the migration's connection, so a file in flight rolls
   * back instead of committing unguarded.
   * @default - the loss is seen by the next `assertHeld`
   */
  onLost?(listener: () => void): void;
  /**
   * Make the server process that applies the migrations (`pid`) findable from
   * the lock: a runner waiting for the lock then names that process (and the
   * file it runs), not the lock's idle connection.
   * @default - waiting runners see the lock's holder only
   */
  announceWorker?(pid: number): Promise<void>;
  /** Release; safe to call when not held and after the connection died. */
  release(): Promise<void>;
  /** A connection for read-only side queries (blocker sampling) while the lock is held, if the lock has one. */
  readonly monitor?: Queryable;
}

/** A session with `script`. */
export type ScriptSession = Session & Required<Pick<Session, 'script'>>;
/** A session with `beginWith` and `commitWith`. */
export type FusedSession = Session & Required<Pick<Session, 'beginWith' | 'commitWith'>>;

/** A boolean column as a Queryable returns it: the Data API's may be text ('t', 'true'). */
export function isTrue(v: unknown): boolean {
  return v === true || v === 't' || v === 'true';
}

export function scripts(session: Session): session is ScriptSession {
  return session.script !== undefined;
}

/** Scripts that may overlap: `pipelines` says so only of a session that has `script`. */
export function pipelines(session: Session): session is ScriptSession {
  return scripts(session) && session.capabilities.pipelines;
}

export function fusesTransactions(session: Session): session is FusedSession {
  return session.beginWith !== undefined && session.commitWith !== undefined;
}
