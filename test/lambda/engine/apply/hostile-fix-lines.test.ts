/**
 * migrate's fix lines for objects and roles whose names carry a statement
 * after a line break, a quote or a comment end: each name stays in its quoted
 * identifier (a line break in its U& escape), so the fix is one line and no
 * line of it is the name's statement.
 */
import { describe, expect, it } from 'vitest';
import { StatementError } from '../../../../lambda/engine/errors/errors';
import { permissionFix, roleOf } from '../../../../lambda/engine/apply/permission-fix';
import { deferredFix, serverFix } from '../../../../lambda/engine/apply/server-fixes';
import { sqlIdent } from '../../../../lambda/engine/sql/sql-quote';
import { brokenOutLines } from '../../../support/hostile-fixes';
import { HOSTILE_NAMES } from '../../../support/hostile-names';

const RAW_BREAK = /[\n\r\u000b\u000c\u0085\u2028\u2029]/;
const inTransaction = { directives: { noTransaction: false } } as const;

function expectOneSafeLine(fix: string | undefined, name: string): void {
  expect(fix).toBeDefined();
  expect(fix).not.toMatch(RAW_BREAK);
  expect(brokenOutLines(fix!)).toEqual([]);
  expect(fix).toContain(sqlIdent(name));
}

describe.each(HOSTILE_NAMES)("migrate's fix lines for the name %j", (name) => {
  it('serverFix of a NOT NULL on a column with NULLs names table and column quoted', () => {
    const fix = serverFix(
      inTransaction,
      { sqlstate: '23502', schema: name, table: name, columnName: name },
      'column "c" of relation "t" contains null values',
      { words: ['alter', 'table', 't', 'add', 'column'] },
    );
    expectOneSafeLine(fix, name);
  });

  it('deferredFix names the constraint and its table quoted', () => {
    expectOneSafeLine(
      deferredFix({ sqlstate: '23503', constraint: name, table: name, schema: name }, 'insert or update violates foreign key constraint'),
      name,
    );
  });

  it("permissionFix GRANTs to the URL's role quoted", () => {
    const role = roleOf(`postgres://${encodeURIComponent(name)}:pw@db.example/app`);
    expect(role).toBe(sqlIdent(name));
    expectOneSafeLine(permissionFix(new StatementError('permission denied for table leads', { sqlstate: '42501' }), role, 'schemaguard'), name);
  });
});
