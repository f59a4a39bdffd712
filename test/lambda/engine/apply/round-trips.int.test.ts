/**
 * A transactional migration in one message (pg: `Session.script`) must mean
 * what it meant a statement at a time (the Data API still sends them one by
 * one): a failure anywhere in the message commits nothing of it and names
 * the file's line — whether PostgreSQL reports a position (a parse or
 * analysis error, counted in characters of the whole message) or not (a
 * unique violation); the state row is exact; checks see the body and decide
 * the commit. And it must save what it promises: one round trip per file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { MESSAGE_CHARS } from '../../../../lambda/engine/apply/apply-script';
import { CheckFailedError, StatementError } from '../../../../lambda/engine/errors/errors';
import { CHECK_PREFIX } from '../../../../lambda/engine/apply/script';
import { migrate } from '../../../../lambda/engine/runner';
import { IN_MEMORY_BYTES, loadMigrations } from '../../../../lambda/engine/files/source';
import { CountingDriver } from '../../../../bench/lib/counting-driver';
import { dropDatabases, freshDatabase, rows, withClient } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

/** A message without the comment naming its file that heads it. */
const uncommented = (s: string) => s.replace(/^\/\* schemaguard: applying \S+ \*\/ /, '');

const tables = async (url: string) =>
  (await rows<{ t: string }>(url, "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map((r) => r.t);
const applied = async (url: string) =>
  (await rows<{ version: string }>(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY 1')).map((r) => Number(r.version));

describe.each(driverCases())('Function: migrate, a transactional file as one message, on $name', ({ target, driver }) => {
  it('reports the line and position of an error in the first statement of a file', async () => {
    const url = await freshDatabase(target, 'first_stmt');
    const dir = tempDir({ '1_bad.sql': '-- header\n\nSELECT 1\n  FROM missing_table;\nCREATE TABLE never (id int);' });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(StatementError);
    expect(e.message).toBe('1_bad.sql:4: relation "missing_table" does not exist');
    expect(e.line).toBe(4);
    // Relative to the statement's own text, as when it is sent alone.
    expect(e.position).toBe('SELECT 1\n  FROM '.length + 1);
    expect(await tables(url)).toEqual([]);
  });

  it('commits nothing of a file whose statement in the middle fails without a position (a unique violation), and names its line', async () => {
    const url = await freshDatabase(target, 'middle_runtime');
    const dir = tempDir({
      '1_ok.sql': 'CREATE TABLE kept (id int PRIMARY KEY);',
      '2_bad.sql':
        'CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a VALUES (1);\n-- the same key again\nINSERT INTO a\n  VALUES (1);\nCREATE TABLE b (id int);\n',
      '3_never.sql': 'CREATE TABLE never (id int);',
    });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(StatementError);
    expect(e.message).toMatch(/^2_bad\.sql:4: duplicate key value violates unique constraint "a_pkey"/);
    expect(e).toMatchObject({ file: '2_bad.sql', line: 4, sqlstate: '23505', statement: 'INSERT INTO a\n  VALUES (1)' });
    expect(e.position).toBeUndefined();
    expect(await tables(url)).toEqual(['kept']);
    expect(await applied(url)).toEqual([1]);
  });

  it('names the line and position of an analysis error in the middle, with characters PostgreSQL counts one by one before it', async () => {
    const url = await freshDatabase(target, 'middle_position');
    const dir = tempDir({
      '1_bad.sql': "CREATE TABLE a (note text);\nINSERT INTO a VALUES ('ünï😀😀');\nSELECT note,\n       nope\n  FROM a;\nCREATE TABLE b (id int);",
    });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e.message).toBe('1_bad.sql:4: column "nope" does not exist');
    expect(e.position).toBe('SELECT note,\n       '.length + 1);
    expect(await tables(url)).toEqual([]);
  });

  it('runs nothing of a file with a syntax error further down (PostgreSQL parses the whole message first), and names the line', async () => {
    const url = await freshDatabase(target, 'syntax');
    const dir = tempDir({ '1_bad.sql': 'CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nSELEC 2;\n' });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e.message).toBe('1_bad.sql:3: syntax error at or near "SELEC"');
    expect(e.position).toBe(1);
    expect(await tables(url)).toEqual([]);
  });

  it('keeps a statement that ends in a -- comment apart from the next one', async () => {
    const url = await freshDatabase(target, 'comment_end');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int) -- the first\n;\nCREATE TABLE b (id int) -- no semicolon after this one' });

    await runEngine(driver, url, dir);

    expect(await tables(url)).toEqual(['a', 'b']);
  });

  it('rolls the body back when a check finds rows, and shows them; a passing check lets it commit', async () => {
    const url = await freshDatabase(target, 'check');
    const dir = tempDir({
      '1_ok.sql': 'CREATE TABLE t (id int, v int);\nINSERT INTO t VALUES (1, 1);\n-- schemaguard:check no v is null\nSELECT id FROM t WHERE v IS NULL;',
      '2_bad.sql':
        'INSERT INTO t VALUES (2, NULL), (3, NULL);\nCREATE TABLE never (id int);\n-- schemaguard:check no v is null\nSELECT id FROM t WHERE v IS NULL ORDER BY id;',
    });

    const e = await rejection<CheckFailedError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(CheckFailedError);
    expect(e.message).toBe('2_bad.sql:4: check failed: no v is null (2 offending rows)');
    expect(e.rows).toEqual([{ id: '2' }, { id: '3' }]);
    expect(await tables(url)).toEqual(['t']);
    expect(await rows(url, 'SELECT id FROM t ORDER BY id')).toEqual([{ id: 1 }]);
    expect(await applied(url)).toEqual([1]);
  });

  it('records names and applied_by with quotes and backslashes exactly, and the execution time it reports', async () => {
    const url = await freshDatabase(target, 'literal');
    const dir = tempDir({ '1_ok.sql': 'CREATE TABLE a (id int);\nSELECT pg_sleep(0.05);' });
    const appliedBy = `stack:o'brien\\dev -- ; DROP TABLE a; "x"`;

    const r = await runEngine(driver, url, dir, { appliedBy });

    const state = await rows<{ name: string; applied_by: string; execution_ms: number }>(
      url,
      'SELECT name, applied_by, execution_ms FROM schemaguard.applied_migrations',
    );
    expect(state).toEqual([{ name: 'ok', applied_by: appliedBy, execution_ms: r.applied[0]!.executionMs }]);
    expect(r.applied[0]!.executionMs).toBeGreaterThanOrEqual(50);
    expect(await tables(url)).toEqual(['a']);
  });

  it('rolls back the whole migration when the state row cannot be written', async () => {
    const url = await freshDatabase(target, 'state_fail');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);' });
    await runEngine(driver, url, dir, { migrations: loadMigrations(dir).slice(0, 1) });
    // A trigger that refuses version 2's state row, after the migration's statements ran.
    await withClient(url, (c) =>
      c.query(`
      CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'state row refused'; END $$;
      CREATE TRIGGER refuse BEFORE INSERT ON schemaguard.applied_migrations FOR EACH ROW EXECUTE FUNCTION public.refuse();`),
    );

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e.message).toBe('2_b.sql: state row refused');
    expect(e.file).toBe('2_b.sql');
    expect(e.line).toBeUndefined();
    expect(await tables(url)).toEqual(['a']);
    expect(await applied(url)).toEqual([1]);
  });
});

