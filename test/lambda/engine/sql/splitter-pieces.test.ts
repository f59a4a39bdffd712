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
import {
  SCAN_WINDOW,
  StatementScanner,
  textIncludes,
  textParts,
  type LineComment,
  type ScanSink,
  type SqlStatement,
} from '../../../../lambda/engine/sql/splitter';

const ATOMS = [
  'select',
  'from',
  'begin',
  'end',
  'case',
  'copy',
  'stdin',
  'create',
  'function',
  'or',
  'replace',
  'atomic',
  'E',
  'e',
  'x',
  'index',
  'abc$d',
  'é',
  '😀',
  '中文',
  'ab😀',
  '\u00a0',
  '1',
  '1.5',
  '1e5',
  '1E+5',
  '2.5e-3',
  '1.',
  '.5',
  '1e',
  'e+',
  '+5',
  "'a''b'",
  "E'\\''",
  "E'a\\\\'",
  "'x;y'",
  "e'q\\'r;'",
  "''",
  "'😀;'",
  '"a""b"',
  '"x;"',
  'U&"x"',
  '$$ a; b $$',
  '$tag$ x; $$ y $tag$',
  '$a$$a$',
  '$1',
  '$',
  'a$$b',
  "$body$ -- x\n ' /* ; $$ $body$",
  '$q$',
  '$$',
  '-- c; x\n',
  '--\n',
  '/* a /* b; */ c */',
  '/**/',
  '/*😀*/',
  '/* x -- y */',
  '--a/*\n',
  "'--'",
  '"/*"',
  ':name',
  ":'name'",
  ':"n"',
  'a[1:n]',
  'x::text',
  'v[lo:hi]',
  ':',
  ':=',
  '::',
  'x:y',
  'a[:"hi"]',
  'from :"t"',
  "limit :'n'",
  '${x}',
  '${flyway:defaultSchema}',
  '{{ .Name }}',
  '{{- end }}',
  '{',
  '{{ if',
  '\\set x 1\n',
  '\\i file.sql\n',
  '\\',
  '\\.\n',
  'COPY t FROM stdin;\n1\t2\n\\.\n',
  'copy t (a) from stdin with csv; -- c\na,b\n\\.\nselect 1;',
  'copy z from stdin; select 2;\nq\n\\.\n',
  'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;',
  ';',
  ';',
  ';',
  '(',
  ')',
  ',',
  '.',
  '=',
  '-',
  '/',
  '*',
  '[',
  ']',
  '+',
  ' ',
  ' ',
  ' ',
  '\n',
  '\n',
  '\t',
  '  \n  ',
  "E'",
  '/*',
  "'",
  '"',
];

/** A linear congruential generator: the same texts and cuts on every run. */
function random(seed: number): { next(): number; int(n: number): number; pick<T>(a: readonly T[]): T } {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (a) => a[int(a.length)]! };
}

function text(r: ReturnType<typeof random>, size: number): string {
  const parts: string[] = [];
  for (let length = 0; length < size; ) {
    const part = r.pick(ATOMS) + r.pick([' ', ' ', '', '\n']);
    parts.push(part);
    length += part.length;
  }
  return parts.join('');
}

function scan(pieces: readonly string[], problems: boolean): unknown {
  const out = { statements: [] as unknown[], comments: [] as LineComment[], problems: [] as unknown[], error: undefined as string | undefined };
  const sink: ScanSink = {
    statement: (s: SqlStatement) =>
      out.statements.push({ text: s.text, line: s.line, column: s.column, offset: s.offset, words: s.words, wordLines: s.wordLines, terminated: s.terminated }),
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
  for (let k = 0; k < sql.length; ) {
    const n = size();
    pieces.push(sql.slice(k, k + n));
    k += n;
  }
  return pieces;
}

describe('Class: StatementScanner, a string or body longer than many windows', () => {
  // Each body runs over several windows; its ends and the quotes and backslashes around each window's end fall where they may.
  const bodies = (r: ReturnType<typeof random>) => {
    const chunk = () => r.pick(["a''b", "''", 'x;y', '😀', '\\\\', "\\'", '$', '$ta', 'g$', '$$', '\n', ' -- ', '/* ']);
    return Array.from({ length: 45_000 }, chunk).join('');
  };

  it('reads each one whole, and what follows it, whatever the pieces', () => {
    const r = random(23);
    for (let k = 0; k < 6; k++) {
      const body = bodies(r);
      const dollar = body.replaceAll('$tag$', '$tax$');
      const plain = body.replaceAll("'", "''");
      const escaped = body.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
      const sql = [
        `SELECT 1;`,
        `CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $tag$${dollar}$tag$;`,
        `SELECT '${plain}' AS s;`,
        `SELECT E'${escaped}' AS e;`,
        `SELECT "${body.replaceAll('"', '""').slice(0, 70_000)}" FROM t;`,
        `SELECT 2`,
      ].join('\n');
      const whole = scan([sql], k % 2 === 0) as { statements: Array<{ text: string; line: number }> };
      expect(whole.statements.map((st) => st.text.slice(0, 8))).toEqual(['SELECT 1', 'CREATE F', "SELECT '", 'SELECT E', 'SELECT "', 'SELECT 2']);
      expect(whole.statements[1]!.text).toBe(`CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $tag$${dollar}$tag$`);
      expect(whole.statements[2]!.text).toBe(`SELECT '${plain}' AS s`);
      expect(whole.statements[3]!.text).toBe(`SELECT E'${escaped}' AS e`);
      for (const size of [() => 1 + r.int(5000), () => r.pick([SCAN_WINDOW - 1, SCAN_WINDOW, SCAN_WINDOW + 1, 3 * SCAN_WINDOW]), () => 1 + r.int(sql.length)]) {
        expect(scan(cut(sql, size), k % 2 === 0), `text ${k}`).toEqual(whole);
      }
    }
  });

  it('refuses one left open at the end with the line it began on, whatever the pieces', () => {
    const r = random(29);
    const sql = `SELECT 1;\nSELECT\n  $body$${'x;\n'.repeat(60_000)}`;
    for (const size of [() => 1 + r.int(5000), () => SCAN_WINDOW, () => sql.length]) {
      expect(scan(cut(sql, size), false)).toMatchObject({ error: 'f.sql:3: unterminated dollar-quoted string $body$' });
    }
  });
});

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

  it("finds in long texts, the hard tokens across a window's end, what it finds in the whole text", () => {
    const r = random(11);
    for (let k = 0; k < 16; k++) {
      const filler = r.pick(['select 1;\n', "'pad'  ", ' ', '-- pad\n', 'x ']);
      const sql = filler.repeat(Math.ceil((2 * SCAN_WINDOW) / filler.length)).slice(0, SCAN_WINDOW * (1 + r.int(2)) - r.int(300)) + text(r, 600);
      const problems = r.next() < 0.7;
      const whole = scan([sql], problems);
      for (const size of [
        () => 1 + r.int(200),
        () => r.pick([1, 2, 7, 1000, SCAN_WINDOW - 1, SCAN_WINDOW, SCAN_WINDOW + 1, 70_000]),
        () => 1 + r.int(sql.length),
      ]) {
        expect(scan(cut(sql, size), problems), `long text ${k}`).toEqual(whole);
      }
    }
  });
});

