import { describe, expect, it } from 'vitest';
import {
  CHECK_PREFIX,
  ScriptMessage,
  TRANSACTION_START_STATEMENTS,
  recordFields,
  transactionStartSql,
  utf16Offset,
} from '../../../../lambda/engine/apply/script';
import { inFlightGuardSql, insertAppliedTimedSql } from '../../../../lambda/engine/state/state';
import type { Check } from '../../../../lambda/engine/files/source';
import { lineOfPosition, splitSql } from '../../../../lambda/engine/sql/splitter';

const file = `CREATE TABLE a (id int); -- trailing comment
INSERT INTO a
  VALUES ('😀', nope);
SELECT 1 -- ends in a comment
;`;

function message(): { m: ScriptMessage; statements: ReturnType<typeof splitSql>; check: Check } {
  const statements = splitSql(file);
  const [checkStatement] = splitSql('SELECT id FROM a WHERE id IS NULL', { firstLine: 9 });
  const check: Check = { description: 'no null id', statement: checkStatement! };
  const m = new ScriptMessage().own('BEGIN; SET LOCAL lock_timeout = 5000; SET LOCAL statement_timeout = 0');
  for (const s of statements) m.statement(s);
  m.check(check, 0, 1000).own('INSERT INTO t VALUES (1) RETURNING x', true).own('COMMIT');
  return { m, statements, check };
}

describe('Class: ScriptMessage', () => {
  it("puts the file's statements between schemaguard's own, each closed on a line of its own", () => {
    const { m } = message();
    expect(m.sql).toBe(
      [
        'BEGIN; SET LOCAL lock_timeout = 5000; SET LOCAL statement_timeout = 0\n;\n',
        'CREATE TABLE a (id int)\n;\n',
        "INSERT INTO a\n  VALUES ('😀', nope)\n;\n",
        'SELECT 1 -- ends in a comment\n;\n',
        `${CHECK_PREFIX}SELECT id FROM a WHERE id IS NULL\n) AS schemaguard_check LIMIT 1001\n;\n`,
        'INSERT INTO t VALUES (1) RETURNING x\n;\n',
        'COMMIT\n;\n',
      ].join(''),
    );
    expect(splitSql(m.sql)).toHaveLength(3 + 3 + 1 + 1 + 1);
    expect(m.size).toBe(m.sql.length);
  });

  it('knows which statements return the rows the engine reads: the checks and the state row', () => {
    const { m, check } = message();
    expect([...m.rowsOf.entries()].map(([k, p]) => [k, p.kind === 'check' ? p.check : p.kind])).toEqual([
      [6, check],
      [7, 'own'],
    ]);
  });

  it('puts an error with a position (code points, as PostgreSQL counts) on the file statement and its own position', () => {
    const { m, statements } = message();
    const sql = m.sql;
    // "nope": the server counts the emoji before it as one character, JavaScript as two.
    const at = sql.indexOf('nope');
    const codePoints = [...sql.slice(0, at)].length + 1;
    const where = m.locate({ position: String(codePoints) })!;
    expect(where.part).toEqual({ kind: 'statement', statement: statements[1] });
    expect(lineOfPosition(statements[1]!, where.position)).toBe(3);
    expect(statements[1]!.text.slice(where.position! - 1)).toMatch(/^nope/);
  });

  it("carries a statement longer than the scanner's window as its UTF-8 pieces, and reads and places it as its text", () => {
    const long = `INSERT INTO a VALUES ${Array.from({ length: 4000 }, (_, k) => `(${k}, 'ünï😀 ${k}')`).join(', ')}`;
    const [short, statement] = splitSql(`SELECT 1;\n${long};`);
    expect(statement!.textPieces!.bytes.length).toBeGreaterThan(1);
    expect(statement!.textPieces!.length).toBe(long.length);
    const m = new ScriptMessage().own('BEGIN').statement(short!).statement(statement!).own('COMMIT');

    expect(m.pieces.filter((p) => typeof p !== 'string')).toEqual(statement!.textPieces!.bytes);
    expect(m.sql).toBe(`BEGIN\n;\nSELECT 1\n;\n${long}\n;\nCOMMIT\n;\n`);
    expect(m.size).toBe(m.sql.length);
    const at = m.sql.indexOf("'ünï😀 3999'");
    expect(m.locate({ position: String([...m.sql.slice(0, at)].length + 1) })).toEqual({
      part: { kind: 'statement', statement },
      position: long.indexOf("'ünï😀 3999'") + 1,
    });
  });

  it('puts an error without a position on the statement that did not complete', () => {
    const { m, statements, check } = message();
    expect(m.locate({ statementIndex: 0 })!.part).toEqual({ kind: 'own', sql: expect.stringMatching(/^BEGIN/) });
    expect(m.locate({ statementIndex: 2 })!.part).toEqual({ kind: 'own', sql: expect.stringMatching(/^BEGIN/) });
    expect(m.locate({ statementIndex: 3 })!.part).toEqual({ kind: 'statement', statement: statements[0] });
    expect(m.locate({ statementIndex: 5 })!.part).toEqual({ kind: 'statement', statement: statements[2] });
    expect(m.locate({ statementIndex: 6 })!.part).toEqual({ kind: 'check', check, index: 0 });
    expect(m.locate({ statementIndex: 8 })!.part).toEqual({ kind: 'own', sql: 'COMMIT' });
    expect(m.locate({})).toBeUndefined();
  });

  it('gives a position inside a check relative to the wrapped check text', () => {
    const { m } = message();
    const at = m.sql.indexOf('WHERE id IS NULL');
    const where = m.locate({ position: [...m.sql.slice(0, at)].length + 1 })!;
    expect(where.part.kind).toBe('check');
    expect(where.position).toBe(`${CHECK_PREFIX}SELECT id FROM a `.length + 1);
  });
});

