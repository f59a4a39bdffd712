/** `schemaguard migrate` through the real executable. */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../support/cli';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { dropDatabases, freshDatabase, targets } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;

describe(`CLI: schemaguard migrate on ${target.name}`, () => {
  it('migrate prints a progress line per migration and a summary', async () => {
    const url = await freshDatabase(target, 'progress');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);' });

    const m = await runCli(['migrate', '--dir', dir, '--database-url', url]);

    expect(m.code).toBe(0);
    expect(m.stderr).toMatch(/applied 1_a\.sql\s+\d+ ms/);
    expect(m.stderr).toMatch(/applied 2_b\.sql\s+\d+ ms/);
    expect(m.stdout).toMatch(/^applied 2 migrations in \d+ ms \(\d+ ms in SQL\); version 2, 2 applied/);
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
});
