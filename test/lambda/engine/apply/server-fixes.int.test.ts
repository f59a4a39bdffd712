/**
 * Server errors the file explains come with a fix, on both drivers: a
 * deferred constraint's violation found at COMMIT (no line of the file at
 * fault), a new enum value used in the transaction that added it, NULL rows
 * where a column is made NOT NULL, and an object the file makes or changes
 * that was made or dropped by hand (or by an earlier run of a no-transaction
 * file that stopped part-way).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { StatementError } from '../../../../lambda/engine/errors/errors';
import { dropDatabases, freshDatabase, rows } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

describe.each(driverCases())('Function: serverFix, applied on $name', ({ target, driver }) => {
  // Regression (tester): a Django DEFERRABLE INITIALLY DEFERRED key failed with no line, no mention of COMMIT and no fix.
  it("says a deferred foreign key's violation was found at COMMIT, names the constraint and blames no line", async () => {
    const url = await freshDatabase(target, 'deferred_fix');
    const dir = tempDir({
      '1_fk.sql':
        'CREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE child (id int, parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO child VALUES (1, 42);',
    });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e.sqlstate).toBe('23503');
    expect(e.line).toBeUndefined();
    expect(e.message).toBe('1_fk.sql: at COMMIT: insert or update on table "child" violates foreign key constraint "child_parent_id_fkey"');
    expect(e.fix).toContain('the violation was found at COMMIT by the deferred constraint "child_parent_id_fkey" on ');
    expect(e.fix).toContain('so no line of the file is at fault by itself');
    expect(await rows(url, "SELECT to_regclass('public.child')::text AS t")).toEqual([{ t: null }]);
  });

  it('says a new enum value cannot be used in the transaction that added it (55P04)', async () => {
    const url = await freshDatabase(target, 'enum_fix');
    const dir = tempDir({ '1_t.sql': "CREATE TYPE status AS ENUM ('a');" });
    await runEngine(driver, url, dir);
    const more = tempDir({ '1_t.sql': "CREATE TYPE status AS ENUM ('a');", '2_b.sql': "ALTER TYPE status ADD VALUE 'b';\nSELECT 'b'::status;" });

    const e = await rejection<StatementError>(runEngine(driver, url, more));

    expect([e.sqlstate, e.line]).toEqual(['55P04', 2]);
    expect(e.fix).toBe(
      "ALTER TYPE … ADD VALUE's new value cannot be used in the transaction that added it (unless the type itself was made there): add the value in one migration and use it in a later file, which runs in a transaction of its own; the migration was rolled back",
    );
  });

  // Regression (tester): SET NOT NULL over NULL rows failed with PostgreSQL's message alone.
  it('gives the query that counts the NULL rows and the backfill when SET NOT NULL meets them (23502)', async () => {
    const url = await freshDatabase(target, 'notnull_fix');
    const dir = tempDir({ '1_t.sql': "CREATE TABLE orders (id int, region text);\nINSERT INTO orders VALUES (1, 'eu'), (2, NULL), (3, NULL);" });
    await runEngine(driver, url, dir);
    const more = tempDir({
      '1_t.sql': "CREATE TABLE orders (id int, region text);\nINSERT INTO orders VALUES (1, 'eu'), (2, NULL), (3, NULL);",
      '2_nn.sql': '-- region is required now\nALTER TABLE orders ALTER COLUMN region SET NOT NULL;',
    });

    const e = await rejection<StatementError>(runEngine(driver, url, more));

    expect([e.sqlstate, e.file, e.line]).toEqual(['23502', '2_nn.sql', 2]);
    const table = e.fix!.includes('"public"."orders"') ? '"public"."orders"' : '"orders"';
    expect(e.fix).toBe(
      `rows of ${table} are NULL in "region", which NOT NULL refuses: count them with SELECT count(*) FROM ${table} WHERE "region" IS NULL; ` +
        `backfill them first (UPDATE ${table} SET "region" = … WHERE "region" IS NULL, in batches on a big table) in an earlier migration, and make the application stop writing NULL there; ` +
        `on a big table, ADD CONSTRAINT … CHECK ("region" IS NOT NULL) NOT VALID and VALIDATE it before SET NOT NULL, which then skips its scan; the migration was rolled back`,
    );
    expect(await rows(url, `SELECT count(*)::int AS n FROM ${table} WHERE "region" IS NULL`)).toEqual([{ n: 2 }]);
  });

  it('says a new NOT NULL column needs a DEFAULT on a table with rows (23502 from ADD COLUMN)', async () => {
    const url = await freshDatabase(target, 'addnn_fix');
    const dir = tempDir({
      '1_t.sql': 'CREATE TABLE orders (id int);\nINSERT INTO orders VALUES (1);',
      '2_add.sql': 'ALTER TABLE orders ADD COLUMN region text NOT NULL;',
    });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect([e.sqlstate, e.file, e.line]).toEqual(['23502', '2_add.sql', 1]);
    expect(e.fix).toMatch(
      /^(?:"public"\.)?"orders" has rows, and a new column without a DEFAULT is NULL in each of them, which NOT NULL refuses: give it one \(ADD COLUMN "region" … NOT NULL DEFAULT …; a constant default adds no rewrite\), or add it nullable, backfill it, then SET NOT NULL in a later migration; the migration was rolled back$/,
    );
  });

  // Regression (tester): 42701 / 42704 after a change by hand had no fix line.
  it('points to schemaguard diff and IF [NOT] EXISTS when a column added by hand is there already (42701) or an index dropped by hand is gone (42704)', async () => {
    const url = await freshDatabase(target, 'drift_fix');
    const first = { '1_t.sql': 'CREATE TABLE orders (id int);\nCREATE INDEX orders_id ON orders (id);' };
    await runEngine(driver, url, tempDir(first));
    await rows(url, 'ALTER TABLE orders ADD COLUMN note text; DROP INDEX orders_id');

    const added = await rejection<StatementError>(runEngine(driver, url, tempDir({ ...first, '2_note.sql': 'ALTER TABLE orders ADD COLUMN note text;' })));
    const dropped = await rejection<StatementError>(runEngine(driver, url, tempDir({ ...first, '2_idx.sql': 'DROP INDEX orders_id;' })));

    expect([added.sqlstate, added.line]).toEqual(['42701', 1]);
    expect(added.fix).toBe(
      "it was made outside the migrations (by hand, by another tool, or it comes with the database: public, a template database's objects): schemaguard diff shows what differs from what the migrations make; " +
        'if what is there is what this file makes, write the statement with IF NOT EXISTS (ALTER TABLE … ADD COLUMN IF NOT EXISTS), else drop or rename it first; the migration was rolled back',
    );
    expect([dropped.sqlstate, dropped.line]).toEqual(['42704', 1]);
    expect(dropped.fix).toBe(
      'if the name is right, the schema was changed outside the migrations (dropped or renamed by hand): schemaguard diff shows what differs from what the migrations make; ' +
        'restore it as diff shows, or, if it is meant to be gone, write the statement with IF EXISTS (DROP … IF EXISTS, DROP COLUMN IF EXISTS); the migration was rolled back',
    );
  });

  // Regression (tester): a no-transaction file that failed at its third line failed its rerun at its first, "relation already exists", with no fix.
  it("says a no-transaction file's rerun meets what its earlier run made, and to write IF NOT EXISTS (42P07)", async () => {
    const url = await freshDatabase(target, 'rerun_fix');
    const file = '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\nALTER TABLE t ADD COLUMN b int NOT NULL;';
    const dir = tempDir({ '1_t.sql': 'CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);', '2_nt.sql': file });
    const first = await rejection<StatementError>(runEngine(driver, url, dir));
    expect([first.sqlstate, first.line]).toEqual(['23502', 3]);
    expect(first.fix).toMatch(
      /^line 2 of this no-transaction file committed before it and stays applied, but the file is not recorded: the next run starts again from its first line, so make that statement safe to run twice \(IF NOT EXISTS\) or undo it first; as written, line 2 fails when run again \(already exists\); /,
    );

    const rerun = await rejection<StatementError>(runEngine(driver, url, dir));

    expect([rerun.sqlstate, rerun.line, rerun.message]).toEqual(['42P07', 2, '2_nt.sql:2: relation "t_a_idx" already exists']);
    expect(rerun.fix).toBe(
      'an earlier run of this no-transaction file may have made it before a later statement failed (each statement commits on its own, and the file, not recorded, runs again from its first line), ' +
        'or it was made by hand (schemaguard diff shows what differs from what the migrations make): write the statement with IF NOT EXISTS (CREATE TABLE / INDEX / SEQUENCE … IF NOT EXISTS) so the file can run again, or drop what is there first',
    );
  });
});
