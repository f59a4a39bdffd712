/**
 * The runner: lock → ensure state → compare files with state (refusals) →
 * apply each pending migration → unlock in `finally`. The CLI and the
 * custom-resource handler both call `migrate`; `inspect` serves `plan` and
 * `status` and writes nothing.
 */
import { applyMigration, type ApplySettings } from './apply/apply';
import { deadlineCutError, stateLockTimeoutError } from './apply/apply-errors';
import { applyInFlight, canPipeline, pipelinable } from './apply/apply-pipeline';
import { BlockerWatcher } from './lock/blockers';
import { DeadlineWatchdog } from './lock/deadline-watchdog';
import { DEFAULT_BACKFILL, DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_LOCK_WAIT_MS, DEFAULT_RETRY_DELAY_MS } from './defaults';
import { DeadlineError, LockLostError, lockLostError, MigrationError, sqlstateOf, type Blocker } from './errors/errors';
import { validateSchemaName } from './state/identifiers';
import { recordedOf, refuseRetry } from './lock/lock-lost';
import { explainReadOnly } from './server/read-only';
import { computePlan, type Plan } from './state/plan';
import type { Driver, MigrationLock, Queryable, Session } from './ports';
import { EMPTY_FILE_NOTE, isEmptyMigration, parseAllNow, runsOutsideTransaction, type Migration } from './files/source';
import { refuseAtStep, type FirstRunCheck, type RunCheck, type RunFacts } from './server/run-refusals';
import { stateRefusals } from './state/state-refusals';
import { refuseUnwrittenTemplates } from './files/template';
import {
  DEFAULT_STATE_SCHEMA,
  isHeldGuardFailure,
  prepareState,
  readApplied,
  readStateForRun,
  stateTable,
  stateUpgradeSkipped,
  stateUpToDate,
  type AppliedKey,
} from './state/state';
import { LOCK_NOT_AVAILABLE, QUERY_CANCELED } from './errors/sqlstate';
import { awaitedBackfills, backfillPendingError, refuseUnknownAfterBackfill, type BackfillMode } from './backfill/gate';
import { BACKFILL_TABLE } from './backfill/progress';
import { runBackfill, type BackfillProgress, type BackfillRun, type BackfillSettings } from './backfill/run';
import { present } from './errors/present';

export interface RunnerOptions {
  driver: Driver;
  migrations: Migration[];
  /** @default 'schemaguard' */
  stateSchema?: string;
}

