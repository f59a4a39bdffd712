/** What pg_stat_statements' normalised text needs to be a contract, without a database; and the file names. */
import { beforeAll, describe, expect, it } from 'vitest';
import { contractText, fileNamer } from '../../../../lambda/checks/capture/contract-file';
import { restoreTypedLiterals } from '../../../../lambda/checks/capture/restore';
import { parseContract } from '../../../../lambda/checks/contracts';
import { fingerprint, firstToken, loadParser } from '../../../../lambda/checks/parser/parse';

beforeAll(loadParser);

describe('Function: restoreTypedLiterals', () => {
  it('writes `interval $4` as `$4::interval`, the form PostgreSQL parses', () => {
    expect(restoreTypedLiterals("SELECT id FROM t WHERE at > now() - interval $4 AND d = date $5 AND x = 'é' LIMIT $6")).toBe(
      "SELECT id FROM t WHERE at > now() - $4::interval AND d = $5::date AND x = 'é' LIMIT $6",
    );
  });

  it('leaves casts and parameters that are already valid alone', () => {
    const text = 'SELECT $1::interval, CAST($2 AS date), $3 FROM t';
    expect(restoreTypedLiterals(text)).toBe(text);
  });
});

describe('Function: fingerprint', () => {
  it("is equal for the contract and pg_stat_statements' text of the same statement", () => {
    expect(fingerprint("INSERT INTO web_sessions (visitor_id)\nVALUES ('v-1') -- from the app\nRETURNING id")).toBe(
      fingerprint('insert into web_sessions (visitor_id) values ($1) returning id'),
    );
    expect(fingerprint('SELECT a FROM t')).not.toBe(fingerprint('SELECT b FROM t'));
  });

  it('firstToken reads text the parser refuses (PostgreSQL 18 writes SAVEPOINT $1)', () => {
    expect(firstToken('SAVEPOINT $1')).toBe('savepoint');
    expect(firstToken('  (SELECT 1)')).toBe('(');
  });
});

describe('Function: fileNamer', () => {
  it('names from table and kind, never a file or contract name already taken', async () => {
    const existing = [
      await parseContract('orders_insert.sql', 'INSERT INTO orders (a) VALUES ($1)'),
      await parseContract('x.sql', '-- contract: orders_select\nSELECT 1 FROM orders'),
    ];
    const next = fileNamer(existing);
    expect([next('orders_insert'), next('orders_insert'), next('orders_select'), next('orders_update')]).toEqual([
      'orders_insert_2.sql',
      'orders_insert_3.sql',
      'orders_select_2.sql',
      'orders_update.sql',
    ]);
  });
});

describe('Function: contractText', () => {
  it('is a contract file that parses, with where it came from; a trailing line comment keeps its semicolon apart', async () => {
    const text = contractText({ queryid: '-42', calls: 7, query: '' }, 'SELECT a FROM t WHERE b = $1 -- tag');
    expect(text).toBe(
      "-- Captured from pg_stat_statements by schemaguard capture (queryid -42, 7 calls).\n-- The application's constants are $n parameters here; check binds NULL to each.\nSELECT a FROM t WHERE b = $1 -- tag\n;\n",
    );
    expect((await parseContract('t_select.sql', text)).statement).toBe('SELECT a FROM t WHERE b = $1 -- tag');
  });
});
