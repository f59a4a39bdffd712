/**
 * `baseline`: adopt schemaguard on a database whose schema already holds what
 * the files up to a version create (built by hand or by another tool). Every
 * file up to that version is recorded as applied without running it: its
 * checksum, who recorded it, why, and `kind = 'baseline'`, so `status` tells
 * it from a file the runner executed. Later files stay pending.
 *
 * Refused, with nothing written: a version no file has (input error, before
 * the database is touched); an applied row up to the version whose file
 * changed or is missing; applied rows above the version while files up to it
 * are still unrecorded (the database is already past the baseline).
 */
import { shortChecksum } from '../files/checksum';
import { InputError, StateRefusalError } from '../errors/errors';
import type { Migration } from '../files/source';
import { ensureState, stateTable, type AppliedMigration } from './state';
import { withLockedState, type StateWriteOptions } from './state-writer';
import { oneOrMany } from '../errors/words';
import { get } from '../errors/present';

export interface BaselineOptions extends StateWriteOptions {
  migrations: Migration[];
  /** The last version the database already reflects. */
  version: number;
  /** Kept with every recorded row. @default - none */
  reason?: string;
}

export interface BaselineResult {
  version: number;
  /** Files recorded by this run, in order. */
  recorded: { version: number; name: string; file: string; checksum: string }[];
  /** Versions up to `version` that were already applied with the same checksum. */
  alreadyApplied: number[];
  /** Files above the baseline, left pending. */
  pending: number[];
}

/** The files up to `version`; an InputError when no file has that version. Pure. */
export function baselineFiles(migrations: Migration[], version: number): Migration[] {
  if (!migrations.some((m) => m.version === version)) {
    const versions = migrations.map((m) => m.version);
    const newest = versions.reduce((top, v) => Math.max(top, v), -Infinity);
    const beyond = versions.length > 0 && version > newest;
    throw new InputError(`baseline ${version}: no migration file has version ${version}${beyond ? ` (the newest file is ${newest})` : ''}`, {
      value: String(version),
      fix: versions.length
        ? `pass the version of the newest file the database already reflects, one of: ${versions.slice(-10).join(', ')}`
        : 'add the migration files that describe the existing schema first (schemaguard new NAME)',
    });
  }
  return migrations.filter((m) => m.version <= version);
}

export async function baseline(options: BaselineOptions): Promise<BaselineResult> {
  const files = baselineFiles(options.migrations, options.version);
  return withLockedState(options, async (state) => {
    const byVersion = new Map(state.applied.map((a) => [a.version, a]));
    const todo = files.filter((m) => !byVersion.has(m.version));
    refuseConflicts(files, state.applied, options.version, todo);
    const result: BaselineResult = {
      version: options.version,
      recorded: todo.map((m) => ({ version: m.version, name: m.name, file: m.file, checksum: m.checksum })),
      alreadyApplied: files.filter((m) => byVersion.has(m.version)).map((m) => m.version),
      pending: options.migrations.filter((m) => m.version > options.version && !byVersion.has(m.version)).map((m) => m.version),
    };
    if (todo.length === 0) return result;
    await state.transaction(async (q) => {
      await ensureState(q, state.schema, { command: 'baseline', writes: "kind = 'baseline' and the --reason" });
      for (const m of todo) {
        await q.query(
          `INSERT INTO ${stateTable(state.schema)} (version, name, checksum, execution_ms, applied_by, kind, reason) VALUES ($1, $2, $3, 0, $4, 'baseline', $5)`,
          [m.version, m.name, m.checksum, options.actor, options.reason ?? null],
        );
      }
    });
    return result;
  });
}

function refuseConflicts(files: Migration[], applied: AppliedMigration[], version: number, todo: Migration[]): void {
  const fileOf = new Map(files.map((m) => [m.version, m]));
  const changed = applied.filter((a) => a.version <= version && fileOf.has(a.version) && get(fileOf, a.version).checksum !== a.checksum);
  if (changed.length) {
    const list = changed
      .map((a) => `${get(fileOf, a.version).file} (applied ${shortChecksum(a.checksum)}, file ${shortChecksum(get(fileOf, a.version).checksum)})`)
      .join(', ');
    throw new StateRefusalError(`baseline ${version}: applied migrations differ from their files: ${list}; nothing was recorded`, {
      versions: changed.map((a) => a.version),
      file: get(fileOf, changed[0].version).file,
      fix: 'restore the files as they were applied, or accept the new text with schemaguard repair --reason "…", then baseline again',
    });
  }
  const unknown = applied.filter((a) => a.version <= version && !fileOf.has(a.version));
  if (unknown.length) {
    throw new StateRefusalError(
      `baseline ${version}: the database has applied versions no file has: ${unknown.map((a) => `${a.version} (${a.name})`).join(', ')}; nothing was recorded`,
      {
        versions: unknown.map((a) => a.version),
        fix: 'you are baselining with older files than the database was migrated with: check out the files it was migrated with',
      },
    );
  }
  const above = applied.filter((a) => a.version > version);
  if (above.length && todo.length) {
    throw new StateRefusalError(
      `baseline ${version}: the database already has migrations above ${version} applied (${above.map((a) => a.version).join(', ')}) while ${todo.map((m) => m.file).join(', ')} ${oneOrMany(todo.length, 'is', 'are')} not recorded; nothing was recorded`,
      {
        versions: above.map((a) => a.version),
        fix: `baseline applies to a database that has not run files above ${version}: check the version, or run migrate (with --out-of-order if the unrecorded files are independent)`,
      },
    );
  }
}
