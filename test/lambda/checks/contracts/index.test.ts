import { describe, expect, it } from 'vitest';
import { loadContracts, parseContract, stripOuterParens } from '../../../../lambda/checks/contracts';
import { InputError } from '../../../../lambda/engine/errors/errors';
import { tempDir } from '../../../support/files';
import { rejection } from '../../../support/engine';

describe('Function: parseContract', () => {
  it('takes the name from a -- contract: line, and the statement and its line without the semicolon', async () => {
    const c = await parseContract(
      'upsert.sql',
      '-- The purchase upsert.\n-- contract: purchase upsert\nINSERT INTO t (a) VALUES ($1)\n  ON CONFLICT (a) DO NOTHING;\n',
    );
    expect(c).toMatchObject({ name: 'purchase upsert', file: 'upsert.sql', line: 3, statement: 'INSERT INTO t (a) VALUES ($1)\n  ON CONFLICT (a) DO NOTHING' });
  });

  it('names a contract after its file by default', async () => {
    expect((await parseContract('lead_insert.sql', 'SELECT 1')).name).toBe('lead_insert');
  });

  it('refuses two statements in one file, naming the line of the second', async () => {
    const e = await rejection<InputError>(parseContract('two.sql', 'SELECT 1;\nSELECT 2;'));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe('two.sql: a contract file holds exactly one statement (found 2)');
    expect(e.line).toBe(2);
  });

  it('refuses an empty file', async () => {
    expect((await rejection<InputError>(parseContract('empty.sql', '-- nothing\n'))).message).toContain('found 0');
  });

  it('refuses DDL: schema changes belong in migrations', async () => {
    const e = await rejection<InputError>(parseContract('ddl.sql', 'ALTER TABLE t ADD COLUMN a int'));
    expect(e.message).toBe('ddl.sql:1: ALTER TABLE is not allowed in a check: a contract is a query or a data change (SELECT, INSERT, UPDATE, DELETE, MERGE)');
  });

  // Regression (tester): the parser's node name showed through ("not Call").
  it.each([
    ['CALL refresh_totals()', 'CALL'],
    ['-- why\nCREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', 'CREATE FUNCTION'],
    ['CREATE UNIQUE INDEX i ON t (a)', 'CREATE INDEX'],
    ['DROP MATERIALIZED VIEW mv', 'DROP MATERIALIZED VIEW'],
    ['VACUUM t', 'VACUUM'],
  ])('names %j as SQL writes it: %s', async (sql, keyword) => {
    const e = await rejection<InputError>(parseContract('x.sql', sql));
    expect(e.message).toMatch(new RegExp(`^x\\.sql:\\d+: ${keyword} is not allowed in a check: a contract is a query or a data change`));
  });

  it('reports a syntax error with file, line and column', async () => {
    const e = await rejection<InputError>(parseContract('bad.sql', '-- x\nINSERT INTO t VALUES ($1'));
    expect(e.message).toMatch(/^bad\.sql:2:\d+: syntax error at end of input/);
  });
});

describe('Function: loadContracts', () => {
  it('reads *.sql in name order and ignores other files', async () => {
    const dir = tempDir({ 'b.sql': 'SELECT 2', 'a.sql': 'SELECT 1', 'README.md': '# contracts' }, 'contracts');
    expect((await loadContracts(dir)).map((c) => c.file)).toEqual(['a.sql', 'b.sql']);
  });

  it('refuses two contracts with the same name', async () => {
    const dir = tempDir({ 'a.sql': '-- contract: x\nSELECT 1', 'b.sql': '-- contract: x\nSELECT 2' }, 'contracts');
    expect((await rejection<InputError>(loadContracts(dir))).message).toBe('contracts a.sql and b.sql are both named "x"');
  });

  it('names a missing directory and how to fix it', async () => {
    const e = await rejection<InputError>(loadContracts('/nonexistent/contracts'));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toContain('/nonexistent/contracts: cannot read the contracts directory (ENOENT)');
  });
});

describe('Function: stripOuterParens', () => {
  it('strips one enclosing pair only', () => {
    expect(stripOuterParens('(is_active = true)')).toBe('is_active = true');
    expect(stripOuterParens('(a) AND (b)')).toBe('(a) AND (b)');
    expect(stripOuterParens('a = 1')).toBe('a = 1');
  });
});
