/**
 * Files with no statement (0 bytes, blank, only comments, only directives:
 * the placeholders real histories keep for other databases) are applied as
 * no-ops and recorded, as psql runs them, with a note; a file of checks alone
 * is an assertion: recorded when its checks hold.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CheckFailedError, InputError } from '../../../../lambda/engine/errors/errors';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checksum } from '../../../../lambda/engine/files/checksum';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { migrationTemplate, refuseUnwrittenTemplates, unwrittenTemplateError } from '../../../../lambda/engine/files/template';
import { dropDatabases, freshDatabase, rows, withClient } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const PLACEHOLDERS = {
  '1_users.sql': 'CREATE TABLE users (id int, email text);',
  '2_empty.sql': '',
  '3_blank.sql': '\n   \n\t\n',
  '4_mysql_only.sql': '-- This change is for MySQL only.\n/* Nothing to do on PostgreSQL. */\n',
  '5_directives.sql': '-- schemaguard:no-transaction\n-- schemaguard:lock-timeout=2s\n',
  '6_orders.sql': 'CREATE TABLE orders (id int);',
};

describe.each(driverCases())('Empty files: migrate on $name', ({ target, driver }) => {
  it('applies empty, blank, comment-only and directive-only files as no-ops, records each, and says so', async () => {
    const url = await freshDatabase(target, 'empty_files');
    const dir = tempDir(PLACEHOLDERS);

    const first = await runEngine(driver, url, dir);
    const second = await runEngine(driver, url, dir);

    expect(first.applied.map((a) => a.file)).toEqual(Object.keys(PLACEHOLDERS));
    expect(second.outcome).toBe('up-to-date');
    expect(await rows(url, 'SELECT version::int AS v FROM schemaguard.applied_migrations ORDER BY version')).toEqual([1, 2, 3, 4, 5, 6].map((v) => ({ v })));
    expect(first.events.filter((e) => e.type === 'note').map((e) => e.type === 'note' && e.message)).toEqual(
      ['2_empty.sql', '3_blank.sql', '4_mysql_only.sql', '5_directives.sql'].map(
        (f) => `${f}: no statements (empty, or only comments and directives): recorded as applied, nothing runs`,
      ),
    );
    expect(await rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).toEqual([
      { tablename: 'orders' },
      { tablename: 'users' },
    ]);
  });

  it('a file of checks alone is recorded when they hold, and stops the run when one fails', async () => {
    const url = await freshDatabase(target, 'check_only');
    const assertion = '-- schemaguard:check no two users share an email\nSELECT email FROM users GROUP BY email HAVING count(*) > 1;';
    const dir = tempDir({
      '1_users.sql': PLACEHOLDERS['1_users.sql'],
      '2_unique_emails.sql': assertion,
      '3_index.sql': 'CREATE UNIQUE INDEX users_email ON users (email);',
    });
    await runEngine(driver, url, dir);
    expect(await rows(url, 'SELECT version::int AS v FROM schemaguard.applied_migrations ORDER BY version')).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);

    const url2 = await freshDatabase(target, 'check_only_fails');
    await withClient(url2, (c) => c.query("CREATE TABLE users (id int, email text); INSERT INTO users VALUES (1, 'a@x'), (2, 'a@x')"));
    const dir2 = tempDir({ '2_unique_emails.sql': assertion, '3_index.sql': 'CREATE UNIQUE INDEX users_email ON users (email);' });

    const e = await rejection<CheckFailedError>(runEngine(driver, url2, dir2));

    expect(e).toBeInstanceOf(CheckFailedError);
    expect(e.message).toBe('2_unique_emails.sql:2: check failed: no two users share an email (1 offending row)');
    expect(await rows(url2, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);
  });

  // Regression (newcomer): recorded as a no-op, its SQL written afterwards never ran (the deploy's handler runs this engine too).
  it('refuses a pending file still as schemaguard new wrote it, before anything runs (on every driver, as the handler runs it)', async () => {
    const url = await freshDatabase(target, 'template_file');
    const dir = tempDir({ '1_users.sql': PLACEHOLDERS['1_users.sql'], '2_add_nickname.sql': migrationTemplate('2_add_nickname.sql') });

    const e = await rejection<InputError>(runEngine(driver, url, dir, { source: 'migrations' }));

    expect(e).toBeInstanceOf(InputError);
    expect(e.file).toBe('2_add_nickname.sql');
    expect(e.fix).toMatch(
      /^write its SQL \(below the directives\), or delete migrations\/2_add_nickname\.sql if you no longer need it; if a database recorded it already/,
    );
    expect(await rows(url, "SELECT to_regclass('public.users') AS t")).toEqual([{ t: null }]);
  });

  it('a template a database recorded already (before it was refused): the line the fix gives makes it a file of its own, and that database stays up to date', async () => {
    const url = await freshDatabase(target, 'template_applied');
    const file = '2_add_nickname.sql';
    const dir = tempDir({ '1_users.sql': PLACEHOLDERS['1_users.sql'], [file]: migrationTemplate(file) });
    await runEngine(driver, url, tempDir({ '1_users.sql': PLACEHOLDERS['1_users.sql'] }));
    // As an earlier version recorded it: the template's own checksum, applied.
    await withClient(url, (c) =>
      c.query("INSERT INTO schemaguard.applied_migrations (version, name, checksum, execution_ms, applied_by) VALUES (2, 'add_nickname', $1, 0, 'test')", [
        checksum(migrationTemplate(file)),
      ]),
    );
    // The run refuses only pending files: this one is applied, unchanged. The checks without a database (synth, lint, plan --offline) cannot know, and refuse it with this fix.
    expect((await runEngine(driver, url, dir)).outcome).toBe('up-to-date');
    expect(() => refuseUnwrittenTemplates(loadMigrations(dir))).toThrow(InputError);
    const line = /add the line (-- schemaguard:valid-checksum [0-9a-f]{64})/.exec(unwrittenTemplateError(file).fix!)![1]!;
    const [first, ...rest] = migrationTemplate(file).split('\n');
    writeFileSync(join(dir, file), [first, line, ...rest].join('\n'));

    expect(() => refuseUnwrittenTemplates(loadMigrations(dir))).not.toThrow();
    const r = await runEngine(driver, url, dir);
    expect(r.outcome).toBe('up-to-date');
  });
});
