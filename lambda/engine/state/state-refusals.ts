/**
 * What `migrate` refuses once it has read the state, before anything else:
 * an applied file changed since (its checksum differs), a pending file whose
 * text an applied version has (renumbered or copied: it would run again),
 * applied versions with no file, a pending file older than the newest
 * applied one.
 *
 * migrate throws the first, naming the rest of its kind in it (`runner.ts`);
 * `plan` names every one, each at its file, ahead of the refusals
 * `run-refusals.ts` lists (migrate makes those after these).
 */
import { shortChecksum } from '../files/checksum';
import { AlreadyAppliedError, ChecksumMismatchError, DatabaseAheadError, OutOfOrderError, type MigrationError } from '../errors/errors';
import { missingFilesError } from './missing-files';
import { appliedAsOther, isRenumbered, renumberedFile, type ChangedEntry, type Plan, type PlanEntry } from './plan';
import { isEmptyMigration, type Migration } from '../files/source';
import type { AppliedKey } from './state';
import { renameCommand, shellCommand, typedPath } from '../errors/shell-quote';
import { dirname, join } from 'node:path';
import { oneOrMany } from '../errors/words';
import { present } from '../errors/present';

/** What the refusals read besides the plan: migrate's options of the same names. */
export interface StateRefusalOptions {
  migrations: Migration[];
  /** The migrations directory as its user names it, in messages. */
  source?: string;
  allowAhead?: boolean;
  allowOutOfOrder?: boolean;
  /** Pending versions that may run although an applied version has their text (`--allow-rerun`): their statements run again. */
  allowRerun?: readonly number[];
}

/**
 * The refusals of the recorded state against the files, in migrate's order.
 * `every` false (migrate): one per kind, the first file with the others
 * counted in its message. `every` true (plan): one per changed and per
 * out-of-order file.
 */
export function stateRefusals<A extends AppliedKey>(plan: Plan<A>, options: StateRefusalOptions, every = false): MigrationError[] {
  const refusals: MigrationError[] = [];
  const changed = every ? plan.changed : plan.changed.slice(0, 1);
  for (const c of changed) refusals.push(changedRefusal(plan, c, every ? '' : more(plan.changed.slice(1).map((e) => e.migration.file))));
  // Before the missing versions: --allow-ahead accepts a missing file, never the same text run again under a new version.
  const reruns = rerunEntries(plan, options);
  for (const e of every ? reruns : reruns.slice(0, 1))
    refusals.push(rerunRefusal(plan, e, every ? '' : more(reruns.slice(1).map((x) => present(x.migration).file))));
  if (plan.unknown.length && !options.allowAhead) refusals.push(aheadRefusal(plan, options));
  if (!options.allowOutOfOrder) refusals.push(...(every ? plan.outOfOrder : plan.outOfOrder.slice(0, 1)).map((m) => outOfOrderRefusal(plan, m)));
  return refusals;
}

/** ` (and 2 more: 2_b.sql, 3_c.sql)`, or '' for none. */
function more(files: string[]): string {
  return files.length ? ` (and ${files.length} more: ${files.join(', ')})` : '';
}

function changedRefusal<A extends AppliedKey>(plan: Plan<A>, changed: ChangedEntry<A>, others: string): ChecksumMismatchError {
  if (appliedAsOther(changed) !== undefined) return versionTaken(plan, changed, others);
  const { applied: a, migration: m } = changed;
  return new ChecksumMismatchError(
    `${m.file} was changed after it was applied: applied checksum ${shortChecksum(a.checksum)}, file checksum ${shortChecksum(m.checksum)}${others}; nothing was run`,
    {
      file: m.file,
      version: m.version,
      appliedChecksum: a.checksum,
      fileChecksum: m.checksum,
      // Whether the applied row ran statements is not recorded: the fix says what each way out does, not which to take.
      fix:
        `restore the file as it was applied (${shellCommand('git', 'log', '-p', '--', typedPath(m.path))}) and put a change that must run in a new migration (schemaguard new NAME); ` +
        `valid-checksum and repair record the new text as applied WITHOUT running it, so use them only when it does the same job on a database that ran the old one: ` +
        `-- schemaguard:valid-checksum ${a.checksum} in its header (every database), or schemaguard repair ${m.version} --reason … (this one)`,
    },
  );
}

/**
 * A changed file whose version was applied under another name: a different
 * migration has the version now (two branches both added it; the one that
 * ran was renumbered). Accepting its checksum would record it applied
 * without running it, so the fix is to move the new one, not to repair.
 */
function versionTaken<A extends AppliedKey>(plan: Plan<A>, e: ChangedEntry<A>, others: string): ChecksumMismatchError {
  const { applied: a, migration: m } = e;
  const moved = renumberedFile(plan, e);
  // The file that ran, its version padded as the new file's is (0002_x.sql, not 2_x.sql).
  const ran = `${String(a.version).padStart(present(/^\d+/.exec(m.file))[0].length, '0')}_${a.name}.sql`;
  return new ChecksumMismatchError(
    `version ${a.version} was applied as "${a.name}" (checksum ${shortChecksum(a.checksum)}), and its file is now ${m.file}, another migration (checksum ${shortChecksum(m.checksum)})` +
      `${moved ? `; ${moved.file} holds the text that ran as version ${a.version}: it was renumbered, and would run again` : ''}${others}; nothing was run`,
    {
      file: m.file,
      version: m.version,
      appliedChecksum: a.checksum,
      fileChecksum: m.checksum,
      fix:
        `give ${m.file} a version above the newest applied one${moved ? `, and ${versionBack(moved, a.version)}` : `, and restore the migration that ran as ${ran}`}; ` +
        `repair refuses this: it would record ${m.file} applied without running it (when ${m.file} is that migration renamed, schemaguard repair ${a.version} --rename accepts the new name)`,
    },
  );
}

