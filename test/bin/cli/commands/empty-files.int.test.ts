/**
 * One policy for files with no statement, the same in lint, plan and migrate:
 * they pass lint, plan and migrate say they record them and run nothing, and
 * migrate records them (psql runs such files without complaint). The CLI
 * runs as the real executable in the first test, in process
 * (`runCliInProcess`, the same `main`) in the others.
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;
const FILES = {
  '1_users.sql': 'CREATE TABLE users (id int);',
  '2_empty.sql': '',
  '3_blank.sql': '  \n\n',
  '4_comments.sql': '-- SQLite only\n/* nothing here */\n',
  '5_directive.sql': '-- schemaguard:no-transaction\n',
};
const EMPTY = ['2_empty.sql', '3_blank.sql', '4_comments.sql', '5_directive.sql'];
const NOTE = 'no statements (empty, or only comments and directives): recorded as applied, nothing runs';

describe(`CLI: files with no statement, on ${target.name}`, () => {
  it('lint passes them, plan and migrate say what happens, and migrate records them', async () => {
    const url = await freshDatabase(target, 'cli_empty');
    const dir = tempDir(FILES);

    const lint = await runCli(['lint', '--dir', dir, '--json']);
    const plan = await runCli(['plan', '--dir', dir, '--database-url', url]);
    const migrate = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    const status = await runCli(['status', '--dir', dir, '--database-url', url, '--json']);

    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    expect(JSON.parse(lint.stdout)).toMatchObject({ files: Object.keys(FILES), errors: 0, warnings: 0 });
    expect(plan.code, plan.stderr).toBe(0);
    for (const f of EMPTY) expect(plan.stdout).toContain(`note: ${f}: ${NOTE}`);
    expect(migrate.code, migrate.stderr).toBe(0);
    for (const f of EMPTY) expect(migrate.stderr).toContain(`  note: ${f}: ${NOTE}\n  applied ${f}`);
    expect(migrate.stdout).toMatch(/^applied 5 migrations/);
    expect(JSON.parse(status.stdout).migrations.map((m: { status: string }) => m.status)).toEqual(Array(5).fill('applied'));
    expect(await rows(url, 'SELECT checksum FROM schemaguard.applied_migrations WHERE version = 2')).toEqual([
      { checksum: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    ]);
  });

  // Regression (newcomer): `new` then `migrate` recorded the unedited template as applied; the SQL written into it afterwards was a
  // changed checksum, and valid-checksum or repair (what the error offered) recorded it without running it.
  it('refuses a file still as schemaguard new wrote it in migrate, plan and lint (exit 2, nothing recorded), and applies it once written', async () => {
    const url = await freshDatabase(target, 'cli_template');
    const dir = tempDir({ '0001_users.sql': 'CREATE TABLE users (id int);\n', '0002_placeholder.sql': '-- SQLite only\n' });
    expect((await runCliInProcess(['new', 'add_nickname', '--dir', dir])).code).toBe(0);
    const file = readdirSync(dir).find((f) => f.startsWith('0003_'))!;
    expect(file).toBe('0003_add_nickname.sql');

    const migrate = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);
    const lint = await runCliInProcess(['lint', '--dir', dir]);
    const status = await runCliInProcess(['status', '--dir', dir, '--database-url', url]);

    const message = `${file} is still the template schemaguard new wrote, with no statement of yours`;
    const fix = `fix: write its SQL (below the directives), or delete ${dir}/${file} if you no longer need it`;
    for (const r of [migrate, plan, lint]) {
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain(`error: ${message}`);
      expect(r.stderr).toContain(fix);
    }
    expect(await rows(url, "SELECT to_regclass('schemaguard.applied_migrations') AS t, to_regclass('public.users') AS u")).toEqual([{ t: null, u: null }]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`note: ${message}`);

    appendFileSync(join(dir, file), 'ALTER TABLE users ADD COLUMN nickname text;\n');
    const written = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(written.code, written.stderr).toBe(0);
    expect(await rows(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY column_name")).toEqual([
      { column_name: 'id' },
      { column_name: 'nickname' },
    ]);
  });
});
