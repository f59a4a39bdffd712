/**
 * What `migrate` refuses once it has read the state, before anything else:
 * an applied file changed since (its checksum differs), applied versions
 * with no file, a pending file older than the newest applied one.
 *
 * migrate throws the first, naming the rest of its kind in it (`runner.ts`);
 * `plan` names every one, each at its file, ahead of the refusals
 * `run-refusals.ts` lists (migrate makes those after these).
 */
import { shortChecksum } from '../files/checksum';
import { ChecksumMismatchError, DatabaseAheadError, OutOfOrderError, type MigrationError } from '../errors/errors';
import { missingFilesError } from './missing-files';
import { appliedAsOther, renumberedFile, type Plan, type PlanEntry } from './plan';
import type { Migration } from '../files/source';
import type { AppliedKey } from './state';
import { shellCommand, typedPath } from '../errors/shell-quote';
import { dirname, join } from 'node:path';
import { oneOrMany } from '../errors/words';

/** What the refusals read besides the plan: migrate's options of the same names. */
export interface StateRefusalOptions {
  migrations: Migration[];
  /** The migrations directory as its user names it, in messages. */
  source?: string;
  allowAhead?: boolean;
  allowOutOfOrder?: boolean;
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
  for (const c of changed) refusals.push(changedRefusal(plan, c, every ? '' : more(plan.changed.slice(1).map((e) => e.migration!.file))));
  if (plan.unknown.length && !options.allowAhead) refusals.push(aheadRefusal(plan, options));
  if (!options.allowOutOfOrder) refusals.push(...(every ? plan.outOfOrder : plan.outOfOrder.slice(0, 1)).map((m) => outOfOrderRefusal(plan, m)));
  return refusals;
}

/** ` (and 2 more: 2_b.sql, 3_c.sql)`, or '' for none. */
function more(files: string[]): string {
  return files.length ? ` (and ${files.length} more: ${files.join(', ')})` : '';
}

function changedRefusal<A extends AppliedKey>(plan: Plan<A>, changed: PlanEntry<A>, others: string): ChecksumMismatchError {
  if (appliedAsOther(changed) !== undefined) return versionTaken(plan, changed, others);
  const a = changed.applied!;
  const m = changed.migration!;
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
function versionTaken<A extends AppliedKey>(plan: Plan<A>, e: PlanEntry<A>, others: string): ChecksumMismatchError {
  const a = e.applied!;
  const m = e.migration!;
  const moved = renumberedFile(plan, e);
  // The file that ran, its version padded as the new file's is (0002_x.sql, not 2_x.sql).
  const ran = `${String(a.version).padStart(/^\d+/.exec(m.file)![0].length, '0')}_${a.name}.sql`;
  // The renumbered file's name with the applied version, padded as it is padded.
  const back = moved?.file.replace(/^\d+/, (d) => String(a.version).padStart(d.length, '0'));
  return new ChecksumMismatchError(
    `version ${a.version} was applied as "${a.name}" (checksum ${shortChecksum(a.checksum)}), and its file is now ${m.file}, another migration (checksum ${shortChecksum(m.checksum)})` +
      `${moved ? `; ${moved.file} holds the text that ran as version ${a.version}: it was renumbered, and would run again` : ''}${others}; nothing was run`,
    {
      file: m.file,
      version: m.version,
      appliedChecksum: a.checksum,
      fileChecksum: m.checksum,
      fix:
        `give ${m.file} a version above the newest applied one${moved ? `, and give ${moved.file} its applied version back (${shellCommand('git', 'mv', typedPath(moved.path), join(dirname(typedPath(moved.path)), back!))})` : `, and restore the migration that ran as ${ran}`}; ` +
        `repair refuses this: it would record ${m.file} applied without running it (when ${m.file} is that migration renamed, schemaguard repair ${a.version} --rename accepts the new name)`,
    },
  );
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