export interface MigrateOptions extends RunnerOptions {
  /** Recorded in applied_by: the CLI user, or the stack and request id. */
  appliedBy: string;
  /** How long to wait for another runner's lock. @default 60000 */
  lockWaitMs?: number;
  /** lock_timeout for each migration without a directive. @default 5000 */
  lockTimeoutMs?: number;
  /** statement_timeout for each migration without a directive. @default 0 (none, unless a deadline bounds it) */
  statementTimeoutMs?: number;
  /** Lock-timeout retries per migration. @default 3 */
  lockRetries?: number;
  /** First retry delay, doubled each time. @default 500 */
  retryDelayMs?: number;
  /** The migrations directory as its user names it, in messages (the CLI's --dir). @default - "the migration files" */
  source?: string;
  /** Succeed when the database has versions the files don't know (CloudFormation rollback). @default false */
  allowAhead?: boolean;
  /** Apply pending migrations older than the newest applied one. @default false */
  allowOutOfOrder?: boolean;
  /**
   * Pending versions to apply although an applied version has the same text
   * (checksum): their statements run a second time. @default - none: such a
   * file is refused with an AlreadyAppliedError (a renumbered one is given its
   * version back)
   */
  allowRerun?: readonly number[];
  /**
   * Run the files on a database another tool migrated (its history table is
   * here: flyway_schema_history, pgmigrations, …) while schemaguard has
   * recorded nothing, with a note. @default false - refused with a
   * ForeignHistoryError: record what that tool applied first (`schemaguard baseline --from TOOL`)
   */
  ignoreForeignHistory?: boolean;
  /**
   * The caller's own check of a first run (nothing recorded, files pending),
   * made under the runner lock before anything runs; the error it returns is
   * thrown. @default - none
   */
  firstRunCheck?: FirstRunCheck;
  /**
   * Epoch ms by which the caller must be done (a Lambda's deadline). No
   * migration starts when less than `reserveMs` is left, and statement_timeout
   * never runs past the deadline less half the reserve. @default - no deadline
   */
  deadline?: number;
  /** Time kept back before the deadline. @default 10000 */
  reserveMs?: number;
  /**
   * What to do when a statement is cut by the deadline (statement_timeout
   * capped at the time left) although its migration started with nearly all
   * the time a run gets: the caller names its own setting (the handler: its
   * timeout). @default - give the run more time or split the migration
   */
  deadlineFix?: string;
  /** The caller's own checks before anything runs (`run-refusals.ts`: the replication check). @default - the engine's only */
  checks?: readonly RunCheck[];
  /**
   * `run`: a file's backfill runs to the end before the next file (and a
   * file that waits for an earlier one finishes it first); `start`: only its
   * first batch, the rest left for later (the deployed workflow, or a later
   * migrate), and a file that waits for a backfill not done is refused.
   * @default 'run'
   */
  backfills?: BackfillMode;
  /** Batch sizes and health bounds of backfills. @default DEFAULT_BACKFILL */
  backfillSettings?: Partial<BackfillSettings>;
  /** With `backfills: 'start'`: what a refused `after-backfill` file's message says to do (the CLI names its flag, the handler its workflow). @default - run migrate without --backfill-later */
  backfillFix?: string;
  /**
   * Run on the applying session once the run applied files, after the last
   * commit and before the runner lock is released: the caller's wait for the
   * standbys reads there, on a connection already open, rather than opening
   * one. Not run when nothing was applied, nor after a failure. @default - nothing
   */
  afterApplied?: (session: Queryable) => Promise<void>;
  onEvent?: (event: RunEvent) => void;
}

export type RunEvent =
  | { type: 'lock-wait'; holders: Blocker[] }
  | { type: 'lock-acquired'; waitedMs: number }
  | { type: 'plan'; pending: number; applied: number }
  | { type: 'migration-start'; migration: Migration }
  // The file's message was written to the server: files in flight together are written ahead of their start (apply-pipeline.ts).
  | { type: 'migration-sent'; migration: Migration }
  | { type: 'migration-applied'; migration: Migration; executionMs: number; attempts: number }
  | { type: 'retry'; migration: Migration; attempt: number; delayMs: number; blockers: Blocker[]; message: string }
  | { type: 'note'; message: string }
  | { type: 'deadline'; remaining: Migration[] }
  // After each batch of a backfill, and each change of its state (paused and why, running again, done).
  | { type: 'backfill'; progress: BackfillProgress };

export interface AppliedSummary {
  version: number;
  name: string;
  file: string;
  executionMs: number;
}

export interface MigrateResult {
  /** `up-to-date`: nothing to do; `applied`: all pending applied; `partial`: stopped at the deadline. */
  outcome: 'up-to-date' | 'applied' | 'partial';
  applied: AppliedSummary[];
  /** Versions still pending (non-empty only when `partial`). */
  remaining: number[];
  /** Versions in the database that no file knows (only with allowAhead). */
  unknown: number[];
  /** Highest applied version after the run. */
  currentVersion: number | null;
  /** Number of applied migrations after the run. */
  appliedCount: number;
  elapsedMs: number;
  /** Where each backfill this run started or ran stands at its end (`running` when left for later); absent when it met none. */
  backfills?: BackfillProgress[];
}

/** Read the files against the database without writing anything (no lock, no state table). */
export async function inspect(options: RunnerOptions): Promise<Plan> {
  const schema = validateSchemaName(options.stateSchema ?? DEFAULT_STATE_SCHEMA);
  const session = await options.driver.connect();
  try {
    return computePlan(options.migrations, await readApplied(session, schema));
  } finally {
    await session.close();
  }
}

