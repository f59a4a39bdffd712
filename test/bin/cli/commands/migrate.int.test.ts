/** `schemaguard migrate` through the real executable in the first test, in process (`runCliInProcess`, the same `main`) in the others. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../../../support/cli';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { main } from '../../../../bin/cli/main';
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
    await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    addFile(dir, '1_a.sql', 'CREATE TABLE a (id int, x int);');
    const r = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: 1_a\.sql was changed after it was applied: applied checksum [0-9a-f]{12}, file checksum [0-9a-f]{12}; nothing was run/);
    expect(r.stderr).toContain(
      `fix: restore the file as it was applied (git log -p -- ${join(dir, '1_a.sql')}) and put a change that must run in a new migration (schemaguard new NAME); `,
    );
    // Regression (newcomer): the fix offered valid-checksum and repair for a change that had to run; both record it without running it.
    expect(r.stderr).toContain('valid-checksum and repair record the new text as applied WITHOUT running it');
  });

  it('exits 1 with a readable error carrying the line, SQLSTATE, detail', async () => {
    const url = await freshDatabase(target, 'readable');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int NOT NULL);\n\nINSERT INTO a VALUES (NULL);' });
    const r = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: 1_a.sql:3: null value in column "id" of relation "a" violates not-null constraint');
    expect(r.stderr).toContain('sqlstate: 23502');
    expect(r.stderr).toContain('statement: INSERT INTO a VALUES (NULL)');
  });

  it('after a failed migration, says where the run stopped, that the file was rolled back, what it applied before and what is still pending', async () => {
    // Regression (newcomer): a failed run printed the error alone; the applied and pending counts were only in --json.
    const url = await freshDatabase(target, 'stopped');
    const dir = tempDir({
      '1_a.sql': 'CREATE TABLE a (id int NOT NULL);',
      '2_b.sql': 'CREATE TABLE b (id int);\nINSERT INTO a VALUES (NULL);',
      '3_c.sql': 'CREATE TABLE c (id int);',
    });
    const r = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'migrate stopped at 2_b.sql: rolled back, nothing of it applied; 1 migration applied before it by this run stays applied, 2 still pending (2_b.sql included)',
    );
    expect(await rows(url, "SELECT to_regclass('b') AS b, to_regclass('a')::text AS a")).toEqual([{ b: null, a: 'a' }]);
  });

  // Regression: a no-transaction file whose first statement failed said "see the fix below", and no fix followed (one exists only when a statement committed before).
  it('a no-transaction file that fails: says whether any of its statements committed, and promises no fix that is not there', async () => {
    const url = await freshDatabase(target, 'stopped_notx');
    const dup = "CREATE TABLE roles (schemeid text); INSERT INTO roles VALUES ('a'), ('a');";
    const first = tempDir({ '1_a.sql': dup, '2_idx.sql': '-- schemaguard:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY i ON roles (schemeid);' });
    const r = await runCliInProcess(['migrate', '--dir', first, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'migrate stopped at 2_idx.sql: not recorded, and nothing of it applied by this run (it runs outside a transaction, and no statement of it committed before the one that failed); 1 migration applied before it by this run stays applied, 1 still pending (2_idx.sql included)',
    );
    expect(r.stderr).not.toContain('see the fix below');
    const later = tempDir({
      '1_a.sql': dup,
      '2_idx.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY j ON roles (schemeid);\nCREATE UNIQUE INDEX CONCURRENTLY i ON roles (schemeid);',
    });
    const again = await runCliInProcess(['migrate', '--dir', later, '--database-url', url]);
    expect(again.stderr).toContain(
      'migrate stopped at 2_idx.sql: not recorded, though line 2 committed and stays applied (it runs outside a transaction): the next run starts again from its first line; 0 migrations applied before it',
    );
    expect(again.stderr).toContain('fix: line 2 of this no-transaction file committed before it and stays applied');
  });

  it('a file the server refuses whole (a syntax error: nothing of it ran) fails with its line and no note about the rollback', async () => {
    const url = await freshDatabase(target, 'syntax');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\nCREATE TABLEX b (id int);\n' });
    const r = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: 1_a.sql:2: syntax error at or near "TABLEX"');
    expect(r.stderr).toContain('sqlstate: 42601');
    // The ROLLBACK after it finds no transaction (BEGIN never ran): the server's warning about that is not the user's news.
    expect(r.stdout + r.stderr).not.toMatch(/note:|no transaction in progress/);
    expect(await rows(url, "SELECT to_regclass('a') AS a")).toEqual([{ a: null }]);
  });

  it.each([
    ['duplicate versions', { '1_a.sql': 'SELECT 1;', '01_b.sql': 'SELECT 1;' }, 'duplicate version 1: 01_b.sql and 1_a.sql'],
    ['a bad name', { 'add_index.sql': 'SELECT 1;' }, 'add_index.sql: file name does not match <version>_<name>.sql'],
    ['non-UTF-8 bytes', { '1_latin.sql': Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xff, 0x27, 0x3b]) }, '1_latin.sql:1: not valid UTF-8'],
    [
      'CONCURRENTLY in a transactional file',
      { '1_i.sql': 'CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);' },
      '1_i.sql:2: CONCURRENTLY cannot run inside a transaction',
    ],
    ['its own COMMIT', { '1_c.sql': 'CREATE TABLE t (a int);\nCOMMIT;' }, '1_c.sql:2: COMMIT inside a transactional migration'],
    ['an unterminated dollar quote', { '1_d.sql': 'DO $$ BEGIN\n  PERFORM 1;\n' }, '1_d.sql:1: unterminated dollar-quoted string $$'],
    ['a bad directive value', { '1_t.sql': '-- schemaguard:lock-timeout=soon\nSELECT 1;' }, '1_t.sql:1: schemaguard:lock-timeout has a bad duration "soon"'],
  ])('exits 2 on %s, names the file, and leaves the database untouched', async (_label, files, message) => {
    const url = await freshDatabase(target, 'badinput');
    const before = await catalogFingerprint(url);
    const r = await runCliInProcess(['migrate', '--dir', tempDir(files as Record<string, string | Uint8Array>), '--database-url', url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${message}`);
    expect(r.stderr).toContain('fix: ');
    expect(await catalogFingerprint(url)).toBe(before);
  });
});

describe(`CLI: schemaguard migrate reads its files while it connects, on ${target.name}`, () => {
  it('refuses a bad file with exit 2, sends nothing, and closes the connection it opened meanwhile', async () => {
    const url = await freshDatabase(target, 'early_bad');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_bad.sql': "SELECT 'open;\n" });
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env: { SCHEMAGUARD_APPLIED_BY: 'test' } };

    const code = await main(['migrate', '--dir', dir, '--database-url', url], io);

    expect(code).toBe(2);
    expect(out.join('\n')).toContain('2_bad.sql:1: unterminated quoted string');
    expect(await rows(url, "SELECT 1 FROM pg_namespace WHERE nspname = 'schemaguard'")).toEqual([]);
    expect(await rows(url, "SELECT 1 FROM pg_tables WHERE tablename = 'a'")).toEqual([]);
    // The session it opened is gone (the server ends it on reading the goodbye, a moment later).
    let left: unknown[] = [];
    for (let k = 0; k < 50; k++) {
      left = await rows(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'schemaguard'");
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toEqual([]);
  });

  it('applies and reports the same with the connection made while reading', async () => {
    const url = await freshDatabase(target, 'early_ok');
    const dir = tempDir(Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`${k + 1}_t${k + 1}.sql`, `CREATE TABLE t${k + 1} (id int);`])));
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: () => undefined, env: { SCHEMAGUARD_APPLIED_BY: 'test' } };

    expect(await main(['migrate', '--dir', dir, '--database-url', url], io)).toBe(0);
    expect(out.at(-1)).toMatch(/^applied 30 migrations in \d+ ms \(\d+ ms in SQL\); version 30, 30 applied$/);
    expect(await main(['status', '--dir', dir, '--database-url', url, '--exit-code'], io)).toBe(0);
  });

  it('with nothing pending, needs one connection slot: the applying connection is never opened', async () => {
    const url = await freshDatabase(target, 'one_slot');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const io = { out: () => undefined, err: () => undefined, env: { SCHEMAGUARD_APPLIED_BY: 'test' } };
    expect(await main(['migrate', '--dir', dir, '--database-url', url], io)).toBe(0);
    const role = `one_slot_${randomBytes(3).toString('hex')}`;
    await withClient(url, (c) =>
      c.query(
        `CREATE ROLE ${role} LOGIN PASSWORD 'one-slot-pw' CONNECTION LIMIT 1; GRANT USAGE ON SCHEMA schemaguard TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA schemaguard TO ${role}`,
      ),
    );
    const u = new URL(url);
    u.username = role;
    u.password = 'one-slot-pw';
    const out: string[] = [];

    const code = await main(['migrate', '--dir', dir, '--database-url', u.href], { ...io, out: (t: string) => out.push(t), err: (t: string) => out.push(t) });

    expect(out.join('\n')).toMatch(/up to date: version 1, 1 applied/);
    expect(code).toBe(0);
  });

  // Regression (newcomer): a --dir without migration files said "up to date: version none" and nothing else; 0005_add_phone (no .sql) was skipped without a word.
  it('migrate, status and plan warn of a --dir without migration files (exit 0), and name the files skipped for lack of .sql', async () => {
    const url = await freshDatabase(target, 'no_files');
    const empty = tempDir({ 'README.md': '# migrations', '0005_add_phone': 'ALTER TABLE t ADD COLUMN phone text;', '6_notes.txt': 'x' });

    const runs = [
      await runCliInProcess(['migrate', '--quiet', '--dir', empty, '--database-url', url]),
      await runCliInProcess(['status', '--exit-code', '--dir', empty, '--database-url', url]),
      await runCliInProcess(['plan', '--dir', empty, '--database-url', url]),
    ];

    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        `warning: no migration files in ${empty}/ (a migration is <version>_<name>.sql, e.g. 0001_create_users.sql; schemaguard new NAME makes one)\n`,
      );
      expect(r.stderr).toContain(
        `note: ${empty}/: skipped 0005_add_phone, 6_notes.txt: named like migrations, but only <version>_<name>.sql files are read (rename to .sql to apply)\n`,
      );
    }
    expect(runs[0]!.stdout).toMatch(/^up to date: version none/);

    const some = tempDir({ '1_a.sql': 'SELECT 1;' });
    const ok = await runCliInProcess(['migrate', '--quiet', '--dir', some, '--database-url', url]);
    expect(ok.stderr).toBe('');
  });

  // Regression (tester): Flyway's V2__idx.sql.conf (executeInTransaction=false) beside the files was ignored without a word.
  it("notes Flyway's per-script configuration, which it does not read, naming the directive for executeInTransaction=false", async () => {
    const url = await freshDatabase(target, 'script_conf');
    const dir = tempDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_idx.sql': 'CREATE INDEX a_id ON a (id);',
      '2_idx.sql.conf': '# Flyway\nexecuteInTransaction = false\n',
      '1_a.sql.conf': 'encoding=UTF-8\n',
    });

    const r = await runCliInProcess(['migrate', '--quiet', '--dir', dir, '--database-url', url]);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      `note: ${dir}/: 1_a.sql.conf, 2_idx.sql.conf: Flyway's per-script configuration, which schemaguard does not read; executeInTransaction=false there is schemaguard's no-transaction directive: put -- schemaguard:no-transaction on the first line of 2_idx.sql (docs guide/migration-files#directives)\n`,
    );
    const other = tempDir({ '1_a.sql': 'SELECT 1;', '1_a.sql.conf': 'encoding=UTF-8\n' });
    expect((await runCliInProcess(['plan', '--dir', other, '--database-url', url])).stderr).toContain(
      `note: ${other}/: 1_a.sql.conf: Flyway's per-script configuration, which schemaguard does not read; for executeInTransaction=false, put -- schemaguard:no-transaction on the first line of the script instead`,
    );
  });

  // Regression (review): .sql files in subfolders (Flyway reads its locations recursively) were not read, without a word: "up to date".
  it('migrate, status and plan warn once of .sql files in subfolders (exit 0), naming the folders, the count and the fix; they are not applied', async () => {
    const url = await freshDatabase(target, 'subfolders');
    const dir = tempDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      'archive/2_b.sql': 'CREATE TABLE b (id int);',
      'archive/old/3_c.sql': 'SELECT 1;',
      'v2/4_d.sql': 'SELECT 1;',
      'v2/notes.md': 'x',
      '.git/x.sql': 'x',
      'empty/readme.txt': 'x',
    });

    const runs = [
      await runCliInProcess(['migrate', '--quiet', '--dir', dir, '--database-url', url]),
      await runCliInProcess(['status', '--dir', dir, '--database-url', url]),
      await runCliInProcess(['plan', '--dir', dir, '--database-url', url]),
    ];

    const warning = `warning: ${dir}/: 3 .sql files in subfolders are not read: archive/ (2 .sql files), v2/ (1 .sql file); schemaguard reads only the files directly in ${dir}/ (subfolders are not searched): move them up into ${dir}/ as <version>_<name>.sql, or point --dir at the folder that holds them\n`;
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.split(warning)).toHaveLength(2);
    }
    expect(await rows(url, "SELECT to_regclass('b')::text AS b")).toEqual([{ b: null }]);
  });

  // Regression (exploratory tester): golang-migrate's 000001_init.up.sql ran as "init.up", without a word about the name.
  it("migrate notes golang-migrate's .up in a file name and the name without it, and runs the file", async () => {
    const url = await freshDatabase(target, 'up_files');
    const dir = tempDir({ '000001_init.up.sql': 'CREATE TABLE t (id int);' });

    const r = await runCliInProcess(['migrate', '--quiet', '--dir', dir, '--database-url', url]);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      `note: ${dir}/: 000001_init.up.sql keeps golang-migrate's .up in the name (000001_init.sql reads better): rename while no database has applied it (a database records the name)\n`,
    );
    expect(await rows(url, "SELECT to_regclass('public.t')::text AS t")).toEqual([{ t: 't' }]);
  });
});

describe.each(targets)('CLI: a password in a failing statement on $name', (t) => {
  // Regression (tester): ALTER ROLE nosuchrole PASSWORD 'S3cretPW' was printed whole in "statement:", --json's statement and plan's table.
  it('migrate (text and --json) and plan mask the password of a failing ALTER/CREATE ROLE, and where the server repeats an unquoted one', async () => {
    const url = await freshDatabase(t, 'pw_statement');
    const cases: Array<[string, string]> = [
      ["ALTER ROLE nosuchrole\n  ENCRYPTED PASSWORD 'S3cretPW';\n", 'role "nosuchrole" does not exist'],
      ['CREATE ROLE pw_app PASSWORD S3cretPW;\n', 'syntax error at or near "****"'],
      ["ALTER ROLE nosuchrole PASSWORD E'S3cret\\'PW';\n", 'role "nosuchrole" does not exist'],
      ["CREATE USER MAPPING FOR nosuchrole SERVER nosrv OPTIONS (user 'x', password $p$S3cretPW$p$);\n", 'does not exist'],
      // Regression: of two literals after PASSWORD only the first was masked; the server's syntax error repeats the second.
      ["CREATE ROLE pw_app LOGIN PASSWORD 'S3cretOne' 'S3cretTwo';\n", 'syntax error at or near "\'****\'"'],
      // Two literals on two lines are one to PostgreSQL ('S3cretOne' 'S3cretTwo' joined).
      ["ALTER ROLE nosuchrole PASSWORD 'S3cretOne'\n  'S3cretTwo';\n", 'role "nosuchrole" does not exist'],
      ["ALTER ROLE nosuchrole PASSWORD /* rotated */ 'S3cretPW';\n", 'role "nosuchrole" does not exist'],
      ["ALTER ROLE nosuchrole PASSWORD'S3cretPW';\n", 'role "nosuchrole" does not exist'],
      // Regression: without a space, the second literal (which the server's syntax error repeats) and a user mapping's password behind a comment were shown whole.
      ["CREATE ROLE pw_app LOGIN PASSWORD'S3cretOne' 'S3cretTwo';\n", 'syntax error at or near "\'****\'"'],
      ["CREATE /* reports */ USER MAPPING FOR nosuchrole SERVER nosrv OPTIONS (user 'x', password'S3cretPW');\n", 'does not exist'],
    ];
    // The masking is the CLI's, the same on every server: each server runs the cases where its own message repeats a
    // literal (its syntax errors, the part that depends on the server) and its share of the others (three CLI runs a case).
    const serverRepeats = ([, message]: [string, string]) => message.startsWith('syntax error');
    const share = (c: [string, string], k: number) => serverRepeats(c) || k % targets.length === targets.indexOf(t);
    for (const [sql, message] of cases.filter(share)) {
      const dir = tempDir({ '1_role.sql': sql });
      const text = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
      const json = await runCliInProcess(['migrate', '--json', '--dir', dir, '--database-url', url]);
      const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);

      expect(text.code, text.stderr).toBe(1);
      expect(text.stderr).toContain(message);
      expect(text.stderr).toMatch(/statement: .*PASSWORD\s*(\/\* rotated \*\/ )?(E'\*\*\*\*'|'\*\*\*\*'|\*\*\*\*|\$p\$\*\*\*\*\$p\$)/i);
      expect(JSON.parse(json.stdout).statement).toMatch(/PASSWORD\s*(\/\* rotated \*\/ )?(E'\*\*\*\*'|'\*\*\*\*'|\*\*\*\*|\$p\$\*\*\*\*\$p\$)/i);
      for (const out of [text.stdout + text.stderr, json.stdout + json.stderr, plan.stdout + plan.stderr]) expect(out).not.toContain('S3cret');
    }
  });
});
