/**
 * Bad input matrix. Every case must give a clear message naming the file,
 * line or value and a fix, exit 2 (input) — or 1 for a check query the
 * database rejects, FAILED for a custom-resource event — and leave the
 * database exactly as it was (catalog fingerprint before = after).
 *
 * The CLI runs in process (`main(argv, io)`, the code bin/schemaguard.cjs
 * runs) so the matrix stays fast; test/bin/cli/main.int.test.ts covers the
 * real executable's exit codes for the same classes of input.
 */
import { spawn } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/cli/main';
import { MAX_FILE_BYTES } from '../../lambda/engine/files/source';
import { ENV } from '../../lambda/handler/constants';
import { createHandlers, type OnEventRequest } from '../../lambda/handler/handler';
import { catalogFingerprint } from '../support/catalog-fingerprint';
import { ROOT } from '../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../support/db';
import { tempDir } from '../support/files';
import { context, envOf, handlerRig, SECRET_ARN } from './handler-rig';
import { leaks, Transcript } from './support';

afterAll(dropDatabases);

const target = targets[0]!;
const transcript = new Transcript();
const BASE = { '1_base.sql': 'CREATE TABLE base (id int);\nINSERT INTO base VALUES (1);\n' };

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
    env,
  });
  transcript.add(out, err);
  return { code, out, err };
}

/** The `error: …` line (progress lines may come before it). */
function errorLine(stderr: string): string {
  return (stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '').replace(/^error: /, '');
}

interface FileCase {
  files: Record<string, string | Uint8Array>;
  /** After the files are written (e.g. a sparse 16 MiB file). */
  prepare?: (dir: string) => void;
  code: 1 | 2;
  message: string | RegExp;
}

