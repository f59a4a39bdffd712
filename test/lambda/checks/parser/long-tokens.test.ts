import { beforeAll, describe, expect, it } from 'vitest';
import { findAll, loadParser, parseSql, parseSqlInChunks } from '../../../../lambda/checks/parser/parse';
import { LONG_TOKEN_CHARS, thinLongTokens } from '../../../../lambda/checks/parser/long-tokens';
import { THIN_ABOVE_CHARS } from '../../../../lambda/checks/parser/values-rows';
import { InputError } from '../../../../lambda/engine/errors/errors';

beforeAll(loadParser);

/** Many lines of a generated body, multibyte characters in each (the cuts count characters and UTF-8 bytes). */
const body = Array.from({ length: Math.ceil(THIN_ABOVE_CHARS / 20) }, (_, k) => `  PERFORM ${k}; -- ü😀`).join('\n');

describe('Function: thinLongTokens', () => {
  it('leaves a text shorter than THIN_ABOVE_CHARS, and short tokens, as they are', () => {
    expect(thinLongTokens("SELECT 'x';")).toEqual({ text: "SELECT 'x';", cuts: [] });
    const short = `SELECT '${'a'.repeat(LONG_TOKEN_CHARS - 2)}';\n`.repeat(20);
    expect(thinLongTokens(short)).toEqual({ text: short, cuts: [] });
  });

  it('makes each long constant one of its own, empties long comments, and says where in characters and bytes', () => {
    const plain = 'ü '.repeat(THIN_ABOVE_CHARS / 2);
    const text = `SELECT '${plain}', E'${'e'.repeat(LONG_TOKEN_CHARS + 1)}';\nDO $b$${body}$b$;\n-- ${'c'.repeat(LONG_TOKEN_CHARS)}\n/* ${'d'.repeat(LONG_TOKEN_CHARS)} */ SELECT 1;`;
    const thin = thinLongTokens(text);
    expect(thin.text).toBe("SELECT '~1', E'~2';\nDO $b$~3$b$;\n--\n/**/ SELECT 1;");
    // The constant's first characters read as its new text: the cut comes after them.
    expect(thin.cuts[0]).toEqual({ char: 10, byte: 10, chars: plain.length - 2, bytes: Buffer.byteLength(plain) - 2 });
    expect(thin.cuts.map((c) => c.char)).toEqual([10, 17, 28, 35, 38]);
  });

  // Regression: an E'' string with a bad escape, emptied, passed lint; the server refuses it.
  it("keeps whole a string whose escapes PostgreSQL reads: E'…' with a backslash, U&'…'", () => {
    const escaped = `SELECT E'${'a'.repeat(THIN_ABOVE_CHARS)}\\uD800';`;
    const unicode = `SELECT U&'${'a'.repeat(THIN_ABOVE_CHARS)}\\zzzz';`;
    expect(thinLongTokens(escaped)).toEqual({ text: escaped, cuts: [] });
    expect(thinLongTokens(unicode)).toEqual({ text: unicode, cuts: [] });
    expect(() => [...parseSqlInChunks(escaped).chunks]).toThrow(/invalid Unicode surrogate pair/);
    expect(() => [...parseSqlInChunks(unicode).chunks]).toThrow(/invalid Unicode escape/);
  });

  // Regression: two long constants that differ, emptied, read as equal (whole-table-delete's "compares two equal constants").
  it('never makes two constants equal that were not', () => {
    const a = 'a'.repeat(THIN_ABOVE_CHARS);
    const thin = thinLongTokens(`DELETE FROM t WHERE '${a}' = '${a.slice(1)}b';`);
    expect(thin.text).toBe("DELETE FROM t WHERE '~1' = '~2';");
  });

  it("keeps a long token left open (the parser's error is about the text as written)", () => {
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
    expect(statements.map((s) => [s.kind, s.line, s.column])).toEqual([
      ['CreateFunctionStmt', 1, 1],
      ['SelectStmt', lines, 1],
    ]);
    expect(statements[0]!.text).toBe(sql.slice(0, sql.indexOf('$b$;') + 3));
    expect(findAll(statements[1]!.stmt, 'ColumnRef').map((c) => positions.at(c.location as number))).toEqual([{ line: lines, column: 8 }]);
    expect(statements.map((s) => [s.byteOffset, s.text])).toEqual(parseSql(sql).statements.map((s) => [s.byteOffset, s.text]));
  });

  it('names the line and column of a syntax error after the body', () => {
    let error: unknown;
    try {
      [...parseSqlInChunks(`DO $b$${body}$b$;\nSELEC 1;`, { file: '7_fn.sql' }).chunks];
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(`7_fn.sql:${body.split('\n').length + 1}:1: syntax error at or near "SELEC"`);
  });

  // Regression: the error quoted the placeholder the constant was parsed as (`syntax error at or near "'~1'"`), not the user's text.
  it('quotes an emptied constant as written (its first 60 characters and …), at its line and column', () => {
    const seed = 'Hello wörld 😀, the seed text that goes on and on. '.repeat(Math.ceil(THIN_ABOVE_CHARS / 40));
    const messageOf = (sql: string) => {
      try {
        [...parseSqlInChunks(sql, { file: '3_seed.sql' }).chunks];
      } catch (e) {
        return (e as InputError).message;
      }
      return undefined;
    };
    const shown = [...`'${seed}`].slice(0, 60).join('');
    expect(messageOf(`SELECT 1;\nINSERT INTO t VALUES (1 '${seed}');`)).toBe(`3_seed.sql:2:25: syntax error at or near "${shown}…"`);
    expect(messageOf(`SELECT 1;\nSELECT 1 $b$${seed}$b$;`)).toBe(`3_seed.sql:2:10: syntax error at or near "${[...`$b$${seed}`].slice(0, 60).join('')}…"`);
    // A short one after a long one is quoted whole, as the parser quotes it.
    expect(messageOf(`SELECT '${seed}';\nSELECT 1 'short';`)).toBe(`3_seed.sql:2:10: syntax error at or near "'short'"`);
  });
});
