/**
 * The classifier's claims checked against PostgreSQL itself: a statement is
 * `refusesTransactionBlock` exactly when the server refuses it inside
 * BEGIN … ROLLBACK with SQLSTATE 25001 ("… cannot run inside a transaction block");
 * a CALL or DO is `mayEndTransactions` when its COMMIT is refused there with
 * 2D000 ("invalid transaction termination") and runs as a bare statement.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { classifySql, mayEndTransactions, refusesTransactionBlock } from '../../../../lambda/engine/sql/classify';
import { sqlstateOf } from '../../../../lambda/engine/errors/errors';
import { dropDatabases, freshDatabase, versionPair, withClient } from '../../../support/db';

afterAll(dropDatabases);

const SETUP = `
  CREATE TABLE t (id int PRIMARY KEY, a int);
  CREATE INDEX t_a ON t (a);
  CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
  CREATE UNIQUE INDEX mv_id ON mv (id);
  CREATE TABLE p (id int) PARTITION BY RANGE (id);
  CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
  CREATE PROCEDURE noop() LANGUAGE sql AS 'SELECT 1';
  CREATE PROCEDURE commits() LANGUAGE plpgsql AS $$ BEGIN UPDATE t SET a = 1; COMMIT; END $$;
  CREATE PUBLICATION pub FOR TABLE t;`;

/** An enabled subscription (to a publisher that is not there: nothing here connects to it). */
const SUBSCRIPTION = [
  "CREATE SUBSCRIPTION sg_sub CONNECTION 'host=127.0.0.1 port=1 dbname=none connect_timeout=1' PUBLICATION pub WITH (connect = false)",
  'ALTER SUBSCRIPTION sg_sub ENABLE',
];
const NO_SUBSCRIPTION = ['ALTER SUBSCRIPTION sg_sub DISABLE', 'ALTER SUBSCRIPTION sg_sub SET (slot_name = NONE)', 'DROP SUBSCRIPTION sg_sub'];

const STATEMENTS = [
  'CREATE INDEX CONCURRENTLY t_a2 ON t (a)',
  'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_a3 ON t (a)',
  'DROP INDEX CONCURRENTLY t_a',
  'REINDEX INDEX CONCURRENTLY t_a',
  'REINDEX (CONCURRENTLY) TABLE t',
  'ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY',
  'VACUUM t',
  'VACUUM (ANALYZE) t',
  'CREATE DATABASE sg_never_created',
  'DROP DATABASE IF EXISTS sg_never_created',
  "CREATE TABLESPACE sg_never LOCATION '/nonexistent'",
  'DROP TABLESPACE IF EXISTS sg_never',
  "ALTER SYSTEM SET work_mem = '8MB'",
  'CLUSTER',
  'CLUSTER VERBOSE',
  'REINDEX SCHEMA public',
  'REINDEX (VERBOSE) SCHEMA public',
  // Regression (tester): these were not caught before the run.
  'ALTER DATABASE sg_never SET TABLESPACE sg_never',
  'DISCARD ALL',
  "CREATE SUBSCRIPTION sg_s CONNECTION 'host=127.0.0.1 port=1' PUBLICATION pub",
  "CREATE SUBSCRIPTION sg_s CONNECTION 'host=127.0.0.1 port=1' PUBLICATION pub WITH (create_slot = true, enabled = false)",
  "CREATE SUBSCRIPTION sg_s CONNECTION 'host=127.0.0.1 port=1' PUBLICATION pub WITH (connect = true)",
  'ALTER SUBSCRIPTION sg_sub REFRESH PUBLICATION',
  'ALTER SUBSCRIPTION sg_sub REFRESH PUBLICATION WITH (copy_data = false)',
  'ALTER SUBSCRIPTION sg_sub SET PUBLICATION pub',
  'ALTER SUBSCRIPTION sg_sub ADD PUBLICATION pub2',
  // Regression: a boolean option written as a string or a number, as PostgreSQL reads it.
  "CREATE SUBSCRIPTION sg_s CONNECTION 'host=127.0.0.1 port=1' PUBLICATION pub WITH (create_slot = 'true', enabled = false)",
  "CREATE SUBSCRIPTION sg_s CONNECTION 'host=127.0.0.1 port=1' PUBLICATION pub WITH (create_slot = 1, enabled = false)",
  "CREATE SUBSCRIPTION sg_s CONNECTION 'host=127.0.0.1 port=1' PUBLICATION pub WITH (create_slot, enabled = false)",
  "CREATE SUBSCRIPTION sg_s CONNECTION 'host=127.0.0.1 port=1' PUBLICATION pub WITH (connect = 'ON')",
  "ALTER SUBSCRIPTION sg_sub SET PUBLICATION pub WITH (refresh = 'true')",
  "REINDEX (CONCURRENTLY 'on') TABLE t",
  'REINDEX (CONCURRENTLY 1) TABLE t',
  // Allowed in a transaction block:
  "CREATE SUBSCRIPTION sg_s CONNECTION 'host=127.0.0.1 port=1' PUBLICATION pub WITH (connect = 'OFF')",
  'ALTER SUBSCRIPTION sg_sub SET PUBLICATION pub WITH (refresh = 0)',
  "ALTER SUBSCRIPTION sg_sub ADD PUBLICATION pub2 WITH (refresh = 'false')",
  'REINDEX (CONCURRENTLY false) TABLE t',
  "REINDEX (CONCURRENTLY 'off') TABLE t",
  'REINDEX (CONCURRENTLY 0) TABLE t',
  "CREATE SUBSCRIPTION sg_s CONNECTION 'host=127.0.0.1 port=1' PUBLICATION pub WITH (connect = false)",
  'ALTER SUBSCRIPTION sg_sub SET PUBLICATION pub WITH (refresh = false)',
  'ALTER SUBSCRIPTION sg_sub ADD PUBLICATION pub2 WITH (refresh = off)',
  "ALTER DATABASE postgres SET default_tablespace = ''",
  'DISCARD PLANS',
  'REINDEX TABLE t',
  'REINDEX (VERBOSE) INDEX t_pkey',
  'REFRESH MATERIALIZED VIEW CONCURRENTLY mv',
  'CLUSTER t USING t_pkey',
  'CREATE INDEX t_a4 ON t (a)',
  'CALL noop()',
  'ANALYZE t',
];