describe.each(driverCases().filter((c) => c.driver.name === 'pg'))('Function: migrate round trips on $name', ({ target, driver }) => {
  // The Data API sends a file statement by statement: the size of a message is pg's concern.
  it('commits nothing of a file larger than one message when its last statement fails, and names that line', async () => {
    const url = await freshDatabase(target, 'large');
    const rowsIn = Math.ceil((IN_MEMORY_BYTES + MESSAGE_CHARS) / 50);
    const body = [
      'CREATE TABLE big (id int PRIMARY KEY, note text);',
      ...Array.from({ length: rowsIn }, (_, k) => `INSERT INTO big VALUES (${k + 1}, 'row ${k + 1}');`),
    ];
    const dir = tempDir({ '1_big.sql': `${body.join('\n')}\nINSERT INTO big VALUES (7, 'again');\n` });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e.message).toMatch(new RegExp(`^1_big\\.sql:${body.length + 1}: duplicate key value violates unique constraint "big_pkey"`));
    expect(await tables(url)).toEqual([]);
  }, 240_000);

  it('sends a statement longer than many scanner windows byte for byte, and maps an error deep inside it to its line and position', async () => {
    const url = await freshDatabase(target, 'long_statement');
    const rowsIn = Math.ceil((IN_MEMORY_BYTES * 1.2) / 40);
    const note = (k: number) => `ünï😀 ${k}; '' -- ${'é'.repeat(k % 7)}`;
    const values = Array.from({ length: rowsIn }, (_, k) => `  (${k + 1}, '${note(k + 1)}')`);
    const head = 'CREATE TABLE big (id int PRIMARY KEY, note text);\nINSERT INTO big VALUES\n';
    const bad = rowsIn - 5;
    const withError = [...values];
    withError[bad - 1] = `  (${bad}, 'x' +\n     nope)`;
    const badDir = tempDir({ '1_big.sql': `${head}${withError.join(',\n')};\n` });

    const e = await rejection<StatementError>(runEngine(driver, url, badDir));

    // The row's second line: the statement's second line is the first row, so row k is on line k + 2.
    expect(e.message).toBe(`1_big.sql:${bad + 3}: column "nope" does not exist`);
    // What the error shows of the statement: its start, from the first pieces (it is never decoded whole for this).
    expect(e.statement).toBe(`${`${head.split('\n')[1]}\n${withError.join(',\n')}`.slice(0, 499)}…`);
    expect(await tables(url)).toEqual([]);

    const dir = tempDir({ '1_big.sql': `${head}${values.join(',\n')};\n` });
    await runEngine(driver, url, dir);
    const [got] = await rows<{ n: string; md5: string }>(url, "SELECT count(*) AS n, md5(string_agg(note, '|' ORDER BY id)) AS md5 FROM big");
    expect(Number(got!.n)).toBe(rowsIn);
    const expected = await rows<{ md5: string }>(url, 'SELECT md5($1) AS md5', [values.map((_, k) => note(k + 1).replaceAll("''", "'")).join('|')]);
    expect(got!.md5).toBe(expected[0]!.md5);
  }, 240_000);

  // Regression: the error path decoded the statement whole to learn its passwords, but must still find one deep inside it.
  it('masks a password deep inside a statement longer than many scanner windows where the server repeats it', async () => {
    const url = await freshDatabase(target, 'long_secret');
    const secret = 'Deep5ecret-9f3a';
    const values = Array.from({ length: Math.ceil((IN_MEMORY_BYTES * 1.2) / 12) }, (_, k) => `  (${k + 1})`);
    const bad = values.length - 3;
    values[bad - 1] = `  ('host=db password=${secret}')`;
    const dir = tempDir({ '1_big.sql': `CREATE TABLE big (id int);\nINSERT INTO big VALUES\n${values.join(',\n')};\n` });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e.message).toBe(`1_big.sql:${bad + 2}: invalid input syntax for type integer: "host=db password=****"`);
    expect(JSON.stringify({ ...e, message: e.message })).not.toContain(secret);
    expect(await tables(url)).toEqual([]);
  }, 240_000);

  it('applies a string and a dollar-quoted body each longer than many scanner windows exactly, and names the line of one left open', async () => {
    const url = await freshDatabase(target, 'long_token');
    const lines = Array.from({ length: Math.ceil((IN_MEMORY_BYTES * 1.2) / 30) }, (_, k) => `ünï😀 ${k}; it''s $$ -- not a comment`);
    const text = lines.join('\n');
    const dir = tempDir({
      '1_long.sql': `CREATE TABLE t (s text);\nINSERT INTO t VALUES ('${text}');\nCREATE FUNCTION body() RETURNS text LANGUAGE sql AS $body$ SELECT $q$${text}$q$ $body$;\n`,
    });
    await runEngine(driver, url, dir);
    const expected = text.replaceAll("''", "'");
    const [got] = await rows<{ same: boolean; body: boolean }>(url, 'SELECT (SELECT s FROM t) = $1 AS same, body() = $2 AS body', [expected, text]);
    expect(got).toEqual({ same: true, body: true });

    const open = tempDir({ '2_open.sql': `SELECT 1;\nCREATE FUNCTION open() RETURNS text LANGUAGE sql AS $body$\n${text}\n` });
    const e = await rejection<Error>(runEngine(driver, url, open));
    expect(e.message).toBe('2_open.sql:2: unterminated dollar-quoted string $body$');
  }, 240_000);

  it('sends each transactional file as one message, a file with checks as two; six round trips find nothing to do', async () => {
    const url = await freshDatabase(target, 'count');
    const dir = tempDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_b.sql': 'CREATE TABLE b (id int);\nCREATE INDEX ON b (id);\nINSERT INTO b VALUES (1);',
      '3_c.sql': 'INSERT INTO b VALUES (2);\n-- schemaguard:check b has rows\nSELECT 1 WHERE NOT EXISTS (SELECT FROM b);',
    });
    const run = async () => {
      const d = new CountingDriver(new PgDriver({ connectionString: url }));
      await migrate({ driver: d, migrations: loadMigrations(dir), appliedBy: 'test' });
      return d;
    };

    const first = await run();
    const second = await run();

    // A new database: the state table is created in a transaction of its own, committed once every file parsed.
    const [stateBegin, ...rest] = first.texts.slice(first.texts.indexOf('BEGIN; SET LOCAL …'));
    expect(stateBegin).toBe('BEGIN; SET LOCAL …');
    // Serialised with a lease runner creating (or, backing off, removing) the lease table and the schema.
    expect(rest.slice(0, 5).map((s) => s.split(' ').slice(0, 3).join(' '))).toEqual([
      'SELECT pg_advisory_xact_lock($1::bigint)',
      'DO $schemaguard$ BEGIN\n',
      'CREATE TABLE IF',
      'COMMENT ON TABLE',
      'COMMIT',
    ]);
    // Each file's message is headed by the comment naming it (what pg_stat_activity shows of it).
    expect(
      rest
        .slice(5)
        .filter((s) => s.startsWith('/* schemaguard: applying '))
        .map((s) => /^\/\* schemaguard: applying (\S+) \*\//.exec(s)?.[1]),
    ).toEqual(['1_a.sql', '2_b.sql', '3_c.sql']);
    const work = rest
      .slice(5)
      .map(uncommented)
      .filter((s) => s.startsWith('BEGIN') || s.includes('COMMIT'));
    const start = "BEGIN; SELECT set_config('lock_timeout', '5000', true), set_config('statement_timeout', '0', true)";
    expect(work.map((s) => s.slice(0, start.length))).toEqual([
      start,
      start,
      start,
      'CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DEALLOCATE ALL; UNLISTEN *; DISCARD PLANS; DISCARD TEMP'.slice(0, start.length),
    ]);
    // Files 1 and 2 were in flight together: 2 checks, after BEGIN, that 1 committed (the mark its state row set) and the runner lock is still taken.
    expect(work[0]).not.toContain('AS guard');
    expect(work[0]).toContain("RETURNING execution_ms, set_config('schemaguard.in_flight_applied', '1', false) AS mark");
    expect(work[1]).toContain("1 / (CASE WHEN current_setting('schemaguard.in_flight_applied', true) = '1' AND NOT pg_try_advisory_xact_lock_shared(");
    expect(work.filter((s) => s.endsWith('COMMIT\n;\n'))).toHaveLength(3);
    // The session reset between files rides in the message of the state row and COMMIT.
    expect(work[0]).toMatch(
      /CREATE TABLE a \(id int\)\n;\nCLOSE ALL; .*\n;\nINSERT INTO "schemaguard"\."applied_migrations" .* RETURNING execution_ms, set_config.* AS mark\n;\nCOMMIT\n;\n$/s,
    );
    expect(work[1]).toMatch(/CREATE INDEX ON b \(id\)\n;\nINSERT INTO b VALUES \(1\)\n;\nCLOSE ALL; /);
    expect(work[2]).toContain(`${CHECK_PREFIX}SELECT 1 WHERE NOT EXISTS (SELECT FROM b)\n) AS schemaguard_check LIMIT 1001`);
    expect(work[2]).not.toContain('COMMIT');
    // Up to date: connect, try-lock, a lease table (the lock's other form)?, state exists?, read state, unlock.
    expect(second.roundTrips).toBe(6);
    expect(second.connections).toBe(1);

    // One new file, the state table up to date: its columns are read once, under the lock, and nothing prepares it.
    writeFileSync(join(dir, '4_d.sql'), 'CREATE TABLE d (id int);');
    const third = await run();
    expect(third.texts.filter((s) => s.includes('to_regclass') && s.includes('pg_attribute'))).toHaveLength(1);
    expect(third.texts.map(uncommented).filter((s) => s.startsWith('BEGIN') || s.includes('COMMIT'))).toHaveLength(1);
  });
});