const FILE_CASES: Record<string, FileCase> = {
  'a Flyway-style name': { files: { 'V2__add_index.sql': 'SELECT 1;' }, code: 2, message: 'V2__add_index.sql: file name does not match <version>_<name>.sql' },
  'a space in the name': { files: { '2_add index.sql': 'SELECT 1;' }, code: 2, message: '2_add index.sql: file name does not match <version>_<name>.sql' },
  'no name after the version': { files: { '2.sql': 'SELECT 1;' }, code: 2, message: '2.sql: file name does not match <version>_<name>.sql' },
  'a version beyond 2^53': {
    files: { '99999999999999999999_big.sql': 'SELECT 1;' },
    code: 2,
    message: '99999999999999999999_big.sql: version 99999999999999999999 is too large',
  },
  'two files with one version': {
    files: { '2_a.sql': 'SELECT 1;', '0002_b.sql': 'SELECT 2;' },
    code: 2,
    message: /duplicate version 2: (0002_b\.sql and 2_a\.sql|2_a\.sql and 0002_b\.sql)/,
  },
  // pg_dump's forms: psql reads the data lines after COPY, and the strings after the SET with backslash escapes.
  'COPY … FROM STDIN with its data lines': {
    files: { '2_copy.sql': "CREATE TABLE copied (a int, b text);\nCOPY public.copied (a, b) FROM stdin;\n1\tit's\n\\.\n" },
    code: 2,
    message: '2_copy.sql:2: COPY … FROM STDIN with its data in the file, as psql takes it, is not supported',
  },
  'SET standard_conforming_strings = off': {
    files: { '2_scs.sql': "SET standard_conforming_strings = off;\nCREATE TABLE paths (v text);\nINSERT INTO paths VALUES ('C:\\\\dir', 'O\\'Brien');\n" },
    code: 2,
    message: '2_scs.sql:1: standard_conforming_strings set off: the statements after it would not be read as psql reads them',
  },
  'Latin-1 bytes on line 3': {
    files: { '2_latin1.sql': Buffer.concat([Buffer.from('SELECT 1;\n-- caf'), Buffer.from([0xe9]), Buffer.from('\nSELECT 2;\n')]) },
    code: 2,
    message: '2_latin1.sql:2: not valid UTF-8 (bytes 0xe9 0x0a 0x53 0x45 at offset 16)',
  },
  'UTF-16 with a byte-order mark': {
    files: { '2_utf16.sql': Buffer.from('\ufeffSELECT 1;\n', 'utf16le') },
    code: 2,
    message: '2_utf16.sql:1: not valid UTF-8 (bytes 0xff 0xfe',
  },
  'a NUL byte': { files: { '2_nul.sql': 'SELECT 1;\n\u0000' }, code: 2, message: '2_nul.sql:2: contains a NUL byte' },
  'a file over the 16 MiB limit': {
    files: {},
    prepare: (dir) => {
      writeFileSync(join(dir, '2_huge.sql'), 'SELECT 1;\n');
      truncateSync(join(dir, '2_huge.sql'), MAX_FILE_BYTES + 1);
    },
    code: 2,
    message: `2_huge.sql: ${MAX_FILE_BYTES + 1} bytes is over the ${MAX_FILE_BYTES}-byte limit for a migration`,
  },
  'an unterminated dollar quote with a tag': {
    files: { '2_fn.sql': 'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN RETURN 1; END\n$bdy$;' },
    code: 2,
    message: '2_fn.sql:1: unterminated dollar-quoted string $body$',
  },
  'an unterminated string': {
    files: { '2_str.sql': "INSERT INTO base VALUES (2);\nSELECT 'oops;\n" },
    code: 2,
    message: '2_str.sql:2: unterminated quoted string',
  },
  'an unterminated quoted identifier': {
    files: { '2_ident.sql': 'SELECT 1;\nSELECT "unclosed FROM base;' },
    code: 2,
    message: '2_ident.sql:2: unterminated quoted identifier',
  },
  'an unterminated block comment': {
    files: { '2_comment.sql': 'SELECT 1;\n/* start\nSELECT 1;' },
    code: 2,
    message: '2_comment.sql:2: unterminated /* comment',
  },
  // Regression: it went to the server, which refused it as a syntax error (exit 1) after the files before it.
  'a psql variable': {
    files: { '2_var.sql': "INSERT INTO base VALUES (2);\nINSERT INTO base VALUES (:'next_id');" },
    code: 2,
    message: "2_var.sql:2: psql variable :'next_id' is not SQL",
  },
  // Regression (newcomer): a bare one reached the server as a syntax error at ":" (exit 1, after the files before it).
  'a bare psql variable': {
    files: { '2_var.sql': 'INSERT INTO base VALUES (2);\nALTER TABLE :tbl ADD COLUMN c int;' },
    code: 2,
    message: '2_var.sql:2: psql variable :tbl is not SQL',
  },
  // Regression (exploratory tester): other tools' files got the rename-to-a-forward-file advice, and a Flyway placeholder reached the server as "syntax error at or near $".
  "golang-migrate's down file": {
    files: { '000002_init.up.sql': 'INSERT INTO base VALUES (2);', '000002_init.down.sql': 'DELETE FROM base;' },
    code: 2,
    message: "000002_init.down.sql: golang-migrate's down migration, and schemaguard runs forward only",
  },
  'a Flyway undo file': {
    files: { 'U1__base.sql': 'DROP TABLE base;' },
    code: 2,
    message: "U1__base.sql: Flyway's undo migration, and schemaguard runs forward only",
  },
  // Regression (newcomer): a Go template's action failed on the server as a syntax error at "{", after the files before it ran.
  'a Go template action': {
    files: { '2_tpl.sql': 'INSERT INTO base VALUES (2);\nCREATE TABLE {{ .Schema }}.t (id int);' },
    code: 2,
    message: '2_tpl.sql:2: Go template action {{ .Schema }} is not SQL',
  },
  'a Flyway placeholder': {
    files: { '2_fw.sql': 'INSERT INTO base VALUES (2);\nCREATE TABLE ${flyway:defaultSchema}.t (id int);' },
    code: 2,
    message: '2_fw.sql:2: Flyway placeholder ${flyway:defaultSchema} is not SQL',
  },
  'a goose down section': {
    files: { '2_goose.sql': '-- +goose Up\nCREATE TABLE orders (id int);\n-- +goose Down\nDROP TABLE orders;' },
    code: 2,
    message: '2_goose.sql:3: "-- +goose Down" starts goose\'s down section',
  },
  'COMMIT in a transactional file': {
    files: { '2_commit.sql': 'INSERT INTO base VALUES (2);\nCOMMIT;' },
    code: 2,
    message: '2_commit.sql:2: COMMIT inside a transactional migration',
  },
  'END in a transactional file': {
    files: { '2_end.sql': 'INSERT INTO base VALUES (2);\nEND;' },
    code: 2,
    message: '2_end.sql:2: END inside a transactional migration',
  },
  'START TRANSACTION in a transactional file': {
    files: { '2_start.sql': 'SELECT 1;\nSTART TRANSACTION;' },
    code: 2,
    message: '2_start.sql:2: START TRANSACTION inside a transactional migration',
  },
  'SAVEPOINT in a transactional file': {
    files: { '2_sp.sql': 'SELECT 1;\nSAVEPOINT a;' },
    code: 2,
    message: '2_sp.sql:2: SAVEPOINT inside a transactional migration',
  },
  'CONCURRENTLY in a transactional file (on its own line)': {
    files: { '2_drop.sql': 'CREATE INDEX i ON base (id);\nDROP INDEX\n  CONCURRENTLY i;' },
    code: 2,
    message: '2_drop.sql:3: CONCURRENTLY cannot run inside a transaction',
  },
  // Regression: it ran until the server refused it (2D000, exit 1, after the files before it).
  'a DO block that commits, in a transactional file': {
    files: { '2_do.sql': 'INSERT INTO base VALUES (2);\nDO $$ BEGIN INSERT INTO base VALUES (3); COMMIT; END $$;' },
    code: 2,
    message: '2_do.sql:2: a DO block with COMMIT or ROLLBACK inside a transactional migration',
  },
  'VACUUM in a transactional file': {
    files: { '2_vacuum.sql': 'VACUUM base;' },
    code: 2,
    message: '2_vacuum.sql:1: VACUUM cannot run inside a transaction block',
  },
  'COMMIT in a no-transaction file': {
    files: { '2_notx.sql': '-- schemaguard:no-transaction\nCOMMIT;' },
    code: 2,
    message: '2_notx.sql:2: COMMIT in a no-transaction file',
  },
  'a header directive after the first statement': {
    files: { '2_late.sql': 'SELECT 1;\n-- schemaguard:lock-timeout=1s\nSELECT 2;' },
    code: 2,
    message: '2_late.sql:2: directive schemaguard:lock-timeout must come before the first statement',
  },
  'a misspelt directive': {
    files: { '2_typo.sql': '-- schemaguard:no-transactions\nSELECT 1;' },
    code: 2,
    message: '2_typo.sql:1: unknown directive schemaguard:no-transactions',
  },
  // Regression: read as a plain comment, the check's query ran as a statement and its offending rows were ignored (exit 0).
  'a check directive with a space after the colon': {
    files: { '2_near.sql': 'SELECT 1;\n-- schemaguard: check no rows\nSELECT 1 FROM base WHERE id IS NULL;' },
    code: 2,
    message: '2_near.sql:2: "-- schemaguard: check no rows" is not read as a directive',
  },
  'a directive in another case': {
    files: { '2_case.sql': '-- SchemaGuard:no-transaction\nCREATE INDEX CONCURRENTLY i2 ON base (id);' },
    code: 2,
    message: '2_case.sql:1: "-- SchemaGuard:no-transaction" is not read as a directive',
  },
  // Regression: the quoted name got past the refusal; the server then read 'x\' as a string left open, and ran the DELETE inside what psql reads as one string.
  'SET "standard_conforming_strings" = off': {
    files: {
      '2_scs.sql':
        "SET \"standard_conforming_strings\" = off;\nCREATE TABLE notes (p text);\nINSERT INTO notes VALUES ('x\\'); DELETE FROM base; SELECT 1 --');\n",
    },
    code: 2,
    message: '2_scs.sql:1: standard_conforming_strings set off',
  },
  'no-transaction with a value': {
    files: { '2_val.sql': '-- schemaguard:no-transaction yes\nSELECT 1;' },
    code: 2,
    message: '2_val.sql:1: schemaguard:no-transaction takes no value',
  },
  'a duration in words': {
    files: { '2_dur.sql': '-- schemaguard:statement-timeout=10 minutes\nSELECT 1;' },
    code: 2,
    message: '2_dur.sql:1: schemaguard:statement-timeout has a bad duration "10 minutes"',
  },
  // Regression (newcomer): it said bad duration "5s", a good duration.
  'a duration without its =': {
    files: { '2_dur.sql': '-- schemaguard:lock-timeout 5s\nSELECT 1;' },
    code: 2,
    message: '2_dur.sql:1: schemaguard:lock-timeout is missing the "=" before its value 5s',
  },
  'a version spelt with a dash': {
    files: { '2-add-phone.sql': 'SELECT 1;' },
    code: 2,
    message: '2-add-phone.sql: file name does not match <version>_<name>.sql',
  },
  'an allow without a reason': {
    files: { '2_allow.sql': 'SELECT 1;\n-- schemaguard:allow\nSELECT 2;' },
    code: 2,
    message: '2_allow.sql:2: schemaguard:allow needs a rule id and a reason',
  },
  'a check without a description': {
    files: { '2_chk.sql': 'SELECT 1;\n-- schemaguard:check\nSELECT 1;' },
    code: 2,
    message: '2_chk.sql:2: schemaguard:check needs a description of what it asserts',
  },
  'a check that changes data': {
    files: { '2_chk.sql': 'SELECT 1;\n-- schemaguard:check fixes\nUPDATE base SET id = 1;' },
    code: 2,
    message: '2_chk.sql:3: check "fixes" must be a query (SELECT/WITH/VALUES/TABLE), found UPDATE',
  },
  'a check with two queries': {
    files: { '2_chk.sql': 'SELECT 1;\n-- schemaguard:check two\nSELECT 1;\nSELECT 2;' },
    code: 2,
    message: '2_chk.sql:2: check "two" must be exactly one query (found 2)',
  },
  'a check query on a column that does not exist': {
    files: { '2_chk.sql': 'CREATE TABLE t2 (id int);\n-- schemaguard:check ids are set\nSELECT id\n  FROM t2 WHERE nope IS NULL;' },
    code: 1,
    message: '2_chk.sql:4: check "ids are set" could not run: column "nope" does not exist',
  },
  // Regression: a failure inside a DO block was reported at the DO's line; PL/pgSQL's own line number is in the server's context.
  'an error inside a DO block': {
    files: { '2_do.sql': 'SELECT 1;\nDO $$\nDECLARE\n  x int;\nBEGIN\n  x := 1;\n  PERFORM 1/0;\nEND\n$$;' },
    code: 1,
    message: '2_do.sql:7: division by zero',
  },
  'a RAISE inside a DO block whose body opens on the next line': {
    files: { '2_do.sql': "SELECT 1;\nDO\n$body$\nBEGIN\n  RAISE EXCEPTION 'stop here';\nEND\n$body$;" },
    code: 1,
    message: '2_do.sql:5: stop here',
  },
  'a check query with a syntax error': {
    files: { '2_chk.sql': 'CREATE TABLE t2 (id int);\n-- schemaguard:check ids are set\nSELECT id FROM t2 WHERE id IS NULL AND AND;' },
    code: 1,
    message: /^2_chk\.sql:3: check "ids are set" could not run: syntax error at or near "AND"/,
  },
};

