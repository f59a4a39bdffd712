/**
 * planLocks on relations the plan itself makes: a table dropped and created
 * again under its name is new and empty (the catalog's size is the old
 * table's), a view or sequence the plan creates is new, and a CREATE TABLE IF
 * NOT EXISTS of a table the database has makes nothing. What the server holds
 * after each, in a transaction rolled back, is the evidence (18; every major
 * in the full matrix).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planWithCatalog } from './plan-with-catalog';
import { fullMatrixMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';

afterAll(dropDatabases);

const OUTSIDE = `CREATE TABLE big (id int, a int);
INSERT INTO big SELECT g, g FROM generate_series(1, 500) g;
ANALYZE big;`;

describe.each(fullMatrixMajors)('Function: planLocks, relations the plan makes, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'plan_new');
    await withClient(url, (c) => c.query(OUTSIDE));
  });

  /** The rows of `big` after `sql`, in a transaction rolled back. */
  const rowsAfter = (sql: string) =>
    withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        await c.query(sql);
        return Number((await c.query('SELECT count(*) AS n FROM big')).rows[0].n);
      } finally {
        await c.query('ROLLBACK');
      }
    });

  // Regression: the statements after the CREATE were sized by the dropped table (200,000 rows), with two false large-table warnings.
  it('a table dropped and created again: the statements on it after the CREATE are on a new, empty table, and warn of nothing', async () => {
    const sql =
      'DROP TABLE IF EXISTS public.big;\nCREATE TABLE public.big (id int, a int);\nCREATE INDEX big_a ON public.big (a);\nALTER TABLE public.big ALTER COLUMN a TYPE bigint;\n';
    expect(await rowsAfter(sql)).toBe(0);
    const plan = await planWithCatalog(url, { '1_replace.sql': sql }, { warnRows: 100 });
    expect(plan.statements.map((s) => [s.line, s.rows, s.newTable ?? false])).toEqual([
      [1, 500, false],
      [2, null, false],
      [3, 0, true],
      [4, 0, true],
    ]);
    expect(plan.findings).toEqual([]);
  });

  it('CREATE TABLE IF NOT EXISTS of a table the database has makes nothing: the statements after it are on the table as it is', async () => {
    const sql = 'CREATE TABLE IF NOT EXISTS big (id int, a int);\nALTER TABLE big ALTER COLUMN a TYPE bigint;\n';
    expect(await rowsAfter(sql)).toBe(500);
    const plan = await planWithCatalog(url, { '1_keep.sql': sql }, { warnRows: 100 });
    expect(plan.statements[1]).toMatchObject({ rows: 500 });
    expect(plan.statements[1]!.newTable).toBeUndefined();
    expect(plan.findings.map((f) => f.rule)).toEqual(['blocking-lock-on-large-table']);
  });

  // Regression: plan showed "not found" for a view and a sequence it creates.
  it('a view and a sequence the plan creates are new', async () => {
    const plan = await planWithCatalog(url, {
      '1_v.sql': 'CREATE VIEW v AS SELECT 1 AS x;\nALTER TABLE v OWNER TO CURRENT_USER;\nCREATE SEQUENCE s;\nALTER SEQUENCE s OWNER TO CURRENT_USER;\n',
    });
    expect(plan.statements.filter((s) => s.table).map((s) => [s.table, s.newTable])).toEqual([
      ['v', true],
      ['s', true],
    ]);
  });
});
