/** `main` through the real executable: one JSON object for --json, exit 2 on bad usage, and connection failures. */
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, freshDatabase, targets } from '../../support/db';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;

describe(`CLI: schemaguard on ${target.name}`, () => {
  it('--json prints one object for results and for errors', async () => {
    const url = await freshDatabase(target, 'json');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nINSERT INTO nope VALUES (1);' });
    const r = await runCli(['migrate', '--dir', dir, '--database-url', url, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'StatementError', file: '1_a.sql', line: 3, sqlstate: '42P01', version: 1 });
    const s = await runCli(['status', '--dir', dir, '--database-url', url, '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ command: 'status', migrations: [{ version: 1, name: 'a', status: 'pending' }] });
  });

  // Regression (helper): a failed migrate's JSON said only the error; the files it had committed were in the progress lines alone.
  it('a failed migrate --json names the files the run applied before the failure', async () => {
    const url = await freshDatabase(target, 'json_applied');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);', '3_c.sql': 'INSERT INTO nope VALUES (1);' });
    const r = await runCli(['migrate', '--dir', dir, '--database-url', url, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ command: 'migrate', error: 'StatementError', file: '3_c.sql', appliedBefore: ['1_a.sql', '2_b.sql'] });
  });

  // Regression (helper): a usage error's JSON had no command, and under --format github it was no annotation.
  it('a usage error is reported in the shape asked for: JSON with its command, a workflow annotation', async () => {
    const json = await runCli(['new', '--json'], { env: { DATABASE_URL: undefined } });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ command: 'new', error: 'UsageError', message: 'new needs an argument' });
    const github = await runCli(['new', '--format', 'github'], { env: { DATABASE_URL: undefined } });
    expect(github.code).toBe(2);
    expect(github.stdout).toBe('::error title=schemaguard new failed::new needs an argument\n');
    const none = await runCli(['--format=github'], { env: { DATABASE_URL: undefined } });
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('::error title=schemaguard failed::no command given\n');
  });

  it.each([
    [['migrate', '--lock-wait', 'forever'], '--lock-wait: bad duration "forever"'],
    [['migrate', '--dir', '/nonexistent/dir'], '/nonexistent/dir: cannot read the migrations directory (ENOENT)'],
    [['migrate', '--database-url', 'mysql://u:hunter2secret@h/db'], 'unsupported scheme "mysql:" in mysql://u:****@h/db'],
    [['migrate', '--database-url', 'postgres://u:hunter2secret@:bad port/db'], '--database-url: not a valid URL'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['migrat'], 'unknown command "migrat"\n  fix: did you mean migrate?'],
  ])('exits 2 on bad usage %j without echoing a password', async (argv, message) => {
    const r = await runCli([...argv, ...(argv.includes('--dir') ? [] : ['--dir', tempDir({ '1_a.sql': 'SELECT 1;' })])], { env: { DATABASE_URL: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr + r.stdout).not.toContain('hunter2secret');
  });

  it.each([
    ['frobnicate', '--json'],
    ['status', '--bogus', '--format', 'json'],
    ['status', '--json', '--lock-wait', '5'],
  ])('a usage error under --json (%j) is one JSON object on stdout, as every other error', async (...argv) => {
    const r = await runCli(argv, { env: { DATABASE_URL: undefined } });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'UsageError', message: expect.any(String), fix: expect.any(String) });
  });

  it('exits 1 on a wrong password and never prints it', async () => {
    const u = new URL(target.adminUrl);
    u.password = 'wrong-Pa55word-xyz';
    const r = await runCli(['migrate', '--dir', tempDir({ '1_a.sql': 'SELECT 1;' }), '--database-url', u.toString()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to postgres://postgres:****@127.0.0.1');
    expect(r.stderr).toContain('password authentication failed');
    expect(r.stderr).toContain('fix: check the user name and password');
    expect(r.stderr + r.stdout).not.toContain('wrong-Pa55word-xyz');
  });

  it("says so when the server asks for a password and the URL has none (pg's words were a SCRAM message, with a fix about reaching the server)", async () => {
    const u = new URL(target.adminUrl);
    u.password = '';
    const r = await runCli(['status', '--dir', tempDir({ '1_a.sql': 'SELECT 1;' }), '--database-url', u.toString()], { env: { PGPASSWORD: undefined } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to postgres://postgres@127.0.0.1');
    expect(r.stderr).toContain(': the server asks for a password and none was given');
    expect(r.stderr).toContain('fix: put the password in the URL, after the user name and a colon, percent-encoded; or in PGPASSWORD');
  });

  it('fails fast with a clear message when nothing listens', async () => {
    const started = Date.now();
    const r = await runCli(['status', '--dir', tempDir({ '1_a.sql': 'SELECT 1;' }), '--database-url', 'postgres://u:pw-xyz-123@127.0.0.1:1/db']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to postgres://u:****@127.0.0.1:1/db');
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
