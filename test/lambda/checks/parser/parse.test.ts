import { beforeAll, describe, expect, it } from 'vitest';
import {
  calledFunctions,
  findAll,
  loadParser,
  PARSE_CHUNK_CHARS,
  parseSql,
  parseSqlInChunks,
  TextPositions,
  typeNameText,
} from '../../../../lambda/checks/parser/parse';
import { InputError } from '../../../../lambda/engine/errors/errors';

beforeAll(loadParser);

describe('Function: parseSql', () => {
  it('returns each statement with its kind, text, line and column, past comments and blank lines', () => {
    const { statements } = parseSql('-- header\n\nCREATE TABLE a (id int);\n  /* note */ INSERT INTO a VALUES (1);');
    expect(statements.map((s) => [s.kind, s.line, s.column, s.text])).toEqual([
      ['CreateStmt', 3, 1, 'CREATE TABLE a (id int)'],
      ['InsertStmt', 4, 14, 'INSERT INTO a VALUES (1)'],
    ]);
  });

  it('counts columns in characters when the text holds multi-byte characters', () => {
    const { statements, positions } = parseSql("SELECT 'é€'; SELECT 2;");
    expect(statements[1]!.column).toBe(14);
    expect(positions.at(statements[1]!.byteOffset)).toEqual({ line: 1, column: 14 });
  });

  it('puts a syntax error after multi-byte characters at its line and column (the parser counts characters, not bytes)', () => {
    let error: unknown;
    try {
      parseSql("SELECT 'é€😀', 'ü';\n  SELEC 2;", { file: 'x.sql' });
    } catch (e) {
      error = e;
    }
    expect((error as InputError).message).toBe('x.sql:2:3: syntax error at or near "SELEC"');
  });

  it('reads an empty text as no statement, as PostgreSQL does (the parser library refused it: "Query cannot be empty")', () => {
    expect(parseSql('', { file: '1_empty.sql' }).statements).toEqual([]);
    expect(parseSql(' \n-- only a comment\n', { file: '2_comment.sql' }).statements).toEqual([]);
  });

  it('throws an InputError at the line and column where the parser stopped', () => {
    let error: unknown;
    try {
      parseSql('SELECT 1;\nSELEC 2;', { file: 'x.sql' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('x.sql:2:1: syntax error at or near "SELEC"');
    expect((error as InputError).line).toBe(2);
  });
});

describe('Function: parseSqlInChunks', () => {
  // Enough statements for several chunks; multi-byte characters so bytes and characters differ.
  const rows = Math.ceil((PARSE_CHUNK_CHARS * 3.5) / 40);
  const text = [
    '-- a large file',
    ...Array.from({ length: rows }, (_, k) => `INSERT INTO t VALUES (${k}, 'ünï ${k}');`),
    "SELECT 'é€😀',\n  missing_column FROM t;",
  ].join('\n');

  it('gives the statements parseSql gives, a chunk at a time, with node locations in the whole text', () => {
    const whole = parseSql(text);
    const { chunks, positions } = parseSqlInChunks(text);
    const parts = [...chunks];
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(parts.flat()).toEqual(whole.statements);
    const last = parts.at(-1)!.at(-1)!;
    const column = findAll(last.stmt, 'ColumnRef').map((c) => positions.at(c.location as number));
    expect(column).toEqual([{ line: rows + 3, column: 3 }]);
  });

  // Regression: lint and plan ended with "Maximum call stack size exceeded" (no file, no line, exit 1) on such a file, which PostgreSQL and migrate take.
  it('reads a statement nested deeper than the call stack (4,000 strings joined with ||) in a later chunk, its locations shifted', () => {
    const deep = `${text}\nINSERT INTO t VALUES (${Array.from({ length: 4000 }, () => "'a'").join(' || ')}, missing);`;
    const { chunks, positions } = parseSqlInChunks(deep);
    const last = [...chunks].flat().at(-1)!;
    expect(findAll(last.stmt, 'A_Const')).toHaveLength(4000);
    expect(findAll(last.stmt, 'ColumnRef').map((c) => positions.at(c.location as number).line)).toEqual([rows + 4]);
  });

  it('names the line and column of a syntax error in a later chunk', () => {
    let error: unknown;
    try {
      [...parseSqlInChunks(`${text}\nSELEC 2;`, { file: 'x.sql' }).chunks];
    } catch (e) {
      error = e;
    }
    expect((error as InputError).message).toBe(`x.sql:${rows + 4}:1: syntax error at or near "SELEC"`);
  });
});

describe('helpers', () => {
  it('typeNameText normalises aliases and keeps modifiers', () => {
    const t = (sql: string) => typeNameText((parseSql(sql).statements[0]!.node.tableElts as { ColumnDef: { typeName: unknown } }[])[0]!.ColumnDef.typeName);
    expect(t('CREATE TABLE a (x int4)')).toBe('integer');
    expect(t('CREATE TABLE a (x varchar(20))')).toBe('character varying(20)');
    expect(t('CREATE TABLE a (x numeric(10,2))')).toBe('numeric(10,2)');
    expect(t('CREATE TABLE a (x text[])')).toBe('text[]');
  });

  it('calledFunctions finds calls at any depth, without schema', () => {
    expect(calledFunctions(parseSql('SELECT coalesce(public.f(g(1)), now())').statements[0]!.stmt)).toEqual(['f', 'g', 'now']);
  });

  it('findAll returns the nodes in document order, a node before the ones inside it', () => {
    const stmt = parseSql('SELECT f(g(1), h(2)), k()').statements[0]!.stmt;
    expect(findAll(stmt, 'FuncCall').map((f) => (f.funcname as { String: { sval: string } }[])[0]!.String.sval)).toEqual(['f', 'g', 'h', 'k']);
  });

  it('TextPositions.skipBlank skips whitespace, line and nested block comments', () => {
    const p = new TextPositions('  -- a\n /* b /* c */ */ X');
    expect(p.at(p.skipBlank(0))).toEqual({ line: 2, column: 18 });
  });
});
