/**
 * The project file (lib/config) applied to the command line's options: each
 * setting fills its flag's option unless the flag was given. Paths in the
 * file are relative to the file; here they become paths from the working
 * directory, as the user would type them there, so every message and fix
 * names them that way. Without a file every default is the working
 * directory's, as before there was one.
 */
import { relative, resolve } from 'node:path';
import { defaultSnapshot, loadProjectConfig, type ProjectConfig } from '../../lib/config/load';
import { SETTINGS } from '../../lib/config/settings';
import { FLAGS, type CliOptions } from './args';

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
  opts.projectFiles = !opts.given.has('dir') || resolve(cwd, opts.dir) === (config.settings.migrations ?? resolve(config.root, 'migrations'));
  opts.lintRules = config.settings.lintRules ?? {};
  opts.fleet = config.settings.fleet;
  if (config.settings.databaseUrlEnv !== undefined) {
    opts.databaseUrlEnv = config.settings.databaseUrlEnv;
    if (!opts.given.has('databaseUrl')) opts.databaseUrl = env[opts.databaseUrlEnv];
  }
}
