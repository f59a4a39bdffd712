/**
 * Lint with a database knows the columns of a table no migration made (one
 * that was there before schemaguard): a type change is judged from the
 * column's type in the database, and SET NOT NULL on a column the database
 * has NOT NULL already reads nothing. Each verdict is checked against the
 * server on PostgreSQL 18, 15 too in the full matrix (the table's file node;
 * the scan counter).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alteredTables, lintSourceFromText } from '../../../../../lambda/checks/lint';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../../support/db';
import { lintWithDatabase } from '../with-database';

afterAll(dropDatabases);

const OUTSIDE = `CREATE TABLE legacy (id int PRIMARY KEY, code varchar(20) NOT NULL, score int, placed timestamp(0));
INSERT INTO legacy SELECT g, 'c' || g, g, now() FROM generate_series(1, 100) g;`;

describe.each(targets)('Lint with a database: the columns of a table no migration made, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'lint_db_columns');
    await withClient(url, (c) => c.query(OUTSIDE));
  });

  const lint = async (pending: string, withDatabase = true) =>
    (await lintWithDatabase(url, [pending], withDatabase)).findings.map((f) => `${f.rule}: ${f.message}`);

  /** Whether `sql` gives the table a new file node (a rewrite), in a transaction rolled back. */
  const rewrites = (sql: string) =>
    withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        const node = async () => (await c.query("SELECT pg_relation_filenode('legacy') AS n")).rows[0].n as string;
        const before = await node();
        await c.query(sql);
        return (await node()) !== before;
      } finally {
        await c.query('ROLLBACK');
      }
    });

  // Regression: without the column's type, varchar(20) → text (no rewrite) was an error, "the current type is not known from the migrations".
  it('varchar(20) to text and a longer varchar: no finding with the database, as the server keeps the table', async () => {
    for (const sql of [
      'ALTER TABLE legacy ALTER COLUMN code TYPE text',
      'ALTER TABLE legacy ALTER COLUMN code TYPE varchar(40)',
      'ALTER TABLE legacy ALTER COLUMN placed TYPE timestamp(3)',
    ]) {
      expect(await lint(`${sql};`)).toEqual([]);
      expect(await rewrites(sql)).toBe(false);
    }
    expect(await lint('ALTER TABLE legacy ALTER COLUMN code TYPE text;', false)).toEqual([
      'column-type-rewrite: legacy.code: type change to text (the current type is not known from the migrations) rewrites the table',
    ]);
  });

  it("integer to bigint and a shorter varchar: the finding names the database's type, and the server rewrites the table", async () => {
    expect(await lint('ALTER TABLE legacy ALTER COLUMN score TYPE bigint;')).toEqual([
      'column-type-rewrite: legacy.score: type change from integer to bigint rewrites the table',
    ]);
    expect(await rewrites('ALTER TABLE legacy ALTER COLUMN score TYPE bigint')).toBe(true);
    expect(await lint('ALTER TABLE "legacy" ALTER COLUMN code TYPE varchar(10);')).toEqual([
      'column-type-rewrite: legacy.code: type change from character varying(20) to character varying(10) rewrites the table',
    ]);
  });

  it('SET NOT NULL on a column the database has NOT NULL: no finding, and the server reads no row', async () => {
    expect(await lint('ALTER TABLE legacy ALTER COLUMN code SET NOT NULL;')).toEqual([]);
    const scans = await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        const n = async () =>
          Number((await c.query("SELECT coalesce((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'legacy'), 0) AS n")).rows[0].n);
        const start = await n();
        await c.query('ALTER TABLE legacy ALTER COLUMN code SET NOT NULL');
        return (await n()) - start;
      } finally {
        await c.query('ROLLBACK');
      }
    });
    expect(scans).toBe(0);
    expect(await lint('ALTER TABLE legacy ALTER COLUMN score SET NOT NULL;')).toEqual([expect.stringMatching(/^set-not-null-without-check: /)]);
  });

  it("a column a pending file renames keeps the database's type; a table dropped and made again has the new one (dropping-table reports the rows lost)", async () => {
    expect(await lint('ALTER TABLE legacy RENAME COLUMN code TO label;\nALTER TABLE legacy ALTER COLUMN label TYPE text;')).toEqual([
      expect.stringMatching(/^renaming-column: /),
    ]);
    expect(await lint('DROP TABLE legacy;\nCREATE TABLE legacy (id int, code int);\nALTER TABLE legacy ALTER COLUMN code TYPE bigint;')).toEqual([
      expect.stringMatching(/^dropping-table: .*every row of legacy is lost/),
    ]);
  });
});

// Review: unqualified names resolved to public, whatever the database's search_path: a table in both app and public was judged by public's column.
describe.each(targets)('Lint with a database whose search_path puts another schema first, on $name', (target) => {
  it('an unqualified name is the table the session finds first (app.legacy), and its column type decides', async () => {
    const url = await freshDatabase(target, 'lint_db_path');
    await withClient(url, (c) =>
      c.query(`CREATE SCHEMA app;
      CREATE TABLE app.legacy (id int, code varchar(20));
      CREATE TABLE public.legacy (id int, code integer);
      ALTER DATABASE ${new URL(url).pathname.slice(1)} SET search_path = app, public;`),
    );
    const lint = async (pending: string) => (await lintWithDatabase(url, [pending])).findings.map((f) => `${f.rule}: ${f.message}`);
    expect(await lint('ALTER TABLE legacy ALTER COLUMN code TYPE text;')).toEqual([]);
    expect(await lint('ALTER TABLE public.legacy ALTER COLUMN code TYPE text;')).toEqual([
      'column-type-rewrite: public.legacy.code: type change from integer to text rewrites the table',
    ]);
    // As the server resolves it: app.legacy keeps its file (varchar to text).
    const node = await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        const before = (await c.query("SELECT pg_relation_filenode('app.legacy') AS n")).rows[0].n;
        await c.query('ALTER TABLE legacy ALTER COLUMN code TYPE text');
        return before === (await c.query("SELECT pg_relation_filenode('app.legacy') AS n")).rows[0].n;
      } finally {
        await c.query('ROLLBACK');
      }
    });
    expect(node).toBe(true);
  });
});

describe('alteredTables', () => {
  it('names each table after ALTER TABLE in pending files, folded or quoted as written', () => {
    const src = (text: string, applied = false) => ({ ...lintSourceFromText('1_x.sql', text), applied });
    expect(
      alteredTables([
        src(
          'ALTER TABLE IF EXISTS ONLY app.Orders ALTER COLUMN a TYPE int;\nalter table "Mixed ""Case""" add column b int;\nALTER TABLE public . items DROP c;',
        ),
        src('ALTER TABLE applied_one ADD d int;', true),
      ]),
    ).toEqual(['orders', 'Mixed "Case"', 'items']);
    // PostgreSQL folds ASCII letters only: CAFÉ is the table "cafÉ".
    expect(alteredTables([src('ALTER TABLE CAFÉ ADD x int;')])).toEqual(['cafÉ']);
  });
});
