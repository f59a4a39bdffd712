/**
 * The scanner fed in pieces must find what it finds in the whole text:
 * random texts built from the tokens that are hard to cut (strings with
 * doubled quotes and backslash escapes, dollar quotes with tags, nested
 * comments, psql variables and meta-commands, placeholders, COPY data,
 * BEGIN ATOMIC bodies, numbers with exponents, multibyte characters), cut
 * into pieces of 1–3 characters, up to 200, and around the scanner's 64 KB
 * window, with and without a sink that takes problems. A fixed seed: a
 * failure reproduces.
 */
import { describe, expect, it } from 'vitest';
import { SCAN_WINDOW, StatementScanner, type LineComment, type ScanSink, type SqlStatement } from '../../../../lambda/engine/sql/splitter';

const ATOMS = [
  'select', 'from', 'begin', 'end', 'case', 'copy', 'stdin', 'create', 'function', 'or', 'replace', 'atomic', 'E', 'e', 'x', 'index', 'abc$d', 'é', '😀', '中文', 'ab😀', '\u00a0',
  '1', '1.5', '1e5', '1E+5', '2.5e-3', '1.', '.5', '1e', 'e+', '+5',
  "'a''b'", "E'\\''", "E'a\\\\'", "'x;y'", "e'q\\'r;'", "''", "'😀;'", '"a""b"', '"x;"', 'U&"x"',
  '$$ a; b $$', '$tag$ x; $$ y $tag$', '$a$$a$', '$1', '$', 'a$$b', '$body$ -- x\n \' /* ; $$ $body$', '$q$', '$$',
  '-- c; x\n', '--\n', '/* a /* b; */ c */', '/**/', '/*😀*/', '/* x -- y */', '--a/*\n', "'--'", '"/*"',
  ':name', ":'name'", ':"n"', 'a[1:n]', 'x::text', 'v[lo:hi]', ':', ':=', '::', 'x:y', 'a[:"hi"]', 'from :"t"', "limit :'n'",
  '${x}', '${flyway:defaultSchema}', '{{ .Name }}', '{{- end }}', '{', '{{ if', '\\set x 1\n', '\\i file.sql\n', '\\', '\\.\n',
  'COPY t FROM stdin;\n1\t2\n\\.\n', 'copy t (a) from stdin with csv; -- c\na,b\n\\.\nselect 1;', 'copy z from stdin; select 2;\nq\n\\.\n',
  'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;',
  ';', ';', ';', '(', ')', ',', '.', '=', '-', '/', '*', '[', ']', '+', ' ', ' ', ' ', '\n', '\n', '\t', '  \n  ', "E'", '/*', "'", '"',
];

/** A linear congruential generator: the same texts and cuts on every run. */
function random(seed: number): { next(): number; int(n: number): number; pick<T>(a: readonly T[]): T } {
  let s = seed;
  const next = () => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s / 0x80000000; };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (a) => a[int(a.length)]! };
}

function text(r: ReturnType<typeof random>, size: number): string {
  const parts: string[] = [];
  for (let length = 0; length < size;) {
    const part = r.pick(ATOMS) + r.pick([' ', ' ', '', '\n']);
    parts.push(part);
    length += part.length;
  }
  return parts.join('');
}

function scan(pieces: readonly string[], problems: boolean): unknown {
  const out = { statements: [] as unknown[], comments: [] as LineComment[], problems: [] as unknown[], error: undefined as string | undefined };
  const sink: ScanSink = {
    statement: (s: SqlStatement) => out.statements.push({ text: s.text, line: s.line, column: s.column, offset: s.offset, words: s.words, wordLines: s.wordLines, terminated: s.terminated }),
    comment: (c) => out.comments.push(c),
  };
  if (problems) sink.problem = (e, leftOpen) => out.problems.push([e.message, leftOpen === true]);
  const scanner = new StatementScanner(sink, { file: 'f.sql' });
  try {
    for (const p of pieces) scanner.push(p);
    scanner.end();
  } catch (e) {
    out.error = (e as Error).message;
  }
  return out;
}

function cut(sql: string, size: () => number): string[] {
  const pieces: string[] = [];
  for (let k = 0; k < sql.length;) {
    const n = size();
    pieces.push(sql.slice(k, k + n));
    k += n;
  }
  return pieces;
}

describe('Class: StatementScanner, fed random texts in random pieces', () => {
  it('finds in short texts cut anywhere what it finds in the whole text', () => {
    const r = random(7);
    for (let k = 0; k < 600; k++) {
      const sql = text(r, 20 + r.int(400));
      const problems = r.next() < 0.7;
      const whole = scan([sql], problems);
      for (const size of [() => 1 + r.int(3), () => 1 + r.int(200), () => 1 + r.int(sql.length)]) {
        expect(scan(cut(sql, size), problems), `text ${k}: ${JSON.stringify(sql)}`).toEqual(whole);
      }
    }
  });

  it('finds in long texts, the hard tokens across a window\'s end, what it finds in the whole text', () => {
    const r = random(11);
    for (let k = 0; k < 16; k++) {
      const filler = r.pick(['select 1;\n', "'pad'  ", ' ', '-- pad\n', 'x ']);
      const sql = filler.repeat(Math.ceil((2 * SCAN_WINDOW) / filler.length)).slice(0, SCAN_WINDOW * (1 + r.int(2)) - r.int(300)) + text(r, 600);
      const problems = r.next() < 0.7;
      const whole = scan([sql], problems);
      for (const size of [() => 1 + r.int(200), () => r.pick([1, 2, 7, 1000, SCAN_WINDOW - 1, SCAN_WINDOW, SCAN_WINDOW + 1, 70_000]), () => 1 + r.int(sql.length)]) {
        expect(scan(cut(sql, size), problems), `long text ${k}`).toEqual(whole);
      }
    }
  });
});
