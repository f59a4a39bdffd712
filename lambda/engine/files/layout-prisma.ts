/**
 * Prisma's migrations folder (`prisma migrate dev`): a folder per migration,
 * `<timestamp>_<name>/migration.sql`, applied in folder-name order, and
 * `migration_lock.toml`, whose `provider` must be PostgreSQL. Prisma reads
 * every folder there as a migration and no `.sql` file beside them; so does
 * this, refusing what it would read otherwise (layout.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { refuseLinkOut } from './links';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../errors/errors';
import { isFileAt, subfolders, topLevelSql } from './layout-files';
import type { LayoutFile, LayoutListing } from './layout-types';
import { present } from '../errors/present';

export const PRISMA_LOCK = 'migration_lock.toml';
export const PRISMA_SCRIPT = 'migration.sql';
/** The providers whose migrations are PostgreSQL's (`postgres` is the schema's alias of `postgresql`). */
const POSTGRES_PROVIDERS = ['postgresql', 'postgres'];

/** A folder named `<digits>_…` holding a `migration.sql`: Prisma's migration. */
export function isPrismaFolder(path: string): boolean {
  return /^\d+_/.test(basename(path)) && isFileAt(join(path, PRISMA_SCRIPT));
}

export function prismaListing(dir: string): LayoutListing {
  const abs = resolve(dir);
  const metadata = readLock(dir, abs);
  refuseLooseFiles(dir, abs);
  const files = subfolders(abs).map((folder) => prismaFile(dir, abs, folder));
  refuseOrder(dir, files);
  return { layout: 'prisma', files, metadata };
}

/** The lock file's provider, refused unless PostgreSQL; no lock file is taken (Prisma writes one, and reads the folder without it). */
function readLock(dir: string, abs: string): string[] {
  const path = join(abs, PRISMA_LOCK);
  if (!existsSync(path)) return [];
  refuseLinkOut(abs, path, join(dir, PRISMA_LOCK));
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^\s*provider\s*=/.test(l));
  const provider = at < 0 ? undefined : /^\s*provider\s*=\s*"([^"]*)"/.exec(lines[at])?.[1];
  if (provider === undefined || !POSTGRES_PROVIDERS.includes(provider)) {
    const file = join(dir, PRISMA_LOCK);
    throw new InputError(
      `${file}${at < 0 ? '' : `:${at + 1}`}: ${provider === undefined ? 'no provider = "…" line' : `provider "${provider}"`}: these are not PostgreSQL migrations (schemaguard migrates PostgreSQL)`,
      {
        file,
        line: at < 0 ? undefined : at + 1,
        value: provider ?? text.slice(0, 80),
        fix: 'point --dir (the construct\'s migrationsDir) at the migrations of a datasource with provider = "postgresql"',
      },
    );
  }
  return [PRISMA_LOCK];
}

/** A `.sql` file beside the folders: Prisma never runs it, so neither would schemaguard; said, not skipped. */
function refuseLooseFiles(dir: string, abs: string): void {
  const loose = topLevelSql(abs);
  if (!loose.length) return;
  const file = join(dir, loose[0]);
  throw new InputError(
    `${file}: a .sql file beside Prisma's migration folders, which Prisma never applies${loose.length > 1 ? ` (and ${loose.length - 1} more)` : ''}`,
    {
      file,
      value: loose[0],
      fix: `make it a migration the Prisma way (a folder <timestamp>_<name>/ holding it as ${PRISMA_SCRIPT}), or move it out of ${dir}`,
    },
  );
}

function prismaFile(dir: string, abs: string, folder: string): LayoutFile {
  const file = `${folder}/${PRISMA_SCRIPT}`;
  if (!isFileAt(join(abs, folder, PRISMA_SCRIPT))) {
    throw new InputError(`${join(dir, folder)}: a folder without ${PRISMA_SCRIPT}; Prisma reads every folder here as a migration`, {
      file: join(dir, folder),
      value: folder,
      fix: `move the folder out of ${dir}, or put the migration's SQL in ${join(dir, file)}`,
    });
  }
  const m = /^(\d+)_(.*)$/.exec(folder);
  const version = m ? Number(m[1]) : NaN;
  if (!m || !Number.isSafeInteger(version)) {
    throw new InputError(
      `${join(dir, folder)}: ${m ? `version ${m[1]} is past 2^53, the largest schemaguard reads exactly` : 'the folder name has no leading number, which schemaguard takes as the version'}`,
      {
        file: join(dir, file),
        value: folder,
        fix: 'name it as prisma migrate dev does, <timestamp>_<name> (e.g. 20240101120000_init), while no database has applied it (Prisma records the folder name)',
      },
    );
  }
  return { file, path: join(abs, file), version, name: m[2], origin: folder };
}

/** Prisma applies in folder-name order, schemaguard in version order: they must be one order (`9_a` sorts after `10_b`). */
function refuseOrder(dir: string, files: LayoutFile[]): void {
  for (let k = 1; k < files.length; k++) {
    const [a, b] = [files[k - 1], files[k]];
    if (a.version < b.version) continue;
    const same = a.version === b.version;
    throw new InputError(
      same
        ? `duplicate version ${a.version}: ${join(dir, a.file)} and ${join(dir, b.file)}`
        : `${join(dir, present(b.origin))}: Prisma applies it after ${a.origin} (folder-name order) but its version ${b.version} is lower than ${a.version}`,
      {
        file: join(dir, b.file),
        value: b.origin,
        version: b.version,
        fix: same
          ? `give ${b.origin} a version of its own (folder names <timestamp>_<name>), while no database has applied it`
          : 'give the folders numbers of one width (timestamps, as prisma migrate dev names them), so that name order and number order agree',
      },
    );
  }
}