describe(`Bad input: migration files, on ${target.name}`, () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'bad_files');
    const r = await cli(['migrate', '--quiet', '--dir', tempDir(BASE), '--database-url', url]);
    expect(r.code, r.err).toBe(0);
  });

  it.each(Object.entries(FILE_CASES))('%s', async (_name, c) => {
    const dir = tempDir({ ...BASE, ...c.files });
    c.prepare?.(dir);
    const before = await catalogFingerprint(url);

    const r = await cli(['migrate', '--dir', dir, '--database-url', url]);

    expect(r.code, r.err).toBe(c.code);
    const first = errorLine(r.err);
    if (typeof c.message === 'string') expect(first).toContain(c.message);
    else expect(first).toMatch(c.message);
    if (c.code === 2) expect(r.err).toContain('fix: ');
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it("prints each line of the server's context: the DO block's own line is in the second", async () => {
    const r = await cli(['migrate', '--dir', tempDir({ ...BASE, '2_do.sql': 'DO $$\nBEGIN\n  PERFORM 1/0;\nEND\n$$;' }), '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'error: 2_do.sql:3: division by zero\n  sqlstate: 22012\n  where: SQL statement "SELECT 1/0"\n  where: PL/pgSQL function inline_code_block line 3 at PERFORM\n',
    );
  });

  it('--json: the error is one object with the file, line and value', async () => {
    const before = await catalogFingerprint(url);
    const r = await cli(['migrate', '--json', '--dir', tempDir({ ...BASE, '2_commit.sql': 'SELECT 1;\nCOMMIT;' }), '--database-url', url]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({
      command: 'migrate',
      error: 'InputError',
      file: '2_commit.sql',
      line: 2,
      value: 'COMMIT',
      fix: expect.any(String),
    });
    expect(await catalogFingerprint(url)).toBe(before);
  });

  // Regression (exploratory tester): a pg_dump file took one run per problem to learn them all.
  it('migrate, plan and lint name every problem of a pg_dump file in one run; --json lists each with its line, value and fix', async () => {
    const dump =
      "\\restrict Kx9\nSET standard_conforming_strings = off;\nCREATE TABLE d (a int, b text);\nCOPY public.d (a, b) FROM stdin;\n1\tO'Brien\n\\.\n\\unrestrict Kx9\n";
    const dir = tempDir({ ...BASE, '2_dump.sql': dump });
    const before = await catalogFingerprint(url);

    for (const command of ['migrate', 'plan', 'lint']) {
      const text = await cli([command, '--dir', dir, '--database-url', url]);
      const json = await cli([command, '--json', '--dir', dir, '--database-url', url]);

      expect(text.code, text.err).toBe(2);
      expect(json.code).toBe(2);
      expect(text.err).toContain(
        'error: 4 problems in the migration files, each below with its fix:\n  2_dump.sql:1: psql meta-command "\\restrict" is not SQL\n    fix: delete the \\restrict and \\unrestrict lines: recent pg_dump releases',
      );
      expect(text.err).toContain('\n  2_dump.sql:2: standard_conforming_strings set off');
      expect(text.err).toContain(
        '\n  2_dump.sql:4: COPY … FROM STDIN with its data in the file, as psql takes it, is not supported\n    fix: load data from the application',
      );
      expect(text.err).toContain('\n  2_dump.sql:7: psql meta-command "\\unrestrict" is not SQL');
      const out = JSON.parse(json.out);
      expect(out).toMatchObject({ command, error: 'InputError', file: '2_dump.sql', line: 1, total: 4 });
      expect(out.problems.map((p: { line: number; value: string; fix: string }) => [p.line, p.value, typeof p.fix])).toEqual([
        [1, '\\restrict', 'string'],
        [2, 'SET standard_conforming_strings = off', 'string'],
        [4, 'COPY public.d (a, b) FROM stdin', 'string'],
        [7, '\\unrestrict', 'string'],
      ]);
    }
    // In a workflow, each problem is an annotation on its own line.
    const github = await cli(['lint', '--format', 'github', '--dir', dir]);
    expect(github.code).toBe(2);
    expect(
      github.out
        .split('\n')
        .filter((l) => l.startsWith('::error '))
        .map((l) => /,line=(\d+),/.exec(l)?.[1]),
    ).toEqual(['1', '2', '4', '7']);
    expect(await catalogFingerprint(url)).toBe(before);
  });
});

describe(`Bad input: flags and URLs, on ${target.name}`, () => {
  let url: string;
  let dir: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'bad_flags');
    dir = tempDir(BASE);
  });

  const FLAG_CASES: [string, (u: string, d: string) => string[], NodeJS.ProcessEnv, 1 | 2, string | RegExp][] = [
    ['a negative duration', (u, d) => ['migrate', '--dir', d, '--database-url', u, '--lock-timeout=-1s'], {}, 2, '--lock-timeout: bad duration "-1s"'],
    [
      'a fractional count',
      (u, d) => ['migrate', '--dir', d, '--database-url', u, '--lock-retries', '2.5'],
      {},
      2,
      '--lock-retries: "2.5" is not a whole number',
    ],
    ['an empty state schema', (u, d) => ['migrate', '--dir', d, '--database-url', u, '--state-schema='], {}, 2, '--state-schema is empty'],
    [
      'a 64-byte state schema',
      (u, d) => ['migrate', '--dir', d, '--database-url', u, '--state-schema', 's'.repeat(64)],
      {},
      2,
      `--state-schema: "${'s'.repeat(64)}" is not a usable schema name`,
    ],
    ['a misspelt flag', (u, d) => ['migrate', '--dir', d, '--databse-url', u], {}, 2, 'unknown flag --databse-url'],
    ['a value on a switch', (u, d) => ['migrate', '--dir', d, '--database-url', u, '--quiet=yes'], {}, 2, '--quiet takes no value'],
    ['a stray argument', (u, d) => ['migrate', 'now', '--dir', d, '--database-url', u], {}, 2, 'unexpected argument "now"'],
    ['a flag without its value', (u, d) => ['migrate', '--dir', d, '--database-url', u, '--lock-wait'], {}, 2, '--lock-wait needs a value'],
    ['--dir naming a file', (u, d) => ['migrate', '--dir', join(d, '1_base.sql'), '--database-url', u], {}, 2, /1_base\.sql: not a directory$/],
    [
      'a URL with a bad port (password inside)',
      (_u, d) => ['migrate', '--dir', d, '--database-url', 'postgres://app:Sup3r-Secret-1@db.internal:54x2/app'],
      {},
      2,
      '--database-url: not a valid URL: postgres://app:****@db.internal:54x2/app',
    ],
    [
      'a URL of another scheme (password inside)',
      (_u, d) => ['migrate', '--dir', d, '--database-url', 'mysql://app:Sup3r-Secret-1@db.internal/app'],
      {},
      2,
      'unsupported scheme "mysql:" in mysql://app:****@db.internal/app',
    ],
    [
      'a URL without a host',
      (_u, d) => ['migrate', '--dir', d, '--database-url', 'postgres://app:Sup3r-Secret-1@/app'],
      {},
      2,
      /--database-url: (no host in|not a valid URL:) postgres:\/\/app:\*\*\*\*@\/app/,
    ],
    [
      'DATABASE_URL without a scheme',
      (_u, d) => ['status', '--dir', d],
      { DATABASE_URL: 'app:Sup3r-Secret-1@localhost:5432/app' },
      2,
      /--database-url: (unsupported scheme|not a valid URL)/,
    ],
    [
      'a state schema PostgreSQL reserves',
      (u, d) => ['migrate', '--dir', d, '--database-url', u, '--state-schema', 'pg_catalog'],
      {},
      2,
      '--state-schema: "pg_catalog" begins with pg_, which PostgreSQL reserves for system schemas',
    ],
    // A CI secret that is missing: the embedded server is not put in its place.
    ['DATABASE_URL set but empty', (_u, d) => ['migrate', '--dir', d], { DATABASE_URL: '' }, 2, 'DATABASE_URL is set but empty'],
    // A URL parser ends the user's part at the last @: the password is everything from the first : to there.
    [
      'a password with an @ not percent-encoded',
      (u, d) => {
        const x = new URL(u);
        return ['status', '--dir', d, '--database-url', `postgres://nobody:Sup3r@Sup3r-Secret-1@${x.host}${x.pathname}`];
      },
      {},
      1,
      /^cannot connect to postgres:\/\/nobody:\*\*\*\*@127\.0\.0\.1:\d+\//,
    ],
    [
      'a keyword/value connection string, as psql takes',
      (_u, d) => ['status', '--dir', d, '--database-url', 'host=localhost password=Sup3r-Secret-1'],
      {},
      2,
      '--database-url: not a valid URL (a keyword/value connection string, as psql takes, is not supported): host=localhost password=****',
    ],
    [
      'a password with a % that starts no escape',
      (_u, d) => ['status', '--dir', d, '--database-url', 'postgres://app:Sup3r-Secret-1%zz@db.internal/app'],
      {},
      2,
      '--database-url: the password in postgres://app:****@db.internal/app has a % that does not start a percent-encoded byte',
    ],
    [
      'a wrong password with URL-special characters',
      (u, d) => {
        const x = new URL(u);
        x.password = encodeURIComponent('Wr0ng:P@ss/word%');
        return ['migrate', '--dir', d, '--database-url', x.toString()];
      },
      {},
      1,
      'password authentication failed',
    ],
    // Regression (newcomer): "…app?password=**** password authentication failed": the colon went with the password when masked again.
    [
      'a wrong password in the query string',
      (u, d) => {
        const x = new URL(u);
        x.password = '';
        x.searchParams.set('password', 'Sup3r-Secret-1');
        return ['status', '--dir', d, '--database-url', x.toString()];
      },
      {},
      1,
      /\?password=\*\*\*\*: password authentication failed for user/,
    ],
  ];

  it.each(FLAG_CASES)('%s', async (_name, argv, env, code, message) => {
    const before = await catalogFingerprint(url);
    const r = await cli(argv(url, dir), env);
    expect(r.code, r.err).toBe(code);
    const first = errorLine(r.err);
    if (typeof message === 'string') expect(first).toContain(message);
    else expect(first).toMatch(message);
    expect(r.err).toContain('fix: ');
    expect(r.err + r.out).not.toMatch(/Sup3r-Secret-1|Wr0ng:P@ss|Wr0ng%3AP%40ss/);
    expect(await catalogFingerprint(url)).toBe(before);
  });
});

