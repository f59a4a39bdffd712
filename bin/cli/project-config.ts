/**
 * The project file (lib/config) applied to the command line's options: each
 * setting fills its flag's option unless the flag was given. Paths in the
 * file are relative to the file; here they become paths from the working
 * directory, as the user would type them there, so every message and fix
 * names them that way. Without a file every default is the working
 * directory's, as before there was one.
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { defaultSnapshot, loadProjectConfig, type ProjectConfig } from '../../lib/config/load';
import { DEFAULT_MIGRATIONS_DIR, SETTINGS } from '../../lib/config/settings';
import { FLAGS, type CliOptions } from './args';
import { UsageError } from './errors';

/** The commands that read no project file: help and version answer without one, init writes it. */
const WITHOUT_CONFIG: readonly CliOptions['command'][] = ['help', 'version', 'init'];

export function readsProjectFile(command: CliOptions['command']): boolean {
  return !WITHOUT_CONFIG.includes(command);
}

/** Reads the project file for `opts` (from `cwd`, or --config) and applies it; the file read, or undefined. */
export function applyProjectFile(opts: CliOptions, cwd: string, env: NodeJS.ProcessEnv): ProjectConfig | undefined {
  if (!readsProjectFile(opts.command)) return undefined;
  const config = loadProjectConfig(cwd, opts.config);
  applyConfig(opts, config, cwd, env);
  return config;
}

/** `path` as typed from `cwd`: relative (`../db/migrations`), `.` for `cwd` itself. */
export function fromCwd(cwd: string, path: string): string {
  return relative(cwd, path) || '.';
}

/** The file's settings into `opts`, where no flag set them; the project's defaults resolved against its root. */
export function applyConfig(opts: CliOptions, config: ProjectConfig, cwd: string, env: NodeJS.ProcessEnv): void {
  const set = opts as unknown as Record<string, unknown>;
  for (const setting of SETTINGS) {
    const value = config.settings[setting.key];
    const flag = setting.flag ? FLAGS[setting.flag] : undefined;
    if (value === undefined || !flag || opts.given.has(flag.key)) continue;
    set[flag.key] = setting.path ? fromCwd(cwd, value as string) : value;
    opts.fromFile.add(flag.key);
    if (setting.path && outside(config.root, value as string)) opts.outsideProject.add(flag.key);
  }
  if (config.file) {
    opts.configFile = fromCwd(cwd, config.file);
    // A default path is the project's: found from its root, whichever subfolder the command runs in.
    for (const setting of SETTINGS) {
      const flag = setting.flag ? FLAGS[setting.flag] : undefined;
      const byDefault = setting.path?.default;
      if (flag && byDefault !== undefined && !opts.given.has(flag.key) && config.settings[setting.key] === undefined)
        set[flag.key] = fromCwd(cwd, resolve(config.root, byDefault));
    }
  }
  if (!opts.given.has('snapshot') && config.settings.snapshot === undefined) opts.snapshot = defaultSnapshot(opts.dir);
  opts.projectFiles = !opts.given.has('dir') || resolve(cwd, opts.dir) === (config.settings.migrations ?? resolve(config.root, DEFAULT_MIGRATIONS_DIR));
  opts.lintRules = config.settings.lintRules ?? {};
  opts.backfill = config.settings.backfill ?? {};
  opts.fleet = config.settings.fleet;
  if (config.settings.databaseUrlEnv !== undefined) {
    opts.databaseUrlEnv = config.settings.databaseUrlEnv;
    if (!opts.given.has('databaseUrl')) opts.databaseUrl = env[opts.databaseUrlEnv];
  }
}

/**
 * A command that writes to a path the project file set (`new` to the
 * migrations folder, `snapshot` to the snapshot, `capture` to the contracts,
 * the embedded server to its folder) refuses one outside the project, links
 * followed: a checked-out file must not make schemaguard write anywhere else
 * on the machine. The same path given as a flag is the user's own choice.
 */
export function refuseWritingOutside(
  opts: Pick<CliOptions, 'outsideProject' | 'configFile'> & Partial<Record<'dir' | 'snapshot' | 'contractsDir' | 'embeddedDir', string>>,
  key: 'dir' | 'snapshot' | 'contractsDir' | 'embeddedDir',
  what: string,
): void {
  if (!opts.outsideProject.has(key)) return;
  const setting = SETTINGS.find((s) => s.flag !== undefined && FLAGS[s.flag]?.key === key);
  const value = String(opts[key]);
  throw new UsageError(
    `"${setting?.key}" in ${opts.configFile} is ${value}, outside the project (the folder of ${opts.configFile}), and ${what} writes there: refused, nothing was written`,
    { value, fix: `put it inside the project and write its path there, or pass ${setting?.flag} ${value} to write there on purpose` },
  );
}

/** `path` (absolute) is not inside `root`, links followed as far as the path exists. */
function outside(root: string, path: string): boolean {
  const rel = relative(real(root), real(path));
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

/** The real path of `path`'s nearest existing ancestor, with the rest of `path` after it. */
function real(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const parent = dirname(path);
  return parent === path ? path : join(real(parent), basename(path));
}
