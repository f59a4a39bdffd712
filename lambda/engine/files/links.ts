/**
 * A file of the migrations, contracts or a tool's folder (Drizzle's journal,
 * Prisma's lock file) that is a symbolic link to somewhere outside that
 * folder is refused before it is read: its text would be shown in errors,
 * applied, or copied into the deployed function (a linked secrets file,
 * /proc/self/environ). A link that stays inside the folder is taken, and so
 * is a folder that is itself a link (the folder's real path is the bound).
 */
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { InputError } from '../errors/errors';

/** Throws when `path` (shown as `file`) resolves outside `folder`; a path that does not resolve is left to the read that follows. */
export function refuseLinkOut(folder: string, path: string, file: string): void {
  let real: string;
  let bound: string;
  try {
    real = realpathSync(path);
    bound = realpathSync(folder);
  } catch {
    return;
  }
  if (real === bound || real.startsWith(bound.endsWith(sep) ? bound : `${bound}${sep}`)) return;
  throw new InputError(`${file}: a link to ${real}, outside ${folder}: refused, not read`, {
    file,
    value: real,
    fix: `put the file itself in ${folder} (schemaguard reads no file through a link that leaves its folder), or remove the link`,
  });
}
