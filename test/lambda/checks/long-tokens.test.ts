import { beforeAll, describe, expect, it } from 'vitest';
import { findAll, loadParser, parseSql, parseSqlInChunks } from '../../../lambda/checks/parse';
import { LONG_TOKEN_CHARS, thinLongTokens } from '../../../lambda/checks/long-tokens';
import { THIN_ABOVE_CHARS } from '../../../lambda/checks/values-rows';
import { InputError } from '../../../lambda/engine/errors';

beforeAll(loadParser);

/** Many lines of a generated body, multibyte characters in each (the cuts count characters and UTF-8 bytes). */
const body = Array.from({ length: Math.ceil(THIN_ABOVE_CHARS / 20) }, (_, k) => `  PERFORM ${k}; -- ü😀`).join('\n');

describe('Function: thinLongTokens', () => {
  it('leaves a text shorter than THIN_ABOVE_CHARS, and short tokens, as they are', () => {
    expect(thinLongTokens("SELECT 'x';")).toEqual({ text: "SELECT 'x';", cuts: [] });
    const short = `SELECT '${'a'.repeat(LONG_TOKEN_CHARS - 2)}';\n`.repeat(20);
    expect(thinLongTokens(short)).toEqual({ text: short, cuts: [] });
  });

  it('empties a long string (with its prefix and escapes), dollar-quoted body and comments, and says where in characters and bytes', () => {
    const text = `SELECT E'${"it\\'s ü ".repeat(THIN_ABOVE_CHARS / 8)}';\nDO $b$${body}$b$;\n-- ${'c'.repeat(LONG_TOKEN_CHARS)}\n/* ${'d'.repeat(LONG_TOKEN_CHARS)} */ SELECT 1;`;
    const thin = thinLongTokens(text);
    expect(thin.text).toBe("SELECT E'';\nDO $b$$b$;\n--\n/**/ SELECT 1;");
    expect(thin.cuts[0]).toEqual({ char: 9, byte: 9, chars: text.indexOf("';\n") - 9, bytes: Buffer.byteLength(text.slice(9, text.indexOf("';\n"))) });
    expect(thin.cuts.map((c) => c.char)).toEqual([9, 18, 25, 28]);
  });

  it('keeps a long token left open (the parser\'s error is about the text as written)', () => {
    const open = `SELECT $b$${body}`;
    expect(thinLongTokens(open)).toEqual({ text: open, cuts: [] });
  });
});

describe('Function: parseSqlInChunks past a long body', () => {
  // Regression: lint and plan of a file holding one 16 MiB function body peaked at 348 and 357 MB: the parser copied the body into its tree and JSON.
  it('gives the statements, node locations, lines and columns of the text as written', () => {
    const sql = `CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $b$\nBEGIN\n${body}\nEND\n$b$;\nSELECT missing_column FROM t;`;
    const { chunks, positions } = parseSqlInChunks(sql);
    const statements = [...chunks].flat();
    const lines = sql.split('\n').length;
    expect(statements.map((s) => [s.kind, s.line, s.column])).toEqual([['CreateFunctionStmt', 1, 1], ['SelectStmt', lines, 1]]);
    expect(statements[0]!.text).toBe(sql.slice(0, sql.indexOf('$b$;') + 3));
    expect(findAll(statements[1]!.stmt, 'ColumnRef').map((c) => positions.at(c.location as number))).toEqual([{ line: lines, column: 8 }]);
    expect(statements.map((s) => [s.byteOffset, s.text])).toEqual(parseSql(sql).statements.map((s) => [s.byteOffset, s.text]));
  });

  it('names the line and column of a syntax error after the body', () => {
    let error: unknown;
    try { [...parseSqlInChunks(`DO $b$${body}$b$;\nSELEC 1;`, { file: '7_fn.sql' }).chunks]; } catch (e) { error = e; }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(`7_fn.sql:${body.split('\n').length + 1}:1: syntax error at or near "SELEC"`);
  });
});
