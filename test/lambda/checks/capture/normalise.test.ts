import { beforeAll, describe, expect, it } from 'vitest';
import { literalCount, normalised, withoutComments, withoutQuotedText } from '../../../../lambda/checks/capture/normalise';
import { loadParser } from '../../../../lambda/checks/parser/parse';

beforeAll(loadParser);

describe('Function: withoutComments', () => {
  it('drops every comment, keeps the lines and separates what a comment separated', () => {
    expect(withoutComments('/* user: ann@example.com */ SELECT a/*x*/b FROM t -- card 4111 1111 1111 1111\nWHERE x = $1')).toBe(
      'SELECT a b FROM t\nWHERE x = $1',
    );
    expect(withoutComments('SELECT \'-- not a comment\', "/* nor this */"')).toBe('SELECT \'-- not a comment\', "/* nor this */"');
  });
});

describe('Function: normalised', () => {
  it('makes every constant a parameter, after the ones there', () => {
    expect(normalised("SELECT * FROM t WHERE a = $1 AND b = 'ann@example.com' /* x */ AND c = 4111111111111111")).toBe(
      'SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3',
    );
  });
});

describe('Function: literalCount', () => {
  it('counts the constants written out, not those in quoted names', () => {
    expect(literalCount("SELECT 'a', E'b', $$c$$, B'01', \"'d'\" FROM t")).toBe(4);
    expect(literalCount('SELECT $1::interval FROM "t"')).toBe(0);
  });
});

describe('Function: withoutQuotedText', () => {
  it("keeps the parser's words and drops the statement text it quotes", () => {
    expect(withoutQuotedText('syntax error at or near "ann@example.com"" x"')).toBe('syntax error at or near "…"');
  });
});