/**
 * The applying session, connecting (unless the state was read on it) while
 * the files are parsed; and a new (or older) state table made ready on it
 * meanwhile, committed only once they all parsed: a bad file leaves the
 * database as it was.
 */
function startApplyingSession(
  options: MigrateOptions,
  schema: string,
  columns: Parameters<typeof stateUpToDate>[0],
  upgradeSkipped: boolean,
  session: Session | undefined,
  monitor: Queryable | undefined,
): { opening?: Promise<Session>; preparing?: Promise<Session> } {
  let opening: Promise<Session> | undefined;
  if (!session) {
    opening = options.driver.connect();
    opening.catch(() => undefined);
  }
  if (stateUpToDate(columns) || upgradeSkipped) return { opening };
  const preparing = (opening ?? Promise.resolve(present(session))).then((s) =>
    beginStateChange(s, schema, columns, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, monitor),
  );
  preparing.catch(() => undefined);
  return { opening, preparing };
}

/** What a run opens on its way (the applying session, and the state table's transaction), closed in its `finally`. */
interface Opened {
  /** The session that applies the files. */
  session?: Session;
  /** That session while it connects, during the parse of the files. */
  opening?: Promise<Session>;
  /** That session once it created the state table (or brought it up to date) in a transaction not yet committed. */
  preparing?: Promise<Session>;
  /** Set when the runner lock's connection closed while held. */
  lockLost: boolean;
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const started = performance.now();
  const schema = validateSchemaName(options.stateSchema ?? DEFAULT_STATE_SCHEMA);
  const emit = options.onEvent ?? (() => undefined);
  const lock = options.driver.createLock({ stateSchema: schema, owner: options.appliedBy });
  const opened: Opened = { lockLost: false };
  try {
    const done = await upToDateBeforeLock(lock, options, schema);
    if (done) {
      emit({ type: 'plan', pending: 0, applied: done.appliedCount });
      return { ...done, elapsedMs: Math.round(performance.now() - started) };
    }
    await acquireLock(lock, options, emit, opened);
    const { plan, appliedCount, facts, backfillsLeft } = await planUnderLock(options, schema, lock, emit, opened);
    const result: MigrateResult = {
      outcome: 'up-to-date',
      applied: [],
      remaining: [],
      unknown: plan.unknown.map((u) => u.version),
      currentVersion: plan.currentVersion,
      appliedCount,
      elapsedMs: 0,
    };
    let run: PendingRun | undefined;
    const applying = async (): Promise<PendingRun> => {
      const session = await openForApplying(options, lock, facts, opened);
      return {
        options,
        session,
        lock,
        settings: applySettings(options, schema, lock, emit, session),
        reserveMs: options.reserveMs ?? 10_000,
        emit,
        startedAt: Date.now() - Math.round(performance.now() - started),
        lost: () => opened.lockLost,
      };
    };
    if (plan.pending.length > 0) {
      run = await applying();
      await applyPending(run, plan.pending, result);
      if (result.applied.length > 0) await options.afterApplied?.(run.session);
    }
    if (result.outcome !== 'partial' && finishesLeftBackfills(options)) {
      for (const version of ourBackfills(backfillsLeft, options.migrations)) {
        // One a pending file waited for was finished before that file ran, and is reported once.
        if (result.backfills?.some((b) => b.version === version)) continue;
        run ??= await applying();
        await run.lock.assertHeld();
        (result.backfills ??= []).push(await backfillOf(run, version, 'done'));
      }
    }
    result.elapsedMs = Math.round(performance.now() - started);
    return result;
  } catch (e) {
    // Lost while the state table was made ready (its transaction dropped with the connection): nothing ran.
    // (A file's error has been said already: `lostOrAsIs`.)
    if (opened.lockLost && !(e instanceof MigrationError && e.file)) throw lockLostError();
    throw await explainReadOnly(e, options.driver, lock.monitor);
  } finally {
    await closeOpened(opened, lock);
  }
}