describe(`Bad input: contracts (schemaguard check), on ${target.name}`, () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'bad_contracts');
    const r = await cli(['migrate', '--quiet', '--dir', tempDir(BASE), '--database-url', url]);
    expect(r.code, r.err).toBe(0);
  });

  const CONTRACT_CASES: [string, Record<string, string | Uint8Array>, 1 | 2, string][] = [
    ['a syntax error', { 'broken.sql': 'SELEC id FROM base WHERE id = $1' }, 2, 'error: broken.sql:1:1: syntax error at or near "SELEC"'],
    [
      'a schema change',
      { 'ddl.sql': 'DROP TABLE base' },
      2,
      'error: ddl.sql:1: DROP TABLE is not allowed in a check: a contract is a query or a data change (SELECT, INSERT, UPDATE, DELETE, MERGE)',
    ],
    ['no statement', { 'empty.sql': '-- nothing yet\n' }, 2, 'error: empty.sql: a contract file holds exactly one statement (found 0)'],
    ['two statements', { 'two.sql': 'SELECT 1;\nSELECT 2;' }, 2, 'error: two.sql: a contract file holds exactly one statement (found 2)'],
    [
      'Latin-1 bytes (checked as a different statement, and passed)',
      { 'latin1.sql': Buffer.concat([Buffer.from("SELECT id FROM base WHERE 'caf"), Buffer.from([0xe9]), Buffer.from("' <> ''")]) },
      2,
      'error: latin1.sql:1: not valid UTF-8 (bytes 0xe9',
    ],
    [
      'two contracts with one name',
      { 'a.sql': '-- contract: lookup\nSELECT id FROM base', 'b.sql': '-- contract: lookup\nSELECT 1' },
      2,
      'error: contracts a.sql and b.sql are both named "lookup"',
    ],
    ['an unknown table', { 'missing.sql': 'SELECT id\n  FROM no_such_table WHERE id = $1' }, 1, 'reason: relation "no_such_table" does not exist (42P01)'],
    ['an unknown column', { 'col.sql': 'SELECT nope FROM base' }, 1, 'reason: column "nope" does not exist (42703)'],
  ];

  it.each(CONTRACT_CASES)('%s', async (_name, files, code, message) => {
    const before = await catalogFingerprint(url);
    const r = await cli(['check', '--contracts', tempDir(files, 'contracts'), '--database-url', url]);
    expect(r.code, r.err).toBe(code);
    expect(r.out + r.err).toContain(message);
    expect(r.out + r.err).toContain('fix: ');
    if (code === 1) expect(r.out).toMatch(/FAILED \w+\.sql:1 /);
    expect(await catalogFingerprint(url)).toBe(before);
  });
});

