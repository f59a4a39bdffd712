/**
 * Rollback detection. When a later resource fails, CloudFormation rolls the
 * stack back with an Update that sends the old properties to the old code:
 * the files are older than the database. That Update must succeed and change
 * nothing (Outcome `database-ahead`) — failing it would fail the rollback.
 */
import type { Driver } from '../engine/ports';
import { DatabaseAheadError } from '../engine/errors/errors';
import { inspect, type MigrateResult } from '../engine/runner';
import type { Migration } from '../engine/files/source';
import type { RequestType } from './request';
import type { Logger } from './log';

/**
 * The versions the database has beyond these files, when this is a rollback:
 * nothing pending, nothing changed, and every version the files do not know
 * is newer than all of them. `undefined` when it is not a rollback.
 */
export async function databaseAhead(driver: Driver, migrations: Migration[], stateSchema: string): Promise<number[] | undefined> {
  const plan = await inspect({ driver, migrations, stateSchema });
  if (plan.unknown.length === 0 || plan.pending.length > 0 || plan.changed.length > 0) return undefined;
  const newestFile = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const ahead = plan.unknown.map((u) => u.version);
  return ahead.every((v) => v > newestFile) ? ahead : undefined;
}

export interface RollbackCheck {
  requestType: RequestType;
  driver: Driver;
  migrations: Migration[];
  stateSchema: string;
  log: Logger;
}

export interface CheckedRun {
  result: MigrateResult;
  /** Set when this request is a rollback: the versions the database has beyond the files. */
  ahead?: number[];
}

/**
 * Run `apply` (the engine's migrate), allowing a database ahead of the files
 * only when this Update is a rollback. Only an Update can be one.
 */
export async function migrateUnlessRollback(c: RollbackCheck, apply: (allowAhead: boolean) => Promise<MigrateResult>): Promise<CheckedRun> {
  if (c.requestType !== 'Update') return { result: await apply(false) };
  const ahead = await databaseAhead(c.driver, c.migrations, c.stateSchema);
  if (ahead) {
    c.log.info('the database is ahead of these files (a CloudFormation rollback to older code): nothing will be changed', { aheadVersions: ahead });
    return { result: await apply(true), ahead };
  }
  try {
    return { result: await apply(false) };
  } catch (e) {
    // The check above ran before the runner lock. A rollback Update can arrive
    // while the update being rolled back still holds it; the versions that
    // update committed meanwhile make the database ahead. Decide again now,
    // with the state as the lock holder left it.
    if (!(e instanceof DatabaseAheadError)) throw e;
    const late = await databaseAhead(c.driver, c.migrations, c.stateSchema);
    if (!late) throw e;
    c.log.info(
      'the database moved ahead of these files while this request waited for the lock (a CloudFormation rollback to older code): nothing will be changed',
      { aheadVersions: late },
    );
    return { result: await apply(true), ahead: late };
  }
}
