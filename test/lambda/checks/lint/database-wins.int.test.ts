/**
 * Lint with a database takes the applied tables from the database, not from
 * its replay of the applied files: where a DO block (or a hand) changed a
 * table in a way the replay cannot see, the database wins and lint says so
 * once. A table the database lacks is not an existing table. Each verdict is
 * checked against the server (the table's file node; the table's absence),
 * and `lint` and `plan` are run through the CLI on the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alteredTables, lintMigrations, lintSourceFromText, readLintCatalog, type LintSource } from '../../../../lambda/checks/lint';
import { runCli } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';

afterAll(dropDatabases);

const USERS = 'CREATE TABLE users (id bigint PRIMARY KEY, email_confirmed_at timestamptz, phone_confirmed_at timestamptz, confirmed_at timestamptz);';
// The rename happens inside a DO block of an applied file, as a published history does it.
const RENAME_IN_DO = `DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'confirmed_at') THEN
    ALTER TABLE users RENAME COLUMN confirmed_at TO confirmed_at_old;
  END IF;
END $$;`;
const GENERATED =
  'ALTER TABLE users ADD COLUMN IF NOT EXISTS confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED;';

describe.each(targets)('Lint with a database: the database wins over the replay of the applied files, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'lint_db_wins');
    await withClient(url, async (c) => {
      await c.query(USERS);
      await c.query(RENAME_IN_DO);
      await c.query('INSERT INTO users (id) SELECT g FROM generate_series(1, 50) g');
    });
  });

  const lintWith = async (pending: string[], applied: string[], withDatabase = true) => {
    const sources: LintSource[] = [
      ...applied.map((text, k) => ({ ...lintSourceFromText(`${k + 1}_applied.sql`, text), applied: true })),
      ...pending.map((text, k) => lintSourceFromText(`${applied.length + k + 1}_pending.sql`, text)),
    ];
    const catalog = withDatabase ? await withClient(url, (c) => readLintCatalog(c, { tables: alteredTables(sources) })) : undefined;
    return lintMigrations(sources, catalog ? { catalog } : {});
  };

  /** Whether `sql` gives users a new file node (a rewrite), in a transaction rolled back. */
  const rewrites = (sql: string) =>
    withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        const node = async () => (await c.query("SELECT pg_relation_filenode('users') AS n")).rows[0].n as string;
        const before = await node();
        await c.query(sql);
        return (await node()) !== before;
      } finally {
        await c.query('ROLLBACK');
      }
    });

  // Regression (issue 56): the replay missed the DO block's rename, so ADD COLUMN IF NOT EXISTS looked like a no-op, and lint said 0 errors.
  it('a generated column added IF NOT EXISTS where a DO block renamed the old one away: volatile-default, and the server rewrites the table', async () => {
    const r = await lintWith([GENERATED], [USERS, RENAME_IN_DO]);
    expect(r.findings.map((f) => f.rule)).toEqual(['volatile-default']);
    expect(r.findings[0]!.message).toContain('ADD COLUMN confirmed_at on existing table users');
    expect(await rewrites(GENERATED)).toBe(true);
  });

  it('says once where the database and the replay disagree, naming the table and the columns', async () => {
    // Hide the DO block's rename from the replay: the database still has it.
    const r = await lintWith([GENERATED, 'ALTER TABLE users ADD COLUMN note text;'], [USERS]);
    expect(r.notes).toEqual([
      expect.stringContaining('public.users (column confirmed_at is not in the database; column confirmed_at_old is only in the database)'),
    ]);
    expect(r.findings.map((f) => f.rule)).toEqual(['volatile-default']);
  });

  it('no note when the replay and the database agree', async () => {
    const r = await lintWith(['ALTER TABLE users ADD COLUMN note2 text;'], [USERS, RENAME_IN_DO]);
    expect(r.notes).toEqual([]);
    expect(r.findings).toEqual([]);
  });

  // Regression (issue 56): DROP TABLE IF EXISTS of a table the database does not have was "every row of subscribers is lost".
  it('DROP TABLE IF EXISTS of a table the database lacks, and a CREATE under its name: silent, as the server drops nothing', async () => {
    const drop = 'DROP TABLE IF EXISTS subscribers;\nCREATE TABLE subscribers (id bigint PRIMARY KEY, email text);';
    expect((await lintWith([drop], [USERS])).findings).toEqual([]);
    expect((await lintWith(['DROP TABLE IF EXISTS subscribers;'], [USERS])).findings).toEqual([]);
    const exists = await withClient(url, async (c) => (await c.query("SELECT to_regclass('subscribers') AS r")).rows[0].r);
    expect(exists).toBeNull();
  });

  it('a table an applied file made that the database no longer has: not an existing table, and the note says it is gone', async () => {
    const r = await lintWith(['DROP TABLE IF EXISTS old_imports;'], [USERS, 'CREATE TABLE old_imports (id int);']);
    expect(r.findings).toEqual([]);
    expect(r.notes).toEqual([expect.stringContaining('public.old_imports (not in the database)')]);
  });

  it('DROP TABLE of a table the database has: still reported', async () => {
    const r = await lintWith(['DROP TABLE users;'], [USERS, RENAME_IN_DO]);
    expect(r.findings.map((f) => f.rule)).toEqual(['dropping-table']);
  });

  // Issue 56: plan's lint and its lock table never contradict each other.
  it("lint and plan through the CLI: the same error, and plan's lock table says the table is rewritten", async () => {
    const dir = tempDir({ '0001_users.sql': USERS, '0002_rename.sql': RENAME_IN_DO });
    const migrated = await freshDatabase(target, 'lint_db_wins_cli');
    expect((await runCli(['migrate', '--database-url', migrated, '--dir', dir, '--quiet'])).code).toBe(0);
    await withClient(migrated, (c) => c.query('INSERT INTO users (id) SELECT g FROM generate_series(1, 50) g'));
    addFile(dir, '0003_generated.sql', `${GENERATED}\nDROP TABLE IF EXISTS subscribers;\n`);
    const lint = await runCli(['lint', '--database-url', migrated, '--dir', dir]);
    const plan = await runCli(['plan', '--database-url', migrated, '--dir', dir]);
    for (const run of [lint, plan]) {
      expect(run.stdout).toContain('0003_generated.sql:1:44: error volatile-default');
      expect(run.stdout).not.toContain('dropping-table');
      expect(run.stdout).toMatch(/lint: 1 file, 1 error, 0 warnings/);
    }
    expect(lint.code).toBe(1);
    expect(plan.stdout).toMatch(/0003_generated\.sql:1\s+ACCESS EXCLUSIVE\s+public\.users\s+50\s+\S+ \S+\s+yes/);
  });
});