const ENDING_TRANSACTIONS = [
  'CALL commits()',
  'DO $$ BEGIN FOR k IN 1..2 LOOP UPDATE t SET a = k; COMMIT; END LOOP; END $$',
  'DO $$ BEGIN UPDATE t SET a = 3; ROLLBACK; END $$',
  'DO $$ BEGIN IF true THEN COMMIT; END IF; END $$',
  'DO $$ BEGIN PERFORM 1 / 0; EXCEPTION WHEN others THEN ROLLBACK; END $$',
  // They end no transaction:
  "DO $$ BEGIN RAISE NOTICE 'commit'; END $$",
  'DO $$ BEGIN UPDATE t SET a = 4; END $$',
  // Regression (review): the word alone was taken for the statement.
  'DO $$ BEGIN CREATE TEMP TABLE tmp ON COMMIT DROP AS SELECT 1 AS id; END $$',
  'DO $$ DECLARE x int; BEGIN SELECT d.commit INTO x FROM (SELECT 1 AS commit) d; END $$',
];

/** The statements the server refuses inside BEGIN … ROLLBACK with `sqlstate`; any other error fails the test. */
async function refusedInsideBegin(url: string, statements: string[], sqlstate: string): Promise<string[]> {
  return withClient(url, async (c) => {
    const out: string[] = [];
    for (const sql of statements) {
      await c.query('BEGIN');
      try {
        await c.query(sql);
      } catch (e) {
        if (sqlstateOf(e) === sqlstate) out.push(sql);
        else throw e;
      } finally {
        await c.query('ROLLBACK');
      }
    }
    return out;
  });
}

/** `run` with the enabled subscription sg_sub in the database, dropped after (a database with one cannot be dropped). */
async function subscribed<T>(url: string, run: () => Promise<T>): Promise<T> {
  await withClient(url, async (c) => {
    for (const sql of SUBSCRIPTION) await c.query(sql);
  });
  try {
    return await run();
  } finally {
    await withClient(url, async (c) => {
      for (const sql of NO_SUBSCRIPTION) await c.query(sql);
    });
  }
}

describe.each(versionPair)('Function: classifySql against $name', (target) => {
  it('says "refuses a transaction block" for exactly the statements PostgreSQL refuses inside BEGIN', async () => {
    const url = await freshDatabase(target, 'classify');
    await withClient(url, (c) => c.query(SETUP));

    const refusedByServer = await subscribed(url, () => refusedInsideBegin(url, STATEMENTS, '25001'));

    expect(STATEMENTS.filter((sql) => refusesTransactionBlock(classifySql(sql).kind))).toEqual(refusedByServer);
    expect(refusedByServer).toHaveLength(33);
  });

  it('REINDEX SYSTEM and DATABASE without a name: refused inside BEGIN from PostgreSQL 16 on, as classified; a syntax error (42601) before', async () => {
    const url = await freshDatabase(target, 'classify_reindex');
    const bare = ['REINDEX SYSTEM', 'REINDEX DATABASE'];
    expect(bare.filter((sql) => refusesTransactionBlock(classifySql(sql).kind))).toEqual(bare);
    expect(await refusedInsideBegin(url, bare, target.major >= 16 ? '25001' : '42601')).toEqual(bare);
  });

  // What the words cannot show: refused by the catalog (a subscription's slot, a partitioned table), left to the server's 25001 and its fix.
  it('leaves to the server the statements PostgreSQL refuses inside BEGIN by what the catalog holds', async () => {
    const url = await freshDatabase(target, 'classify_catalog');
    await withClient(url, (c) => c.query(`${SETUP}; CREATE INDEX p_id ON p (id)`));
    const byCatalog = ['DROP SUBSCRIPTION sg_sub', 'CLUSTER p USING p_id', 'REINDEX TABLE p'];

    const refusedByServer = await subscribed(url, () => refusedInsideBegin(url, byCatalog, '25001'));

    expect(refusedByServer).toEqual(byCatalog);
    expect(byCatalog.filter((sql) => refusesTransactionBlock(classifySql(sql).kind))).toEqual([]);
  });

  it('says "may end transactions" for exactly the CALL and DO statements whose COMMIT PostgreSQL refuses inside BEGIN, and they run bare', async () => {
    const url = await freshDatabase(target, 'classify_commits');
    await withClient(url, (c) => c.query(SETUP));
    await withClient(url, (c) => c.query('INSERT INTO t VALUES (1, 0)'));

    const refusedByServer = await refusedInsideBegin(url, ENDING_TRANSACTIONS, '2D000');

    expect(ENDING_TRANSACTIONS.filter((sql) => mayEndTransactions(classifySql(sql).kind))).toEqual(refusedByServer);
    expect(refusedByServer).toHaveLength(5);
    await withClient(url, async (c) => {
      for (const sql of refusedByServer) await c.query(sql);
    });
  });
});
