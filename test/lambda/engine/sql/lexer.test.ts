import { describe, expect, it } from 'vitest';
import { dollarTag, isComment, lexSql, tokenize, type Token } from '../../../../lambda/engine/sql/lexer';

const kinds = (sql: string) => tokenize(sql).map((t) => [t.kind, t.text]);

describe('Function: tokenize', () => {
  it('splits a statement into words, symbols, numbers, strings and parameters, skipping whitespace', () => {
    expect(kinds(`SELECT a.id, 3.5e2 FROM t WHERE b = 'x' AND c = $1;`)).toEqual([
      ['word', 'SELECT'],
      ['word', 'a'],
      ['symbol', '.'],
      ['word', 'id'],
      ['symbol', ','],
      ['number', '3.5e2'],
      ['word', 'FROM'],
      ['word', 't'],
      ['word', 'WHERE'],
      ['word', 'b'],
      ['symbol', '='],
      ['string', "'x'"],
      ['word', 'AND'],
      ['word', 'c'],
      ['symbol', '='],
      ['parameter', '$1'],
      ['symbol', ';'],
    ]);
  });

  it("reads E'' strings with backslash escapes as one token: \\' does not end them", () => {
    expect(kinds(`E'it\\'s; $1' e'\\\\' x`)).toEqual([
      ['string', `E'it\\'s; $1'`],
      ['string', `e'\\\\'`],
      ['word', 'x'],
    ]);
  });

  it("treats a backslash in a standard string as an ordinary character: '\\' is a whole string", () => {
    expect(kinds(`'a\\', $1`)).toEqual([
      ['string', `'a\\'`],
      ['symbol', ','],
      ['parameter', '$1'],
    ]);
  });

  it('does not take the E at the end of an identifier for an escape-string prefix', () => {
    expect(kinds(`xE'\\', $1`)).toEqual([
      ['word', 'xE'],
      ['string', `'\\'`],
      ['symbol', ','],
      ['parameter', '$1'],
    ]);
  });

  it('keeps doubled quotes inside strings and quoted identifiers', () => {
    expect(kinds(`'it''s' "we""ird"`)).toEqual([
      ['string', "'it''s'"],
      ['quoted-identifier', '"we""ird"'],
    ]);
  });

  it('reads nested block comments as one token, and /*/ does not close one', () => {
    expect(kinds('/* a /* b */ c */ x /*/ y */ z')).toEqual([
      ['block-comment', '/* a /* b */ c */'],
      ['word', 'x'],
      ['block-comment', '/*/ y */'],
      ['word', 'z'],
    ]);
  });

  it('ends a line comment at the newline', () => {
    expect(kinds("-- a 'b\nc")).toEqual([
      ['line-comment', "-- a 'b"],
      ['word', 'c'],
    ]);
  });

  it('reads dollar quotes with and without tags, and tells them from parameters and identifiers with $', () => {
    expect(kinds('$$ a; $x$ $$ $fn$ b $fn$ $2 a$b$ c')).toEqual([
      ['dollar-string', '$$ a; $x$ $$'],
      ['dollar-string', '$fn$ b $fn$'],
      ['parameter', '$2'],
      ['word', 'a$b$'],
      ['word', 'c'],
    ]);
  });

  it('gives each token its offset, line and column, counting newlines inside multi-line tokens', () => {
    const tokens = tokenize("SELECT 'a\nb',\n  /* c\n d */ x", { firstLine: 10 });
    expect(tokens.map((t) => [t.text.split('\n')[0], t.offset, t.line, t.column])).toEqual([
      ['SELECT', 0, 10, 1],
      ["'a", 7, 10, 8],
      [',', 12, 11, 3],
      ['/* c', 16, 12, 3],
      ['x', 27, 13, 7],
    ]);
    expect(tokens[1]!.end).toBe(12);
  });

  it.each([
    ["SELECT 'abc", 'string'],
    ["SELECT E'abc\\'", 'string'],
    ['SELECT "abc', 'quoted-identifier'],
    ['SELECT $x$ abc', 'dollar-string'],
    ['SELECT /* abc /* */', 'block-comment'],
  ])('never throws: %j ends in an unterminated %s running to the end of the input', (sql, kind) => {
    const last = tokenize(sql).at(-1)!;
    expect([last.kind, last.unterminated, last.end]).toEqual([kind, true, sql.length]);
  });
});

describe('Function: lexSql', () => {
  it('streams: a caller can stop early without lexing the rest', () => {
    const first: Token[] = [];
    for (const t of lexSql(`SELECT 1; ${"'x' ".repeat(1000)} 'unterminated`)) {
      first.push(t);
      if (first.length === 2) break;
    }
    expect(first.map((t) => t.text)).toEqual(['SELECT', '1']);
  });
});

describe('Function: dollarTag / isComment', () => {
  it('names the tag of a dollar quote and tells comments from code', () => {
    const [body, comment, word] = tokenize('$body$ x $body$ -- c\ny');
    expect(dollarTag(body!)).toBe('$body$');
    expect([body, comment, word].map((t) => isComment(t!))).toEqual([false, true, false]);
  });
});
