import { describe, expect, it } from 'vitest';
import {
  classifySql,
  classifyStatement,
  concurrentIndexTarget,
  leadingWords,
  mayEndTransactions,
  refusesTransactionBlock,
  type StatementKind,
} from '../../../../lambda/engine/sql/classify';
import { splitSql } from '../../../../lambda/engine/sql/splitter';

describe('Function: classifySql', () => {
  it.each<[string, StatementKind, string]>([
    // Transaction control.
    ['BEGIN', 'transaction-control', 'BEGIN'],
    ['begin transaction isolation level serializable', 'transaction-control', 'BEGIN'],
    ['START TRANSACTION READ ONLY', 'transaction-control', 'START TRANSACTION'],
    ['COMMIT', 'transaction-control', 'COMMIT'],
    ['END', 'transaction-control', 'END'],
    ['ABORT', 'transaction-control', 'ABORT'],
    ['SAVEPOINT a', 'transaction-control', 'SAVEPOINT'],
    ['RELEASE SAVEPOINT a', 'transaction-control', 'RELEASE'],
    ['ROLLBACK TO SAVEPOINT a', 'transaction-control', 'ROLLBACK'],
    ["PREPARE TRANSACTION 'x'", 'transaction-control', 'PREPARE'],
    ["COMMIT PREPARED 'x'", 'transaction-control', 'COMMIT'],
    ["ROLLBACK PREPARED 'x'", 'transaction-control', 'ROLLBACK'],
    ['PREPARE q AS SELECT 1', 'other', 'PREPARE'],
    // CONCURRENTLY.
    ['CREATE INDEX CONCURRENTLY i ON t (a)', 'concurrently', 'CONCURRENTLY'],
    ['create unique index concurrently if not exists i on t (a)', 'concurrently', 'CONCURRENTLY'],
    ['DROP INDEX CONCURRENTLY IF EXISTS i', 'concurrently', 'CONCURRENTLY'],
    ['REINDEX INDEX CONCURRENTLY i', 'concurrently', 'CONCURRENTLY'],
    ['REINDEX (CONCURRENTLY) TABLE t', 'concurrently', 'CONCURRENTLY'],
    ['ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY', 'concurrently', 'CONCURRENTLY'],
    ['REFRESH MATERIALIZED VIEW CONCURRENTLY mv', 'other', 'REFRESH'],
    ['REFRESH MATERIALIZED VIEW mv', 'other', 'REFRESH'],
    // What PostgreSQL refuses in a transaction block.
    ['VACUUM t', 'no-transaction-block', 'VACUUM'],
    ['vacuum (analyze, verbose) t', 'no-transaction-block', 'VACUUM'],
    ['CREATE DATABASE x', 'no-transaction-block', 'CREATE DATABASE'],
    ['DROP DATABASE IF EXISTS x', 'no-transaction-block', 'DROP DATABASE'],
    ["CREATE TABLESPACE ts LOCATION '/x'", 'no-transaction-block', 'CREATE TABLESPACE'],
    ['DROP TABLESPACE ts', 'no-transaction-block', 'DROP TABLESPACE'],
    ["ALTER SYSTEM SET work_mem = '8MB'", 'no-transaction-block', 'ALTER SYSTEM'],
    ['CLUSTER', 'no-transaction-block', 'CLUSTER'],
    ['CLUSTER VERBOSE', 'no-transaction-block', 'CLUSTER'],
    ['CLUSTER t USING t_pkey', 'other', 'CLUSTER'],
    ['REINDEX SCHEMA app', 'no-transaction-block', 'REINDEX'],
    ['REINDEX (VERBOSE) DATABASE app', 'no-transaction-block', 'REINDEX'],
    ['REINDEX SYSTEM', 'no-transaction-block', 'REINDEX'],
    ['REINDEX TABLE schema_history', 'other', 'REINDEX'],
    ['REINDEX (VERBOSE) INDEX app.system_idx', 'other', 'REINDEX'],
    ['ALTER DATABASE x SET work_mem = 1', 'other', 'ALTER'],
    // Regression (tester): refused by PostgreSQL in these forms only, and not caught before the run.
    ['ALTER DATABASE x SET TABLESPACE ts', 'no-transaction-block', 'ALTER DATABASE SET TABLESPACE'],
    ['ALTER DATABASE x SET default_tablespace = ts', 'other', 'ALTER'],
    ['DISCARD ALL', 'no-transaction-block', 'DISCARD ALL'],
    ['DISCARD PLANS', 'other', 'DISCARD'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", 'no-transaction-block', 'CREATE SUBSCRIPTION'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = true, enabled = false)", 'no-transaction-block', 'CREATE SUBSCRIPTION'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (connect = on)", 'no-transaction-block', 'CREATE SUBSCRIPTION'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = false)", 'other', 'CREATE'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (connect = false)", 'other', 'CREATE'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = 'false')", 'other', 'CREATE'],
    ['ALTER SUBSCRIPTION s REFRESH PUBLICATION WITH (copy_data = false)', 'no-transaction-block', 'ALTER SUBSCRIPTION REFRESH PUBLICATION'],
    ['ALTER SUBSCRIPTION s ADD PUBLICATION p2', 'no-transaction-block', 'ALTER SUBSCRIPTION ADD PUBLICATION'],
    ['ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false)', 'other', 'ALTER'],
    // Regression: a value written as a string or a number was left to the server; PostgreSQL's defGetBoolean reads them as the bare words (15 and 18).
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = 'true', enabled = false)", 'no-transaction-block', 'CREATE SUBSCRIPTION'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = 'On')", 'no-transaction-block', 'CREATE SUBSCRIPTION'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = 1)", 'no-transaction-block', 'CREATE SUBSCRIPTION'],
    ['CREATE SUBSCRIPTION s CONNECTION \'host=x\' PUBLICATION p WITH (create_slot = "TRUE")', 'no-transaction-block', 'CREATE SUBSCRIPTION'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot, enabled = false)", 'no-transaction-block', 'CREATE SUBSCRIPTION'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (connect = 'ON')", 'no-transaction-block', 'CREATE SUBSCRIPTION'],
    [
      "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = $$true$$ /* a dollar string */)",
      'no-transaction-block',
      'CREATE SUBSCRIPTION',
    ],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = 0)", 'other', 'CREATE'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = 'OFF')", 'other', 'CREATE'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (connect = 'off')", 'other', 'CREATE'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x with (create_slot = true)' PUBLICATION p WITH (create_slot = false)", 'other', 'CREATE'],
    ["ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = 'false')", 'other', 'ALTER'],
    ['ALTER SUBSCRIPTION s ADD PUBLICATION p WITH (refresh = 0)', 'other', 'ALTER'],
    ["ALTER SUBSCRIPTION s ADD PUBLICATION p WITH (refresh = 'true')", 'no-transaction-block', 'ALTER SUBSCRIPTION ADD PUBLICATION'],
    // Spellings the server refuses ("create_slot requires a Boolean value"): left to it.
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = 'yes')", 'other', 'CREATE'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = '1')", 'other', 'CREATE'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = no)", 'other', 'CREATE'],
    // REINDEX's CONCURRENTLY option, by the same spellings.
    ['REINDEX (CONCURRENTLY false) TABLE t', 'other', 'REINDEX'],
    ["REINDEX (VERBOSE, CONCURRENTLY 'off') TABLE t", 'other', 'REINDEX'],
    ['REINDEX (CONCURRENTLY 0) INDEX i', 'other', 'REINDEX'],
    ["REINDEX (CONCURRENTLY 'on') TABLE t", 'concurrently', 'CONCURRENTLY'],
    ['REINDEX (CONCURRENTLY 1, VERBOSE) TABLE t', 'concurrently', 'CONCURRENTLY'],
    ['REINDEX (VERBOSE) INDEX CONCURRENTLY i', 'concurrently', 'CONCURRENTLY'],
    ['REINDEX (CONCURRENTLY false) SCHEMA app', 'no-transaction-block', 'REINDEX'],
    ['ALTER SUBSCRIPTION s SET (slot_name = NONE)', 'other', 'ALTER'],
    ['DROP SUBSCRIPTION s', 'other', 'DROP'],
    // The rest.
    ['CALL refresh_totals()', 'call', 'CALL'],
    ['SELECT 1', 'query', 'SELECT'],
    ['WITH a AS (SELECT 1) SELECT * FROM a', 'query', 'WITH'],
    ['VALUES (1)', 'query', 'VALUES'],
    ['TABLE t', 'query', 'TABLE'],
    ['(SELECT 1)', 'query', 'SELECT'],
    ['SHOW lock_timeout', 'read', 'SHOW'],
    ['EXPLAIN SELECT 1', 'read', 'EXPLAIN'],
    ['INSERT INTO t VALUES (1)', 'other', 'INSERT'],
    ['', 'other', ''],
  ])('%j is %s (%s)', (sql, kind, keyword) => {
    expect(classifySql(sql)).toMatchObject({ kind, keyword });
  });

  it.each<[string, StatementKind]>([
    ["DO $$ BEGIN RAISE NOTICE 'COMMIT'; END $$", 'other'],
    ['DO $$ BEGIN -- no COMMIT here\n NULL; END $$', 'other'],
    ['DO $$ BEGIN EXECUTE $q$ROLLBACK$q$; END $$', 'other'],
    ['DO $body$ BEGIN CREATE INDEX CONCURRENTLY i ON t (a); END $body$', 'other'],
    ["SELECT E'it\\'s; VACUUM t; CREATE INDEX CONCURRENTLY'", 'query'],
    ["SELECT 'concurrently'", 'query'],
    ['SELECT "concurrently" FROM t', 'query'],
    ['-- VACUUM\nSELECT 1', 'query'],
    ['/* BEGIN; /* nested: COMMIT */ VACUUM */ SELECT 1', 'query'],
    ['/* note */ CREATE INDEX CONCURRENTLY i ON t (a)', 'concurrently'],
  ])('does not see words inside literals, bodies or comments: %j is %s', (sql, kind) => {
    expect(classifySql(sql).kind).toBe(kind);
  });

  it.each([
    'DO $$ BEGIN FOR k IN 1..3 LOOP UPDATE t SET a = k; COMMIT; END LOOP; END $$',
    '-- batches\ndo $b$ BEGIN ROLLBACK; END $b$',
    'DO LANGUAGE plpgsql $$ BEGIN COMMIT AND CHAIN; END $$',
    "DO 'BEGIN UPDATE t SET a = ''x''; COMMIT; END'",
    "DO E'BEGIN COMMIT; END'",
  ])('reads into a DO block for the COMMIT or ROLLBACK that makes it end transactions: %j', (sql) => {
    expect(classifySql(sql)).toMatchObject({ kind: 'do-commits', keyword: 'DO' });
  });

  it('never throws on text the splitter would refuse', () => {
    expect(classifySql("SELECT 'open").kind).toBe('query');
    expect(classifySql('DO $$ BEGIN COMMIT; END').kind).toBe('other');
    expect(classifySql('\\i x.sql').kind).toBe('other');
  });
});

