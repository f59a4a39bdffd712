/**
 * A file's own BEGIN ISOLATION LEVEL … is refused (schemaguard runs each
 * file in its own transaction), and its fix says how to keep the level.
 * So is a SET TRANSACTION, before anything runs. What the fixes claim,
 * pinned on real PostgreSQL on both drivers: a SET TRANSACTION ISOLATION
 * LEVEL in schemaguard's transaction fails with 25001 (the transaction has
 * run a query of its own by then), outside a transaction it sets nothing, and
 * the role's default_transaction_isolation (or, through the pg driver, the
 * connection's options) runs every file at that level. The same for a file
 * that sets transaction_isolation or transaction_deferrable itself (SET,
 * set_config, UPDATE pg_settings, a DO block), or transaction_read_only on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type InputError, InputProblemsError } from '../../../../lambda/engine/errors/errors';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { transactionStartSql } from '../../../../lambda/engine/apply/script';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const SETTINGS = { lockTimeoutMs: 1000, statementTimeoutMs: 0 };

/** A file that holds only when its transaction runs at `level`. */
const atLevel = (table: string, level: string) =>
  `CREATE TABLE ${table} (id int);\n\n-- schemaguard:check the file ran at ${level}\nSELECT current_setting('transaction_isolation') AS level WHERE current_setting('transaction_isolation') <> '${level}';\n`;