describe(`Bad input: custom-resource events, on ${target.name}`, () => {
  it.each([
    ['an unknown request type', (e: OnEventRequest) => ({ ...e, RequestType: 'Replace' }), 'RequestType "Replace" is not Create, Update or Delete'],
    [
      'no request type',
      (e: OnEventRequest) => {
        const { RequestType: _drop, ...rest } = e;
        return rest;
      },
      'RequestType "undefined" is not Create, Update or Delete',
    ],
    ['no RequestId', (e: OnEventRequest) => ({ ...e, RequestId: '' }), 'the event has no LogicalResourceId or RequestId'],
    ['no LogicalResourceId', (e: OnEventRequest) => ({ ...e, LogicalResourceId: undefined }), 'the event has no LogicalResourceId or RequestId'],
  ])('%s: FAILED with a message naming the value; the database untouched', async (_name, mutate, message) => {
    const r = await handlerRig(transcript, target, 'bad_event', BASE);
    try {
      const before = await catalogFingerprint(r.url);
      const e = await r.handlers.onEvent(mutate(r.event('Create')) as OnEventRequest, context(60_000)).then(
        () => undefined,
        (x: unknown) => x as Error,
      );
      expect(e).toBeInstanceOf(Error);
      expect(e!.message).toContain(message);
      expect(e!.message).toContain('fix: invoke this function through the Provider framework only');
      expect(await catalogFingerprint(r.url)).toBe(before);
    } finally {
      await r.done();
    }
  });

  it('an unknown request type through the Provider framework: CloudFormation gets FAILED with the reason', async () => {
    const r = await handlerRig(transcript, target, 'bad_event_fw', BASE);
    try {
      const before = await catalogFingerprint(r.url);
      const response = await r.harness.send({ RequestType: 'Replace' as 'Create', ResourceProperties: r.props() });
      transcript.add(JSON.stringify(response));
      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toContain('RequestType "Replace" is not Create, Update or Delete');
      expect(await catalogFingerprint(r.url)).toBe(before);
    } finally {
      await r.done();
    }
  });

  // Regression (exploratory tester): on a database Flyway migrated, the deploy ran every file again (a seed row twice) and succeeded.
  it('a first deploy on a database Flyway migrated: CloudFormation gets FAILED naming its history table and the baseline to run first; nothing runs', async () => {
    const r = await handlerRig(transcript, target, 'foreign_history', BASE);
    try {
      await withClient(r.url, (c) =>
        c.query(`CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), type varchar(20) NOT NULL, script varchar(1000) NOT NULL, success boolean NOT NULL);
        INSERT INTO flyway_schema_history VALUES (1, '1', 'SQL', 'V1__base.sql', true)`),
      );
      const before = await catalogFingerprint(r.url);
      const response = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
      transcript.add(JSON.stringify(response));
      expect(response.Status).toBe('FAILED');
      // The table is Flyway's role's: this function's role cannot read it, and the count is left out, not a failure of its own.
      expect(response.Reason).toContain(
        "ForeignHistoryError: public.flyway_schema_history (flyway's history) records migrations and schemaguard has recorded nothing here: this first deploy would run all 1 migration file again",
      );
      expect(response.Reason).toContain(
        "fix: set the SchemaMigrations prop baseline: { from: 'flyway', reason: '…' }, after granting the database secret's user SELECT on public.flyway_schema_history, which it cannot read here (permission denied for table flyway_schema_history)",
      );
      expect(await catalogFingerprint(r.url)).toBe(before);
    } finally {
      await r.done();
    }
  });

  // Regression (exploratory tester): a deploy of a pg_dump file named one problem a deploy.
  it('files with many problems: CloudFormation gets FAILED listing each whole, as many as fit, within the response limit; nothing runs', async () => {
    const many = Array.from({ length: 40 }, (_, k) => `\\set v${k} ${k}`).join('\n');
    const r = await handlerRig(transcript, target, 'many_problems', {
      ...BASE,
      '2_dump.sql': '\\restrict Kx9\nCREATE TABLE d (a int);\nCOPY public.d (a) FROM stdin;\n1\n\\.\n',
      '3_vars.sql': many,
    });
    try {
      const before = await catalogFingerprint(r.url);
      const response = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
      transcript.add(JSON.stringify(response));
      expect(response.Status).toBe('FAILED');
      expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(4096);
      expect(response.Reason).toContain(
        '[migration 2_dump.sql, line 1] | InputError: 42 problems in the migration files: (1) 2_dump.sql:1: psql meta-command "\\restrict" is not SQL (2) 2_dump.sql:3: COPY … FROM STDIN',
      );
      expect(response.Reason).toMatch(
        /\(\d+\) 3_vars\.sql:\d+: psql meta-command "\\set" is not SQL … and \d+ more \| fix: run schemaguard lint \(or plan\) on the migrations directory/,
      );
      expect(await catalogFingerprint(r.url)).toBe(before);
    } finally {
      await r.done();
    }
  });

  it('properties from an older version of the construct (no FilesHash, an old key) are accepted: the files decide', async () => {
    const r = await handlerRig(transcript, target, 'old_props', BASE);
    try {
      const response = await r.harness.send({ RequestType: 'Create', ResourceProperties: { MigrationsHash: 'abc123', Version: 1 } });
      transcript.add(JSON.stringify(response));
      expect(response.Status, response.Reason).toBe('SUCCESS');
      expect(response.Data).toMatchObject({ AppliedVersions: '1' });
      const stale = await r.harness.send({
        RequestType: 'Update',
        PhysicalResourceId: response.PhysicalResourceId,
        ResourceProperties: { FilesHash: 'sha256-of-older-files' },
        OldResourceProperties: {},
      });
      expect(stale.Status, stale.Reason).toBe('SUCCESS');
      expect(r.lines.some((l) => l.includes('the bundled files differ from the files the template was synthesised with'))).toBe(true);
    } finally {
      await r.done();
    }
  });

  it.each([
    ['TLS mode', { [ENV.tls]: 'maybe' }, `${ENV.tls}="maybe" is not one of verify-full, disable`],
    ['reserve', { [ENV.reserveMs]: 'soon' }, `${ENV.reserveMs}="soon" is not an integer between 0 and 600000`],
    ['port', { [ENV.port]: '70000' }, `${ENV.port}="70000" is not an integer between 1 and 65535`],
    ['secret ARN', { [ENV.secretArn]: '' }, `${ENV.secretArn} is not set`],
  ])('a bad %s in the function environment: FAILED naming the variable and the value', async (_name, env, message) => {
    const r = await handlerRig(transcript, target, 'bad_env', BASE, { env });
    try {
      const before = await catalogFingerprint(r.url);
      const response = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
      transcript.add(JSON.stringify(response));
      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toContain(message);
      expect(await catalogFingerprint(r.url)).toBe(before);
    } finally {
      await r.done();
    }
  });

  it("a bad SCHEMAGUARD_STATE_SCHEMA: FAILED under the environment variable's name, not the CLI flag --state-schema", async () => {
    const schema = 's'.repeat(64);
    const r = await handlerRig(transcript, target, 'bad_state_schema', BASE, { env: { [ENV.stateSchema]: schema } });
    try {
      const before = await catalogFingerprint(r.url);
      const response = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props() });
      transcript.add(JSON.stringify(response));
      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toContain(`${ENV.stateSchema}: "${schema}" is not a usable schema name`);
      expect(response.Reason).not.toContain('--state-schema');
      expect(await catalogFingerprint(r.url)).toBe(before);
    } finally {
      await r.done();
    }
  });

  it('a secret without a password: FAILED naming what is missing, never the secret text', async () => {
    const r = await handlerRig(transcript, target, 'bad_secret', BASE);
    const handlers = createHandlers({
      secrets: { send: async () => ({ SecretString: JSON.stringify({ username: 'app', host: '127.0.0.1', note: 'Leaky-Secret-Text-9' }) }) },
      env: envOf(r),
      write: (line) => transcript.add(line),
    });
    try {
      const e = await handlers.onEvent(r.event('Create'), context(60_000)).then(
        () => undefined,
        (x: unknown) => x as Error,
      );
      expect(e?.message).toContain(`the database secret ${SECRET_ARN} has no password`);
      expect(e?.message).not.toContain('Leaky-Secret-Text-9');
    } finally {
      await r.done();
    }
  });
});