describe('Function: classifyStatement', () => {
  it('reads the words the splitter reports and names the line of CONCURRENTLY', () => {
    const [, s] = splitSql('SELECT 1;\nCREATE INDEX\n  CONCURRENTLY i ON t (a);');
    expect(classifyStatement(s!)).toEqual({ kind: 'concurrently', keyword: 'CONCURRENTLY', line: 3 });
  });

  it("reads a DO block's body from the statement text, and without the text takes the block for kind other", () => {
    const [s] = splitSql('DO $$ BEGIN UPDATE t SET a = 1; COMMIT; END $$;');
    expect(classifyStatement(s!).kind).toBe('do-commits');
    expect(classifyStatement({ words: s!.words, wordLines: s!.wordLines, line: s!.line }).kind).toBe('other');
  });

  it('does not take the BEGIN of a BEGIN ATOMIC body for transaction control', () => {
    const statements = splitSql(`CREATE FUNCTION f() RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT 1;
END;
COMMIT;`);
    expect(statements.map((s) => classifyStatement(s).kind)).toEqual(['other', 'transaction-control']);
  });
});

const ALL_KINDS: StatementKind[] = ['transaction-control', 'concurrently', 'no-transaction-block', 'call', 'do-commits', 'query', 'read', 'other'];

describe('Function: refusesTransactionBlock', () => {
  it('is true for CONCURRENTLY and the statements PostgreSQL refuses in a transaction block only', () => {
    expect(ALL_KINDS.filter(refusesTransactionBlock)).toEqual(['concurrently', 'no-transaction-block']);
  });
});