/** The runner lock, waited for; once held, its loss drops the applying session's connection. */
async function acquireLock(lock: MigrationLock, options: MigrateOptions, emit: (event: RunEvent) => void, opened: Opened): Promise<void> {
  const waitStart = performance.now();
  await lock.acquire(options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, (holders) => emit({ type: 'lock-wait', holders }));
  emit({ type: 'lock-acquired', waitedMs: Math.round(performance.now() - waitStart) });
  // The lock's connection lost while a file runs: that file's connection is dropped at once, so it rolls back
  // (the server's client_connection_check_interval ends a statement that runs on; the state row's guard fails).
  lock.onLost?.(() => {
    opened.lockLost = true;
    opened.session?.abandon?.();
  });
}

/**
 * Under the runner lock: the state read, the plan made and refused where it
 * must be, and every pending file parsed; the applying session connects (and
 * the state table is made ready) meanwhile.
 */
async function planUnderLock(
  options: MigrateOptions,
  schema: string,
  lock: MigrationLock,
  emit: (event: RunEvent) => void,
  opened: Opened,
): Promise<{ plan: Plan<AppliedKey>; appliedCount: number; facts: RunFacts; backfillsLeft: number[] }> {
  // The state is read only after the lock is held: a runner that waited sees what the other applied.
  const reader = lock.monitor ?? (opened.session = await options.driver.connect());
  const { applied, columns, backfillsLeft } = await readStateForRun(reader, schema, finishesLeftBackfills(options) ? BACKFILL_TABLE : undefined);
  const plan = computePlan(options.migrations, applied);
  refuse(plan, options);
  // What migrate refuses through this URL (`run-refusals.ts`), each check at its step, in the order plan names them.
  const facts: RunFacts = {
    driver: options.driver,
    reader,
    pending: plan.pending,
    firstRun: applied.length === 0,
    ignoreForeignHistory: options.ignoreForeignHistory,
    firstRunCheck: options.firstRunCheck,
    checks: options.checks,
    session: async () => (opened.session ??= await (opened.opening ?? options.driver.connect())),
  };
  // A first run on a database another tool migrated: its files likely re-create what is there (baseline first).
  // Read before the applying session connects: through a pool of one server connection, that session holds it.
  const notes = await refuseAtStep('state-read', facts);
  // An earlier version's table this role may not alter: the run goes on without the new columns, and says so.
  const upgradeSkipped = plan.pending.length > 0 ? await stateUpgradeSkipped(reader, schema, columns) : undefined;
  if (plan.pending.length > 0)
    Object.assign(opened, startApplyingSession(options, schema, columns, upgradeSkipped !== undefined, opened.session, lock.monitor));
  // Every file that will run is parsed (and a bad one refused) before anything is written;
  // one still as `schemaguard new` wrote it too: recorded, its SQL written later would never run.
  await parseAllNow(plan.pending);
  refuseUnwrittenTemplates(plan.pending, options.source);
  refuseUnknownAfterBackfill(plan.pending, options.migrations);
  notes.push(...(await refuseAtStep('files-parsed', facts)));
  emit({ type: 'plan', pending: plan.pending.length, applied: applied.length });
  for (const message of notes) emit({ type: 'note', message });
  if (upgradeSkipped) emit({ type: 'note', message: upgradeSkipped });
  return { plan, appliedCount: applied.length, facts, backfillsLeft };
}

/** The applying session, connected, its state table's transaction committed (under the lock), and announced to waiting runners. */
async function openForApplying(options: MigrateOptions, lock: MigrationLock, facts: RunFacts, opened: Opened): Promise<Session> {
  const session = (opened.session ??= await (opened.opening ?? options.driver.connect()));
  await refuseAtStep('session-open', facts);
  if (opened.preparing) {
    await opened.preparing;
    // Committed only while the runner lock is held, as every state write; otherwise rolled back in `finally`.
    if (!lock.fencesCommits) await lock.assertHeld();
    opened.preparing = undefined;
    await session.commit();
  }
  // Waiting runners name this session's process (and its file), not the lock's idle connection.
  if (session.pid !== undefined) await lock.announceWorker?.(session.pid);
  return session;
}

