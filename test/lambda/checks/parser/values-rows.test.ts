import { beforeAll, describe, expect, it } from 'vitest';
import { findAll, loadParser, parseSql, parseSqlInChunks } from '../../../../lambda/checks/parser/parse';
import { THIN_ABOVE_CHARS, thinValuesRows } from '../../../../lambda/checks/parser/values-rows';
import { InputError } from '../../../../lambda/engine/errors/errors';

beforeAll(loadParser);

/** `n` rows of constants, enough of them to pass THIN_ABOVE_CHARS. */
const plainRows = (n: number, row = (k: number) => `(${k}, 'name ${k}', '2024-01-01')`) => Array.from({ length: n }, (_, k) => row(k)).join(',\n');
const many = Math.ceil(THIN_ABOVE_CHARS / 20);

describe('Function: thinValuesRows', () => {
  it('leaves a text shorter than THIN_ABOVE_CHARS as it is', () => {
    const sql = `INSERT INTO t VALUES ${plainRows(3)};`;
    expect(thinValuesRows(sql)).toEqual({ text: sql, cuts: [], batches: [] });
  });

  it('cuts the rows after the first, saying where in characters and UTF-8 bytes, and hands them out in runs of whole rows', () => {
    const head = "INSERT INTO t (id, name, d) VALUES (0, 'ünï 0 😀', NULL)";
    const sql = `INSERT INTO t (id, name, d) VALUES ${plainRows(many, (k) => `(${k}, 'ünï ${k} 😀', NULL)`)}\nON CONFLICT (id) DO NOTHING;`;
    const { text, cuts, batches } = thinValuesRows(sql);
    expect(text).toBe(`${head}\nON CONFLICT (id) DO NOTHING;`);
    expect(cuts).toEqual([
      { char: head.length, byte: Buffer.byteLength(head), chars: sql.length - text.length, bytes: Buffer.byteLength(sql) - Buffer.byteLength(text) },
    ]);
    // The runs, one after another, are the rows cut: each starts with a row's bracket and ends with one.
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.map(([from, to]) => sql.slice(from, to)).join(',\n')).toBe(
      plainRows(many, (k) => `(${k}, 'ünï ${k} 😀', NULL)`).slice(`(0, 'ünï 0 😀', NULL),\n`.length),
    );
  });

  // Regression: lint and plan on a 16 MiB INSERT of 340,000 rows ended with "Maximum call stack size exceeded".
  it('cuts a list of more rows than a call takes arguments', () => {
    const rows = 300_000;
    const { text } = thinValuesRows(`INSERT INTO t VALUES ${plainRows(rows, (k) => `(${k})`)};`);
    expect(text).toBe('INSERT INTO t VALUES (0);');
  });

  it('leaves a list with a row that is more than constants (a function call, a subquery, a dollar quote, a comment)', () => {
    for (const odd of ["(now(), 'x', 'y')", "((SELECT 1), 'x', 'y')", "($$a$$, 'x', 'y')", "(1 /* c */, 'x', 'y')"]) {
      const sql = `INSERT INTO t VALUES ${plainRows(many)},\n${odd};`;
      expect(thinValuesRows(sql).text).toBe(sql);
    }
  });

  it('steps over brackets, commas and quotes inside strings and quoted identifiers', () => {
    const tricky = `INSERT INTO "we(ird" VALUES ('it''s (a) test', E'back\\\\'' ), x', 1)`;
    const { text } = thinValuesRows(`${tricky}, ${plainRows(many)};`);
    expect(text).toBe(`${tricky};`);
  });

  it('cuts nothing outside a top-level VALUES list (a partition bound, a VALUES inside brackets)', () => {
    const sql = `CREATE TABLE p PARTITION OF t FOR VALUES IN (1, 2);\nINSERT INTO t SELECT * FROM (VALUES ${plainRows(many)}) v;`;
    expect(thinValuesRows(sql).cuts).toEqual([]);
  });
});

describe('Function: parseSqlInChunks on a large INSERT', () => {
  it('gives the INSERT with its first row, its text whole, and what follows the rows at the lines and columns of the text', () => {
    const rows = plainRows(many, (k) => `(${k}, 'ünï ${k} 😀', '2024-01-01')`);
    const sql = `INSERT INTO t (id, name, d) VALUES ${rows}\nON CONFLICT (id) DO UPDATE SET name = missing_column;\nSELECT other_missing;`;
    const { chunks, positions } = parseSqlInChunks(sql);
    const statements = [...chunks].flat();
    expect(statements.map((s) => [s.kind, s.line, s.column])).toEqual([
      ['InsertStmt', 1, 1],
      ['SelectStmt', many + 2, 1],
    ]);
    const insert = statements[0]!;
    expect(insert.text).toBe(sql.slice(0, sql.indexOf(';')));
    expect((insert.node.selectStmt as { SelectStmt: { valuesLists: unknown[] } }).SelectStmt.valuesLists).toHaveLength(1);
    const refs = statements.flatMap((s) => findAll(s.stmt, 'ColumnRef')).map((c) => positions.at(c.location as number));
    expect(refs).toEqual([
      { line: many + 1, column: 39 },
      { line: many + 2, column: 8 },
    ]);
    // The same statements as a parse of the whole text, but for the rows.
    const whole = parseSql(sql).statements;
    expect(statements.map((s) => [s.byteOffset, s.text])).toEqual(whole.map((s) => [s.byteOffset, s.text]));
  });

  it('names the line and column of a syntax error in a row it would have cut', () => {
    const broken = plainRows(many, (k) => (k === 500 ? `(${k}, 'name', )` : `(${k}, 'name ${k}', '2024-01-01')`));
    let error: unknown;
    try {
      [...parseSqlInChunks(`-- seed\nINSERT INTO t VALUES ${broken};`, { file: '5_seed.sql' }).chunks];
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('5_seed.sql:502:15: syntax error at or near ")"');
  });

  it('names the line and column of a syntax error after the rows it cut', () => {
    let error: unknown;
    try {
      [...parseSqlInChunks(`INSERT INTO t VALUES ${plainRows(many)}\nRETURNIN id;`, { file: '6_seed.sql' }).chunks];
    } catch (e) {
      error = e;
    }
    expect((error as InputError).message).toBe(`6_seed.sql:${many + 1}:1: syntax error at or near "RETURNIN"`);
  });
});