describe('Function: mayEndTransactions', () => {
  it('is true for CALL and a DO block that commits only', () => {
    expect(ALL_KINDS.filter(mayEndTransactions)).toEqual(['call', 'do-commits']);
  });
});

describe('Function: leadingWords', () => {
  it('joins the first words', () => {
    expect(leadingWords(['create', 'unique', 'index'], 2)).toBe('create unique');
    expect(leadingWords(['vacuum'], 3)).toBe('vacuum');
  });
});

describe('Function: concurrentIndexTarget', () => {
  it.each([
    ['CREATE INDEX CONCURRENTLY i ON t (a)', 'i', 't'],
    ['create unique index concurrently if not exists lead_idx on t (a)', 'lead_idx', 't'],
    ['CREATE INDEX CONCURRENTLY "My Index" ON "My Table" (a)', '"My Index"', '"My Table"'],
    ['CREATE INDEX CONCURRENTLY i ON app.t (a)', 'i', 'app.t'],
    ['CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY app . "T" (a)', 'i', 'app."T"'],
    ['-- why\nCREATE /* x */ INDEX CONCURRENTLY i ON t USING gin (a)', 'i', 't'],
  ])('%j creates %s on %s', (sql, index, table) => {
    expect(concurrentIndexTarget(sql)).toEqual({ index, table });
  });

  it.each([
    'CREATE INDEX CONCURRENTLY ON t (a)',
    'CREATE INDEX i ON t (a)',
    // PostgreSQL refuses a schema in the index's name (the index goes in its table's schema).
    'CREATE INDEX CONCURRENTLY app.i ON app.t (a)',
    'DROP INDEX CONCURRENTLY i',
    'REINDEX INDEX CONCURRENTLY i',
    "SELECT 'CREATE INDEX CONCURRENTLY i ON t (a)'",
  ])('%j names no index to create concurrently', (sql) => {
    expect(concurrentIndexTarget(sql)).toBeUndefined();
  });
});
