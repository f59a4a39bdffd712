/**
 * Finding and reading the project file, `schemaguard.config.json`: the first
 * one in the working directory or a directory above it (as git finds
 * `.git`), so a command run from a subfolder of the project reads the
 * project's file. Its relative paths resolve against its own directory, the
 * project root. Every key and value is checked against the registry
 * (settings.ts); a bad one is an InputError (exit 2) naming the file, the
 * key, the value and the fix.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { InputError } from '../../lambda/engine/errors/errors';
import { nearestWord } from '../../lambda/engine/errors/nearest';
import { SETTINGS, SettingValueError, type AnySetting, type SettingsOf } from './settings';
import { DOCS_POINTERS } from '../../lambda/engine/errors/docs-pointers';
import { present } from '../../lambda/engine/errors/present';

export const CONFIG_FILE_NAME = 'schemaguard.config.json';

/** The snapshot's file name in the migrations folder, where it is by default. */
export const SNAPSHOT_FILE_NAME = 'schema.snapshot.json';

/** The default `snapshot`: beside the migrations that produce it. */
export function defaultSnapshot(migrationsDir: string): string {
  return join(migrationsDir, SNAPSHOT_FILE_NAME);
}

/** What the project file says, and where it is. */
export interface ProjectConfig {
  /** The file read (absolute), or undefined when there is none. */
  readonly file?: string;
  /** The project root: the file's directory, else the directory the search started from. */
  readonly root: string;
  /** The settings it sets, read (paths absolute, durations in milliseconds). */
  readonly settings: SettingsOf;
}

/** A project file the CLI or the constructs cannot use. Exit code 2. */
export class ConfigError extends InputError {
  /** The key at fault, when one is. */
  readonly key?: string;
  /** The file, as named in the message. */
  readonly configFile: string;
  constructor(configFile: string, message: string, options: { key?: string; value?: string; fix: string; cause?: unknown }) {
    super(message, { value: options.value, fix: options.fix, cause: options.cause });
    this.name = 'ConfigError';
    this.configFile = configFile;
    this.key = options.key;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), configFile: this.configFile, ...(this.key ? { key: this.key } : {}) };
  }
}

/** The first `schemaguard.config.json` in `from` or a directory above it. */
export function findConfigFile(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const file = join(dir, CONFIG_FILE_NAME);
    if (isFile(file)) return file;
    if (dirname(dir) === dir) return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The project's settings: from `explicit` (`--config FILE`, relative to
 * `cwd`), which must exist, else from the file found from `cwd`, else none
 * (every default, the project root `cwd`).
 */
export function loadProjectConfig(cwd: string, explicit?: string): ProjectConfig {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) {
      throw new ConfigError(explicit, `${explicit}: no such file`, {
        value: explicit,
        fix: `write the path of a ${CONFIG_FILE_NAME} (schemaguard init writes one), or leave --config out to find it from the working directory`,
      });
    }
    return readProjectConfig(file, cwd);
  }
  const file = findConfigFile(cwd);
  return file ? readProjectConfig(file, cwd) : { root: resolve(cwd), settings: {} };
}

/** `file`'s settings, checked; `cwd`: where the messages name it from. */
export function readProjectConfig(file: string, cwd: string = process.cwd()): ProjectConfig {
  const shown = relative(cwd, file) || file;
  const json = parseJson(shown, readFileSync(file, 'utf8'));
  const root = dirname(file);
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === '$schema') continue;
    const entry = SETTINGS.find((s) => s.key === key);
    if (!entry) throw unknownKey(shown, key);
    settings[key] = readSetting(shown, entry, value, root);
  }
  return { file, root, settings: settings as SettingsOf };
}

function readSetting(shown: string, entry: AnySetting, value: unknown, dir: string): unknown {
  try {
    return entry.read(value, { dir });
  } catch (e) {
    if (!(e instanceof SettingValueError)) throw e;
    const written = JSON.stringify(value);
    const cut = written.length > 80 ? `${written.slice(0, 77)}…` : written;
    throw new ConfigError(shown, `${shown}: "${entry.key}": ${cut} ${e.problem}`, { key: entry.key, value: cut, fix: e.fix, cause: e });
  }
}

function unknownKey(shown: string, key: string): ConfigError {
  const keys = SETTINGS.map((s) => s.key);
  const near = nearestWord(key, keys);
  return new ConfigError(shown, `${shown}: unknown key "${key}"`, {
    key,
    value: key,
    fix: `${near ? `did you mean "${near}"? ` : ''}the keys are ${keys.join(', ')} (${DOCS_POINTERS.configuration}; the file's "$schema" lets an editor complete them)`,
  });
}

/** The file's JSON object, or a ConfigError at the line and column where it stops being JSON. */
function parseJson(shown: string, text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = /position (\d+)/.exec(message);
    const place = at ? lineColumn(text, Number(at[1])) : '';
    throw new ConfigError(shown, `${shown}${place}: not valid JSON (${message.replace(/ in JSON at position \d+.*$/, '')})`, {
      fix: 'write plain JSON: double quotes, no comments, no comma after the last entry',
      cause: e,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(shown, `${shown}: not a JSON object`, {
      fix: 'write an object of settings, e.g. { "migrations": "db/migrations" } (schemaguard init writes one)',
    });
  }
  return json as Record<string, unknown>;
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `:${before.length}:${present(before.at(-1)).length + 1}`;
}