describe.each(driverCases())("A file's own transaction modes: migrate on $name", ({ target, driver }) => {
  it('refuses BEGIN ISOLATION LEVEL SERIALIZABLE with a fix that says how to keep the level', async () => {
    const url = await freshDatabase(target, 'begin_modes');
    const dir = tempDir({ '1_begin.sql': 'BEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE t (id int);\nCOMMIT;\n' });

    const all = await rejection<InputProblemsError>(runEngine(driver, url, dir));
    const [e, commit] = all.problems as [InputError, InputError];

    expect(all).toBeInstanceOf(InputProblemsError);
    expect(commit.message).toBe('1_begin.sql:3: COMMIT inside a transactional migration');
    expect(e.message).toBe('1_begin.sql:1: BEGIN inside a transactional migration');
    expect(e.fix).toContain('Its ISOLATION LEVEL SERIALIZABLE cannot be kept in the file');
    expect(e.fix).toContain("ALTER ROLE <role> IN DATABASE <database> SET default_transaction_isolation = 'serializable'");
    expect(await rows(url, "SELECT to_regclass('public.t')::text AS t")).toEqual([{ t: null }]);
  });

  it('refuses SET TRANSACTION ISOLATION LEVEL up front, with every other problem of the files, and runs nothing', async () => {
    const url = await freshDatabase(target, 'set_transaction');
    const dir = tempDir({
      '1_ok.sql': 'CREATE TABLE ok (id int);\n',
      '2_set.sql': `SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n${atLevel('t', 'serializable')}`,
      '3_more.sql': 'CREATE TABLE u (id int);\nSET TRANSACTION READ ONLY;\nVACUUM u;\n',
    });

    const e = await rejection<InputProblemsError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(InputProblemsError);
    expect(e.exitCode).toBe(2);
    expect(e.problems.map((p) => p.message)).toEqual([
      '2_set.sql:1: SET TRANSACTION inside a transactional migration',
      '3_more.sql:2: SET TRANSACTION inside a transactional migration',
      '3_more.sql:3: VACUUM cannot run inside a transaction block',
    ]);
    expect(e.problems[0]!.fix).toContain("ALTER ROLE <role> IN DATABASE <database> SET default_transaction_isolation = 'serializable'");
    expect(
      await rows(url, "SELECT to_regclass('public.ok')::text AS ok, to_regclass('public.t')::text AS t, to_regnamespace('schemaguard')::text AS state"),
    ).toEqual([{ ok: null, t: null, state: null }]);
  });

  it("what the refusal says: in schemaguard's transaction SET TRANSACTION ISOLATION LEVEL fails with 25001, and READ ONLY fails the writes after it with 25006", async () => {
    const url = await freshDatabase(target, 'set_transaction_claims');
    const session = await driver.make(url).connect();
    // The transaction as the engine starts it: pg's script starts with a SELECT that sets the timeouts.
    const begin = () => (session.script ? session.script([transactionStartSql(SETTINGS)]) : session.begin(SETTINGS));
    try {
      await begin();
      await expect(session.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE')).rejects.toMatchObject({
        code: '25001',
        message: expect.stringContaining('must be called before any query'),
      });
      await session.rollback();

      await begin();
      await session.query('SET TRANSACTION READ ONLY');
      await expect(session.query('CREATE TABLE t (id int)')).rejects.toMatchObject({ code: '25006' });
      await session.rollback();
    } finally {
      await session.close();
    }
  });

  it('what the no-transaction refusal says: outside a transaction block SET TRANSACTION sets nothing', async () => {
    const url = await freshDatabase(target, 'set_transaction_outside');
    const session = await driver.make(url).connect();
    try {
      await session.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
      const [row] = (await session.query<{ level: string }>("SELECT current_setting('transaction_isolation') AS level")).rows;
      expect(row).toEqual({ level: 'read committed' });
    } finally {
      await session.close();
    }
  });

  // Regression: these got past the refusal of SET TRANSACTION; migrate ran the earlier files, then failed on them with 25001.
  it("refuses SET transaction_isolation, set_config('transaction_isolation', …) and transaction_deferrable up front, and runs nothing", async () => {
    const url = await freshDatabase(target, 'isolation_setting');
    const dir = tempDir({
      '1_ok.sql': 'CREATE TABLE ok (id int);\n',
      '2_set.sql': `SET transaction_isolation = 'serializable';\n${atLevel('t', 'serializable')}`,
      '3_config.sql': "CREATE TABLE u (id int);\nSELECT set_config('transaction_isolation', 'repeatable read', true);\n",
      '4_deferrable.sql':
        "-- schemaguard:no-transaction\nSET LOCAL transaction_deferrable TO on;\nDO $$ BEGIN EXECUTE 'SET transaction_isolation = serializable'; END $$;\n",
    });

    const e = await rejection<InputProblemsError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(InputProblemsError);
    expect(e.exitCode).toBe(2);
    expect(e.problems.map((p) => p.message)).toEqual([
      '2_set.sql:1: transaction_isolation set inside a transactional migration',
      '3_config.sql:2: transaction_isolation set inside a transactional migration',
      '4_deferrable.sql:2: transaction_deferrable set in a no-transaction file',
      '4_deferrable.sql:3: transaction_isolation set in a no-transaction file',
    ]);
    expect(e.problems[0]!.fix).toContain("ALTER ROLE <role> IN DATABASE <database> SET default_transaction_isolation = 'serializable'");
    expect(
      await rows(url, "SELECT to_regclass('public.ok')::text AS ok, to_regclass('public.u')::text AS u, to_regnamespace('schemaguard')::text AS state"),
    ).toEqual([{ ok: null, u: null, state: null }]);
  });

  it("what the setting's refusal says: in schemaguard's transaction each form of it fails with 25001, the level it has changes nothing, and transaction_read_only on fails the writes with 25006", async () => {
    const url = await freshDatabase(target, 'isolation_setting_claims');
    const session = await driver.make(url).connect();
    const begin = () => (session.script ? session.script([transactionStartSql(SETTINGS)]) : session.begin(SETTINGS));
    try {
      for (const sql of [
        "SET transaction_isolation = 'serializable'",
        "SET LOCAL transaction_isolation TO 'repeatable read'",
        "SELECT set_config('transaction_isolation', 'serializable', false)",
        "UPDATE pg_settings SET setting = 'serializable' WHERE name = 'transaction_isolation'",
        "DO $$ BEGIN EXECUTE 'SET transaction_isolation = serializable'; END $$",
        'SET transaction_deferrable = off',
        "SELECT set_config('transaction_deferrable', 'on', true)",
      ]) {
        await begin();
        await expect(session.query(sql), sql).rejects.toMatchObject({ code: '25001', message: expect.stringContaining('must be called before any query') });
        await session.rollback();
      }
      await begin();
      await session.query("SET transaction_isolation = 'read committed'");
      expect((await session.query<{ level: string }>("SELECT current_setting('transaction_isolation') AS level")).rows).toEqual([{ level: 'read committed' }]);
      await session.rollback();

      await begin();
      await session.query('SET transaction_read_only = on');
      await expect(session.query('CREATE TABLE t (id int)')).rejects.toMatchObject({ code: '25006' });
      await session.rollback();
    } finally {
      await session.close();
    }
  });

  it('what the no-transaction refusal says: outside a transaction block a SET of transaction_isolation sets nothing past its statement, and set_config fails with 25001', async () => {
    const url = await freshDatabase(target, 'isolation_setting_outside');
    const session = await driver.make(url).connect();
    try {
      await session.query("SET transaction_isolation = 'serializable'");
      expect((await session.query<{ level: string }>("SELECT current_setting('transaction_isolation') AS level")).rows).toEqual([{ level: 'read committed' }]);
      await expect(session.query("SELECT set_config('transaction_isolation', 'serializable', false)")).rejects.toMatchObject({ code: '25001' });
      await expect(session.query("SELECT set_config('transaction_deferrable', 'on', false)")).rejects.toMatchObject({ code: '25001' });
    } finally {
      await session.close();
    }
  });

  it("the role's default_transaction_isolation in the database runs every file at that level", async () => {
    const url = await freshDatabase(target, 'role_isolation');
    await rows(
      url,
      "DO $$ BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I SET default_transaction_isolation = %L', current_user, current_database(), 'serializable'); END $$",
    );
    const dir = tempDir({ '1_a.sql': atLevel('a', 'serializable'), '2_b.sql': atLevel('b', 'serializable') });

    const run = await runEngine(driver, url, dir);

    expect(run.applied.map((a) => a.file)).toEqual(['1_a.sql', '2_b.sql']);
  });
});

describe.each(targets)("A file's own transaction modes: the connection's options on $name", (target) => {
  it('options=-c default_transaction_isolation=… in the URL runs every file at that level (a space in the value escaped with a backslash)', async () => {
    const url = await freshDatabase(target, 'url_isolation');
    const withOptions = `${url}?options=-c%20default_transaction_isolation%3Drepeatable%5C%20read`;
    const dir = tempDir({ '1_a.sql': atLevel('a', 'repeatable read'), '2_b.sql': atLevel('b', 'repeatable read') });

    const run = await runEngine({ name: 'pg', make: (u) => new PgDriver({ connectionString: u }) }, withOptions, dir);

    expect(run.applied.map((a) => a.file)).toEqual(['1_a.sql', '2_b.sql']);
  });
});
