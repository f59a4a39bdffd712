/**
 * A file's own BEGIN ISOLATION LEVEL … is refused (schemaguard runs each
 * file in its own transaction), and its fix says how to keep the level.
 * What the fix claims, pinned on real PostgreSQL on both drivers: a SET
 * TRANSACTION ISOLATION LEVEL as the file's first statement fails with
 * 25001 (schemaguard's transaction has run a query of its own by then), and
 * the role's default_transaction_isolation (or, through the pg driver, the
 * connection's options) runs every file at that level.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, StatementError } from '../../../lambda/engine/errors';
import { PgDriver } from '../../../lambda/driver/pg/pg-driver';
import { dropDatabases, freshDatabase, rows, targets } from '../../support/db';
import { driverCases } from '../../support/drivers';
import { rejection, runEngine } from '../../support/engine';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

/** A file that holds only when its transaction runs at `level`. */
const atLevel = (table: string, level: string) =>
  `CREATE TABLE ${table} (id int);\n\n-- schemaguard:check the file ran at ${level}\nSELECT current_setting('transaction_isolation') AS level WHERE current_setting('transaction_isolation') <> '${level}';\n`;

describe.each(driverCases())('A file\'s own transaction modes: migrate on $name', ({ target, driver }) => {
  it('refuses BEGIN ISOLATION LEVEL SERIALIZABLE with a fix that says how to keep the level', async () => {
    const url = await freshDatabase(target, 'begin_modes');
    const dir = tempDir({ '1_begin.sql': 'BEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE t (id int);\nCOMMIT;\n' });

    const e = await rejection<InputError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe('1_begin.sql:1: BEGIN inside a transactional migration');
    expect(e.fix).toContain('Its ISOLATION LEVEL SERIALIZABLE cannot be kept in the file');
    expect(e.fix).toContain("ALTER ROLE <role> IN DATABASE <database> SET default_transaction_isolation = 'serializable'");
    expect(await rows(url, "SELECT to_regclass('public.t')::text AS t")).toEqual([{ t: null }]);
  });

  it('a SET TRANSACTION ISOLATION LEVEL as the file\'s first statement fails with 25001, and nothing of the file stays', async () => {
    const url = await freshDatabase(target, 'set_transaction');
    const dir = tempDir({ '1_set.sql': `SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n${atLevel('t', 'serializable')}` });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(StatementError);
    expect([e.sqlstate, e.line]).toEqual(['25001', 1]);
    expect(e.message).toContain('SET TRANSACTION ISOLATION LEVEL must be called before any query');
    expect(await rows(url, "SELECT to_regclass('public.t')::text AS t")).toEqual([{ t: null }]);
  });

  it('the role\'s default_transaction_isolation in the database runs every file at that level', async () => {
    const url = await freshDatabase(target, 'role_isolation');
    await rows(url, "DO $$ BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I SET default_transaction_isolation = %L', current_user, current_database(), 'serializable'); END $$");
    const dir = tempDir({ '1_a.sql': atLevel('a', 'serializable'), '2_b.sql': atLevel('b', 'serializable') });

    const run = await runEngine(driver, url, dir);

    expect(run.applied.map((a) => a.file)).toEqual(['1_a.sql', '2_b.sql']);
  });
});

describe.each(targets)('A file\'s own transaction modes: the connection\'s options on $name', (target) => {
  it('options=-c default_transaction_isolation=… in the URL runs every file at that level (a space in the value escaped with a backslash)', async () => {
    const url = await freshDatabase(target, 'url_isolation');
    const withOptions = `${url}?options=-c%20default_transaction_isolation%3Drepeatable%5C%20read`;
    const dir = tempDir({ '1_a.sql': atLevel('a', 'repeatable read'), '2_b.sql': atLevel('b', 'repeatable read') });

    const run = await runEngine({ name: 'pg', make: (u) => new PgDriver({ connectionString: u }) }, withOptions, dir);

    expect(run.applied.map((a) => a.file)).toEqual(['1_a.sql', '2_b.sql']);
  });
});
