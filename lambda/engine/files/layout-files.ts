/** Reading a migrations directory's entries for the layouts (layout.ts): pure reads, no judgement. */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors/errors';

/** Refuses a `dir` that is not a readable directory, as the flat loader does. */
export function requireDirectory(dir: string): void {
  let ok = false;
  try {
    ok = statSync(resolve(dir)).isDirectory();
  } catch (cause) {
    throw new InputError(`${dir}: cannot read the migrations directory (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
      file: dir,
      value: dir,
      cause,
      fix: 'create it or pass the right one with --dir',
    });
  }
  if (!ok) throw new InputError(`${dir}: not a directory`, { file: dir, value: dir, fix: 'pass the directory that holds the migrations with --dir' });
}

/** The names of the folders of `abs` (dot folders left out); none when it cannot be read. */
export function subfolders(abs: string): string[] {
  try {
    return readdirSync(abs, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** The `.sql` files directly in `abs` (dot files left out), by name; none when it cannot be read. */
export function topLevelSql(abs: string): string[] {
  try {
    return readdirSync(abs)
      .filter((f) => !f.startsWith('.') && f.toLowerCase().endsWith('.sql') && isFileAt(join(abs, f)))
      .sort();
  } catch {
    return [];
  }
}

export function isFileAt(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