/** What the run opened, closed, and the runner lock released. */
async function closeOpened(opened: Opened, lock: MigrationLock): Promise<void> {
  // The state table's transaction, when a bad file (or anything else) came first: rolled back.
  if (opened.preparing)
    await opened.preparing
      .then(
        (s) => s.rollback(),
        () => undefined,
      )
      .catch(() => undefined);
  if (opened.session) await opened.session.close();
  // Refused before it was used (a bad pending file): closed unused.
  else if (opened.opening)
    await opened.opening.then(
      (s) => s.close(),
      () => undefined,
    );
  await lock.release();
}

/**
 * The result of a run with nothing to do, when the lock would write to be
 * taken (`MigrationLock.skipWhen`: the lease through a pooler, whose table a
 * database migrated directly does not have): every file applied, unchanged,
 * and nothing to refuse, read before the lock. Safe without it: applied rows
 * only come and go under the lock, so what was applied stays applied.
 * Undefined otherwise: the run takes the lock, reads the state again under
 * it, and refuses (or applies) there.
 */
async function upToDateBeforeLock(lock: MigrationLock, options: MigrateOptions, schema: string): Promise<MigrateResult | undefined> {
  let result: MigrateResult | undefined;
  // A refusal, or a state that cannot be read, throws: the lock answers false and the run under it says so, as before.
  const skip = await lock.skipWhen?.(async (q) => {
    const { applied, backfillsLeft } = await readStateForRun(q, schema, finishesLeftBackfills(options) ? BACKFILL_TABLE : undefined);
    const plan = computePlan(options.migrations, applied);
    if (plan.pending.length > 0) return false;
    if (ourBackfills(backfillsLeft, options.migrations).length > 0) return false;
    refuse(plan, options);
    result = {
      outcome: 'up-to-date',
      applied: [],
      remaining: [],
      unknown: plan.unknown.map((u) => u.version),
      currentVersion: plan.currentVersion,
      appliedCount: applied.length,
      elapsedMs: 0,
    };
    return true;
  });
  return skip ? result : undefined;
}

/**
 * Opens the transaction that creates the state table (or adds the columns an
 * earlier version lacked), committed once the files parsed. Under the
 * migrations' lock_timeout: a session reading the table in a long transaction
 * (a `status` left open in psql) is named in a LockTimeoutError, not waited
 * for without end.
 */
async function beginStateChange(
  s: Session,
  schema: string,
  columns: Set<string> | undefined,
  lockTimeoutMs: number,
  monitor: Queryable | undefined,
): Promise<Session> {
  await s.begin({ lockTimeoutMs, statementTimeoutMs: 0 });
  const watcher = new BlockerWatcher(monitor, () => s.pid, lockTimeoutMs);
  watcher.start();
  try {
    await prepareState(s, schema, columns);
  } catch (e) {
    if (sqlstateOf(e) !== LOCK_NOT_AVAILABLE) throw e;
    throw stateLockTimeoutError(stateTable(schema), e, watcher.blockers, lockTimeoutMs);
  } finally {
    watcher.pause();
  }
  return s;
}

function applySettings(options: MigrateOptions, schema: string, lock: MigrationLock, emit: (event: RunEvent) => void, session: Session): ApplySettings {
  return {
    beforeRetry: (m) => refuseRetry(session, schema, lock, m),
    stateSchema: schema,
    appliedBy: options.appliedBy,
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    statementTimeoutMs: options.statementTimeoutMs ?? 0,
    statementTimeoutCapMs: 0,
    lockRetries: options.lockRetries ?? DEFAULT_LOCK_RETRIES,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    monitor: lock.monitor,
    onNote: (message) => emit({ type: 'note', message }),
  };
}

/** What applying the pending migrations needs, once the lock is held and the state exists. */
interface PendingRun {
  options: MigrateOptions;
  session: Session;
  lock: MigrationLock;
  settings: ApplySettings;
  reserveMs: number;
  emit: (event: RunEvent) => void;
  /** The runner lock's condition for files written ahead (`MigrationLock.heldSql`), once asked; '' when it has none. */
  held?: string;
  /** Epoch ms the run began: a migration cut by the deadline that started well after it gets more time in a new run. */
  startedAt: number;
  /** True once the runner lock's connection closed while held. */
  lost: () => boolean;
}

