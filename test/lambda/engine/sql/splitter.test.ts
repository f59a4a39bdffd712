import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../lambda/engine/errors/errors';
import { lineOfPosition, SCAN_WINDOW, scanSql, splitSql, StatementScanner, type ScanResult } from '../../../../lambda/engine/sql/splitter';

const texts = (sql: string) => splitSql(sql).map((s) => s.text);

describe('Function: splitSql', () => {
  it('splits on semicolons and records the line of each statement', () => {
    const out = splitSql('CREATE TABLE a (id int);\n\n  INSERT INTO a VALUES (1);\nSELECT 1');
    expect(out.map((s) => [s.text, s.line, s.column, s.terminated])).toEqual([
      ['CREATE TABLE a (id int)', 1, 1, true],
      ['INSERT INTO a VALUES (1)', 3, 3, true],
      ['SELECT 1', 4, 1, false],
    ]);
  });

  it('keeps semicolons inside strings, quoted identifiers and comments', () => {
    expect(texts(`INSERT INTO "we;ird" VALUES ('a;b', E'c\\';d'); -- x;y\nSELECT /* p; /* nested; */ q; */ 2;`)).toEqual([
      `INSERT INTO "we;ird" VALUES ('a;b', E'c\\';d')`,
      'SELECT /* p; /* nested; */ q; */ 2',
    ]);
  });

  it('keeps dollar-quoted bodies whole, with and without tags', () => {
    const sql = `CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;
DO $$ BEGIN PERFORM 1; END $$;`;
    expect(splitSql(sql)).toHaveLength(2);
    expect(texts(sql)[1]).toBe('DO $$ BEGIN PERFORM 1; END $$');
  });

  it('does not take $1 parameters or identifiers with $ for dollar quotes', () => {
    expect(texts('SELECT $1, a$b$ FROM t; SELECT 2')).toEqual(['SELECT $1, a$b$ FROM t', 'SELECT 2']);
  });

  it('keeps a SQL-standard BEGIN ATOMIC body whole, CASE … END included', () => {
    const sql = `CREATE OR REPLACE FUNCTION g(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;
  SELECT 2;
END;
SELECT 3;`;
    const out = splitSql(sql);
    expect(out).toHaveLength(2);
    expect(out[0]!.text.endsWith('END')).toBe(true);
    expect(out[1]!.line).toBe(6);
  });

  it('reports words outside literals only', () => {
    const [s] = splitSql(`CREATE INDEX i ON t (a) WHERE b = 'concurrently' -- concurrently`);
    expect(s!.words).not.toContain('concurrently');
    expect(s!.words.slice(0, 2)).toEqual(['create', 'index']);
  });

  it.each([
    ["SELECT 'abc", 'unterminated quoted string'],
    ['SELECT "abc', 'unterminated quoted identifier'],
    ['SELECT $x$ abc', 'unterminated dollar-quoted string $x$'],
    ['SELECT 1 /* abc', 'unterminated /* comment'],
    ['\\i other.sql', 'psql meta-command'],
    ["INSERT INTO t VALUES (:'app_name')", "psql variable :'app_name' is not SQL"],
    ['SELECT * FROM :"table_name"', 'psql variable :"table_name" is not SQL'],
    // Regression (newcomer): a bare psql variable reached the server as a syntax error at ":".
    ['ALTER TABLE :tbl ADD COLUMN c int', 'psql variable :tbl is not SQL'],
    ['INSERT INTO t VALUES (:next_id, 1)', 'psql variable :next_id is not SQL'],
    ['GRANT SELECT ON t TO :app_role', 'psql variable :app_role is not SQL'],
    ['CREATE INDEX i ON :tbl (a)', 'psql variable :tbl is not SQL'],
    // Regression (exploratory tester): where psql scripts put a value, the server got a syntax error at ":" after the files before it had run.
    ["CREATE ROLE app LOGIN PASSWORD :'app_password'", "psql variable :'app_password' is not SQL"],
    ["ALTER ROLE app ENCRYPTED PASSWORD :'pw' VALID UNTIL '2030-01-01'", "psql variable :'pw' is not SQL"],
    ["ALTER ROLE app VALID UNTIL :'until'", "psql variable :'until' is not SQL"],
    ['ALTER TABLE t SET TABLESPACE :ts', 'psql variable :ts is not SQL'],
    ['SELECT * FROM t FETCH FIRST :n ROWS ONLY', 'psql variable :n is not SQL'],
    ['SELECT * FROM t WHERE a BETWEEN :lo AND 9', 'psql variable :lo is not SQL'],
    // Regression (exploratory tester): a `[` in a string, a comment, a body or a quoted name hid the variable after it.
    ["SELECT '[' || :'var'", "psql variable :'var' is not SQL"],
    ["SELECT regexp_replace(s, '[a-z', '') FROM t WHERE id = :'id'", "psql variable :'id' is not SQL"],
    ["SELECT 1 /* [ comment */, :'id'", "psql variable :'id' is not SQL"],
    ["SELECT $$ [ $$, :'id'", "psql variable :'id' is not SQL"],
    ['SELECT "a[", :\'id\' FROM t', "psql variable :'id' is not SQL"],
    // Regression (exploratory tester): Flyway's placeholders reached the server as "syntax error at or near $".
    ['CREATE TABLE ${flyway:defaultSchema}.t (a int)', 'Flyway placeholder ${flyway:defaultSchema} is not SQL'],
    ['INSERT INTO t VALUES (1, ${name})', 'Flyway placeholder ${name} is not SQL'],
    // Regression (newcomer): a Go template's action reached the server as "syntax error at or near {".
    ['CREATE TABLE {{ .Schema }}.t (a int)', 'Go template action {{ .Schema }} is not SQL'],
    ['{{- if .Partitioned }}', 'Go template action {{- if .Partitioned }} is not SQL'],
    ['SELECT {{ .Unclosed', 'Go template action {{ .Unclosed is not SQL'],
  ])('refuses %j with the line it starts on', (sql, message) => {
    let caught: unknown;
    try {
      splitSql(`SELECT 1;\n${sql}`, { file: 'x.sql' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).message).toContain(message);
    expect((caught as InputError).line).toBe(2);
    expect((caught as InputError).file).toBe('x.sql');
  });

  it('keeps a cast to a quoted type, an array slice, and a colon before a quote inside a string or body', () => {
    const sql =
      'SELECT x::"text" FROM s;\nSELECT (a)[1:n] FROM s;\nSELECT \':\'\'x\'\'\', $$ :\'y\' $$;\nSELECT v[1:"Hi"], v[:"Hi"], v[lo : "Hi"] FROM s;' +
      "\nSELECT x::text, a[lo:hi], a[1:n], a[:n], f(p := 1), $1::int FROM s;\nSELECT ':x', $$ :y $$ /* :z */;" +
      // Regression (review): a slice between columns named like keywords read as a psql variable (PostgreSQL runs these).
      '\nSELECT vals[index:index], vals[sequence:sequence + 1], m[1][role:role] FROM s;';
    expect(splitSql(sql).map((x) => x.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('reports top-level line comments, not those inside strings', () => {
    const { comments } = scanSql(`-- a\nSELECT '-- b' -- c\n;`);
    expect(comments.map((c) => [c.line, c.text, c.ownLine])).toEqual([
      [1, '-- a', true],
      [2, '-- c', false],
    ]);
  });
});

describe('Function: lineOfPosition', () => {
  it('maps a 1-based character position in a statement to a line in the file', () => {
    const [, s] = splitSql('SELECT 1;\nSELECT\n  x\n  FROM nowhere;');
    expect(lineOfPosition(s!, 'SELECT\n  x\n  F'.length)).toBe(4);
    expect(lineOfPosition(s!, undefined)).toBe(2);
  });
});

describe('Class: StatementScanner', () => {
  const scanInPieces = (sql: string, cuts: number[], options = {}) => {
    const out: ScanResult = { statements: [], comments: [] };
    const scanner = new StatementScanner({ statement: (s) => out.statements.push(s), comment: (c) => out.comments.push(c) }, options);
    let from = 0;
    for (const cut of [...cuts, sql.length]) {
      scanner.push(sql.slice(from, cut));
      from = cut;
    }
    scanner.end();
    return out;
  };
  const sample = `-- schemaguard:lock-timeout=2s
CREATE TABLE "we;ird" (id int); -- after code
INSERT INTO "we;ird" VALUES (1), (2);
  -- own line, indented
DO $body$ BEGIN PERFORM 'a;b'; END $body$;
SELECT E'c\\';d', /* p; /* nested; */ q; */ 2;
CREATE FUNCTION g(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;
END;
SELECT 'ünïcødé 😀' AS x -- no semicolon at the end`;

  it('finds the same statements and comments wherever the input is cut, at every character', () => {
    const whole = scanSql(sample);
    for (let cut = 0; cut <= sample.length; cut++) {
      expect(scanInPieces(sample, [cut]), `cut at ${cut}`).toEqual(whole);
    }
  });

  it('finds the same in many small pieces, with the lines of a text that starts further down', () => {
    const whole = scanSql(sample, { firstLine: 40 });
    const cuts = Array.from({ length: Math.floor(sample.length / 7) }, (_, k) => (k + 1) * 7);
    expect(scanInPieces(sample, cuts, { firstLine: 40 })).toEqual(whole);
  });

  it('hands a statement out only once the text shows it complete, and keeps only the unfinished one', () => {
    const seen: string[] = [];
    const scanner = new StatementScanner({ statement: (s) => seen.push(s.text) });
    scanner.push('SELECT 1; SELE');
    expect(seen).toEqual(['SELECT 1']);
    scanner.push('CT 2; -- a comment cut in');
    expect(seen).toEqual(['SELECT 1', 'SELECT 2']);
    scanner.push(' two\nSELECT 3');
    scanner.end();
    expect(seen).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3']);
  });

  it('reads what depends on the text around a cut the same wherever the cut: slices, casts, parameters, dollar tags, E strings', () => {
    const sql = `SELECT v[1:n], v[lo:"hi"], x::text, $1 FROM t;
SELECT xE'a' AS e, E'b\\';c' AS f;
DO $tag$ BEGIN PERFORM 1; END $tag$;
SELECT $$;$$ -- the end`;
    const whole = scanSql(sql);
    expect(whole.statements).toHaveLength(4);
    for (let cut = 0; cut <= sql.length; cut++) expect(scanInPieces(sql, [cut]), `cut at ${cut}`).toEqual(whole);
  });

  it('refuses a psql variable, a placeholder and a meta-command with the same message wherever the cut', () => {
    for (const bad of ["SELECT 1;\nSELECT :'name';", 'SELECT 1;\nSELECT ${schema}.t;', 'SELECT 1;\n\\i other.sql\n']) {
      let expected = '';
      try {
        scanSql(bad, { file: 'x.sql' });
      } catch (e) {
        expected = (e as Error).message;
      }
      expect(expected).toMatch(/^x\.sql:2: /);
      for (let cut = 0; cut <= bad.length; cut++) expect(() => scanInPieces(bad, [cut], { file: 'x.sql' }), `${bad} cut at ${cut}`).toThrow(expected);
    }
  });

  it('finds a statement longer than many windows whole, with every statement around it, whatever the pieces', () => {
    const rows = Array.from({ length: 12_000 }, (_, k) => `(${k}, 'row; ${k}', $$a;b$$, E'c\\'d')`).join(',\n');
    const sql = `SELECT 1;\nINSERT INTO t VALUES\n${rows};\n-- after\nSELECT 2`;
    expect(sql.length).toBeGreaterThan(4 * SCAN_WINDOW);
    const whole = scanSql(sql);
    expect(whole.statements.map((s) => s.line)).toEqual([1, 2, 12_004]);
    expect(whole.statements[1]!.text).toBe(`INSERT INTO t VALUES\n${rows}`);
    for (const size of [997, SCAN_WINDOW - 1, SCAN_WINDOW + 13]) {
      const cuts = Array.from({ length: Math.floor(sql.length / size) }, (_, k) => (k + 1) * size);
      expect(scanInPieces(sql, cuts), `pieces of ${size}`).toEqual(whole);
    }
  });

  /** A pg_dump file's shape: meta-commands, a COPY with data lines that are not SQL (a quote, a semicolon, a comment's dashes), placeholders. */
  const dump = [
    '\\restrict Kx9',
    'SET statement_timeout = 0;',
    'COPY public.t (a, b) FROM stdin;',
    "1\tit's; -- not a comment",
    '2\t/* nor this',
    '\\.',
    "CREATE TABLE u (id int, s text DEFAULT :'v');",
    'GRANT SELECT ON u TO ${role};',
    'SELECT {{ .Name }}; \\gset',
    '{{- if .Partitioned }}',
    'COPY public.u FROM stdin;',
    "3\tno end marker: the data runs to the end, as psql reads it'",
  ].join('\n');

  const scanProblems = (sql: string, cuts: number[]) => {
    const out = { statements: [] as [number, string][], problems: [] as [number | undefined, string | undefined, boolean][] };
    const scanner = new StatementScanner(
      {
        statement: (s) => out.statements.push([s.line, s.text]),
        problem: (e, leftOpen) => out.problems.push([e.line, e.value, leftOpen === true]),
      },
      { file: 'x.sql' },
    );
    let from = 0;
    for (const cut of [...cuts, sql.length]) {
      scanner.push(sql.slice(from, cut));
      from = cut;
    }
    scanner.end();
    return out;
  };

  it('hands meta-commands, psql variables and placeholders to a sink that takes problems, steps over them and over COPY data, wherever the cut', () => {
    const expected = {
      statements: [
        [2, 'SET statement_timeout = 0'],
        [3, 'COPY public.t (a, b) FROM stdin'],
        [7, "CREATE TABLE u (id int, s text DEFAULT :'v')"],
        [8, 'GRANT SELECT ON u TO ${role}'],
        [9, 'SELECT {{ .Name }}'],
        [11, 'COPY public.u FROM stdin'],
      ],
      problems: [
        [1, '\\restrict', false],
        [7, ":'v'", false],
        [8, '${role}', false],
        [9, '{{ .Name }}', false],
        [9, '\\gset', false],
        [10, '{{- if .Partitioned }}', false],
      ],
    };
    expect(scanProblems(dump, [])).toEqual(expected);
    for (let cut = 0; cut <= dump.length; cut++) expect(scanProblems(dump, [cut]), `cut at ${cut}`).toEqual(expected);
    expect(
      scanProblems(
        dump,
        Array.from({ length: dump.length }, (_, k) => k + 1),
      ),
    ).toEqual(expected);
  });

  it('hands text left open over as the last problem, after the statements before it', () => {
    expect(scanProblems("\\connect app\nSELECT 1;\nSELECT 'abc\n;", [])).toEqual({
      statements: [[2, 'SELECT 1']],
      problems: [
        [1, '\\connect', false],
        [3, undefined, true],
      ],
    });
  });

  it("keeps what PostgreSQL reads as part of a name: a no-break space at a statement's start or end is no whitespace", () => {
    expect(splitSql('\u00a0 x').map((s) => [s.text, s.offset, s.column])).toEqual([['\u00a0 x', 0, 1]]);
    expect(splitSql('SELECT 1 AS a\u00a0;\nSELECT 2 \t\f\v\r\n;').map((s) => s.text)).toEqual(['SELECT 1 AS a\u00a0', 'SELECT 2']);
    const long = `\u00a0${'\u00a0'.repeat(SCAN_WINDOW + 10)} x`;
    expect(splitSql(long)[0]!.text).toBe(long);
  });

  it("reads a dollar tag that runs past a window's end, however long", () => {
    const tag = `$${'a'.repeat(300)}$`;
    const sql = `${'SELECT 1;'.padEnd(SCAN_WINDOW - 280)}SELECT ${tag} x; y ${tag};`;
    expect(splitSql(sql).map((s) => s.text)).toEqual(['SELECT 1', `SELECT ${tag} x; y ${tag}`]);
  });

  it('looks back from a colon the same distance wherever the text is cut', () => {
    for (const gap of [10, 9000]) {
      const sql = `SELECT y${'\n'.repeat(gap)}:name FROM t;`;
      let whole = '';
      try {
        whole = JSON.stringify(scanSql(sql));
      } catch (e) {
        whole = (e as Error).message;
      }
      for (const at of [1, 100, 5000, gap]) {
        let got = '';
        try {
          got = JSON.stringify(scanInPieces(sql, [at]));
        } catch (e) {
          got = (e as Error).message;
        }
        expect(got, `gap ${gap}, cut at ${at}`).toBe(whole);
      }
    }
  });

  it('refuses what is left open at the end with the line it starts on, wherever the cut', () => {
    const sql = "SELECT 1;\nSELECT 'abc\n;";
    for (let cut = 0; cut <= sql.length; cut++) {
      expect(() => scanInPieces(sql, [cut], { file: 'x.sql' }), `cut at ${cut}`).toThrow(/x\.sql:2: unterminated quoted string/);
    }
  });
});
