import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../support/db';
import { runCli } from '../../support/cli';
import { catalogFingerprint } from '../../support/catalog-fingerprint';
import { addFile, tempDir } from '../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;

describe(`CLI: schemaguard on ${target.name}`, () => {
  it('plan writes nothing — not even the state table — and runs on a read-only connection', async () => {
    const url = await freshDatabase(target, 'plan');
    await withClient(url, (c) => c.query('CREATE TABLE existing (id int); INSERT INTO existing VALUES (1)'));
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_idx.sql': '-- schemaguard:no-transaction\n-- schemaguard:lock-timeout=2s\nCREATE INDEX CONCURRENTLY i ON a (id);' });
    const before = await catalogFingerprint(url);
    const readOnly = `${url}?options=${encodeURIComponent('-c default_transaction_read_only=on')}`;

    const r = await runCli(['plan', '--dir', dir, '--database-url', readOnly]);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 pending of 2');
    expect(r.stdout).toMatch(/1\s+1\s+1_a\.sql\s+1/);
    expect(r.stdout).toContain('no-transaction, lock-timeout=2s');
    expect(await catalogFingerprint(url)).toBe(before);
    expect(await rows(url, "SELECT to_regnamespace('schemaguard') AS s")).toEqual([{ s: null }]);
  });

  it('migrate prints a progress line per migration and a summary; status shows the table', async () => {
    const url = await freshDatabase(target, 'progress');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);' });

    const m = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    addFile(dir, '3_c.sql', 'CREATE TABLE c (id int);');
    const s = await runCli(['status', '--dir', dir, '--database-url', url]);

    expect(m.code).toBe(0);
    expect(m.stderr).toMatch(/applied 1_a\.sql\s+\d+ ms/);
    expect(m.stderr).toMatch(/applied 2_b\.sql\s+\d+ ms/);
    expect(m.stdout).toMatch(/^applied 2 migrations in \d+ ms \(\d+ ms in SQL\); version 2, 2 applied/);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/version\s+name\s+status\s+applied at\s+checksum/);
    expect(s.stdout).toMatch(/1\s+a\s+applied\s+\d{4}-\d\d-\d\d/);
    expect(s.stdout).toMatch(/3\s+c\s+pending/);
    expect(s.stdout).toContain('2 applied, 1 pending, 0 changed, 0 unknown; version 2');
  });

  it('--json prints one object for results and for errors', async () => {
    const url = await freshDatabase(target, 'json');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nINSERT INTO nope VALUES (1);' });
    const r = await runCli(['migrate', '--dir', dir, '--database-url', url, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'StatementError', file: '1_a.sql', line: 3, sqlstate: '42P01', version: 1 });
    const s = await runCli(['status', '--dir', dir, '--database-url', url, '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ command: 'status', migrations: [{ version: 1, name: 'a', status: 'pending' }] });
  });

  it('exits 1 when an applied file changed, naming the file and both checksums', async () => {
    const url = await freshDatabase(target, 'changed');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    await runCli(['migrate', '--dir', dir, '--database-url', url]);
    addFile(dir, '1_a.sql', 'CREATE TABLE a (id int, x int);');
    const r = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: 1_a\.sql was changed after it was applied: applied checksum [0-9a-f]{12}, file checksum [0-9a-f]{12}; nothing was run/);
    expect(r.stderr).toContain('fix: restore the file as it was applied');
  });

  it('exits 1 with a readable error carrying the line, SQLSTATE, detail', async () => {
    const url = await freshDatabase(target, 'readable');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int NOT NULL);\n\nINSERT INTO a VALUES (NULL);' });
    const r = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: 1_a.sql:3: null value in column "id" of relation "a" violates not-null constraint');
    expect(r.stderr).toContain('sqlstate: 23502');
    expect(r.stderr).toContain('statement: INSERT INTO a VALUES (NULL)');
  });

  it.each([
    ['duplicate versions', { '1_a.sql': 'SELECT 1;', '01_b.sql': 'SELECT 1;' }, 'duplicate version 1: 01_b.sql and 1_a.sql'],
    ['a bad name', { 'add_index.sql': 'SELECT 1;' }, 'add_index.sql: file name does not match <version>_<name>.sql'],
    ['an empty file', { '1_empty.sql': '\n-- nothing\n' }, '1_empty.sql: has no SQL statements'],
    ['non-UTF-8 bytes', { '1_latin.sql': Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xff, 0x27, 0x3b]) }, '1_latin.sql:1: not valid UTF-8'],
    ['CONCURRENTLY in a transactional file', { '1_i.sql': 'CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);' }, '1_i.sql:2: CONCURRENTLY cannot run inside a transaction'],
    ['its own COMMIT', { '1_c.sql': 'CREATE TABLE t (a int);\nCOMMIT;' }, '1_c.sql:2: COMMIT inside a transactional migration'],
    ['an unterminated dollar quote', { '1_d.sql': 'DO $$ BEGIN\n  PERFORM 1;\n' }, '1_d.sql:1: unterminated dollar-quoted string $$'],
    ['a bad directive value', { '1_t.sql': '-- schemaguard:lock-timeout=soon\nSELECT 1;' }, '1_t.sql:1: schemaguard:lock-timeout has a bad duration "soon"'],
  ])('exits 2 on %s, names the file, and leaves the database untouched', async (_label, files, message) => {
    const url = await freshDatabase(target, 'badinput');
    const before = await catalogFingerprint(url);
    const r = await runCli(['migrate', '--dir', tempDir(files as Record<string, string | Uint8Array>), '--database-url', url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${message}`);
    expect(r.stderr).toContain('fix: ');
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it.each([
    [['migrate', '--lock-wait', 'forever'], '--lock-wait: bad duration "forever"'],
    [['migrate', '--dir', '/nonexistent/dir'], '/nonexistent/dir: cannot read the migrations directory (ENOENT)'],
    [['migrate', '--database-url', 'mysql://u:hunter2secret@h/db'], 'unsupported scheme "mysql:" in mysql://u:****@h/db'],
    [['migrate', '--database-url', 'postgres://u:hunter2secret@:bad port/db'], '--database-url: not a valid URL'],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('exits 2 on bad usage %j without echoing a password', async (argv, message) => {
    const r = await runCli([...argv, ...(argv.includes('--dir') ? [] : ['--dir', tempDir({ '1_a.sql': 'SELECT 1;' })])], { env: { DATABASE_URL: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr + r.stdout).not.toContain('hunter2secret');
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

  it('fails fast with a clear message when nothing listens', async () => {
    const started = Date.now();
    const r = await runCli(['status', '--dir', tempDir({ '1_a.sql': 'SELECT 1;' }), '--database-url', 'postgres://u:pw-xyz-123@127.0.0.1:1/db']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to postgres://u:****@127.0.0.1:1/db');
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
