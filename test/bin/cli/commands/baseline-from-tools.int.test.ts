/**
 * `baseline --from` for the TypeScript tools, each driven for real
 * (devDependencies): its migrator writes its own history table on a real
 * PostgreSQL; then migrate refuses naming the --from to run, baseline --from
 * records the files, migrate is a no-op, a new migration is applied by
 * schemaguard and status is clean. drizzle's folder comes from drizzle-kit
 * generate and its migrator; Prisma's from prisma migrate dev (its schema
 * engine in WebAssembly through @prisma/adapter-pg: the native engine is
 * downloaded from outside the npm registry, which this machine cannot reach)
 * and its next migration from prisma migrate diff. One server (the first
 * target; Prisma's, the first older than 18): each tool's own code does not
 * vary by server.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../../support/cli';
import { allMajors, dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { tempDir } from '../../../support/files';
import {
  dbmateUp,
  drizzleKitGenerate,
  drizzleMigrate,
  knexMigrate,
  kyselyMigrate,
  mikroOrmMigrate,
  sequelizeMigrate,
  typeormMigrate,
  type ToolMigration,
} from '../../../support/foreign-tools';
import { PRISMA_LOCK_TEXT, prismaCreateTable, prismaMigrateDiff, prismaMigrateDev } from '../../../support/prisma-tool';

afterAll(dropDatabases);

const LEADS = 'CREATE TABLE leads (id int PRIMARY KEY)';
const NOTES = 'CREATE TABLE notes (id int PRIMARY KEY)';
const TAGS = 'CREATE TABLE tags (id int PRIMARY KEY);';

interface CodeTool {
  tool: string;
  /** The names the tool gives the two migrations it runs. */
  names: [string, string];
  /** schemaguard's files for them and the next one, named with the versions the tool recorded. */
  files: [string, string, string];
  run: (url: string, migrations: ToolMigration[]) => void;
}

const CODE_TOOLS: CodeTool[] = [
  {
    tool: 'knex',
    names: ['20240101000001_leads.js', '20240101000002_notes.js'],
    files: ['20240101000001_leads.sql', '20240101000002_notes.sql', '20240101000003_tags.sql'],
    run: knexMigrate,
  },
  {
    tool: 'typeorm',
    names: ['Leads1700000000001', 'Notes1700000000002'],
    files: ['1700000000001_leads.sql', '1700000000002_notes.sql', '1700000000003_tags.sql'],
    run: typeormMigrate,
  },
  {
    tool: 'sequelize',
    names: ['20240101000001-leads.js', '20240101000002-notes.js'],
    files: ['20240101000001_leads.sql', '20240101000002_notes.sql', '20240101000003_tags.sql'],
    run: sequelizeMigrate,
  },
  {
    tool: 'kysely',
    names: ['2024_01_01_0001_leads', '2024_01_01_0002_notes'],
    files: ['202401010001_leads.sql', '202401010002_notes.sql', '202401010003_tags.sql'],
    run: kyselyMigrate,
  },
  {
    tool: 'mikro-orm',
    names: ['Migration20240101000001', 'Migration20240101000002'],
    files: ['20240101000001_leads.sql', '20240101000002_notes.sql', '20240101000003_tags.sql'],
    run: mikroOrmMigrate,
  },
];

/** migrate refused naming --from TOOL, baseline --from TOOL, a no-op migrate, `next` (which makes `table`) applied, status clean. */
async function adopt(url: string, dir: string, tool: string, next: () => void, table = 'tags'): Promise<void> {
  const refused = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
  expect(refused.code, refused.stderr).toBe(1);
  expect(refused.stderr).toContain(`schemaguard baseline --from ${tool}`);
  const b = await runCliInProcess(['baseline', '--from', tool, '--dir', dir, '--database-url', url]);
  expect(b.code, b.stderr).toBe(0);
  expect(b.stdout).toContain('recorded 2 files as applied without running them');
  const noop = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
  expect(noop.code, noop.stderr).toBe(0);
  expect(await rows(url, "SELECT count(*)::int AS n FROM schemaguard.applied_migrations WHERE kind = 'migrate'")).toEqual([{ n: 0 }]);
  next();
  const m = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
  expect(m.code, m.stderr).toBe(0);
  const s = await runCliInProcess(['status', '--dir', dir, '--database-url', url, '--exit-code']);
  expect(s.code, s.stdout + s.stderr).toBe(0);
  expect(await rows(url, 'SELECT kind FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
    { kind: 'baseline' },
    { kind: 'baseline' },
    { kind: 'migrate' },
  ]);
  expect(await rows(url, "SELECT to_regclass(format('public.%I', $1::text)) IS NOT NULL AS made", [table])).toEqual([{ made: true }]);
}

/** lint with the database: its 3 files are the ones applied there, found by the versions their layout gives them. */
async function expectLintedApplied(url: string, dir: string): Promise<void> {
  const lint = await runCliInProcess(['lint', '--dir', dir, '--database-url', url]);
  expect(lint.code, lint.stdout + lint.stderr).toBe(0);
  expect(lint.stderr).toContain('lint 0 pending of 3 files');
}

