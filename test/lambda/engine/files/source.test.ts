import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksum } from '../../../../lambda/engine/files/checksum';
import { InputError } from '../../../../lambda/engine/errors/errors';
import { pipelinable } from '../../../../lambda/engine/apply/apply-pipeline';
import {
  bodyBatches,
  IN_MEMORY_BYTES,
  isEmptyMigration,
  loadMigrations,
  MAX_FILE_BYTES,
  parseMigration,
  parseNow,
  readMigrationText,
  runsOutsideTransaction,
  validateMigrationText,
} from '../../../../lambda/engine/files/source';
import { splitSql } from '../../../../lambda/engine/sql/splitter';
import { addFile, tempDir } from '../../../support/files';

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('Function: loadMigrations', () => {
  it('orders files by numeric version, not by name', () => {
    const dir = tempDir({ '10_ten.sql': 'SELECT 10;', '2_two.sql': 'SELECT 2;', '001_one.sql': 'SELECT 1;', 'README.md': 'not sql' });
    expect(loadMigrations(dir).map((m) => [m.version, m.name])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [10, 'ten'],
    ]);
  });

  // Regression: Prisma's layout was read as no migration at all, and migrate said "up to date".
  it("refuses a folder named like a migration with SQL in it (Prisma's <version>_<name>/migration.sql), naming the move", () => {
    const dir = tempDir({
      '20240101120000_init/migration.sql': 'CREATE TABLE a (id int);',
      '20240202120000_add/migration.sql': 'SELECT 1;',
      'migration_lock.toml': 'provider = "postgresql"',
    });
    // Read as flat (named: Prisma's folder is otherwise detected and read as Prisma's).
    const e = inputError(() => loadMigrations(dir, { layout: 'flat' }));
    expect(e.message).toBe(
      `${dir}/20240101120000_init/migration.sql: a migration in a folder of its own (Prisma's layout, <version>_<name>/migration.sql); the flat layout reads the .sql files directly in ${dir}`,
    );
    expect(e.fix).toContain(`mv ${dir}/20240101120000_init/migration.sql ${dir}/20240101120000_init.sql`);
    // Other folders, one named like a version without SQL in it, and an archive of old files are left alone; Diesel's up.sql is not.
    expect(
      loadMigrations(
        tempDir({ '1_a.sql': 'SELECT 1;', 'archive/old.sql': 'SELECT 0;', '2_notes/README.md': 'x', '0001_archive/0001_old.sql': 'SELECT 0;' }),
      ).map((m) => m.file),
    ).toEqual(['1_a.sql']);
    expect(() => loadMigrations(tempDir({ '2023-01-01-000000_init/up.sql': 'SELECT 1;' }))).toThrow(/a migration in a folder of its own/);
  });

  // Regression (helper): a directory named 1_dir.sql was skipped without a word.
  it('refuses a directory named like a migration file', () => {
    const dir = tempDir({ '1_a.sql': 'SELECT 1;', '2_dir.sql/notes.txt': 'x' });
    const e = inputError(() => loadMigrations(dir));
    expect(e.message).toBe(`${dir}/2_dir.sql: a directory named like a migration file; schemaguard applies files`);
    expect(e.exitCode).toBe(2);
  });

  it('refuses duplicate versions naming both files', () => {
    const e = inputError(() => loadMigrations(tempDir({ '3_a.sql': 'SELECT 1;', '003_b.sql': 'SELECT 2;' })));
    expect(e.message).toBe('duplicate version 3: 003_b.sql and 3_a.sql');
    expect(e.exitCode).toBe(2);
    // Regression (newcomer): the fix said "the next free version number" without naming it.
    const f = inputError(() =>
      loadMigrations(tempDir({ '0001_a.sql': 'SELECT 1;', '0002_b.sql': 'SELECT 1;', '0002_c.sql': 'SELECT 2;', '0009_d.sql': 'SELECT 3;' })),
    );
    expect(f.fix).toBe(
      'give 0002_c.sql the next free version number, 10: rename it to 0010_c.sql (or, if 0002_c.sql is the one a database already applied, 0002_b.sql to 0010_b.sql)',
    );
  });

  it.each(['x_1.sql', 'V1__a b.sql'])('refuses the file name %j', (name) => {
    const e = inputError(() => loadMigrations(tempDir({ [name]: 'SELECT 1;' })));
    expect(e.file).toBe(name);
    expect(e.message).toContain('does not match <version>_<name>.sql');
    expect(e.fix).toContain('0004_add_lead_index.sql');
  });

  // Regression (newcomer): an upper-case extension or a dashed name got the general rule, not the name to give the file.
  it.each([
    ['0005_add_phone.SQL', '0005_add_phone.sql'],
    ['5-add-phone.sql', '5_add_phone.sql'],
    ['1-x.sql', '1_x.sql'],
    ['1_a b.sql', '1_a_b.sql'],
    ['0007_add-col.Sql', '0007_add-col.sql'],
    ['12 - notes.sql', '12_notes.sql'],
  ])('refuses the file name %j, with the exact rename %j', (name, renamed) => {
    const e = inputError(() => loadMigrations(tempDir({ [name]: 'SELECT 1;' })));
    expect(e.message).toBe(`${name}: file name does not match <version>_<name>.sql`);
    expect(e.fix).toBe(`rename it to ${renamed}: mv ${/ /.test(name) ? `'${name}'` : name} ${renamed} (git mv, the same arguments, for a file git tracks)`);
  });

  // Regression (tester): 0004.sql was told to become 000_4.sql (version 0), 20240101120000.sql 2024010112000_0.sql (another order).
  it.each([
    ['0004.sql', '0004'],
    ['20240101120000.sql', '20240101120000'],
    ['1_.sql', '1'],
    ['0007 - .SQL', '0007'],
  ])('refuses %j, a version without a name, keeping the version %j and offering no git mv', (name, version) => {
    const e = inputError(() => loadMigrations(tempDir({ [name]: 'SELECT 1;' })));
    expect(e.message).toBe(`${name}: file name does not match <version>_<name>.sql`);
    expect(e.fix).toBe(`add a name after an underscore, e.g. ${version}_describe_change.sql (the version, ${version}, kept as it is)`);
  });

  // Regression (tester): the printed git mv did not quote a name with a space (the shell read three names).
  it.each([
    ['0002_add users.sql', "mv '0002_add users.sql' 0002_add_users.sql"],
    ["3 it's.sql", "mv '3 it'\\''s.sql' 3_it_s.sql"],
  ])('quotes the printed command for %j', (name, command) => {
    const e = inputError(() => loadMigrations(tempDir({ [name]: 'SELECT 1;' })));
    expect(e.fix).toContain(`: ${command} (git mv, the same arguments, for a file git tracks)`);
  });

  // Migration files guide: a UTF-8 byte order mark is dropped before the checksum and before the text is sent, as CRLF line endings are.
  it('drops a UTF-8 byte order mark: the same text and checksum as the file without it', () => {
    const [withMark] = loadMigrations(tempDir({ '1_a.sql': Buffer.from('\ufeffSELECT 1;\r\n', 'utf8') }));
    const [without] = loadMigrations(tempDir({ '1_a.sql': 'SELECT 1;\n' }));
    expect(withMark!.checksum).toBe(checksum('SELECT 1;\n'));
    expect(withMark!.checksum).toBe(without!.checksum);
    expect(withMark!.statements.map((st) => st.text)).toEqual(['SELECT 1']);
  });

  it.each([
    ['V1__x.sql', '1_x.sql'],
    ['v0042__add_index.v2.sql', '0042_add_index.v2.sql'],
  ])("refuses Flyway's name %j, with the name that keeps its number", (name, renamed) => {
    const e = inputError(() => loadMigrations(tempDir({ [name]: 'SELECT 1;' })));
    expect(e.message).toBe(`${name}: file name does not match <version>_<name>.sql`);
    expect(e.fix).toBe(`rename it to ${renamed} (Flyway's V<version>__<name>.sql, with the number kept)`);
  });

  it.each([
    "SET standard_conforming_strings TO 'off';",
    'SET SESSION standard_conforming_strings = false;',
    "SELECT pg_catalog.set_config('standard_conforming_strings', 'off', false);",
    // Regression: these forms got past the refusal (the server then read the strings after them with backslash escapes, unlike psql).
    'SET "standard_conforming_strings" = off;',
    'SET standard_conforming_strings = "off";',
    'SET Standard_Conforming_Strings = /* legacy */ off;',
    'SET LOCAL standard_conforming_strings TO 0;',
    "SELECT set_config('standard_conforming_strings'::text, 'off', false);",
    "SELECT set_config('standard_conforming_strings', $$off$$, false);",
    "SELECT set_config('standard_conforming_strings', current_setting('app.legacy'), false);",
    // Regression: set off in a DO block, or through pg_settings, it got past the refusal (and does the same).
    "DO $$ BEGIN EXECUTE 'SET standard_conforming_strings = off'; END $$;",
    "DO $body$ BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END $body$;",
    'DO LANGUAGE plpgsql $$ BEGIN IF true THEN SET standard_conforming_strings TO off; END IF; END $$;',
    "DO 'BEGIN EXECUTE ''SET LOCAL standard_conforming_strings = off''; END';",
    "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings';",
    "update pg_catalog.pg_settings set setting = 'off' where name in ('standard_conforming_strings');",
    'UPDATE "pg_catalog"."pg_settings" SET setting = \'off\' WHERE name = \'standard_conforming_strings\';',
    "DO LANGUAGE 'plpgsql' $$ BEGIN SET standard_conforming_strings = off; END $$;",
  ])('refuses %j with its line: the server reads a whole message with the setting as before, psql one statement at a time', (sql) => {
    const e = inputError(() => parseMigration('5_dump.sql', `CREATE TABLE t (v text);\n${sql}\nINSERT INTO t VALUES ('C:\\\\dir');`));
    expect(e.message).toBe('5_dump.sql:2: standard_conforming_strings set off: the statements after it would not be read as psql reads them');
    expect(e.fix).toContain("E'…'");
  });

  it('takes standard_conforming_strings set on, and COPY … TO STDOUT', () => {
    expect(parseMigration('5_dump.sql', 'SET standard_conforming_strings = on;\nCOPY t TO STDOUT;').statements).toHaveLength(2);
  });

  it.each([
    'SET "standard_conforming_strings" TO DEFAULT;',
    "SELECT set_config('standard_conforming_strings'::text, $$on$$, false);",
    "SELECT 'standard_conforming_strings = off' AS note;",
    'SHOW standard_conforming_strings;',
    'ALTER DATABASE app SET standard_conforming_strings = off;',
    "DO $$ BEGIN RAISE NOTICE 'standard_conforming_strings = off'; END $$;",
    "DO $$ BEGIN EXECUTE 'SET standard_conforming_strings = on'; END $$;",
    "UPDATE pg_settings SET setting = 'on' WHERE name = 'standard_conforming_strings';",
  ])('takes %j: it leaves the setting on in the session', (sql) => {
    expect(parseMigration('5_dump.sql', sql).statements).toHaveLength(1);
  });

  it('refuses COPY … FROM STDIN at its line, before the data lines that follow it (they read as a psql meta-command, or a string left open)', () => {
    for (const data of ['1\tx\n\\.\n', "1,it's\n\\.\n"]) {
      const e = inputError(() => parseMigration('6_seed.sql', `CREATE TABLE t (a int, b text);\n\ncopy t (a, b) from STDIN with (format csv);\n${data}`));
      expect(e.message).toBe('6_seed.sql:3: COPY … FROM STDIN with its data in the file, as psql takes it, is not supported');
      expect(e.line).toBe(3);
    }
  });

  it('refuses non-UTF-8 bytes with the line and the bytes', () => {
    const bytes = Buffer.concat([Buffer.from("SELECT 1;\nSELECT '"), Buffer.from([0xe9]), Buffer.from("t';\n")]);
    const e = inputError(() => loadMigrations(tempDir({ '1_latin1.sql': bytes })));
    expect(e.message).toBe('1_latin1.sql:2: not valid UTF-8 (bytes 0xe9 0x74 0x27 0x3b at offset 18)');
    expect(e.fix).toBe('save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)');
  });

  // Regression (exploratory test): a file an editor saved as "Unicode" was told to convert from Latin-1.
  it.each([
    ['FF FE', 'utf-16le', 'utf16le'],
    ['FE FF', 'utf-16be', 'utf16be'],
  ] as const)('names UTF-16 when the file starts with its byte order mark %s', (mark, iconv, encoding) => {
    const text = Buffer.from('\uFEFFCREATE TABLE t (id int);\n', 'utf16le');
    const bytes = encoding === 'utf16le' ? text : Buffer.from(text).swap16();
    const e = inputError(() => loadMigrations(tempDir({ '1_unicode.sql': bytes })));
    expect(e.message).toMatch(/^1_unicode\.sql:1: not valid UTF-8 \(bytes 0x/);
    expect(e.fix).toBe(`the file is UTF-16 (it starts with the byte order mark ${mark}): save it as UTF-8 (e.g. iconv -f ${iconv} -t utf-8)`);
  });

  it('refuses a missing directory with the path and the fix', () => {
    const e = inputError(() => loadMigrations('/nonexistent/migrations'));
    expect(e.message).toContain('/nonexistent/migrations: cannot read the migrations directory (ENOENT)');
  });

  it('refuses a file over the size limit', () => {
    const e = inputError(() => loadMigrations(tempDir({ '1_big.sql': `SELECT '${'x'.repeat(2000)}';` }), { maxFileBytes: 1000 }));
    expect(e.message).toMatch(/^1_big\.sql: \d+ bytes is over the 1000-byte limit/);
  });
});