/** Pending files with an applied version's text, not allowed to run again; an empty one runs nothing, so it is not among them. */
function rerunEntries<A extends AppliedKey>(plan: Plan<A>, options: StateRefusalOptions): PlanEntry<A>[] {
  return plan.entries.filter((e) => e.ranAs && !options.allowRerun?.includes(e.version) && !isEmptyMigration(present(e.migration)));
}

/**
 * A pending file whose text ran as another version. Renumbered (that version
 * has no file now): its version is given back, and no flag is offered, for
 * no flag makes running it again right. Copied (that version's file is
 * there too): removed, or run again by name.
 */
function rerunRefusal<A extends AppliedKey>(plan: Plan<A>, e: PlanEntry<A>, others: string): AlreadyAppliedError {
  const m = present(e.migration);
  const a = present(e.ranAs);
  const renumbered = isRenumbered(plan, e);
  const same = `the text (checksum ${shortChecksum(m.checksum)}) that was applied as version ${a.version} ("${a.name}")`;
  const options = { file: m.file, version: m.version, appliedVersion: a.version, renumbered };
  if (renumbered) {
    return new AlreadyAppliedError(
      `${m.file} is version ${a.version} renumbered: it holds ${same}, and version ${a.version} has no file now; run as version ${m.version}, its statements would run a second time${others}; nothing was run`,
      {
        ...options,
        fix: `${versionBack(m, a.version)}; an applied migration keeps its version for good (a change goes in a new migration: schemaguard new NAME)`,
      },
    );
  }
  const copy = plan.entries.find((x) => x.version === a.version)?.migration?.file;
  return new AlreadyAppliedError(
    `${m.file} holds ${same}${copy ? `, whose file ${copy} is there too` : ''}: run as version ${m.version}, its statements would run a second time${others}; nothing was run`,
    {
      ...options,
      fix: `remove ${m.file} if it is a copy; to run the same statements again on purpose, pass --allow-rerun ${m.version} (or make the file say why it runs again: a comment in it makes it a new text)`,
    },
  );
}

/**
 * How to give a renumbered file its applied version back: the mv of a file of
 * its own (its name with the version, padded as it is padded); a generator's
 * folder or journal entry, in words. mv, because `git mv` fails on a file git
 * does not track (a folder outside a repository, a file not yet added); the
 * note names `git mv` for a tracked one, whose rename git then records.
 */
function versionBack(m: Migration, version: number): string {
  if (m.file.includes('/')) return `give ${m.file} its applied version ${version} back`;
  const back = m.file.replace(/^\d+/, (d) => String(version).padStart(d.length, '0'));
  return `give ${m.file} its applied version back: ${renameCommand(typedPath(m.path), join(dirname(typedPath(m.path)), back))}`;
}

/** Applied versions with no file: files deleted or renamed (between the files), or a database ahead of the code. */
function aheadRefusal<A extends AppliedKey>(plan: Plan<A>, options: StateRefusalOptions): DatabaseAheadError {
  const missing = missingFilesError(plan.unknown, options.migrations, options.source);
  if (missing) return missing;
  const list = plan.unknown.map((u) => `${u.version} (${u.name})`).join(', ');
  const unknownVersions = plan.unknown.map((u) => u.version);
  // Pending files below a version only the database has: two branches each added migrations, and the other one ran here.
  const below = options.allowOutOfOrder ? [] : plan.outOfOrder.filter((m) => unknownVersions.some((v) => v > m.version));
  if (below.length) {
    const files = below.map((m) => m.file);
    return new DatabaseAheadError(
      `the database and the files have diverged: the database has applied migrations that are not in the files (${list}), ` +
        `and ${files.join(', ')} ${oneOrMany(files.length, 'is', 'are')} pending below ${oneOrMany(unknownVersions.length, 'it', 'them')}; nothing was run`,
      {
        unknownVersions,
        fix:
          `another branch's migrations ran on this database: merge that branch (its files for ${unknownVersions.join(', ')}) into this one and renumber ` +
          `${files.join(', ')} above ${Math.max(...unknownVersions)}; passing --allow-ahead and --out-of-order instead runs ${oneOrMany(files.length, 'it', 'them')} without the other branch's files, ` +
          'only safe when they are independent of them',
      },
    );
  }
  return new DatabaseAheadError(`the database has applied migrations that are not in the files: ${list}; nothing was run`, {
    unknownVersions,
    fix: 'you are running older code against a newer database: deploy the newer migrations, or pass --allow-ahead (as a CloudFormation rollback does) to accept it',
  });
}

function outOfOrderRefusal<A extends AppliedKey>(plan: Plan<A>, m: Migration): OutOfOrderError {
  return new OutOfOrderError(`${m.file} is pending but older than the newest applied version ${plan.currentVersion}; nothing was run`, {
    file: m.file,
    version: m.version,
    fix: `renumber it above ${plan.currentVersion}, or pass --out-of-order if it is independent of the newer migrations`,
  });
}