describe.each(targets.slice(0, 1))('CLI: baseline --from each TypeScript tool, run for real, on $name', (target) => {
  it.each(CODE_TOOLS)("$tool: its migrator's history is adopted, and schemaguard applies the next migration", async ({ tool, names, files, run }) => {
    const url = await freshDatabase(target, `from_${tool.replace('-', '_')}`);
    run(url, [
      { name: names[0], sql: LEADS },
      { name: names[1], sql: NOTES },
    ]);
    const dir = tempDir({ [files[0]]: `${LEADS};\n`, [files[1]]: `${NOTES};\n` });
    await adopt(url, dir, tool, () => writeFileSync(join(dir, files[2]), TAGS));
  });

  it('dbmate: its own files and schema_migrations (version varchar) are adopted; the next dbmate new file is applied by schemaguard', async () => {
    const url = await freshDatabase(target, 'from_dbmate');
    const dir = tempDir({
      '20240101000001_leads.sql': `-- migrate:up\n${LEADS};\n\n-- migrate:down\n`,
      '20240101000002_notes.sql': `-- migrate:up\n${NOTES};\n\n-- migrate:down\n`,
    });
    dbmateUp(url, dir);
    await adopt(url, dir, 'dbmate', () => writeFileSync(join(dir, '20240101000003_tags.sql'), `-- migrate:up\n${TAGS}\n\n-- migrate:down\n`));
  });

  it("drizzle: drizzle-kit generate's folder migrated by drizzle's migrator is adopted; the next drizzle-kit generate is applied by schemaguard", async () => {
    const url = await freshDatabase(target, 'from_drizzle');
    const work = tempDir({}, 'drizzle-app');
    const table = (name: string) => `export const ${name} = pgTable('${name}', { id: serial('id').primaryKey(), title: text('title').notNull() });\n`;
    const head = "import { pgTable, serial, text } from 'drizzle-orm/pg-core';\n";
    // The timestamp prefix: file names whose number is not the version (the journal's idx).
    drizzleKitGenerate(work, head + table('leads'), './drizzle', 'timestamp', 'leads');
    drizzleKitGenerate(work, head + table('leads') + table('notes'), './drizzle', 'timestamp', 'notes');
    const dir = join(work, 'drizzle');
    drizzleMigrate(url, dir);
    await adopt(url, dir, 'drizzle', () => drizzleKitGenerate(work, head + table('leads') + table('notes') + table('tags'), './drizzle', 'timestamp', 'tags'));
    expect(await rows(url, 'SELECT version, name FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
      { version: '0', name: 'leads' },
      { version: '1', name: 'notes' },
      { version: '2', name: 'tags' },
    ]);
    await expectLintedApplied(url, dir);
  });
});

/**
 * Prisma's migrate dev describes the database through pg_constraint, and
 * Prisma 6.19's schema engine stops (RuntimeError: unreachable) on a row it
 * does not know: PostgreSQL 18 keeps NOT NULL constraints there (contype
 * 'n'). On 18 its second migrate dev (the first over a table) stops so, and
 * passes when its queries read pg_constraint without those rows. So it runs
 * on the run's server older than 18: Debian's PostgreSQL 15, which this kind
 * of machine ships (a run without it fails here saying so, never skips).
 */
const prismaTarget = allMajors.find((t) => t.major === 15) ?? allMajors.find((t) => t.major < 18);

describe("CLI: baseline --from prisma, prisma migrate dev run for real on a server older than PostgreSQL 18 (Prisma 6.19's engine stops on 18's NOT NULL rows in pg_constraint)", () => {
  it(`prisma: migrate dev's folder and _prisma_migrations are adopted; the next migration, written by prisma migrate diff, is applied by schemaguard (on ${prismaTarget?.name ?? 'no server older than 18'})`, async () => {
    if (!prismaTarget)
      throw new Error(
        `no server older than PostgreSQL 18 in this run (${allMajors.map((t) => t.name).join(', ')}): install Debian's postgresql-15 (/usr/lib/postgresql/15/bin) for Prisma 6.19's migrate dev`,
      );
    const url = await freshDatabase(prismaTarget, 'from_prisma');
    const work = tempDir({}, 'prisma-app');
    const model = (name: string) => `model ${name} {\n  id Int @id @default(autoincrement())\n}\n`;
    prismaMigrateDev(work, url, model('Lead'), 'leads');
    prismaMigrateDev(work, url, model('Lead') + model('Note'), 'notes');
    const dir = join(work, 'prisma', 'migrations');
    const recorded = await rows<{ migration_name: string }>(
      url,
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY started_at',
    );
    expect(recorded.map((r) => r.migration_name)).toEqual([expect.stringMatching(/^\d{14}_leads$/), expect.stringMatching(/^\d{14}_notes$/)]);
    expect(readdirSync(dir).sort()).toEqual([...recorded.map((r) => r.migration_name), 'migration_lock.toml']);
    // The Prisma folders the synth and handler tests write are these files, byte for byte.
    expect(readFileSync(join(dir, 'migration_lock.toml'), 'utf8')).toBe(PRISMA_LOCK_TEXT);
    expect(readFileSync(join(dir, recorded[0]!.migration_name, 'migration.sql'), 'utf8')).toBe(prismaCreateTable('Lead'));
    let next = '';
    await adopt(
      url,
      dir,
      'prisma',
      () => {
        next = prismaMigrateDiff(work, url, model('Lead') + model('Note') + model('Tag'), 'tags');
      },
      'Tag',
    );
    expect(await rows(url, 'SELECT version::text, name FROM schemaguard.applied_migrations ORDER BY version')).toEqual(
      [...recorded.map((r) => r.migration_name), next].map((f) => ({ version: f.slice(0, 14), name: f.slice(15) })),
    );
    await expectLintedApplied(url, dir);
  }, 240_000);
});