describe('Function: loadMigrations with deferParse', () => {
  const files = {
    '1_checked.sql': '-- schemaguard:lock-timeout=2s\nCREATE TABLE t (id int);\n-- schemaguard:check no rows\nSELECT 1 WHERE false;\n',
    '2_plain.sql': '-- schemaguard:allow volatile-default backfilled\nALTER TABLE t ADD COLUMN n int;\nINSERT INTO t VALUES (1);\n',
  };

  it('gives the same migrations as parsing at once: every field, and JSON', () => {
    const dir = tempDir(files);
    const eager = loadMigrations(dir);
    const deferred = loadMigrations(dir, { deferParse: true });
    const fields = (m: (typeof eager)[number]) => ({
      version: m.version,
      name: m.name,
      file: m.file,
      path: m.path,
      text: m.text,
      checksum: m.checksum,
      directives: m.directives,
      statements: m.statements,
      statementCount: m.statementCount,
      checks: m.checks,
      allowances: m.allowances,
    });
    expect(deferred.map(fields)).toEqual(eager.map(fields));
    expect(JSON.parse(JSON.stringify(deferred))).toEqual(JSON.parse(JSON.stringify(eager)));
    expect(deferred.map(pipelinable)).toEqual([false, true]); // a file with checks waits for them; the other goes whole
  });

  it('reads, hashes and names a file at load, and refuses its SQL only when it is parsed', () => {
    const [m] = loadMigrations(tempDir({ '7_open.sql': "SELECT 'never closed;\n" }), { deferParse: true });
    expect([m!.version, m!.checksum]).toEqual([7, checksum("SELECT 'never closed;\n")]);
    const e = inputError(() => parseNow(m!));
    expect(e.file).toBe('7_open.sql');
    expect(e.message).toContain('7_open.sql:1');
  });

  it('keeps what it parsed, and what is set on it', () => {
    const [m] = loadMigrations(tempDir(files), { deferParse: true });
    const statements = m!.statements;
    expect(m!.statements).toBe(statements);
    m!.checks = [];
    expect(m!.checks).toEqual([]);
    expect(m!.statementCount).toBe(1);
  });
});