/**
 * The error of a file (or of files in flight) that failed because the runner
 * lock was lost meanwhile: said so, with the file — and whether it committed
 * after all (its COMMIT ran, with the lock held, just before its answer was
 * dropped with the connection): read on a new connection.
 */
async function lostOrAsIs(run: PendingRun, e: unknown, fallback: Migration): Promise<unknown> {
  const guardFailed = e instanceof MigrationError && isHeldGuardFailure(e);
  if (!run.lost() && !guardFailed) return e;
  if (e instanceof LockLostError) return e;
  const file = e instanceof MigrationError && e.file ? e.file : fallback.file;
  const version = file === fallback.file ? fallback.version : ((e as MigrationError).version ?? fallback.version);
  const state = guardFailed ? undefined : await recordedOf(run.options.driver, run.settings.stateSchema, [version]);
  // No new connection either: the server itself went (a shutdown, a failover), not the lock's connection alone.
  if (!guardFailed && state === undefined && e instanceof MigrationError) return e;
  return lockLostError({
    file,
    version,
    noTransaction: file === fallback.file && runsOutsideTransaction(fallback),
    cause: e,
    recorded: state?.has(version) ?? false,
  });
}

/** Files in flight whose answers were lost with the connection but that committed (with the lock held): reported applied. */
async function reportCommitted(run: PendingRun, files: Migration[], result: MigrateResult): Promise<void> {
  const recorded = await recordedOf(
    run.options.driver,
    run.settings.stateSchema,
    files.map((f) => f.version),
  );
  for (const m of files) {
    const executionMs = recorded?.get(m.version);
    if (executionMs === undefined) return;
    run.emit({ type: 'migration-applied', migration: m, executionMs, attempts: 1 });
    recordApplied(result, m, executionMs);
  }
}

/** Apply each pending migration in order, stopping early (outcome `partial`) when the deadline's reserve is reached. */
async function applyPending(run: PendingRun, pending: Migration[], result: MigrateResult): Promise<void> {
  for (let k = 0; k < pending.length; ) {
    if (!withinDeadline(run)) return stopAtDeadline(run, pending.slice(k), result);
    // Two or more small files in a row, where the session pipelines: in flight together (apply-pipeline.ts).
    // Not under a deadline: a file written ahead starts later than its deadline check, past the reserve perhaps.
    let end = k;
    if (canPipeline(run.session) && run.options.deadline === undefined) while (end < pending.length && pipelinable(pending[end])) end++;
    // The server checks the runner lock before each file written ahead: a lock that cannot say how goes one at a time.
    // Every state row is written only while the lock holds, the server checks (`MigrationLock.heldSql`), and so
    // is each file written ahead before it starts.
    const held = (run.held ??= (await run.lock.heldSql?.()) ?? '');
    run.settings.held = held || undefined;
    if (held && end - k >= 2) {
      try {
        await applyInFlight(run.session as Parameters<typeof applyInFlight>[0], pending.slice(k, end), run.settings, held, inFlightHooks(run, result));
      } catch (e) {
        // Files whose answers went with the dropped connection may have committed before the loss: read which.
        const unanswered = pending.slice(k, end).filter((p) => !result.applied.some((a) => a.version === p.version));
        if (run.lost()) await reportCommitted(run, unanswered, result);
        // The file the server ran when it failed: the first of these not applied.
        throw await lostOrAsIs(run, e, unanswered.find((p) => !result.applied.some((a) => a.version === p.version)) ?? pending[k]);
      }
      k = end;
      continue;
    }
    const m = pending[k];
    await awaitBackfills(run, m, result);
    await run.lock.assertHeld();
    const cap = run.settings.statementTimeoutCapMs;
    const startedAt = Date.now();
    const watchdog = run.options.deadline === undefined ? undefined : new DeadlineWatchdog(startedAt + cap).start(run.lock.monitor, run.session.pid);
    try {
      recordApplied(result, m, await applyOne(run, m, watchdog));
    } catch (e) {
      const together = stoppedByWatchdog(e, watchdog);
      if (!together && !cutByDeadline(run, m, e, cap)) throw await lostOrAsIs(run, e, m);
      // Rolled back whole: a new run, with the whole of its time, applies it from the start — when that time is
      // at least twice what it had here (one that had most of a run would only fail again, later, holding its locks longer).
      const fullRun = (run.options.deadline ?? 0) - run.startedAt - run.reserveMs;
      if (Date.now() - startedAt < fullRun / 2 && !runsOutsideTransaction(m)) {
        run.emit({ type: 'note', message: `${m.file}: cut by the deadline after ${Date.now() - startedAt} ms and rolled back; it is still pending` });
        return stopAtDeadline(run, pending.slice(k), result);
      }
      throw deadlineCutError(e as MigrationError, m, cap, run.options.deadlineFix, together);
    } finally {
      watchdog?.stop();
    }
    if (m.backfill) (result.backfills ??= []).push(await backfillOf(run, m.version, run.options.backfills === 'start' ? 'one-batch' : 'done'));
    k++;
  }
}

