/**
 * How a migrations directory is laid out, and so which files are migrations,
 * in which order, with which version:
 *
 * - `flat`: schemaguard's own, `<version>_<name>.sql` files in the directory
 *   (source.ts reads it).
 * - `prisma`: the folder `prisma migrate dev` writes, a folder
 *   `<timestamp>_<name>/` per migration holding `migration.sql`, applied in
 *   folder-name order, and `migration_lock.toml` naming the provider (only
 *   `postgresql` is taken). The version is the folder's number
 *   (`20240101120000_init` → 20240101120000), the name `_prisma_migrations`
 *   records is the folder's, so `baseline --from prisma` maps row to file 1:1.
 * - `drizzle`: the folder `drizzle-kit generate` writes, `.sql` files listed
 *   in `meta/_journal.json`, applied in the journal's order whatever their
 *   names' prefix (`index` 0000_, `timestamp`, `unix`, `supabase` or `none`).
 *   The version is the entry's `idx`; the entry's `when` is what drizzle's
 *   migrator records (`__drizzle_migrations.created_at`), kept with the file
 *   (`origin`), so `baseline --from drizzle` maps row to file 1:1.
 *
 * The layout is detected (a journal: drizzle; a lock file or a migration
 * folder: prisma; else flat) or named (`--layout`, the construct's
 * `migrationsLayout`). Everything here is a pure reading of the directory:
 * bad input is an InputError before anything touches a database.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from './errors';
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
      file: dir, value: dir, fix: 'name it: --layout drizzle or --layout prisma (the construct\'s migrationsLayout), or keep each tool\'s migrations in a folder of its own',
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
  throw new InputError(`${where}: unknown layout "${raw}"`, { value: raw, fix: `one of ${MIGRATION_LAYOUTS.join(', ')} (or leave it out: the layout is detected)` });
}
