/**
 * Migration files in subfolders: schemaguard reads the `.sql` files of the
 * migrations directory itself, not of its subfolders (Flyway's locations are
 * read recursively, so its users may expect it). Such files are never
 * applied; the CLI and synth say so, naming the subfolders, rather than
 * report "up to date".
 */
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { firstFew, plural } from '../errors/words';
import { present } from '../errors/present';

/** A subfolder of the migrations directory and how many `.sql` files it holds, at any depth. */
export interface SqlSubfolder {
  /** Its name in the migrations directory. */
  folder: string;
  files: number;
}

/** The most folders counted under one subfolder: a large tree (a vendored checkout) costs a bounded read. */
const MAX_FOLDERS = 1000;

/**
 * The subfolders of `dir` that hold `.sql` files (at any depth), in name
 * order. Dot folders and dot files are left out, as the loader leaves them
 * out; symbolic links are not followed (no cycles). An unreadable directory
 * gives none: the loader has said why.
 */
export function sqlSubfolders(dir: string): SqlSubfolder[] {
  const found: SqlSubfolder[] = [];
  for (const e of entries(dir)) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const files = countSql(join(dir, e.name));
    if (files > 0) found.push({ folder: e.name, files });
  }
  return found.sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
}

/** `archive/ (2 .sql files), v2/ (1 .sql file)`; 3 folders at most, then how many more. */
export function describeSubfolders(found: readonly SqlSubfolder[]): string {
  return firstFew(
    found.map((f) => `${f.folder}/ (${plural(f.files, '.sql file')})`),
    3,
  );
}

/** The `.sql` files under `folder`, breadth first, at most MAX_FOLDERS folders read. */
function countSql(folder: string): number {
  let count = 0;
  const queue = [folder];
  for (let read = 0; queue.length > 0 && read < MAX_FOLDERS; read++) {
    const current = present(queue.shift());
    for (const e of entries(current)) {
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) queue.push(join(current, e.name));
      else if ((e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith('.sql')) count++;
    }
  }
  return count;
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
