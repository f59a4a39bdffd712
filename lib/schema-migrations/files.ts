import { Annotations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { readFiles, type FilesSummary } from '../../lambda/handler/files-hash';
import { describeSubfolders, sqlSubfolders } from '../../lambda/engine/files/subfolders';
import { maxFileBytesFor, memoryFix } from '../../lambda/handler/memory';
import { InputError } from '../../lambda/engine/errors/errors';
import { loadMigrations, type Migration } from '../../lambda/engine/files/source';
import { refuseUnwrittenTemplates } from '../../lambda/engine/files/template';
import type { ProjectConfig } from '../config/load';
import { SETTINGS } from '../config/settings';
import type { UserFiles } from '../user-files';
import { oneOrMany, plural } from '../../lambda/engine/errors/words';
import type { SchemaMigrationsProps } from './props';

/** A migration file the handler could not hold in `memoryMb` stops synth, before a deploy would fail on it. */
export function refuseTooLarge(files: FilesSummary, memoryMb: number): void {
  const largest = files.largestMigration;
  const limit = maxFileBytesFor(memoryMb);
  if (!largest || largest.bytes <= limit) return;
  throw new Error(
    `SchemaMigrations: migration ${largest.file} is ${largest.bytes} bytes, over the ${limit} bytes a handler with "memorySize" ${memoryMb} MB applies; ${memoryFix(memoryMb, largest.bytes)}`,
  );
}

/**
 * The files as the handler reads them at deploy time (its memory's size
 * limit, every file parsed): a file it would refuse (a name without a
 * version, two files of one version, BEGIN in a transactional file, a
 * misspelt directive) stops synth, not the deploy after the database was made.
 */
export function refuseUnloadable({ migrationsDir, migrationsLayout }: UserFiles, memoryMb: number): Migration[] {
  try {
    const migrations = loadMigrations(migrationsDir, {
      maxFileBytes: maxFileBytesFor(memoryMb),
      tooLargeFix: (bytes) => memoryFix(memoryMb, bytes),
      layout: migrationsLayout,
    });
    // A new database runs every file: one still as `schemaguard new` wrote it is refused there.
    refuseUnwrittenTemplates(migrations, migrationsDir);
    return migrations;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new Error(
      `SchemaMigrations: the handler would refuse the migrations in ${migrationsDir}: ${e.message}${e.fix ? `; fix: ${e.fix}` : ''} (npx schemaguard lint --dir ${migrationsDir} says the same)`,
      { cause: e },
    );
  }
}

/**
 * .sql files in subfolders of migrationsDir are bundled with the rest (the
 * folder is copied whole) but never applied: the handler reads only the
 * files of the folder itself. A warning, not an error: an archive of old
 * scripts there is the user's to keep.
 */
export function warnOfSubfolders(scope: Construct, migrationsDir: string): void {
  const nested = sqlSubfolders(migrationsDir);
  if (nested.length === 0) return;
  const files = nested.reduce((n, f) => n + f.files, 0);
  Annotations.of(scope).addWarningV2(
    'schemaguard:migrationsInSubfolders',
    `${plural(files, '.sql file')} in subfolders of "migrationsDir" ${migrationsDir} ${oneOrMany(files, 'is', 'are')} never applied (nor shipped with the handler): ${describeSubfolders(nested)}; ` +
      `the handler reads only the files directly in ${migrationsDir} (subfolders are not searched): move them up as <version>_<name>.sql, or pass the folder that holds them as "migrationsDir"`,
  );
}

/**
 * `./contracts` and the snapshot are used when they exist, without a prop:
 * said once, so a folder of another tool's files (Pact JSON contracts) is not
 * taken for schemaguard's by surprise; and the project file read, with what
 * it names that is not there.
 */
/** A prop by its path in SETTINGS (`standbys.wait`): undefined when it, or the object holding it, is not given. */
export function propOf(props: SchemaMigrationsProps, path: string): unknown {
  return path.split('.').reduce<unknown>((at, name) => (at as Record<string, unknown> | undefined)?.[name], props);
}

export function noteImplicitFiles(scope: Construct, props: SchemaMigrationsProps, files: UserFiles, project: ProjectConfig): void {
  const used: string[] = [];
  if (project.file) {
    // What the construct took from the file: the settings with a prop, where the prop is not given.
    const keys = SETTINGS.filter((x) => x.prop && project.settings[x.key] !== undefined && propOf(props, x.prop) === undefined).map((x) => x.key);
    if (keys.length) Annotations.of(scope).addInfo(`read ${project.file} (${keys.join(', ')}); a prop given here wins over it`);
    const absent = (['contracts', 'snapshot'] as const).filter(
      (k) => project.settings[k] !== undefined && (k === 'contracts' ? files.contractsDir : files.snapshotFile) === undefined,
    );
    for (const key of absent)
      Annotations.of(scope).addInfo(
        `"${key}" in ${project.file} is ${project.settings[key]}, which is not there (yet): ${key === 'snapshot' ? 'no drift check until schemaguard snapshot writes it' : 'no contracts are shipped or checked'}`,
      );
  }
  if (props.contractsDir === undefined && project.settings.contracts === undefined && files.contractsDir) {
    const n = readFiles(files.contractsDir).length;
    used.push(`"contractsDir" ${files.contractsDir} (its ${plural(n, '.sql file')} shipped and checked after each deploy; other files there are ignored)`);
  }
  if (props.snapshotFile === undefined && project.settings.snapshot === undefined && files.snapshotFile)
    used.push(`"snapshotFile" ${files.snapshotFile} (drift is checked against it after each deploy)`);
  if (used.length === 0) return;
  Annotations.of(scope).addInfo(`not given, so taken from the working directory by default: ${used.join('; ')}; pass the prop to choose another`);
}