describe('Function: textIncludes', () => {
  const scan = (sql: string, readText?: (offset: number, length: number) => Iterable<string>): SqlStatement[] => {
    const out: SqlStatement[] = [];
    const scanner = new StatementScanner({ statement: (s) => out.push(s) }, { readText });
    for (let k = 0; k < sql.length; k += 10_000) scanner.push(sql.slice(k, k + 10_000));
    scanner.end();
    return out;
  };
  // Read again in parts of 1,000 characters, as a file is read again.
  const again = (sql: string) =>
    function* readText(offset: number, length: number) {
      for (let k = offset; k < offset + length; k += 1000) yield sql.slice(k, Math.min(k + 1000, offset + length));
    };

  // A long statement is read a piece at a time; the word may sit across the cut of a long string's pieces.
  it('finds a word wherever it sits in a long statement, kept in pieces or read again, and only where it is', () => {
    for (const at of [0, 1, 3, 7, 8, 9]) {
      for (const window of [1, 2]) {
        const before = SCAN_WINDOW * window - at;
        const sql = `SELECT '${'x'.repeat(before)}password${'y'.repeat(SCAN_WINDOW)}';`;
        for (const [statement] of [scan(sql), scan(sql, again(sql))]) {
          expect(statement!.text.length).toBeGreaterThan(SCAN_WINDOW);
          expect(textIncludes(statement!, /password/i)).toBe(true);
          expect(textIncludes(statement!, /passwordx/i)).toBe(false);
        }
      }
    }
    expect(textIncludes({ text: 'SELECT 1' }, /select/i)).toBe(true);
    expect(textIncludes({}, /select/i)).toBe(false);
  });

  it('gives the parts of a statement read again in order, equal to its text', () => {
    const sql = `INSERT INTO t VALUES ${Array.from({ length: 20_000 }, (_, k) => `(${k}, 'ü${k}')`).join(', ')};`;
    const [kept] = scan(sql);
    const [read] = scan(sql, again(sql));
    expect([...textParts(read!)].join('')).toBe(kept!.text);
    expect([...textParts(kept!)].join('')).toBe(kept!.text);
    expect(read!.text).toBe(kept!.text);
  });
});

describe('Option: rereadAbove', () => {
  // Regression: every statement a window's end cut in two was read again from the input (a 15 MiB file of short DO blocks loaded 7 times slower).
  it('reads again only a statement longer than rereadAbove; one a window cut but shorter keeps its pieces', () => {
    const short = Array.from({ length: 4000 }, (_, k) => `DO $$ BEGIN PERFORM ${k}; RAISE NOTICE 'x'; END $$;`).join('\n');
    const sql = `${short}\nSELECT '${'y'.repeat(70_000)}';\n`;
    let reads = 0;
    const out: SqlStatement[] = [];
    const scanner = new StatementScanner(
      { statement: (s) => out.push(s) },
      {
        rereadAbove: 1000,
        readText: (offset, length) => {
          reads++;
          return [sql.slice(offset, offset + length)];
        },
      },
    );
    for (let k = 0; k < sql.length; k += 7000) scanner.push(sql.slice(k, k + 7000));
    scanner.end();

    const cut = out.filter((s) => s.textPieces !== undefined);
    expect(cut.length).toBeGreaterThan(0);
    expect(out.slice(0, -1).map((s) => s.text)).toEqual(short.split('\n').map((l) => l.slice(0, -1)));
    expect(reads).toBe(0);
    expect(out.at(-1)!.text).toBe(`SELECT '${'y'.repeat(70_000)}'`);
    expect(reads).toBe(1);
    expect([...textParts(out.at(-1)!)].join('')).toBe(out.at(-1)!.text);
    expect(reads).toBe(1);
  });
});
