/**
 * Server errors the file explains come with a fix, on both drivers: a
 * deferred constraint's violation found at COMMIT (no line of the file at
 * fault), and a new enum value used in the transaction that added it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { StatementError } from '../../../lambda/engine/errors';
import { dropDatabases, freshDatabase, rows } from '../../support/db';
import { driverCases } from '../../support/drivers';
import { rejection, runEngine } from '../../support/engine';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

describe.each(driverCases())('Function: serverFix, applied on $name', ({ target, driver }) => {
  // Regression (tester): a Django DEFERRABLE INITIALLY DEFERRED key failed with no line, no mention of COMMIT and no fix.
  it('says a deferred foreign key\'s violation was found at COMMIT, names the constraint and blames no line', async () => {
    const url = await freshDatabase(target, 'deferred_fix');
    const dir = tempDir({ '1_fk.sql': 'CREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE child (id int, parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO child VALUES (1, 42);' });

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
    expect(e.fix).toBe('ALTER TYPE … ADD VALUE\'s new value cannot be used in the transaction that added it (unless the type itself was made there): add the value in one migration and use it in a later file, which runs in a transaction of its own; the migration was rolled back');
  });
});