/**
 * Before `m` runs: each backfill it waits for (`after-backfill`) is done, or
 * is finished here (`backfills: 'run'`, and reported in the result), or `m`
 * is refused with the backfill's progress (`start`).
 */
async function awaitBackfills(run: PendingRun, m: Migration, result: MigrateResult): Promise<void> {
  if (!m.directives.afterBackfill) return;
  for (const { file, row } of await awaitedBackfills(run.session, run.settings.stateSchema, m, run.options.migrations)) {
    if (!row || row.state === 'done') continue;
    if (run.options.backfills === 'start') throw backfillPendingError(m, file, row, run.options.backfillFix ?? BACKFILL_LATER_FIX);
    // Left by an earlier run (one this run's files started is done before the next file runs).
    (result.backfills ??= []).push(await backfillOf(run, row.version, 'done'));
  }
}

/**
 * A run that finishes backfills (not `start`) with no deadline (the CLI's
 * migrate) also finishes those its files' earlier runs left: started by
 * `migrate --backfill-later`, stopped by a killed runner, or failed and
 * since fixed. Under a deadline (a function's invocation) they are left to
 * the files that wait for them and to the deployed workflow.
 */
function finishesLeftBackfills(options: MigrateOptions): boolean {
  return options.backfills !== 'start' && options.deadline === undefined;
}

/** Of the backfills not done (`readStateForRun`), those of this project's files, in order. */
function ourBackfills(left: readonly number[], migrations: readonly Migration[]): number[] {
  const ours = new Set(migrations.map((m) => m.version));
  return left.filter((v) => ours.has(v)).sort((a, b) => a - b);
}

const BACKFILL_LATER_FIX = 'run migrate without --backfill-later to finish the backfill here (it goes on after its last committed batch)';

/** The backfill of `version` run on the applying session as far as `until`, its progress told as it goes. */
function backfillOf(run: PendingRun, version: number, until: BackfillRun['until']): Promise<BackfillProgress> {
  return runBackfill({
    session: run.session,
    monitor: run.lock.monitor,
    stateSchema: run.settings.stateSchema,
    version,
    settings: { ...DEFAULT_BACKFILL, ...run.options.backfillSettings },
    until,
    onProgress: (progress) => run.emit({ type: 'backfill', progress }),
  });
}

function stopAtDeadline(run: PendingRun, remaining: Migration[], result: MigrateResult): void {
  run.emit({ type: 'deadline', remaining });
  result.outcome = 'partial';
  result.remaining = remaining.map((r) => r.version);
}

/**
 * The migration's statement was cancelled by statement_timeout, and that
 * timeout was the deadline's cap (`cap`), not the file's directive nor the
 * run's default: the time ran out, not the statement's allowance.
 */
function cutByDeadline(run: PendingRun, m: Migration, e: unknown, cap: number): boolean {
  if (run.options.deadline === undefined || cap <= 0) return false;
  if (!(e instanceof MigrationError) || e.sqlstate !== QUERY_CANCELED || !/statement timeout/i.test(e.message)) return false;
  const own = m.directives.statementTimeoutMs ?? run.settings.statementTimeoutMs;
  return own === 0 || cap < own;
}

