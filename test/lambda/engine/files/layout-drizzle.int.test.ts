/**
 * drizzle-kit's folder with each of its four prefix styles (`index`,
 * `timestamp`, `unix`, `none`), generated for real (a table, then an index on
 * it; with `none`, the index by `generate --custom`): the loader reads it in
 * the journal's order with the journal's idx as versions, `plan` lists it,
 * `migrate` applies it, `lint` with the database finds both files applied,
 * and `SchemaMigrations` synthesises it (detected), shipping the listed files
 * and the journal. One server (the first target): the prefix changes file
 * names, not what the server runs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLayout } from '../../../../lambda/engine/files/layout';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { PROP } from '../../../../lambda/handler/constants';
import { migrationFilesOf, summariseFiles } from '../../../../lambda/handler/files-hash';
import { runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { drizzleKitCustom, drizzleKitGenerate } from '../../../support/foreign-tools';
import { layoutOfHandler, synthLayouts } from '../../../support/layout-stack';

afterAll(dropDatabases);

const PREFIXES = ['index', 'timestamp', 'unix', 'none'] as const;
const HEAD = "import { pgTable, serial, text, index } from 'drizzle-orm/pg-core';\n";
const POSTS = "export const posts = pgTable('posts', { id: serial('id').primaryKey(), title: text('title').notNull() });\n";
const INDEXED =
  "export const posts = pgTable('posts', { id: serial('id').primaryKey(), title: text('title').notNull() }, (t) => [index('posts_title_idx').on(t.title)]);\n";

/** drizzle-kit's output folder per prefix style. */
const dirs: Record<string, string> = {};

/** Every file under `dir`, relative, sorted. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

beforeAll(() => {
  for (const prefix of PREFIXES) {
    const work = tempDir({}, `drizzle-${prefix}`);
    drizzleKitGenerate(work, HEAD + POSTS, './out', prefix, 'init');
    // drizzle-kit 0.31 with `none` writes every snapshot as meta/_snapshot.json and
    // diffs the next schema from nothing (its second file makes the table again):
    // that style's next migration is one of its own SQL (`generate --custom`).
    if (prefix === 'none') drizzleKitCustom(work, './out', prefix, 'title_index', 'CREATE INDEX "posts_title_idx" ON "posts" USING btree ("title");');
    else drizzleKitGenerate(work, HEAD + INDEXED, './out', prefix, 'title_index');
    dirs[prefix] = join(work, 'out');
  }
}, 240_000);

describe("drizzle-kit's prefix styles", () => {
  it.each(PREFIXES)(
    "%s: read in the journal's order (version = idx), planned, migrated, linted as applied",
    async (prefix) => {
      const dir = dirs[prefix]!;
      const migrations = loadMigrations(dir);
      expect(detectLayout(dir)).toBe('drizzle');
      expect(migrations.map((m) => [m.version, m.name])).toEqual([
        [0, 'init'],
        [1, 'title_index'],
      ]);
      expect(migrations[1]!.text).toContain('CREATE INDEX "posts_title_idx"');
      expect(migrations.every((m) => /^\d{13}$/.test(m.origin!))).toBe(true);
      expect(migrationFilesOf(dir)).toEqual([...migrations.map((m) => m.file), 'meta/_journal.json'].sort());
      expect(summariseFiles(dir)).toMatchObject({ migrationCount: 2, latestVersion: 1 });

      const url = await freshDatabase(targets[0]!, `drizzle_${prefix}`);
      const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout + plan.stderr).toContain(migrations[1]!.file);
      const m = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
      expect(m.code, m.stderr).toBe(0);
      expect(await rows(url, 'SELECT version::text, name FROM schemaguard.applied_migrations ORDER BY version')).toEqual(
        migrations.map((g) => ({ version: String(g.version), name: g.name })),
      );
      expect(await rows(url, "SELECT to_regclass('public.posts_title_idx') IS NOT NULL AS made")).toEqual([{ made: true }]);
      const lint = await runCliInProcess(['lint', '--dir', dir, '--database-url', url]);
      expect(lint.code, lint.stdout + lint.stderr).toBe(0);
      expect(lint.stderr).toContain('lint 0 pending of 2 files');
    },
    60_000,
  );

  it('each style synthesises (detected): the handler is told drizzle, the asset ships the listed files and the journal', () => {
    const built = synthLayouts(PREFIXES.map((p) => ({ migrationsDir: dirs[p]! })));
    for (const [k, prefix] of PREFIXES.entries()) {
      const s = built[k]!;
      expect(layoutOfHandler(s)).toBe('drizzle');
      expect(s.props).toMatchObject({ [PROP.filesHash]: summariseFiles(dirs[prefix]!).hash, [PROP.latestVersion]: '1', [PROP.migrationCount]: '2' });
      expect(listing(join(s.assetDir, 'migrations'))).toEqual(migrationFilesOf(dirs[prefix]!));
    }
  }, 180_000);
});