describe('Statement counts of the texts that come with their count', () => {
  const settings = { lockTimeoutMs: 5000, statementTimeoutMs: 0 };

  it('transactionStartSql holds TRANSACTION_START_STATEMENTS, with a guard or without', () => {
    expect(splitSql(transactionStartSql(settings))).toHaveLength(TRANSACTION_START_STATEMENTS);
    expect(splitSql(transactionStartSql(settings, inFlightGuardSql(41, 'NOT pg_try_advisory_xact_lock_shared(7::bigint)')))).toHaveLength(
      TRANSACTION_START_STATEMENTS,
    );
  });

  it('the state row is one statement, whatever its name and applied_by hold', () => {
    const row = { version: 3, name: "add; 'x' -- y /* z", checksum: 'a'.repeat(64), appliedBy: "cli:o'neil;@host $$" };
    expect(splitSql(insertAppliedTimedSql('schemaguard', row))).toHaveLength(1);
    expect(splitSql(insertAppliedTimedSql('schemaguard', row, true))).toHaveLength(1);
  });

  it('places a part by the count it is given, as by the one it would find', () => {
    const given = new ScriptMessage().own('BEGIN; SELECT 1', false, 2).own('SELECT 2', true, 1);
    const found = new ScriptMessage().own('BEGIN; SELECT 1').own('SELECT 2', true);
    expect([...given.rowsOf.keys()]).toEqual([2]);
    expect([...found.rowsOf.keys()]).toEqual([2]);
    expect(given.locate({ statementIndex: 1 })!.part).toEqual({ kind: 'own', sql: 'BEGIN; SELECT 1' });
  });
});

describe('Function: utf16Offset', () => {
  it('turns a 1-based code-point position into a 0-based UTF-16 offset', () => {
    expect(utf16Offset('abc', 1)).toBe(0);
    expect(utf16Offset('abc', 3)).toBe(2);
    expect(utf16Offset('😀😀x', 3)).toBe(4);
    expect(utf16Offset('é€x', 3)).toBe(2);
  });
});

describe('Function: recordFields', () => {
  it('reads a record literal as PostgreSQL prints it: quoted fields unescaped, empty ones NULL, an empty string quoted', () => {
    expect(recordFields('(1,"a ""b"", (c)",,"","\\\\x00ff","back\\\\slash")')).toEqual(['1', 'a "b", (c)', null, '', '\\x00ff', 'back\\slash']);
    expect(recordFields('()')).toEqual([null]);
    expect(recordFields('(,)')).toEqual([null, null]);
  });
});