describe('Function: parseMigration', () => {
  it('reads header directives and checks', () => {
    const m = parseMigration(
      '7_fix.sql',
      [
        '-- Adds a default.',
        '-- schemaguard:lock-timeout=2s',
        '-- schemaguard:statement-timeout=10m',
        'ALTER TABLE t ALTER COLUMN id SET DEFAULT gen_random_uuid();',
        '',
        '-- schemaguard:check every id has a default',
        "SELECT 1 FROM information_schema.columns WHERE column_default IS NULL AND column_name = 'id';",
        '-- schemaguard:check no nulls',
        'SELECT id FROM t WHERE id IS NULL',
      ].join('\n'),
    );
    expect(m.directives).toEqual({ noTransaction: false, lockTimeoutMs: 2000, statementTimeoutMs: 600_000 });
    expect(m.statements).toHaveLength(1);
    expect(m.checks.map((c) => [c.description, c.statement.line])).toEqual([
      ['every id has a default', 7],
      ['no nulls', 9],
    ]);
  });

  it('computes the checksum over LF-normalised text', () => {
    const lf = parseMigration('1_a.sql', 'SELECT 1;\nSELECT 2;\n');
    const crlf = parseMigration('1_a.sql', 'SELECT 1;\r\nSELECT 2;\r\n');
    expect(crlf.checksum).toBe(lf.checksum);
    expect(lf.checksum).toBe(checksum('SELECT 1;\nSELECT 2;\n'));
    expect(lf.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('allows CONCURRENTLY in a no-transaction file', () => {
    const m = parseMigration('2_idx.sql', '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);');
    expect(m.directives.noTransaction).toBe(true);
  });

  it('allows REFRESH MATERIALIZED VIEW CONCURRENTLY and a CONCURRENTLY inside a literal in a transactional file', () => {
    const m = parseMigration('2_mv.sql', "REFRESH MATERIALIZED VIEW CONCURRENTLY mv;\nCOMMENT ON TABLE t IS 'built CONCURRENTLY';");
    expect(m.statements).toHaveLength(2);
  });

  it('does not read directives inside a function body', () => {
    const m = parseMigration('3_fn.sql', 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n-- schemaguard:bogus\nSELECT 1\n$$;');
    expect(m.statements).toHaveLength(1);
  });

  // Regression (newcomer): "-- schemaguard:lock-timeout 5s" said bad duration "5s", a good duration.
  it.each([
    ['-- schemaguard:lock-timeout 5s', 'schemaguard:lock-timeout is missing the "=" before its value 5s', 'write the line as: -- schemaguard:lock-timeout=5s'],
    [
      '-- schemaguard:statement-timeout: 10m',
      'schemaguard:statement-timeout is missing the "=" before its value 10m',
      'write the line as: -- schemaguard:statement-timeout=10m',
    ],
    [
      '-- schemaguard:lock-timeout',
      'schemaguard:lock-timeout has no value',
      'write a number with a unit: 500ms, 5s, 2m, 1h (or 0 for none), e.g. -- schemaguard:lock-timeout=5s',
    ],
    [
      '-- schemaguard:lock-timeout soon',
      'schemaguard:lock-timeout has a bad duration "soon"',
      'write a number with a unit: 500ms, 5s, 2m, 1h (or 0 for none), e.g. -- schemaguard:lock-timeout=5s',
    ],
  ])('refuses %j naming what is wrong, with the line to write', (line, message, fix) => {
    const e = inputError(() => parseMigration('1_d.sql', `${line}\nSELECT 1;`));
    expect(e.message).toBe(`1_d.sql:1: ${message}`);
    expect(e.fix).toBe(fix);
    expect(e.line).toBe(1);
  });

  it.each([
    ['1_c.sql', 'CREATE INDEX CONCURRENTLY i ON t (a);', '1_c.sql:1: CONCURRENTLY cannot run inside a transaction'],
    ['1_b.sql', 'SELECT 1;\nBEGIN;\nSELECT 2;', '1_b.sql:2: BEGIN inside a transactional migration'],
    ['1_b.sql', 'SELECT 1;\nCOMMIT;', '1_b.sql:2: COMMIT inside a transactional migration'],
    ['1_b.sql', 'START TRANSACTION;', '1_b.sql:1: START TRANSACTION inside a transactional migration'],
    ['1_v.sql', 'VACUUM t;', '1_v.sql:1: VACUUM cannot run inside a transaction block'],
    [
      '1_do.sql',
      'SELECT 1;\nDO $$ BEGIN UPDATE t SET a = 1; ROLLBACK; END $$;',
      '1_do.sql:2: a DO block with COMMIT or ROLLBACK inside a transactional migration',
    ],
    ['1_v.sql', 'SELECT 1;\nCLUSTER;', '1_v.sql:2: CLUSTER cannot run inside a transaction block'],
    // Regression (tester): these ran, and failed with 25001 and no fix.
    [
      '1_s.sql',
      "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p;",
      '1_s.sql:1: CREATE SUBSCRIPTION cannot run inside a transaction block when it creates its replication slot',
    ],
    ['1_s.sql', 'SELECT 1;\nALTER DATABASE d SET TABLESPACE ts;', '1_s.sql:2: ALTER DATABASE SET TABLESPACE cannot run inside a transaction block'],
    [
      '1_s.sql',
      'ALTER SUBSCRIPTION s ADD PUBLICATION p2;',
      '1_s.sql:1: ALTER SUBSCRIPTION ADD PUBLICATION cannot run inside a transaction block with its refresh',
    ],
    ['1_s.sql', 'DISCARD ALL;', '1_s.sql:1: DISCARD ALL cannot run inside a transaction block'],
    ['1_c.sql', 'ALTER TABLE p\n  DETACH PARTITION p1 CONCURRENTLY;', '1_c.sql:2: CONCURRENTLY cannot run inside a transaction'],
    ['1_d.sql', 'SELECT 1;\n-- schemaguard:lock-timeout=5s\n', '1_d.sql:2: directive schemaguard:lock-timeout must come before the first statement'],
    ['1_d.sql', '-- schemaguard:lock-timeout=5\nSELECT 1;', '1_d.sql:1: schemaguard:lock-timeout has a bad duration "5"'],
    [
      '1_d.sql',
      '-- schemaguard:lock-timeout=600h\nSELECT 1;',
      "1_d.sql:1: schemaguard:lock-timeout=600h is out of range (from 0 to 2147483647ms, about 596h: PostgreSQL's largest lock_timeout)",
    ],
    ['1_d.sql', '-- schemaguard:statement-timeout=99999999999999s\nSELECT 1;', '1_d.sql:1: schemaguard:statement-timeout=99999999999999s is out of range'],
    ['1_d.sql', '-- schemaguard:no-transactions\nSELECT 1;', '1_d.sql:1: unknown directive schemaguard:no-transactions'],
    [
      '1_s.sql',
      '-- schemaguard:valid-checksum abc\nSELECT 1;',
      '1_s.sql:1: schemaguard:valid-checksum needs one sha-256 checksum (64 lower-case hex digits), found "abc"',
    ],
    ['1_s.sql', `-- schemaguard:valid-checksum ${'A'.repeat(64)}\nSELECT 1;`, '1_s.sql:1: schemaguard:valid-checksum needs one sha-256 checksum'],
    [
      '1_s.sql',
      `SELECT 1;\n-- schemaguard:valid-checksum ${'a'.repeat(64)}\n`,
      '1_s.sql:2: directive schemaguard:valid-checksum must come before the first statement',
    ],
    ['1_k.sql', 'SELECT 1;\n-- schemaguard:check \nSELECT 2;', '1_k.sql:2: schemaguard:check needs a description'],
    ['1_k.sql', 'SELECT 1;\n-- schemaguard:check two\nSELECT 2; SELECT 3;', '1_k.sql:2: check "two" must be exactly one query (found 2)'],
    ['1_k.sql', 'SELECT 1;\n-- schemaguard:check writes\nDELETE FROM t;', '1_k.sql:3: check "writes" must be a query (SELECT/WITH/VALUES/TABLE), found DELETE'],
    ['1_n.sql', 'SELECT 1;\u0000', '1_n.sql:1: contains a NUL byte'],
    ['1_u.sql', "SELECT 'x;\n", '1_u.sql:1: unterminated quoted string'],
    ['1_q.sql', 'SELECT 1;\nDO $$ BEGIN\n', '1_q.sql:2: unterminated dollar-quoted string $$'],
    ['1_k.sql', 'ALTER TABLE t\n-- schemaguard:check cut\nADD COLUMN c int;', '1_k.sql:2: schemaguard:check inside the statement that starts on line 1'],
  ])('refuses %s: %j', (file, text, message) => {
    const e = inputError(() => parseMigration(file, text));
    expect(e.message.startsWith(message)).toBe(true);
    expect(e.exitCode).toBe(2);
    expect(e.fix).toBeTruthy();
  });

  // Regression (review): DISCARD ALL was sent to a no-transaction file, where it would reset the runner's lock_timeout and statement_timeout.
  it('refuses DISCARD ALL with a fix that deletes it, not one that moves it to a no-transaction file', () => {
    const e = inputError(() => parseMigration('1_s.sql', 'DISCARD ALL;'));
    expect(e.fix).toMatch(/^delete it: it changes no schema/);
    expect(e.fix).not.toContain('schemaguard:no-transaction"');
  });

  // Regression: a file carrying mattermost's or dbmate's no-transaction marker was refused for CONCURRENTLY without a word about the marker (a plain comment to schemaguard).
  it.each([
    ['-- morph:nontransactional', 'morph (mattermost)\'s no-transaction marker "-- morph:nontransactional" (line 1)'],
    ['-- migrate:up transaction:false', 'dbmate\'s no-transaction marker "-- migrate:up transaction:false" (line 1)'],
    ['-- +goose NO TRANSACTION', 'goose\'s no-transaction marker "-- +goose NO TRANSACTION" (line 1)'],
    ['-- postgres-migrations disable-transaction', 'postgres-migrations\'s no-transaction marker "-- postgres-migrations disable-transaction" (line 1)'],
    ['-- +migrate Up notransaction', 'sql-migrate\'s no-transaction marker "-- +migrate Up notransaction" (line 1)'],
    ['--! no-transaction', 'graphile-migrate\'s no-transaction marker "--! no-transaction" (line 1)'],
    ['-- atlas:txmode none', 'Atlas\'s no-transaction marker "-- atlas:txmode none" (line 1)'],
    ['-- no-transaction', 'sqlx\'s no-transaction marker "-- no-transaction" (line 1)'],
  ])('a CONCURRENTLY refused in a file carrying %s: the fix names the marker and the directive to write', (marker, named) => {
    const e = inputError(() => parseMigration('1_c.sql', `${marker}\nCREATE INDEX CONCURRENTLY i ON t (a);`));
    expect(e.message).toBe('1_c.sql:2: CONCURRENTLY cannot run inside a transaction');
    expect(e.fix).toContain(
      `; this file carries ${named}, which schemaguard reads as a plain comment: write -- schemaguard:no-transaction on the file's first line instead`,
    );
    expect(inputError(() => parseMigration('1_c.sql', 'CREATE INDEX CONCURRENTLY i ON t (a);')).fix).not.toContain('this file carries');
  });

  // Issue 56: pop marks a no-transaction migration in its file name, which a user converting from it keeps.
  it("a CONCURRENTLY refused in a file named ….autocommit.sql: the fix names pop's marker in the name", () => {
    const e = inputError(() => parseMigration('20210101_idx.up.autocommit.sql', 'CREATE INDEX CONCURRENTLY i ON t (a);'));
    expect(e.fix).toContain(
      "; this file's name carries pop's no-transaction marker \".autocommit.\", which schemaguard does not read: write -- schemaguard:no-transaction on the file's first line instead",
    );
  });

  it.each([
    ['0 bytes', ''],
    ['only blank lines', '  \n\t\n\r\n'],
    ['only comments', '-- placeholder: this change is MySQL only\n/* nothing /* nested */ here */\n'],
    ['only directives', '-- schemaguard:no-transaction\n-- schemaguard:lock-timeout=2s\n'],
  ])('reads a file with no statement (%s) as an empty migration with its usual checksum', (_what, text) => {
    const m = parseMigration('7_placeholder.sql', text);
    expect(m.statements).toEqual([]);
    expect(m.checks).toEqual([]);
    expect(isEmptyMigration(m)).toBe(true);
    expect(m.checksum).toBe(checksum(text.replace(/\r\n/g, '\n')));
  });

  it('gives a 0-byte file the sha-256 of the empty text', () => {
    expect(parseMigration('7_placeholder.sql', '').checksum).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('reads checks without statements as an assertion, not an empty file: it runs its checks in a transaction', () => {
    const m = parseMigration(
      '8_assert.sql',
      '-- schemaguard:no-transaction\n-- schemaguard:check no duplicate emails\nSELECT email FROM users GROUP BY email HAVING count(*) > 1;',
    );
    expect(m.statements).toEqual([]);
    expect(m.checks.map((c) => c.description)).toEqual(['no duplicate emails']);
    expect(isEmptyMigration(m)).toBe(false);
    expect(runsOutsideTransaction(m)).toBe(false);
  });

  it('refuses BEGIN in a no-transaction file too', () => {
    const e = inputError(() => parseMigration('1_x.sql', '-- schemaguard:no-transaction\nBEGIN;'));
    expect(e.message).toBe('1_x.sql:2: BEGIN in a no-transaction file');
  });

  it('collects valid-checksum directives, one checksum per line', () => {
    const m = parseMigration('3_x.sql', `-- schemaguard:valid-checksum ${'a'.repeat(64)}\n-- schemaguard:valid-checksum ${'b'.repeat(64)}\nSELECT 1;`);
    expect(m.directives.validChecksums).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
    expect(parseMigration('3_y.sql', 'SELECT 1;').directives.validChecksums).toBeUndefined();
  });

  it('collects allow directives with rule and reason', () => {
    const m = parseMigration('1_a.sql', '-- schemaguard:allow index-not-concurrent table is new\nCREATE INDEX i ON t (a);');
    expect(m.allowances).toEqual([{ rule: 'index-not-concurrent', reason: 'table is new', line: 1 }]);
  });
});

describe('Function: loadMigrations, a file over IN_MEMORY_BYTES', () => {
  // Rows of a data fix, a check at the end; CRLF line endings, which the checksum and the statements do not see.
  const rows = Math.ceil((IN_MEMORY_BYTES * 1.5) / 60);
  const body = Array.from({ length: rows }, (_, k) => `INSERT INTO t (id, note) VALUES (${k + 1}, 'row ${k + 1} ünïcødé');`);
  const text = [
    '-- schemaguard:lock-timeout=2s',
    'CREATE TABLE t (id int PRIMARY KEY, note text);',
    ...body,
    '-- schemaguard:check every row',
    'SELECT id FROM t WHERE note IS NULL;',
    '',
  ].join('\n');
  const big = () => {
    const dir = tempDir({ '1_big.sql': text.replace(/\n/g, '\r\n'), '2_small.sql': 'SELECT 1;' });
    return { dir, m: loadMigrations(dir)[0]! };
  };

  it('reads it in pieces to the same meaning as a text held whole: checksum, directives, statements, checks', () => {
    const { m } = big();
    const whole = parseMigration('1_big.sql', text);
    expect(m.checksum).toBe(checksum(text));
    expect(m.directives).toEqual(whole.directives);
    expect(m.statementCount).toBe(rows + 1);
    expect(m.checks).toEqual(whole.checks);
    expect(m.statements).toEqual(whole.statements);
    expect(m.text).toBe(text);
  });

  it("does not keep the text: the migration holds no property of the file's size", () => {
    const { m } = big();
    expect(JSON.stringify(m).length).toBeLessThan(2000);
  });

  it('hands the body over in batches of about the size asked for, in order', () => {
    const { m } = big();
    const batches = [...bodyBatches(m, 64 * 1024)];
    expect(batches.length).toBeGreaterThan(20);
    expect(batches.flat().map((s) => s.text)).toEqual(
      splitSql(text)
        .slice(0, rows + 1)
        .map((s) => s.text),
    );
    for (const b of batches.slice(0, -1)) expect(b.reduce((n, s) => n + s.text.length, 0)).toBeLessThan(64 * 1024 + 200);
  });

  it('refuses, before the last batch, a file that changed after it was loaded', () => {
    const { dir, m } = big();
    addFile(dir, '1_big.sql', text.replace('row 7 ', 'row seven '));
    const seen: number[] = [];
    let caught: unknown;
    try {
      for (const b of bodyBatches(m, 64 * 1024)) seen.push(b.length);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).message).toMatch(/^1_big\.sql changed while schemaguard was running/);
    expect(seen.reduce((a, b) => a + b, 0)).toBeLessThan(rows + 1);
  });

  // Loading holds no text of a statement over 1 MiB: it is read from the file again when a check asks for it.
  describe('statements longer than a MiB', () => {
    const ids = Array.from({ length: 200_000 }, (_, k) => k + 1).join(', ');
    const longCheck = `SELECT id FROM t\r\n WHERE id NOT IN (${ids})`;
    const longText = `${text.replace(/\n/g, '\r\n')}\r\n-- schemaguard:check no stray id ünï\r\n${longCheck};\r\n`;

    it('reads a check query longer than a MiB again from the file, LF-normalised, equal to the text held whole', () => {
      const dir = tempDir({ '1_big.sql': longText });
      const m = loadMigrations(dir)[0]!;
      const whole = parseMigration('1_big.sql', longText.replace(/\r\n/g, '\n'));
      expect(m.checks.map((c) => c.statement.text)).toEqual(whole.checks.map((c) => c.statement.text));
      expect(m.checks.at(-1)!.statement.text).toBe(longCheck.replace(/\r\n/g, '\n'));
      expect(m.checks.at(-1)!.statement.text.length).toBeGreaterThan(1024 * 1024);
    });

    it('refuses a check query read again from a file changed since it was loaded', () => {
      const dir = tempDir({ '1_big.sql': longText });
      const m = loadMigrations(dir)[0]!;
      addFile(dir, '1_big.sql', longText.replace('200000)', '199999)'));
      expect(() => m.checks.at(-1)!.statement.text).toThrow(/^1_big\.sql changed while schemaguard was running/);
    });

    // Regression (review): a no-transaction file's checks run after its statements committed; "nothing was committed" was false there.
    it('says, for a no-transaction file changed before its check is read again, that its statements that ran stay committed', () => {
      const dir = tempDir({ '1_big.sql': `-- schemaguard:no-transaction\r\n${longText}` });
      const m = loadMigrations(dir)[0]!;
      addFile(dir, '1_big.sql', `-- schemaguard:no-transaction\r\n${longText.replace('200000)', '199999)')}`);
      const e = inputError(() => m.checks.at(-1)!.statement.text);
      expect(e.message).toMatch(/^1_big\.sql changed while schemaguard was running/);
      expect(e.fix).toMatch(/^the file runs outside a transaction: its statements that ran before the change was found stay committed/);
    });

    it('reads a DO block longer than a MiB that commits as one (refused in a transactional file, as when held whole), and one that does not as not', () => {
      const block = (commit: string) => `DO $$\nBEGIN\n${'  PERFORM 1;\n'.repeat(100_000)}  ${commit}\nEND\n$$;\n`;
      const bad = `CREATE TABLE t (id int);\n${block('COMMIT;')}`;
      const e = inputError(() => loadMigrations(tempDir({ '1_big.sql': `${bad}-- ${'z'.repeat(IN_MEMORY_BYTES)}\n` })));
      expect(e.message).toBe(inputError(() => parseMigration('1_big.sql', bad)).message);
      expect(e.message).toMatch(/^1_big\.sql:2: /);
      expect(loadMigrations(tempDir({ '1_big.sql': `${block('PERFORM 2; -- no commit here')}-- ${'z'.repeat(IN_MEMORY_BYTES)}\n` }))[0]!.statementCount).toBe(
        1,
      );
    });

    it('refuses standard_conforming_strings set off in a statement longer than a MiB, at its line', () => {
      const padded = `SELECT set_config('standard_conforming_strings', 'off', false) /* ${'x'.repeat(1_100_000)} */;`;
      const head = text.slice(0, text.lastIndexOf('\n', IN_MEMORY_BYTES + 100) + 1);
      const bad = `${head}${padded}\n`;
      const line = head.split('\n').length;
      const e = inputError(() => loadMigrations(tempDir({ '1_big.sql': bad })));
      expect(e.message).toBe(`1_big.sql:${line}: standard_conforming_strings set off: the statements after it would not be read as psql reads them`);
    });
  });

  it('refuses what it refuses in a small file, with the same line', () => {
    const bad = `${text.slice(0, IN_MEMORY_BYTES + 100)}\nSELECT 'open`;
    const line = bad.split('\n').length;
    const e = inputError(() => loadMigrations(tempDir({ '1_big.sql': bad })));
    expect(e.message).toBe(`1_big.sql:${line}: unterminated quoted string`);
  });
});

describe("Function: validateMigrationText, another tool's down section (what lint reads)", () => {
  it('refuses a statement below a down marker of sql-migrate, node-pg-migrate in any case, not one inside a string or a body', () => {
    expect(inputError(() => validateMigrationText('1_a.sql', '-- +migrate Up\nSELECT 1;\n-- +migrate Down\nSELECT 2;')).line).toBe(3);
    expect(inputError(() => validateMigrationText('1_a.sql', 'SELECT 1;\n--down migration\nSELECT 2;')).message).toMatch(
      /^1_a\.sql:2: "--down migration" starts node-pg-migrate's down section/,
    );
    expect(() => validateMigrationText('1_a.sql', "SELECT '\n-- migrate:down\n';\nSELECT 1; -- migrate:down\nSELECT 2;")).not.toThrow();
  });
});

describe("Function: loadMigrations, other tools' file names", () => {
  // Regression (review): any comment that began with "Down migration" was a marker, and a marker inside a statement refused that statement ("from line 1").
  it('takes only a whole marker line for one, and not a marker inside a statement', () => {
    expect(() =>
      validateMigrationText('1_a.sql', '-- Down migration of the legacy API is handled in 0012; here we only add.\nCREATE TABLE a (id int);'),
    ).not.toThrow();
    expect(() => validateMigrationText('2_b.sql', 'CREATE TABLE b (\n  id int,\n  -- migrate:down\n  note text\n);')).not.toThrow();
    expect(() => validateMigrationText('3_c.sql', '-- +goose Down the hill\nSELECT 1;')).not.toThrow();
    expect(inputError(() => validateMigrationText('4_d.sql', 'SELECT 1;\n-- migrate:down transaction:false\nSELECT 2;')).message).toMatch(
      /^4_d\.sql:2: .* starts dbmate's down section/,
    );
    expect(inputError(() => validateMigrationText('5_e.sql', 'SELECT 1;\n-- +migrate Down notransaction\nSELECT 2;')).message).toMatch(
      /^5_e\.sql:2: .* starts sql-migrate's down section/,
    );
  });

  // Regression (exploratory tester): a down or undo file was told to be renamed to a forward file, a repeatable got the generic advice.
  it('says to delete a down or undo file, turn a repeatable into versioned files, and reads an .up.sql file', () => {
    // The path as typed where the command runs: a folder outside the working directory, absolute.
    const down = tempDir({ '000001_init.up.sql': 'SELECT 1;', '000001_init.down.sql': 'SELECT 2;' });
    expect(inputError(() => loadMigrations(down)).fix).toBe(
      `delete it (git rm ${down}/000001_init.down.sql): schemaguard has no down or undo migrations; a rollback is a new forward file`,
    );
    expect(inputError(() => loadMigrations(tempDir({ 'U2__add.sql': 'SELECT 1;' }))).message).toBe(
      "U2__add.sql: Flyway's undo migration, and schemaguard runs forward only (read as a migration, it would run forward too)",
    );
    expect(inputError(() => loadMigrations(tempDir({ 'R__views.sql': 'SELECT 1;' }))).fix).toMatch(
      /^Flyway's repeatable migration: schemaguard has none\. Put its current text in a new versioned file \(the next number: NNNN_views\.sql,/,
    );
    expect(loadMigrations(tempDir({ '000001_init.up.sql': 'SELECT 1;' })).map((m) => m.name)).toEqual(['init.up']);
  });
});

describe('Function: loadMigrations, a file at the MAX_FILE_BYTES limit', () => {
  /** `bytes` of text with LF line endings: a statement, then comment lines of 100 bytes (quick to scan), one shorter at the end. */
  const atSize = (bytes: number) => {
    const head = 'SELECT 1;\n';
    const line = `-- ${'x'.repeat(96)}\n`;
    const r = (bytes - head.length) % line.length;
    return head + line.repeat((bytes - head.length - r) / line.length) + (r < 3 ? '\n'.repeat(r) : `--${'x'.repeat(r - 3)}\n`);
  };

  // Regression: the limit counted bytes on disk, so a CRLF checkout (git's autocrlf) of a file at the limit was refused where the same LF file was taken.
  it('counts a file with LF line endings: the LF file at the limit and its CRLF checkout are both taken, one byte more refused in both, by migrate and lint alike', () => {
    const lf = atSize(MAX_FILE_BYTES);
    expect(Buffer.byteLength(lf)).toBe(MAX_FILE_BYTES);
    const crlf = lf.replace(/\n/g, '\r\n');
    const dir = tempDir({ '1_lf.sql': lf, '2_crlf.sql': crlf });

    const [a, b] = loadMigrations(dir);
    expect([a!.checksum, a!.statementCount]).toEqual([b!.checksum, 1]);
    expect(readMigrationText('2_crlf.sql', join(dir, '2_crlf.sql'))).toBe(crlf);

    const over = tempDir({ '1_lf.sql': `${lf}\n` });
    const overCrlf = tempDir({ '1_crlf.sql': `${crlf}\r\n` });
    expect(inputError(() => loadMigrations(over)).message).toBe(
      `1_lf.sql: ${MAX_FILE_BYTES + 1} bytes is over the ${MAX_FILE_BYTES}-byte limit for a migration`,
    );
    const onDisk = Buffer.byteLength(crlf) + 2;
    const message = `1_crlf.sql: ${MAX_FILE_BYTES + 1} bytes with LF line endings (${onDisk} on disk, each CRLF counted as one byte) is over the ${MAX_FILE_BYTES}-byte limit for a migration`;
    expect(inputError(() => loadMigrations(overCrlf)).message).toBe(message);
    expect(inputError(() => readMigrationText('1_crlf.sql', join(overCrlf, '1_crlf.sql'))).message).toBe(message);
  });
});