describe('Bad input: cdk.json context (the real app, bin/app.ts)', () => {
  const runApp = (context: Record<string, unknown>) =>
    new Promise<{ code: number; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'app.ts')], {
        cwd: ROOT,
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: tempDir({}, 'cdkout') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.stdout.resume();
      child.on('error', reject);
      child.on('close', (code) => {
        transcript.add(stderr);
        resolve({ code: code ?? -1, stderr });
      });
    });

  it('an unknown key, and a bad instance class: exit 2 naming the key and the value, before anything is synthesised', async () => {
    const [unknown, badClass] = await Promise.all([
      runApp({ 'schemaguard:instanceType': 'm7g.large' }),
      runApp({ 'schemaguard:instanceClass': 'db.t4g.gigantic' }),
    ]);
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toContain('schemaguard: unknown context key schemaguard:instanceType; the known keys are');
    expect(badClass.code, badClass.stderr).toBe(2);
    expect(badClass.stderr).toContain(
      'schemaguard: context schemaguard:instanceClass: "db.t4g.gigantic" is not an RDS instance class; write it like t4g.micro',
    );
  }, 60_000);
});

describe('Security: the output of these runs', () => {
  it('holds no password and no connection string with a password', () => {
    expect(transcript.texts.length).toBeGreaterThan(40);
    expect(leaks(transcript.texts, [...transcript.secrets, target.password, 'Sup3r-Secret-1', 'Wr0ng:P@ss/word%', 'Leaky-Secret-Text-9'])).toEqual([]);
  });
});
