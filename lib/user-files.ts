/**
 * The user's files that travel with the handler — migrations, contracts, the
 * schema snapshot — found from the props, else from the project file
 * (`schemaguard.config.json`, found from the working directory up, as the
 * CLI finds it), else by default in the project root (the project file's
 * directory, or the working directory without one). A relative prop resolves
 * against the working directory (where `cdk synth` runs the app), as with
 * `Code.fromAsset`; a relative path in the project file against the file's
 * directory. The package's own `migrations/` and `contracts/` are never a
 * default. A folder that is not there stops synth, naming the resolved path
 * and where it came from.
 */
import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CONFIG_FILE_NAME, ConfigError, defaultSnapshot, loadProjectConfig, type ProjectConfig } from './config/load';
import { MigrationError } from '../lambda/engine/errors/errors';
import { layoutOf, MIGRATION_LAYOUTS, type MigrationLayout } from '../lambda/engine/files/layout';

/**
 * The defaults, relative to the project root; the same as the CLI's `--dir`,
 * `--contracts` and `--snapshot` defaults, so `npx schemaguard` and `cdk
 * deploy` read the same files. The snapshot's is `schema.snapshot.json` in
 * the migrations folder, wherever that is (`defaultSnapshot`).
 */
export const USER_FILE_DEFAULTS = {
  migrationsDir: 'migrations',
  contractsDir: 'contracts',
  snapshotFile: defaultSnapshot('migrations'),
} as const;

/** Where the user's files are, as absolute paths. */
export interface UserFiles {
  /** The migrations directory (it exists; it may be empty). */
  readonly migrationsDir: string;
  /** How it is laid out: as given, else detected (lambda/engine/files/layout.ts). */
  readonly migrationsLayout: MigrationLayout;
  /** The contracts directory, when there is one. */
  readonly contractsDir?: string;
  /** The schema snapshot, when there is one. */
  readonly snapshotFile?: string;
}

/** The props that name the user's files (SchemaMigrationsProps and the stacks' props). */
export interface UserFileProps {
  readonly migrationsDir?: string;
  readonly migrationsLayout?: MigrationLayout;
  readonly contractsDir?: string;
  readonly snapshotFile?: string;
}

type Kind = 'directory' | 'file';

function kindOf(path: string): Kind | undefined {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** `/abs/path`, or `/abs/path (resolved from "rel" against the working directory /cwd)`. */
function described(given: string, resolved: string, cwd: string): string {
  return isAbsolute(given) ? resolved : `${resolved} (resolved from ${JSON.stringify(given)} against the working directory ${cwd})`;
}

/** The project file for `owner` at synth: a bad one stops synth with the CLI's message and fix. */
export function projectConfigFor(owner: string, cwd: string): ProjectConfig {
  try {
    return loadProjectConfig(cwd);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new Error(`${owner}: ${e.message}; fix: ${e.fix}`, { cause: e });
  }
}

/**
 * The absolute paths of the user's files; throws, naming `owner`, the prop
 * (or the project file's key) and the resolved path, when a path that was
 * given, or the default migrations directory, is not there.
 */
export function resolveUserFiles(
  owner: string,
  props: UserFileProps,
  cwd: string = process.cwd(),
  config: ProjectConfig = projectConfigFor(owner, cwd),
): UserFiles {
  const migrationsDir = migrationsDirOf(owner, props, cwd, config);
  const fromFile = config.settings;
  return {
    migrationsDir,
    migrationsLayout: resolveLayout(owner, migrationsDir, props.migrationsLayout ?? fromFile.migrationsLayout),
    contractsDir:
      props.contractsDir !== undefined
        ? givenPath(owner, 'contractsDir', 'directory', props.contractsDir, cwd, 'create it or leave contractsDir unset')
        : optional(fromFile.contracts ?? join(config.root, USER_FILE_DEFAULTS.contractsDir), 'directory'),
    snapshotFile:
      props.snapshotFile !== undefined
        ? givenPath(owner, 'snapshotFile', 'file', props.snapshotFile, cwd, 'write it (schemaguard diff reads the same file), or leave snapshotFile unset')
        : optional(fromFile.snapshot ?? defaultSnapshot(migrationsDir), 'file'),
  };
}

/** The layout named (one of MIGRATION_LAYOUTS), else the one `migrationsDir` has; synth stops, naming the prop, on a bad one. */
function resolveLayout(owner: string, migrationsDir: string, given: MigrationLayout | undefined): MigrationLayout {
  if (given !== undefined && !(MIGRATION_LAYOUTS as readonly string[]).includes(given)) {
    throw new Error(
      `${owner}: "migrationsLayout" ${JSON.stringify(given)} is not a layout; use one of ${MIGRATION_LAYOUTS.join(', ')}, or leave it unset (it is detected from ${migrationsDir})`,
    );
  }
  try {
    return layoutOf(migrationsDir, given);
  } catch (e) {
    if (!(e instanceof MigrationError)) throw e;
    throw new Error(`${owner}: ${e.message}${e.fix ? `; fix: ${e.fix.replace('--layout', '"migrationsLayout"')}` : ''}`, { cause: e });
  }
}

function migrationsDirOf(owner: string, props: UserFileProps, cwd: string, config: ProjectConfig): string {
  if (props.migrationsDir !== undefined) {
    const dir = resolve(cwd, props.migrationsDir);
    if (kindOf(dir) === 'directory') return dir;
    throw new Error(
      `${owner}: "migrationsDir" ${described(props.migrationsDir, dir, cwd)} is not a directory; create it (it may be empty) or pass the directory that holds the migrations`,
    );
  }
  const configured = config.settings.migrations;
  const dir = configured ?? join(config.root, USER_FILE_DEFAULTS.migrationsDir);
  if (kindOf(dir) === 'directory') return dir;
  if (configured !== undefined) {
    throw new Error(
      `${owner}: "migrations" in ${config.file} is ${dir}, which is not a directory; create it (it may be empty), correct "migrations" there, or pass migrationsDir`,
    );
  }
  throw new Error(
    config.file
      ? `${owner}: no "migrationsDir" was given, ${config.file} sets no "migrations", and the default ./${USER_FILE_DEFAULTS.migrationsDir} beside it is not a directory: ${dir}; create it (it may be empty), set "migrations" in ${CONFIG_FILE_NAME}, or pass migrationsDir`
      : `${owner}: no "migrationsDir" was given and the default ./${USER_FILE_DEFAULTS.migrationsDir} is not a directory: ${dir} (the working directory is ${cwd}); create it (it may be empty), or pass migrationsDir — a relative path resolves against the working directory, like Code.fromAsset`,
  );
}

/** A path from the project file or a default: used when it is there. */
function optional(path: string, kind: Kind): string | undefined {
  return kindOf(path) === kind ? path : undefined;
}

/** A path given as a prop must be there. */
function givenPath(owner: string, prop: 'contractsDir' | 'snapshotFile', kind: Kind, given: string, cwd: string, fix: string): string {
  const path = resolve(cwd, given);
  const found = kindOf(path);
  if (found !== kind) {
    const problem = found === undefined ? 'does not exist' : `is not a ${kind}`;
    throw new Error(`${owner}: "${prop}" ${described(given, path, cwd)} ${problem}; ${fix}`);
  }
  return path;
}
