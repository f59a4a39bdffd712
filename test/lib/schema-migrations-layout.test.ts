/**
 * SchemaMigrations over a generator's folder: Prisma's (`migrationsLayout:
 * 'prisma'`, as prisma migrate dev writes it) and drizzle-kit's (generated for
 * real; named, and detected). The asset ships what the handler reads, in its
 * places (the folders and the lock file; the listed files and the journal),
 * and nothing else there (drizzle's snapshots, a README); the handler is told
 * the layout; a migration added later changes FilesHash, the newest version
 * and the asset.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, PROP } from '../../lambda/handler/constants';
import { summariseFiles } from '../../lambda/handler/files-hash';
import { tempDir } from '../support/files';
import { drizzleKitGenerate } from '../support/foreign-tools';
import { layoutOfHandler, synthLayouts, type Synthesised } from '../support/layout-stack';
import { PRISMA_LOCK_TEXT, prismaCreateTable } from '../support/prisma-tool';

const HEAD = "import { pgTable, serial, text } from 'drizzle-orm/pg-core';\n";
const table = (name: string) => `export const ${name} = pgTable('${name}', { id: serial('id').primaryKey(), title: text('title') });\n`;

/** Every file under `dir`, relative, sorted. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

let prismaDir: string;
let drizzleDir: string;
let prisma: Synthesised;
let drizzle: Synthesised;
let detected: Synthesised;

beforeAll(() => {
  prismaDir = tempDir({
    'migration_lock.toml': PRISMA_LOCK_TEXT,
    '20240101120000_init/migration.sql': prismaCreateTable('User'),
    '20240215093000_posts/migration.sql': prismaCreateTable('Post'),
    'README.md': 'notes\n',
  });
  // drizzle-kit's `none` prefix: file names without a number, ordered by the journal alone.
  const work = tempDir({}, 'drizzle-app');
  drizzleKitGenerate(work, HEAD + table('users'), './drizzle', 'none', 'init');
  drizzleKitGenerate(work, HEAD + table('users') + table('posts'), './drizzle', 'none', 'posts');
  drizzleDir = join(work, 'drizzle');
  [prisma, drizzle, detected] = synthLayouts([
    { migrationsDir: prismaDir, migrationsLayout: 'prisma' },
    { migrationsDir: drizzleDir, migrationsLayout: 'drizzle' },
    { migrationsDir: drizzleDir },
  ]);
}, 120_000);

describe('Class: SchemaMigrations (migrationsLayout)', () => {
  it("ships Prisma's folders and lock file in their places, and no other file of the folder", () => {
    expect(listing(join(prisma.assetDir, 'migrations'))).toEqual([
      '20240101120000_init/migration.sql',
      '20240215093000_posts/migration.sql',
      'migration_lock.toml',
    ]);
    expect(readFileSync(join(prisma.assetDir, 'migrations', '20240215093000_posts', 'migration.sql'), 'utf8')).toBe(prismaCreateTable('Post'));
  });

  it("ships drizzle's listed files and journal in their places, not its snapshots", () => {
    const journal = JSON.parse(readFileSync(join(drizzleDir, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    expect(journal.entries.map((e) => e.tag)).toEqual(['_init', '_posts']);
    expect(listing(drizzleDir).filter((f) => f.endsWith('snapshot.json')).length).toBeGreaterThan(0);
    expect(listing(join(drizzle.assetDir, 'migrations'))).toEqual(['_init.sql', '_posts.sql', 'meta/_journal.json']);
  });

  it("tells the handler the layout, named or detected; the properties count the migrations with the layout's versions", () => {
    expect([prisma, drizzle, detected].map(layoutOfHandler)).toEqual(['prisma', 'drizzle', 'drizzle']);
    expect(prisma.env[ENV.migrationsDir]).toBe('migrations');
    expect(prisma.props).toMatchObject({
      [PROP.filesHash]: summariseFiles(prismaDir, undefined, 'prisma').hash,
      [PROP.latestVersion]: '20240215093000',
      [PROP.migrationCount]: '2',
    });
    expect(drizzle.props).toMatchObject({ [PROP.latestVersion]: '1', [PROP.migrationCount]: '2' });
    expect(detected.props[PROP.filesHash]).toBe(drizzle.props[PROP.filesHash]);
  });

  it('a migration added later changes FilesHash, the newest version and the asset; a README does not', () => {
    writeFileSync(join(prismaDir, 'README.md'), 'other notes\n');
    const [same] = synthLayouts([{ migrationsDir: prismaDir, migrationsLayout: 'prisma' }]);
    expect(same!.props[PROP.filesHash]).toBe(prisma.props[PROP.filesHash]);
    expect(same!.assetDir.split('/').pop()).toBe(prisma.assetDir.split('/').pop());
    mkdirSync(join(prismaDir, '20240301080000_tags'));
    writeFileSync(join(prismaDir, '20240301080000_tags', 'migration.sql'), prismaCreateTable('Tag'));
    const [added] = synthLayouts([{ migrationsDir: prismaDir, migrationsLayout: 'prisma' }]);
    expect(added!.props[PROP.filesHash]).not.toBe(prisma.props[PROP.filesHash]);
    expect(added!.props).toMatchObject({ [PROP.latestVersion]: '20240301080000', [PROP.migrationCount]: '3' });
    expect(added!.assetDir.split('/').pop()).not.toBe(prisma.assetDir.split('/').pop());
    expect(listing(join(added!.assetDir, 'migrations'))).toContain('20240301080000_tags/migration.sql');
  }, 60_000);

  it("stops synth on a layout that is not one, naming the prop, and on Prisma's folder read as flat, naming the fix", () => {
    expect(() => synthLayouts([{ migrationsDir: prismaDir, migrationsLayout: 'rails' as never }])).toThrow(
      /SchemaMigrations: "migrationsLayout" "rails" is not a layout; use one of flat, prisma, drizzle/,
    );
    expect(() => synthLayouts([{ migrationsDir: prismaDir, migrationsLayout: 'flat' }])).toThrow(
      /20240101120000_init\/migration\.sql: a migration in a folder of its own \(Prisma's layout/,
    );
  });
});