/** The migration was stopped by the deadline's watchdog: not started on (DeadlineError), or cancelled by it (57014). */
function stoppedByWatchdog(e: unknown, watchdog: DeadlineWatchdog | undefined): boolean {
  if (!watchdog || !(e instanceof MigrationError)) return false;
  return e instanceof DeadlineError || (watchdog.fired && e.sqlstate === QUERY_CANCELED && /user request/i.test(e.message));
}

function recordApplied(result: MigrateResult, m: Migration, executionMs: number): void {
  result.applied.push({ version: m.version, name: m.name, file: m.file, executionMs });
  result.outcome = 'applied';
  result.appliedCount++;
  result.currentVersion = Math.max(result.currentVersion ?? m.version, m.version);
}

/** The events and checks of one at a time, for files in flight together. */
function inFlightHooks(run: PendingRun, result: MigrateResult): Parameters<typeof applyInFlight>[4] {
  return {
    admit: () => run.lock.assertHeld(),
    sent: (m) => run.emit({ type: 'migration-sent', migration: m }),
    started: (m) => {
      run.emit({ type: 'migration-start', migration: m });
      if (isEmptyMigration(m)) run.emit({ type: 'note', message: `${m.file}: ${EMPTY_FILE_NOTE}` });
    },
    applied: (m, executionMs, attempts) => {
      run.emit({ type: 'migration-applied', migration: m, executionMs, attempts });
      recordApplied(result, m, executionMs);
    },
    retry: (m, attempt, delayMs, blockers, error) => run.emit({ type: 'retry', migration: m, attempt, delayMs, blockers, message: error.message }),
    notice: (m, message) => noticeNote(run, m, message),
  };
}

/**
 * RAISE NOTICE from a migration (e.g. "deactivated 3 duplicate purchases") reaches the user.
 * The "already exists, skipping" notices of IF [NOT] EXISTS are left out of a transactional file, where they are
 * the expected case; a no-transaction file shows them, as psql does: there a skipped index build is all a rerun
 * after a partial run does, and one skipped for a relation of the same name elsewhere built nothing.
 */
function noticeNote(run: PendingRun, m: Migration, message: string): void {
  if (runsOutsideTransaction(m) || !/, skipping$/.test(message)) run.emit({ type: 'note', message: `${m.file}: ${message}` });
}

/**
 * False when less than the reserve is left before the deadline. Otherwise caps
 * statement_timeout: statements may run into the reserve, but not past half of
 * it; the rest is for rolling back and answering the caller.
 */
function withinDeadline(run: PendingRun): boolean {
  const { deadline } = run.options;
  if (deadline === undefined) return true;
  if (deadline - Date.now() - run.reserveMs <= 0) return false;
  run.settings.statementTimeoutCapMs = Math.max(1, deadline - Date.now() - Math.floor(run.reserveMs / 2));
  return true;
}

/** One migration, with its events; returns its execution time. */
async function applyOne(run: PendingRun, m: Migration, watchdog: DeadlineWatchdog | undefined): Promise<number> {
  const { session, emit } = run;
  emit({ type: 'migration-start', migration: m });
  if (isEmptyMigration(m)) emit({ type: 'note', message: `${m.file}: ${EMPTY_FILE_NOTE}` });
  session.setNoticeListener?.((message) => noticeNote(run, m, message));
  const r = await applyMigration(session, m, {
    ...run.settings,
    onRetry: (attempt, delayMs, blockers, error) => emit({ type: 'retry', migration: m, attempt, delayMs, blockers, message: error.message }),
    endsAt: watchdog?.endsAt,
  });
  emit({ type: 'migration-applied', migration: m, executionMs: r.executionMs, attempts: r.attempts });
  return r.executionMs;
}

/** The first refusal of the state against the files, thrown (`state-refusals.ts`). */
function refuse(plan: Plan<AppliedKey>, options: MigrateOptions): void {
  const first = stateRefusals(plan, options)[0];
  if (first) throw first;
}
