/**
 * The user's files that travel with the handler — migrations, contracts, the
 * schema snapshot — found from the props the way `Code.fromAsset` finds its
 * path: a relative path resolves against the working directory (where `cdk
 * synth` runs the app), an absolute one is taken as it is. The package's own
 * `migrations/` and `contracts/` are never a default: without props, the app's
 * `./migrations` is used, and `./contracts` and the snapshot only when the app
 * has them. A folder that is not there stops synth, naming the resolved path.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { MigrationError } from '../lambda/engine/errors';
import { layoutOf, MIGRATION_LAYOUTS, type MigrationLayout } from '../lambda/engine/layout';

/**
 * The defaults, relative to the working directory; the same as the CLI's
 * `--dir`, `--contracts` and `--snapshot` defaults, so `npx schemaguard` and
 * `cdk deploy` read the same files.
 */
export const USER_FILE_DEFAULTS = {
  migrationsDir: 'migrations',
  contractsDir: 'contracts',
  snapshotFile: 'lambda/schema/snapshot.json',
} as const;

/** Where the user's files are, as absolute paths. */
export interface UserFiles {
  /** The migrations directory (it exists; it may be empty). */
  readonly migrationsDir: string;
  /** How it is laid out: as given, else detected (lambda/engine/layout.ts). */
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

/**
 * The absolute paths of the user's files; throws, naming `owner`, the prop and
 * the resolved path, when a path that was given, or the default migrations
 * directory, is not there.
 */
export function resolveUserFiles(owner: string, props: UserFileProps, cwd: string = process.cwd()): UserFiles {
  const migrationsDir = resolve(cwd, props.migrationsDir ?? USER_FILE_DEFAULTS.migrationsDir);
  if (kindOf(migrationsDir) !== 'directory') {
    throw new Error(props.migrationsDir === undefined
      ? `${owner}: no "migrationsDir" was given and the default ./${USER_FILE_DEFAULTS.migrationsDir} is not a directory: ${migrationsDir} (the working directory is ${cwd}); create it (it may be empty), or pass migrationsDir — a relative path resolves against the working directory, like Code.fromAsset`
      : `${owner}: "migrationsDir" ${described(props.migrationsDir, migrationsDir, cwd)} is not a directory; create it (it may be empty) or pass the directory that holds the migrations`);
  }
  return {
    migrationsDir,
    migrationsLayout: resolveLayout(owner, migrationsDir, props.migrationsLayout),
    contractsDir: optionalPath(owner, 'contractsDir', 'directory', props.contractsDir, cwd, 'create it or leave contractsDir unset'),
    snapshotFile: optionalPath(owner, 'snapshotFile', 'file', props.snapshotFile, cwd, 'write it (schemaguard diff reads the same file), or leave snapshotFile unset'),
  };
}

/** The layout named (one of MIGRATION_LAYOUTS), else the one `migrationsDir` has; synth stops, naming the prop, on a bad one. */
function resolveLayout(owner: string, migrationsDir: string, given: MigrationLayout | undefined): MigrationLayout {
  if (given !== undefined && !(MIGRATION_LAYOUTS as readonly string[]).includes(given)) {
    throw new Error(`${owner}: "migrationsLayout" ${JSON.stringify(given)} is not a layout; use one of ${MIGRATION_LAYOUTS.join(', ')}, or leave it unset (it is detected from ${migrationsDir})`);
  }
  try {
    return layoutOf(migrationsDir, given);
  } catch (e) {
    if (!(e instanceof MigrationError)) throw e;
    throw new Error(`${owner}: ${e.message}${e.fix ? `; fix: ${e.fix.replace('--layout', '"migrationsLayout"')}` : ''}`, { cause: e });
  }
}

/** A path that was given must be there; the default is used only when it is. */
function optionalPath(owner: string, prop: 'contractsDir' | 'snapshotFile', kind: Kind, given: string | undefined, cwd: string, fix: string): string | undefined {
  const path = resolve(cwd, given ?? USER_FILE_DEFAULTS[prop]);
  const found = kindOf(path);
  if (given === undefined) return found === kind ? path : undefined;
  if (found !== kind) {
    const problem = found === undefined ? 'does not exist' : `is not a ${kind}`;
    throw new Error(`${owner}: "${prop}" ${described(given, path, cwd)} ${problem}; ${fix}`);
  }
  return path;
}
