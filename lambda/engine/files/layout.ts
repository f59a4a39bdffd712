/**
 * How a migrations directory is laid out, and so which files are migrations,
 * in which order, with which version:
 *
 * - `flat`: schemaguard's own, `<version>_<name>.sql` files in the directory
 *   (source.ts reads it).
 * - `prisma`: `prisma migrate dev`'s `<timestamp>_<name>/migration.sql`
 *   folders (layout-prisma.ts); the version is the folder's number.
 * - `drizzle`: `drizzle-kit generate`'s files listed in `meta/_journal.json`,
 *   in the journal's order (layout-drizzle.ts); the version is the entry's `idx`.
 *
 * Each keeps what its tool records for a file, so `baseline --from` maps
 * history rows to files 1:1.
 *
 * The layout is detected (a journal: drizzle; a lock file or a migration
 * folder: prisma; else flat) or named (`--layout`, the construct's
 * `migrationsLayout`). Everything here is a pure reading of the directory:
 * bad input is an InputError before anything touches a database.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors/errors';
import { drizzleListing, DRIZZLE_JOURNAL } from './layout-drizzle';
import { requireDirectory, subfolders } from './layout-files';
import { isPrismaFolder, prismaListing, PRISMA_LOCK } from './layout-prisma';
import { MIGRATION_LAYOUTS, type LayoutListing, type MigrationLayout } from './layout-types';

export { MIGRATION_LAYOUTS, type LayoutFile, type LayoutListing, type MigrationLayout } from './layout-types';

/** The layout of `dir`: drizzle with a journal, prisma with a lock file or a migration folder, else flat. Both is refused. */
export function detectLayout(dir: string): MigrationLayout {
  const abs = resolve(dir);
  const drizzle = existsSync(join(abs, DRIZZLE_JOURNAL));
  const prisma = existsSync(join(abs, PRISMA_LOCK)) || subfolders(abs).some((f) => isPrismaFolder(join(abs, f)));
  if (drizzle && prisma) {
    throw new InputError(`${dir}: holds both drizzle's ${DRIZZLE_JOURNAL} and Prisma's migration folders; cannot tell which layout to read`, {
      file: dir,
      value: dir,
      fix: "name it: --layout drizzle or --layout prisma (the construct's migrationsLayout), or keep each tool's migrations in a folder of its own",
    });
  }
  return drizzle ? 'drizzle' : prisma ? 'prisma' : 'flat';
}

/** The layout to read `dir` with: the one named, else the one detected. */
export function layoutOf(dir: string, named?: MigrationLayout): MigrationLayout {
  return named ?? detectLayout(dir);
}

/** A prisma or drizzle directory's migrations, in order, refused as input errors where the tool and schemaguard would disagree. */
export function listLayout(dir: string, layout: Exclude<MigrationLayout, 'flat'>): LayoutListing {
  requireDirectory(dir);
  return layout === 'prisma' ? prismaListing(dir) : drizzleListing(dir);
}

/** Reads `--layout` / `migrationsLayout`: one of MIGRATION_LAYOUTS, or an InputError naming the value. */
export function parseLayout(raw: string, where: string): MigrationLayout {
  if ((MIGRATION_LAYOUTS as readonly string[]).includes(raw)) return raw as MigrationLayout;
  throw new InputError(`${where}: unknown layout "${raw}"`, {
    value: raw,
    fix: `one of ${MIGRATION_LAYOUTS.join(', ')} (or leave it out: the layout is detected)`,
  });
}
