/**
 * One run of the engine for a Create, Update or its isComplete: the bundled
 * files loaded, the database connected, adopted (baseline) and migrated
 * — or a rollback recognised — until the invocation's time runs short.
 * Another runner's lock, a lost connection and a file waiting for a
 * backfill are answers, not failures: isComplete comes back for them.
 */
import { replicationCheck } from '../../checks/replication/refusal';
import { BackfillPendingError, isConnectionLoss, LockLostError, LockWaitTimeoutError, type MigrationError, StatementError } from '../../engine/errors/errors';
import { loadMigrations, runsOutsideTransaction, type Migration } from '../../engine/files/source';
import type { Driver } from '../../engine/ports';
import { migrate, type MigrateResult } from '../../engine/runner';
import { adoptBeforeMigrate, baselineSetting, type BaselineSetting } from '../adoption';
import { loadBundledMigrations } from '../bundle';
import type { HandlerConfig } from '../config';
import { PROP } from '../constants';
import { summariseFiles } from '../files-hash';
import { existingSchemaCheck } from '../first-deploy';
import { logRunEvent, logRunFinished } from '../log';
import { appliedBy } from '../request';
import { migrateUnlessRollback } from '../rollback';
import type { Invocation } from './invocation';

/** What one run of the engine left behind, for isComplete's answer. */
export interface Run {
  result: MigrateResult;
  /** Set when the request is a rollback: the versions the database has beyond the files. */
  ahead?: number[];
  driver: Driver;
  migrations: Migration[];
  /** When the invocation's time ends (epoch ms). */
  deadline: number;
  /** SchemaMigrations `baseline`, from the request. */
  baseline?: BaselineSetting;
}

/** Another runner held the lock for the whole of this invocation's wait: nothing was applied. */
interface Busy {
  busy: LockWaitTimeoutError;
}

/** The connection was lost while a transactional migration ran: nothing of it is left half done. */
interface Lost {
  lost: MigrationError;
}

/** A file waits for a backfill not done (`after-backfill`): the files before it are applied. */
interface Waiting {
  waiting: BackfillPendingError;
}

/** Load the bundled files, connect, migrate (or recognise a rollback) until the time runs short. */
export async function run(inv: Invocation, cfg: HandlerConfig): Promise<Run | Busy | Lost | Waiting> {
  try {
    return await migrateInTime(inv, cfg);
  } catch (e) {
    if (e instanceof LockWaitTimeoutError) return { busy: e };
    if (e instanceof BackfillPendingError) return { waiting: e };
    // The lock's connection lost (the same failover): the run stopped between migrations, each that committed recorded.
    if (lostInTransaction(e, cfg) || e instanceof LockLostError) return { lost: e };
    throw e;
  }
}

/**
 * A statement or check of a transactional migration cut off by a lost
 * connection (its message says so): safe to run again. Not a no-transaction
 * file, whose statements before the cut stay and may not run twice; not a
 * failure to connect (a wrong password must fail now, not after totalTimeout).
 */
function lostInTransaction(e: unknown, cfg: HandlerConfig): e is StatementError {
  // The cause, not the message: a RAISE whose text says "connection lost" must fail, not be retried until totalTimeout.
  if (!(e instanceof StatementError) || !isConnectionLoss(e.cause) || !e.file) return false;
  const m = loadMigrations(cfg.migrationsDir, { layout: cfg.migrationsLayout }).find((x) => x.file === e.file);
  return m !== undefined && !runsOutsideTransaction(m);
}

async function migrateInTime(inv: Invocation, cfg: HandlerConfig): Promise<Run> {
  const started = Date.now();
  const deadline = started + inv.context.getRemainingTimeInMillis();
  const migrations = loadBundle(inv, cfg);
  const baseline = baselineSetting(inv.event.ResourceProperties);
  const driver = await inv.connector.connect(cfg.database, inv.log, inv.redactor);
  const lockWaitMs = Math.max(0, Math.min(cfg.run.lockWaitMs, deadline - Date.now() - cfg.run.reserveMs));
  await adoptBeforeMigrate({
    driver,
    migrations,
    stateSchema: cfg.run.stateSchema,
    setting: baseline,
    appliedBy: appliedBy(inv.event),
    lockWaitMs,
    log: inv.log,
  });
  const check = { requestType: inv.event.RequestType, driver, migrations, stateSchema: cfg.run.stateSchema, log: inv.log };
  const { result, ahead } = await migrateUnlessRollback(check, (allowAhead) =>
    migrate({
      driver,
      migrations,
      allowAhead,
      deadline,
      stateSchema: cfg.run.stateSchema,
      appliedBy: appliedBy(inv.event),
      // Without a baseline, a first run onto tables already there is refused; `version: 'none'` runs every file, another tool's history or not.
      firstRunCheck: baseline ? undefined : existingSchemaCheck(cfg.run.stateSchema, migrations),
      ignoreForeignHistory: baseline !== undefined && 'none' in baseline,
      reserveMs: cfg.run.reserveMs,
      lockTimeoutMs: cfg.run.lockTimeoutMs,
      // The lock wait must leave the reserve, like every other step.
      lockWaitMs: Math.max(0, Math.min(cfg.run.lockWaitMs, deadline - Date.now() - cfg.run.reserveMs)),
      deadlineFix: deadlineFix(deadline - started),
      checks: [replicationCheck({ planned: cfg.run.replicationPlanned, plannedSetting: 'the replicationPlanned prop of SchemaMigrations' })],
      // A deploy waits for a backfill's expand and first batch, not its end: the rest is a later run's (see docs/guide/backfills.md).
      backfills: 'start',
      backfillSettings: cfg.run.backfill,
      backfillFix: BACKFILL_FIX,
      onEvent: (e) => logRunEvent(inv.log, e),
    }),
  );
  logRunFinished(inv.log, result, Date.now() - started);
  inv.known = { currentVersion: result.currentVersion === null ? 'none' : String(result.currentVersion), appliedCount: String(result.appliedCount) };
  return { result, ahead, driver, migrations, deadline, baseline };
}

/** What a deploy refused for a backfill not done says to do. */
const BACKFILL_FIX =
  'let the backfill finish — its Step Functions workflow goes on after this deploy (`schemaguard status` shows it), or `schemaguard migrate` against this database runs it to the end after its last committed batch — then deploy again; a failed backfill: fix its cause first (its reason names it)';

/**
 * A statement cut by the invocation's deadline although its migration had
 * nearly the whole invocation (a later one is left for the next isComplete):
 * the function's timeout is what bounds it, not the file's directive.
 */
function deadlineFix(invocationMs: number): string {
  return (
    `raise the SchemaMigrations handlerTimeout (this invocation had ${Math.round(invocationMs / 1000)} s; at most 15 minutes), ` +
    'or split the migration into smaller files that each fit in one invocation'
  );
}

/** The migrations bundled with the function, with a warning when they are not the files the template was made from. */
export function loadBundle(inv: Invocation, cfg: HandlerConfig): Migration[] {
  const migrations = loadBundledMigrations(cfg, inv.env);
  const files = summariseFiles(cfg.migrationsDir, cfg.contractsDir, cfg.migrationsLayout);
  const expected = inv.event.ResourceProperties?.[PROP.filesHash];
  if (typeof expected === 'string' && expected !== files.hash) {
    // Not fatal: in a rollback the properties and the code can be restored in either order.
    inv.log.warn('the bundled files differ from the files the template was synthesised with', { bundled: files.hash, template: expected });
  }
  return migrations;
}
