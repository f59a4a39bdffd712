/**
 * Adopting a database that already has a schema, in the deploy
 * (SchemaMigrations `baseline`, sent in the resource properties):
 *
 * - On a database where schemaguard has recorded nothing, `{ version }` or
 *   `{ from: tool }` records the files up to that version as applied without
 *   running them (kind `baseline`, who = this request, why = the reason),
 *   with the CLI's `baseline` and `baseline --from` rules and refusals; the
 *   files above it then run in the same deploy. `{ version: 'none' }` says
 *   the tables there are not the files': every file runs.
 * - Once anything is recorded the setting is ignored, and the log and the
 *   response's `Baseline` say so.
 * - Without a setting, a first run onto a database with application tables
 *   (or another tool's history) is refused before anything runs
 *   (`existingSchemaCheck`), naming the prop to set and the version the
 *   database appears to be at (`checks/existing-schema.ts`).
 */
import { baseline } from '../engine/state/baseline';
import { InputError, MigrationError } from '../engine/errors/errors';
import { baselineVersionFrom, HISTORY_SOURCES, readForeignHistory, type HistorySource } from '../engine/foreign-history/foreign-history';
import type { Driver } from '../engine/ports';
import type { Migration } from '../engine/files/source';
import { readApplied, type AppliedMigration } from '../engine/state/state';
import { PROP } from './constants';
import type { Logger } from './log';
import { plural } from '../engine/errors/words';

/** What `baseline` says, as the handler reads it from the resource properties. */
export type BaselineSetting = { version: number; reason: string } | { from: HistorySource; reason: string } | { none: true; reason: string };

const SET_BY = 'set by the SchemaMigrations prop "baseline"';

/** The setting in `props`, checked; undefined when there is none. Strings: CloudFormation sends every property value as one. */
export function baselineSetting(props: Record<string, unknown> | undefined): BaselineSetting | undefined {
  const version = props?.[PROP.baselineVersion];
  const from = props?.[PROP.baselineFrom];
  const reason = props?.[PROP.baselineReason];
  if (version === undefined && from === undefined) return undefined;
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new InputError(`${PROP.baselineReason} is missing or blank (${SET_BY})`, {
      fix: "give baseline a reason, e.g. baseline: { version: 3, reason: 'adopted: built by hand up to 0003' }",
    });
  }
  if (version !== undefined && from !== undefined) {
    throw new InputError(`${PROP.baselineVersion} and ${PROP.baselineFrom} are both set (${SET_BY})`, { fix: 'give baseline a version or a from, not both' });
  }
  if (from !== undefined) {
    if (!(HISTORY_SOURCES as readonly unknown[]).includes(from)) {
      throw new InputError(`${PROP.baselineFrom} "${String(from)}" is not a tool baseline reads`, {
        value: String(from),
        fix: `use one of: ${HISTORY_SOURCES.join(', ')}`,
      });
    }
    return { from: from as HistorySource, reason };
  }
  if (version === 'none') return { none: true, reason };
  const n = Number(version);
  if (typeof version !== 'string' || !/^\d+$/.test(version) || !Number.isSafeInteger(n)) {
    throw new InputError(`${PROP.baselineVersion} "${String(version)}" is not a migration version`, {
      value: String(version),
      fix: "give the version of the newest file the database reflects (a whole number), or 'none'",
    });
  }
  return { version: n, reason };
}

export interface Adoption {
  driver: Driver;
  migrations: Migration[];
  stateSchema: string;
  setting?: BaselineSetting;
  /** This request's name in `applied_by`. */
  appliedBy: string;
  lockWaitMs: number;
  log: Logger;
}

/**
 * Before migrating: with a setting, record the baseline where nothing is
 * recorded, or log that it is ignored (something recorded before this
 * request). A later invocation of the request that recorded it says nothing.
 */
export async function adoptBeforeMigrate(a: Adoption): Promise<void> {
  if (!a.setting) return;
  const applied = await readState(a.driver, a.stateSchema);
  if (applied.length) {
    const earlier = applied.filter((r) => r.appliedBy !== a.appliedBy);
    if (earlier.length) a.log.info(`baseline ignored: ${ignoredText(earlier)}`, { baseline: a.setting });
    return;
  }
  if ('none' in a.setting) {
    a.log.info("baseline none: the tables here are not the files'; every file runs", { reason: a.setting.reason });
    return;
  }
  const { version, reason } = 'from' in a.setting ? await versionFrom(a, a.setting.from, a.setting.reason) : a.setting;
  const result = await named(() =>
    baseline({
      driver: a.driver,
      migrations: a.migrations,
      version,
      reason,
      stateSchema: a.stateSchema,
      actor: a.appliedBy,
      lockWaitMs: a.lockWaitMs,
    }),
  );
  a.log.info('baseline recorded: the files up to the version are recorded as applied without running them', {
    version,
    recorded: result.recorded.map((r) => r.file),
    pending: result.pending,
    reason,
  });
}

/** The version another tool's history gives, and the reason with where it was read. */
async function versionFrom(a: Adoption, from: HistorySource, reason: string): Promise<{ version: number; reason: string }> {
  const session = await a.driver.connect();
  try {
    return await named(async () => {
      const history = await readForeignHistory(session, from);
      const version = baselineVersionFrom(history, a.migrations);
      return { version, reason: `${reason} (from ${from}: ${history.table}, up to version ${version})` };
    });
  } finally {
    await session.close();
  }
}

/** A refusal of the baseline, named as the deploy's (the CLI's message names `baseline --from`). */
async function named<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof MigrationError) e.message = `SchemaMigrations "baseline": ${e.message}`;
    throw e;
  }
}

async function readState(driver: Driver, stateSchema: string): Promise<AppliedMigration[]> {
  const session = await driver.connect();
  try {
    return await readApplied(session, stateSchema);
  } finally {
    await session.close();
  }
}

function ignoredText(earlier: AppliedMigration[]): string {
  const newest = earlier.reduce((top, r) => Math.max(top, r.version), -Infinity);
  return `schemaguard had already recorded ${plural(earlier.length, 'migration')} here (up to version ${newest}): a baseline applies only to a database where nothing is recorded (remove the prop)`;
}

/**
 * The response's `Baseline`: what the setting did in this request. `rows`:
 * the state after it; `appliedBy`: this request's name there.
 */
export function baselineOutcome(setting: BaselineSetting | undefined, rows: AppliedMigration[], appliedBy: string): string {
  if (!setting) return 'not set';
  const mine = rows.filter((r) => r.appliedBy === appliedBy && r.kind === 'baseline');
  if (mine.length) return `recorded: ${plural(mine.length, 'file')} up to version ${Math.max(...mine.map((r) => r.version))} as applied without running them`;
  const earlier = rows.filter((r) => r.appliedBy !== appliedBy);
  if (earlier.length) return `ignored: ${ignoredText(earlier)}`;
  return "none: every file ran (baseline version 'none')";
}
