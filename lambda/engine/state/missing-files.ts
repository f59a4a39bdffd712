/**
 * An applied version without a file that sits below the newest file is not
 * a database ahead of the code (a rollback): its file was deleted or renamed.
 * migrate's refusal and status's note name the file's place and say to
 * restore it, rather than to deploy newer migrations or pass --allow-ahead.
 * `repair` does not apply: it accepts new text of files that exist.
 */
import { DatabaseAheadError } from '../errors/errors';
import { noun } from '../errors/words';
import { present } from '../errors/present';

interface FileVersion {
  version: number;
  file: string;
  name?: string;
}
interface Applied {
  version: number;
  name?: string;
}

/** The applied versions of `unknown` that lie below the newest file, each with the files either side. */
export function missingFiles(unknown: readonly Applied[], files: readonly FileVersion[]): Array<Applied & { before?: string; after?: string }> {
  const sorted = [...files].sort((a, b) => a.version - b.version);
  const newest = sorted.at(-1)?.version ?? -Infinity;
  return unknown
    .filter((u) => u.version < newest)
    .map((u) => ({
      ...u,
      before: sorted.filter((f) => f.version < u.version).at(-1)?.file,
      after: sorted.find((f) => f.version > u.version)?.file,
    }));
}

/** One missing file, as a phrase: `version 2 (add_index), between 0001_a.sql and 0003_b.sql`. */
function place(m: ReturnType<typeof missingFiles>[number]): string {
  const where = m.before ? `between ${m.before} and ${m.after}` : `before ${m.after}`;
  return `version ${m.version}${m.name ? ` (${m.name})` : ''}, ${where}`;
}

/**
 * What to do about missing files in `dir` (the directory as its user names it;
 * undefined where that is not known, as in the custom resource). When a file
 * of another version has a missing version's name, it may be that migration
 * renumbered and edited: --allow-ahead would run it again, so it is not offered.
 */
export function restoreFix(dir = '<migrations directory>', missing: readonly Applied[] = [], files: readonly FileVersion[] = []): string {
  const restore =
    `restore the file (it was deleted or renamed): git log --diff-filter=DR --name-status -- ${dir}/ names the commit, ` +
    `then git checkout <that commit>^ -- ${dir}/<file>; an applied migration's file stays for good (undo what it did with a new migration). ` +
    'repair does not apply (it accepts the new text of files that exist)';
  const namesake = files.find((f) => f.name !== undefined && missing.some((m) => m.name === f.name && m.version !== f.version));
  if (!namesake) return `${restore}; --allow-ahead accepts it as it is`;
  const ran = present(missing.find((m) => m.name === namesake.name));
  return `${restore}. ${namesake.file} has the name version ${ran.version} ran under: if it is that migration renumbered, give it version ${ran.version} back and put any edit in a new migration (run as it is, it would run again)`;
}

/** The note status prints under its table when applied files are missing, or undefined. */
export function missingFilesNote(unknown: readonly Applied[], files: readonly FileVersion[], dir: string): string | undefined {
  const missing = missingFiles(unknown, files);
  if (!missing.length) return undefined;
  return `applied in the database but missing from ${dir}/: ${missing.map(place).join('; ')}\n  fix: ${restoreFix(dir, missing, files)}`;
}

/**
 * migrate's refusal of applied versions without files, when some lie between
 * the files (deleted or renamed), or undefined when all are newer than every
 * file (a database ahead: the caller's own refusal).
 */
export function missingFilesError(unknown: readonly Applied[], files: readonly FileVersion[], dir?: string): DatabaseAheadError | undefined {
  const missing = missingFiles(unknown, files);
  if (!missing.length) return undefined;
  const ahead = unknown.length - missing.length;
  return new DatabaseAheadError(
    `applied ${noun(missing.length, 'migration')} missing from ${dir !== undefined ? `${dir}/` : 'the migration files'}: ${missing.map(place).join('; ')}${ahead ? `; and ${ahead} newer than every file` : ''}; nothing was run`,
    { unknownVersions: unknown.map((u) => u.version), version: missing[0].version, fix: restoreFix(dir, missing, files) },
  );
}
