import { beforeAll, describe, expect, it } from 'vitest';
import { findAll, loadParser, parseSqlInChunks } from '../../../lambda/checks/parse';
import { THIN_ABOVE_CHARS, thinValuesRows } from '../../../lambda/checks/values-rows';
import { InputError } from '../../../lambda/engine/errors';

beforeAll(loadParser);

/** `n` rows of constants, enough of them to pass THIN_ABOVE_CHARS. */
const plainRows = (n: number, row = (k: number) => `(${k}, 'name ${k}', '2024-01-01')`) => Array.from({ length: n }, (_, k) => row(k)).join(',\n');
const many = Math.ceil(THIN_ABOVE_CHARS / 20);

describe('Function: thinValuesRows', () => {
  it('leaves a text shorter than THIN_ABOVE_CHARS as it is', () => {
    const sql = `INSERT INTO t VALUES ${plainRows(3)};`;
    expect(thinValuesRows(sql)).toEqual({ text: sql, blankedRows: [] });
  });

  it('blanks the rows after the first, byte for byte, keeping newlines, so offsets, lines and columns stay', () => {
    const sql = `INSERT INTO t (id, name, d) VALUES ${plainRows(many, (k) => `(${k}, 'ünï ${k} 😀', NULL)`)}\nON CONFLICT (id) DO NOTHING;`;
    const { text, blankedRows } = thinValuesRows(sql);
    expect(Buffer.byteLength(text)).toBe(Buffer.byteLength(sql));
    expect(text.split('\n')).toHaveLength(sql.split('\n').length);
    expect(text.startsWith("INSERT INTO t (id, name, d) VALUES (0, 'ünï 0 😀', NULL)")).toBe(true);
    expect(text.endsWith('\nON CONFLICT (id) DO NOTHING;')).toBe(true);
    expect(text).not.toContain("'ünï 1 😀'");
    expect(blankedRows).toHaveLength(many - 1);
    expect(blankedRows[0]).toBe("(1, 'ünï 1 😀', NULL)");
  });

  it('keeps a row that is more than constants (a function call, a subquery, a dollar quote, a comment)', () => {
    const sql = `INSERT INTO t VALUES ${plainRows(many)},\n(now(), 'x', 'y'), ((SELECT 1), 'x', 'y'), ($$a$$, 'x', 'y'), (1 /* c */, 'x', 'y');`;
    const { text } = thinValuesRows(sql);
    for (const kept of ["(now(), 'x', 'y')", "((SELECT 1), 'x', 'y')", "($$a$$, 'x', 'y')", "(1 /* c */, 'x', 'y')"]) expect(text).toContain(kept);
  });

  it('steps over brackets, commas and quotes inside strings and quoted identifiers', () => {
    const tricky = `INSERT INTO "we(ird" VALUES ('it''s (a) test', E'back\\\\'' ), x', 1)`;
    const sql = `${tricky}, ${plainRows(many)};`;
    const { text, blankedRows } = thinValuesRows(sql);
    expect(text.startsWith(tricky)).toBe(true);
    expect(blankedRows[0]).toBe("(0, 'name 0', '2024-01-01')");
  });

  it('blanks nothing outside a top-level VALUES list (a partition bound, a VALUES inside brackets)', () => {
    const sql = `CREATE TABLE p PARTITION OF t FOR VALUES IN (1, 2);\nINSERT INTO t SELECT * FROM (VALUES ${plainRows(many)}) v;`;
    expect(thinValuesRows(sql).blankedRows).toEqual([]);
  });
});

describe('Function: parseSqlInChunks on a large INSERT', () => {
  it('gives the INSERT with its first row and what follows the rows, at the lines and columns of the text', () => {
    const sql = `INSERT INTO t (id, name, d) VALUES ${plainRows(many)}\nON CONFLICT (id) DO UPDATE SET name = missing_column;\nSELECT other_missing;`;
    const statements = [...parseSqlInChunks(sql).chunks].flat();
    const { positions } = parseSqlInChunks(sql);
    expect(statements.map((s) => s.kind)).toEqual(['InsertStmt', 'SelectStmt']);
    const insert = statements[0]!;
    expect(insert.text).toBe(sql.slice(0, sql.indexOf(';')));
    const rows = ((insert.node.selectStmt as { SelectStmt: { valuesLists: unknown[] } }).SelectStmt.valuesLists);
    expect(rows).toHaveLength(1);
    const refs = statements.flatMap((s) => findAll(s.stmt, 'ColumnRef')).map((c) => positions.at(c.location as number));
    expect(refs).toEqual([{ line: many + 1, column: 39 }, { line: many + 2, column: 8 }]);
  });

  it('names the line and column of a syntax error in a row it would have blanked', () => {
    const broken = plainRows(many, (k) => (k === 500 ? `(${k}, 'name', )` : `(${k}, 'name ${k}', '2024-01-01')`));
    let error: unknown;
    try { [...parseSqlInChunks(`-- seed\nINSERT INTO t VALUES ${broken};`, { file: '5_seed.sql' }).chunks]; } catch (e) { error = e; }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('5_seed.sql:502:15: syntax error at or near ")"');
  });
});
