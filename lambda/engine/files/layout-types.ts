/**
 * The layouts' names and what reading one gives (layout.ts). A module of
 * their own: layout.ts imports each layout's reader (layout-prisma.ts,
 * layout-drizzle.ts), and the readers return these, so imports stay one-way.
 */

/** The layouts, one registry: the CLI's `--layout` and the construct's `migrationsLayout` take these. */
export const MIGRATION_LAYOUTS = ['flat', 'prisma', 'drizzle'] as const;
export type MigrationLayout = (typeof MIGRATION_LAYOUTS)[number];

/** A migration's version and name when its layout gives them (prisma, drizzle), not its file name. */
export interface FileIdentity {
  version: number;
  name: string;
  /** What the generating tool records for it: Prisma's folder name, drizzle's journal `when`. */
  origin?: string;
}

/** One migration as the layout names it. */
export interface LayoutFile extends FileIdentity {
  /** As messages show it, relative to the directory (`20240101120000_init/migration.sql`, `0000_init.sql`). */
  file: string;
  /** Absolute path. */
  path: string;
}

/** A prisma or drizzle directory read: its migrations in order, and the other files it is read from. */
export interface LayoutListing {
  layout: Exclude<MigrationLayout, 'flat'>;
  files: LayoutFile[];
  /** Files besides the migrations that decide them (the journal, the lock file), relative: shipped with the handler and hashed. */
  metadata: string[];
}
