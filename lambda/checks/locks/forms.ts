/**
 * The statement forms `plan` knows, each with the lock it takes on its table
 * in PostgreSQL's words, whether it rewrites the table (new storage, every row
 * copied) and whether it reads every row while holding that lock. Sources:
 * the documentation's "Table-Level Locks" list and the lock named for each
 * ALTER TABLE form on its reference page; every example below is run against
 * a real server by test/lambda/checks/locks/forms.int.test.ts, which reads
 * pg_locks, the relation's file node and the transaction's scan counters
 * (on PostgreSQL 18 and 15).
 *
 * A form not in this table is reported as ACCESS EXCLUSIVE, marked assumed.
 */
import type { LockMode } from './modes';

export interface LockForm {
  id: string;
  /** The statement form, as a reviewer reads it. */
  statement: string;
  /** Lock on the statement's table; undefined: no lock on an existing table. */
  lock?: LockMode;
  /** Lock on a second table (the referenced table of a foreign key, a partition's parent or the partition). */
  other?: LockMode;
  /** What the second table is. @default 'referenced' */
  otherRole?: OtherRole;
  /**
   * Lock on the table's indexes when stronger than `lock` (REINDEX: ACCESS
   * EXCLUSIVE on each index it rebuilds). Every query's planner opens all
   * the indexes of its table, so queries on the table wait for it as they
   * would for this lock on the table itself.
   */
  indexLock?: LockMode;
  /** Locks every row it returns or changes until COMMIT (SELECT … FOR UPDATE, UPDATE, DELETE): UPDATE and DELETE of those rows wait, whatever `lock` lets through. */
  rowLocks?: boolean;
  rewrites: boolean;
  scans: boolean;
  /** Runnable against LOCK_EXAMPLE_SCHEMA; its table is `t` unless `exampleTable` says otherwise. */
  example: string;
  exampleTable?: string;
  /** The example's second table (`other`). @default 'r' */
  exampleOther?: string;
  /** Cannot run in a transaction block: verified by the lock it waits for. */
  noTransaction?: boolean;
  /** Shorter route when it meets a big table. */
  saferForm?: string;
  /**
   * Replaces the table's storage with a new, empty file: the file node
   * changes and its indexes are rebuilt empty, but no row is copied or read.
   */
  emptiesTable?: boolean;
  /**
   * Also locks the parent's DEFAULT partition ACCESS EXCLUSIVE, if it has
   * one; `reads`: and reads it (rows of the new bound must not be there),
   * unless a CHECK of the DEFAULT partition excludes the bound.
   */
  defaultPartition?: 'reads' | 'locks';
  /** The oldest PostgreSQL major with the statement's syntax (older servers refuse the example with 42601). @default - every server */
  minMajor?: number;
  /**
   * Servers up to this major version take `lock` instead (none when absent),
   * and `other` on the second table where given (each seen on a real server
   * of every major, test/lambda/checks/locks/forms.int.test.ts).
   */
  until?: { major: number; lock?: LockMode; other?: LockMode };
  /**
   * Where a trace (`plan --trace`, test/lambda/checks/trace/matrix.int.test.ts)
   * sees otherwise than this row on a copy without rows, and why the row
   * stands: each a difference the trace reports as explained, not as a
   * mismatch, on the majors given (every one when absent).
   */
  traced?: readonly TracedDifference[];
}

/** A difference between a form's row and what the trace sees, named with the versions it holds on. */
export interface TracedDifference {
  /** What differs: the lock on the row's table, its rewrite or scan, or a lock on a table the row does not name. */
  aspect: 'lock' | 'rewrites' | 'scans' | 'unnamed';
  /** The majors it holds on. @default - every supported major */
  majors?: { from?: number; to?: number };
  why: string;
}

/**
 * From this major on, a new or attached partition's copy of the keys that
 * reference its parent locks each referencing table SHARE ROW EXCLUSIVE;
 * PostgreSQL 13 and 14 lock no referencing table (pg_locks on each major,
 * test/lambda/checks/locks/foreign-keys.int.test.ts).
 */
export const PARTITION_LOCKS_REFERENCING_FROM = 15;

/** What a statement's second table is: a foreign key's referenced table (unless a form says otherwise), a partition's parent, the partition. */
export type OtherRole = 'referenced' | 'parent' | 'partition';

/** The roles in a reviewer's words. */
export const OTHER_ROLE_TEXT: Record<OtherRole, string> = { referenced: 'the referenced table', parent: 'the parent', partition: 'the partition' };

/**
 * A second tablespace for the examples that move a relation: created before
 * LOCK_EXAMPLE_SCHEMA, in the server's own data directory
 * (`allow_in_place_tablespaces`, a developer option of PostgreSQL 15+; a
 * superuser's), outside any transaction block.
 */
export const LOCK_EXAMPLE_TABLESPACE = 'sg_example_space';
export const LOCK_EXAMPLE_TABLESPACE_SQL = ['SET allow_in_place_tablespaces = on', `CREATE TABLESPACE ${LOCK_EXAMPLE_TABLESPACE} LOCATION ''`];

/** What every example runs against: `t` (with rows), `r` (referenced by t), `u` (rows, no primary key), `e` (no rows), `p` (partitioned, with partition `p1`), `p2` (rows within a bound of `p`, not attached), `dt` (a column of domain `dpos`, a stored generated column `twice`), `q` (partitioned, with an index on it only, `q_id`, and one on its partition `q1`, `q1_id`), the sequence `t_seq`, their indexes and constraints. */
export const LOCK_EXAMPLE_SCHEMA = `
CREATE TABLE r (id int PRIMARY KEY);
INSERT INTO r VALUES (1);
CREATE TABLE t (id int PRIMARY KEY, a int, b text, c varchar(10), r_id int);
INSERT INTO t SELECT g, g, 'x', 'y', 1 FROM generate_series(1, 100) g;
CREATE INDEX t_a ON t (a);
CREATE UNIQUE INDEX t_c_u ON t (c, id);
ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0) NOT VALID;
ALTER TABLE t ADD CONSTRAINT t_r_fk FOREIGN KEY (r_id) REFERENCES r (id) NOT VALID;
CREATE FUNCTION t_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_touch();
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
CREATE UNIQUE INDEX mv_id ON mv (id);
CREATE TABLE u (id int, a int);
INSERT INTO u SELECT g, g FROM generate_series(1, 100) g;
CREATE UNIQUE INDEX u_id ON u (id);
CREATE TABLE p (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100);
INSERT INTO p SELECT g, g FROM generate_series(0, 99) g;
CREATE TABLE p2 (id int, v int);
INSERT INTO p2 SELECT g, g FROM generate_series(100, 199) g;
CREATE DOMAIN dpos AS int;
CREATE TABLE dt (id int, v dpos, twice int GENERATED ALWAYS AS (id * 2) STORED);
INSERT INTO dt SELECT g, g FROM generate_series(1, 100) g;
CREATE SEQUENCE t_seq;
CREATE TABLE e (id int);
CREATE TABLE q (id int) PARTITION BY RANGE (id);
CREATE TABLE q1 PARTITION OF q FOR VALUES FROM (0) TO (100);
CREATE INDEX q_id ON ONLY q (id);
CREATE INDEX q1_id ON q1 (id);
ANALYZE t;
`;

/** Why a trace may see a statement with a WHERE read its whole table. */
const WHERE_SCANS =
  "with a WHERE, whether every row is read is the planner's choice, made on the target's statistics and indexes: on a copy without rows it reads the table";

const SPLIT_TYPE = 'add a column of the new type, backfill it in batches, then swap in a short transaction';
const CONCURRENT_INDEX = 'CREATE INDEX CONCURRENTLY in a "-- schemaguard:no-transaction" file (SHARE UPDATE EXCLUSIVE: writes go on)';
const ATTACH_ROUTE =
  'create the table on its own, add a CHECK matching the bound, then ATTACH PARTITION (SHARE UPDATE EXCLUSIVE on the parent; the CHECK spares the read)';
const NOT_VALID = 'add it NOT VALID (instant), then VALIDATE CONSTRAINT in a later migration (SHARE UPDATE EXCLUSIVE: writes go on)';

export const LOCK_FORMS: readonly LockForm[] = [
  {
    id: 'add-column',
    statement: 'ALTER TABLE … ADD COLUMN (no default, or a constant, stable or immutable one)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ADD COLUMN x int DEFAULT 0',
  },
  {
    id: 'add-column-rewrite',
    statement: 'ALTER TABLE … ADD COLUMN with a volatile default, identity, serial, stored generated column or a domain type with a CHECK or NOT NULL',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: true,
    scans: true,
    example: 'ALTER TABLE t ADD COLUMN z timestamptz DEFAULT clock_timestamp()',
    saferForm: 'add the column without a default, SET DEFAULT for new rows, backfill existing rows in batches',
  },
  {
    id: 'add-column-references',
    statement: 'ALTER TABLE … ADD COLUMN … REFERENCES',
    lock: 'ACCESS EXCLUSIVE',
    other: 'SHARE ROW EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ADD COLUMN w int REFERENCES r (id)',
  },
  {
    id: 'add-column-constrained',
    statement:
      'ALTER TABLE … ADD COLUMN with a constraint (CHECK, UNIQUE, PRIMARY KEY, or REFERENCES with a DEFAULT: reads every row to verify it or build the index; SHARE ROW EXCLUSIVE on a referenced table)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'ALTER TABLE t ADD COLUMN x int CHECK (x > 0)',
    saferForm:
      'add the column bare, then its constraint the online way: CHECK or FOREIGN KEY … NOT VALID and VALIDATE CONSTRAINT later; CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX',
  },
  {
    id: 'add-column-not-null',
    statement:
      'ALTER TABLE … ADD COLUMN … NOT NULL without a DEFAULT (or DEFAULT NULL): reads every row for a NULL, which each existing row has (the statement fails on a table with rows)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'ALTER TABLE e ADD COLUMN x int NOT NULL',
    exampleTable: 'e',
    saferForm: 'add the column with a constant DEFAULT (no read, no rewrite), or add it NULL, backfill it, and SET NOT NULL after a validated CHECK',
  },
  {
    id: 'drop-column',
    statement: 'ALTER TABLE … DROP COLUMN',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t DROP COLUMN b',
  },
  {
    id: 'alter-column-type',
    statement: 'ALTER TABLE … ALTER COLUMN … TYPE (not binary-compatible)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: true,
    scans: true,
    example: 'ALTER TABLE t ALTER COLUMN a TYPE bigint',
    saferForm: SPLIT_TYPE,
  },
  {
    id: 'alter-column-type-compatible',
    statement: 'ALTER TABLE … ALTER COLUMN … TYPE (binary-compatible: varchar(n) to a longer varchar or text)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ALTER COLUMN c TYPE varchar(20)',
  },
  {
    id: 'set-default',
    statement: 'ALTER TABLE … ALTER COLUMN … SET DEFAULT / DROP DEFAULT',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ALTER COLUMN a SET DEFAULT 1',
  },
  {
    id: 'set-not-null',
    statement: 'ALTER TABLE … ALTER COLUMN … SET NOT NULL',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'ALTER TABLE t ALTER COLUMN a SET NOT NULL',
    saferForm: 'ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (no scan)',
  },
  {
    id: 'set-expression',
    statement:
      "ALTER TABLE … ALTER COLUMN … SET EXPRESSION of a STORED generated column (PostgreSQL 17+; a virtual one, PostgreSQL 18's default, is neither rewritten nor read)",
    lock: 'ACCESS EXCLUSIVE',
    rewrites: true,
    scans: true,
    example: 'ALTER TABLE dt ALTER COLUMN twice SET EXPRESSION AS (id * 3)',
    exampleTable: 'dt',
    minMajor: 17,
    saferForm: 'add a new column, backfill it in batches, then swap in a short transaction (or, on PostgreSQL 18, use a virtual generated column)',
  },
  {
    id: 'drop-not-null',
    statement: 'ALTER TABLE … ALTER COLUMN … DROP NOT NULL',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ALTER COLUMN a DROP NOT NULL',
  },
  {
    id: 'set-statistics',
    statement: 'ALTER TABLE … ALTER COLUMN … SET STATISTICS / SET (attribute_option)',
    lock: 'SHARE UPDATE EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ALTER COLUMN a SET STATISTICS 200',
  },
  {
    id: 'set-storage',
    statement: 'ALTER TABLE … ALTER COLUMN … SET STORAGE / SET COMPRESSION',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ALTER COLUMN b SET STORAGE EXTERNAL',
  },
  {
    id: 'add-check',
    statement: 'ALTER TABLE … ADD CONSTRAINT … CHECK',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'ALTER TABLE t ADD CONSTRAINT t_a_big CHECK (a > -1)',
    saferForm: NOT_VALID,
  },
  {
    id: 'add-check-not-valid',
    statement: "ALTER TABLE … ADD CONSTRAINT … CHECK … NOT VALID (and PostgreSQL 18's NOT NULL … NOT VALID)",
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ADD CONSTRAINT t_a_big CHECK (a > -1) NOT VALID',
  },
  {
    id: 'add-foreign-key',
    statement: 'ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY',
    lock: 'SHARE ROW EXCLUSIVE',
    other: 'SHARE ROW EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'ALTER TABLE t ADD CONSTRAINT t_r_fk2 FOREIGN KEY (r_id) REFERENCES r (id)',
    saferForm: NOT_VALID,
  },
  {
    id: 'add-foreign-key-not-valid',
    statement: 'ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY … NOT VALID',
    lock: 'SHARE ROW EXCLUSIVE',
    other: 'SHARE ROW EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ADD CONSTRAINT t_r_fk2 FOREIGN KEY (r_id) REFERENCES r (id) NOT VALID',
  },
  {
    id: 'add-unique',
    statement: 'ALTER TABLE … ADD CONSTRAINT … UNIQUE / PRIMARY KEY / EXCLUDE (builds its index)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)',
    saferForm: 'CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX (no scan)',
  },
  {
    id: 'add-constraint-using-index',
    statement: 'ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX, or PRIMARY KEY USING INDEX on columns NOT NULL already (or proved so by a validated CHECK)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ADD CONSTRAINT t_c_key UNIQUE USING INDEX t_c_u',
  },
  {
    id: 'add-primary-key-using-index',
    statement:
      'ALTER TABLE … ADD [CONSTRAINT …] PRIMARY KEY USING INDEX whose columns are, or may be, nullable (sets NOT NULL on them: scans as SET NOT NULL does)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'ALTER TABLE u ADD CONSTRAINT u_pkey PRIMARY KEY USING INDEX u_id',
    exampleTable: 'u',
    saferForm: 'ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, SET NOT NULL (no scan), then ADD PRIMARY KEY USING INDEX (no scan)',
  },
  {
    id: 'validate-constraint',
    statement: 'ALTER TABLE … VALIDATE CONSTRAINT',
    lock: 'SHARE UPDATE EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'ALTER TABLE t VALIDATE CONSTRAINT t_a_positive',
  },
  {
    id: 'drop-constraint',
    statement: 'ALTER TABLE … DROP CONSTRAINT',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t DROP CONSTRAINT t_a_positive',
  },
  {
    id: 'alter-constraint',
    statement: 'ALTER TABLE … ALTER CONSTRAINT',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t ALTER CONSTRAINT t_r_fk DEFERRABLE',
  },
  {
    id: 'set-options',
    statement: 'ALTER TABLE … SET (storage_parameter) / RESET (but user_catalog_table), CLUSTER ON, SET WITHOUT CLUSTER',
    lock: 'SHARE UPDATE EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t SET (fillfactor = 70)',
  },
  {
    id: 'set-options-catalog',
    statement: 'ALTER TABLE … SET / RESET (user_catalog_table)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t SET (user_catalog_table = true)',
  },
  {
    id: 'enable-trigger',
    statement: 'ALTER TABLE … ENABLE / DISABLE TRIGGER',
    lock: 'SHARE ROW EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t DISABLE TRIGGER t_touch',
  },
  {
    id: 'rewrite-storage',
    statement: 'ALTER TABLE … SET LOGGED / SET UNLOGGED / SET TABLESPACE / SET ACCESS METHOD',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: true,
    scans: true,
    example: 'ALTER TABLE t SET UNLOGGED',
    saferForm: 'PostgreSQL has no online form: run it in a maintenance window, or copy into a new table in batches and swap',
  },
  {
    id: 'alter-table-other',
    statement: 'ALTER TABLE … OWNER TO, RENAME, SET SCHEMA, REPLICA IDENTITY, ROW LEVEL SECURITY, identity, INHERIT',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE t RENAME COLUMN a TO a2',
  },
  {
    id: 'create-index',
    statement: 'CREATE [UNIQUE] INDEX',
    lock: 'SHARE',
    rewrites: false,
    scans: true,
    example: 'CREATE INDEX t_b ON t (b)',
    saferForm: CONCURRENT_INDEX,
  },
  {
    id: 'create-index-concurrently',
    statement: 'CREATE [UNIQUE] INDEX CONCURRENTLY',
    lock: 'SHARE UPDATE EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'CREATE INDEX CONCURRENTLY t_b ON t (b)',
    noTransaction: true,
  },
  {
    id: 'drop-index',
    statement: 'DROP INDEX',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'DROP INDEX t_a',
    saferForm: 'DROP INDEX CONCURRENTLY in a "-- schemaguard:no-transaction" file',
  },
  {
    id: 'drop-index-concurrently',
    statement: 'DROP INDEX CONCURRENTLY',
    lock: 'SHARE UPDATE EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'DROP INDEX CONCURRENTLY t_a',
    noTransaction: true,
  },
  {
    id: 'reindex',
    statement: 'REINDEX TABLE / INDEX (ACCESS EXCLUSIVE on each index it rebuilds, which every query on the table opens to plan)',
    lock: 'SHARE',
    indexLock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'REINDEX TABLE t',
    saferForm: 'REINDEX … CONCURRENTLY in a "-- schemaguard:no-transaction" file',
  },
  {
    id: 'reindex-concurrently',
    statement: 'REINDEX … CONCURRENTLY',
    lock: 'SHARE UPDATE EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'REINDEX TABLE CONCURRENTLY t',
    noTransaction: true,
  },
  {
    id: 'alter-index',
    statement: 'ALTER INDEX … RENAME / SET (storage_parameter) / ALTER COLUMN … SET STATISTICS (lock on the index)',
    lock: 'SHARE UPDATE EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'ALTER INDEX t_a RENAME TO t_a_renamed',
    exampleTable: 't_a',
  },
  {
    id: 'alter-index-tablespace',
    statement:
      'ALTER INDEX … SET TABLESPACE (ACCESS EXCLUSIVE on the index, which every query on the table opens to plan, while its files are copied; the table itself is not locked)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: true,
    scans: false,
    example: `ALTER INDEX t_a SET TABLESPACE ${LOCK_EXAMPLE_TABLESPACE}`,
    exampleTable: 't_a',
    saferForm:
      'CREATE INDEX CONCURRENTLY … TABLESPACE (a new index in the new tablespace) in a "-- schemaguard:no-transaction" file, then DROP INDEX CONCURRENTLY the old one',
  },
  {
    id: 'attach-index-partition',
    statement:
      "ALTER INDEX … ATTACH PARTITION (SHARE UPDATE EXCLUSIVE on the partitioned index, ACCESS EXCLUSIVE on the partition's index, which every query on the partition opens to plan; nothing is read)",
    lock: 'SHARE UPDATE EXCLUSIVE',
    other: 'ACCESS EXCLUSIVE',
    otherRole: 'partition',
    rewrites: false,
    scans: false,
    example: 'ALTER INDEX q_id ATTACH PARTITION q1_id',
    exampleTable: 'q_id',
    exampleOther: 'q1_id',
  },
  {
    id: 'move-all-tablespace',
    statement:
      'ALTER TABLE / INDEX / MATERIALIZED VIEW ALL IN TABLESPACE … SET TABLESPACE (ACCESS EXCLUSIVE on every relation it moves, one after another, each copied, until COMMIT)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: true,
    scans: false,
    example: `ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE ${LOCK_EXAMPLE_TABLESPACE}`,
    saferForm: 'move one relation at a time, in migrations of their own; for an index, CREATE INDEX CONCURRENTLY … TABLESPACE and drop the old one',
  },
  { id: 'create-table', statement: 'CREATE TABLE (new table)', rewrites: false, scans: false, example: 'CREATE TABLE n (id int)' },
  {
    id: 'create-table-references',
    statement: 'CREATE TABLE … REFERENCES (lock on the referenced table)',
    lock: 'SHARE ROW EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'CREATE TABLE n (id int REFERENCES t (id))',
  },
  {
    id: 'create-table-inherits',
    statement: 'CREATE TABLE … INHERITS (lock on the parent)',
    lock: 'SHARE UPDATE EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'CREATE TABLE t_child (x int) INHERITS (t)',
  },
  {
    id: 'create-partition',
    statement: 'CREATE TABLE … PARTITION OF (lock on the parent; a DEFAULT partition is also locked ACCESS EXCLUSIVE and read, for rows of the new bound)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'CREATE TABLE p3 PARTITION OF p FOR VALUES FROM (200) TO (300)',
    exampleTable: 'p',
    saferForm: ATTACH_ROUTE,
    defaultPartition: 'reads',
  },
  {
    id: 'attach-partition',
    statement:
      'ALTER TABLE … ATTACH PARTITION (lock on the partition, read to check its bound unless a validated CHECK implies it; a DEFAULT partition is also locked ACCESS EXCLUSIVE and read)',
    lock: 'ACCESS EXCLUSIVE',
    other: 'SHARE UPDATE EXCLUSIVE',
    otherRole: 'parent',
    rewrites: false,
    scans: true,
    example: 'ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (100) TO (200)',
    exampleTable: 'p2',
    exampleOther: 'p',
    saferForm: 'first add a CHECK matching the bound NOT VALID, then VALIDATE CONSTRAINT it (SHARE UPDATE EXCLUSIVE): ATTACH PARTITION then skips the read',
    defaultPartition: 'reads',
  },
  {
    id: 'detach-partition',
    statement: 'ALTER TABLE … DETACH PARTITION (lock on the parent and the partition, and a DEFAULT partition)',
    lock: 'ACCESS EXCLUSIVE',
    other: 'ACCESS EXCLUSIVE',
    otherRole: 'partition',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE p DETACH PARTITION p1',
    exampleTable: 'p',
    exampleOther: 'p1',
    saferForm:
      'DETACH PARTITION … CONCURRENTLY in a "-- schemaguard:no-transaction" file (PostgreSQL 14+; SHARE UPDATE EXCLUSIVE; not while the table has a DEFAULT partition)',
    defaultPartition: 'locks',
    until: { major: 13, lock: 'ACCESS EXCLUSIVE', other: 'SHARE UPDATE EXCLUSIVE' },
  },
  {
    id: 'detach-partition-concurrently',
    statement: 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY',
    lock: 'SHARE UPDATE EXCLUSIVE',
    other: 'SHARE UPDATE EXCLUSIVE',
    otherRole: 'partition',
    rewrites: false,
    scans: false,
    example: 'ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY',
    exampleTable: 'p',
    exampleOther: 'p1',
    noTransaction: true,
    minMajor: 14,
  },
  {
    id: 'alter-domain-check',
    statement:
      'ALTER DOMAIN … ADD CONSTRAINT (not NOT VALID) / SET NOT NULL / VALIDATE CONSTRAINT (lock on every table with a column of the domain, each read)',
    lock: 'SHARE',
    rewrites: false,
    scans: true,
    example: 'ALTER DOMAIN dpos ADD CONSTRAINT dpos_positive CHECK (VALUE > 0)',
    exampleTable: 'dt',
    saferForm:
      'PostgreSQL has no online form for a domain (ADD … NOT VALID skips the read, but VALIDATE CONSTRAINT takes SHARE and reads too): put the CHECK on each table instead (NOT VALID, then VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE), or run it when writes can wait',
  },
  {
    id: 'drop-table',
    statement: 'DROP TABLE (CASCADE: and each view and materialized view that depends on it, which a live catalog names)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'DROP TABLE t CASCADE',
  },
  {
    id: 'truncate',
    statement: 'TRUNCATE (new, empty storage; no row is read)',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'TRUNCATE t',
    emptiesTable: true,
    traced: [{ aspect: 'scans', why: "the scan counter counts the rebuild of the table's indexes, which reads its new, empty file: no row is read" }],
  },
  {
    id: 'create-trigger',
    statement: 'CREATE TRIGGER',
    lock: 'SHARE ROW EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'CREATE TRIGGER t_touch2 AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_touch()',
  },
  { id: 'drop-trigger', statement: 'DROP TRIGGER', lock: 'ACCESS EXCLUSIVE', rewrites: false, scans: false, example: 'DROP TRIGGER t_touch ON t' },
  {
    id: 'policy',
    statement: 'CREATE / ALTER / DROP POLICY, CREATE RULE',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: 'CREATE POLICY t_all ON t USING (true)',
  },
  {
    id: 'comment',
    statement: 'COMMENT ON TABLE / COLUMN, CREATE STATISTICS',
    lock: 'SHARE UPDATE EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: "COMMENT ON COLUMN t.a IS 'how many'",
  },
  { id: 'analyze', statement: 'ANALYZE (reads a sample)', lock: 'SHARE UPDATE EXCLUSIVE', rewrites: false, scans: false, example: 'ANALYZE t' },
  {
    id: 'vacuum',
    statement: 'VACUUM',
    lock: 'SHARE UPDATE EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'VACUUM t',
    noTransaction: true,
    traced: [
      {
        aspect: 'scans',
        why: 'VACUUM reads the pages itself, past the scan counters the trace reads (pg_stat_*.seq_scan), and skips those the visibility map marks all-visible',
      },
    ],
  },
  {
    id: 'vacuum-full',
    statement: 'VACUUM FULL, CLUSTER',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: true,
    scans: true,
    example: 'CLUSTER t USING t_a',
    saferForm: 'run it in a maintenance window, or rebuild online with an extension such as pg_repack',
  },
  {
    id: 'refresh-materialized-view',
    statement: 'REFRESH MATERIALIZED VIEW',
    lock: 'ACCESS EXCLUSIVE',
    rewrites: true,
    scans: true,
    example: 'REFRESH MATERIALIZED VIEW mv',
    exampleTable: 'mv',
    saferForm: 'REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index; EXCLUSIVE: reads go on)',
  },
  {
    id: 'refresh-materialized-view-concurrently',
    statement: 'REFRESH MATERIALIZED VIEW CONCURRENTLY',
    lock: 'EXCLUSIVE',
    rewrites: false,
    scans: true,
    example: 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv',
    exampleTable: 'mv',
    saferForm: 'this is already the online form: reads of the view go on, and nothing writes to a materialized view',
  },
  {
    id: 'copy-from',
    statement: 'COPY … FROM (writes rows, as INSERT)',
    lock: 'ROW EXCLUSIVE',
    rewrites: false,
    scans: false,
    example: "COPY t (id) FROM '/dev/null'",
  },
  {
    id: 'copy-to',
    statement: 'COPY … TO (reads every row)',
    lock: 'ACCESS SHARE',
    rewrites: false,
    scans: true,
    example: "COPY t TO '/dev/null'",
  },
  { id: 'insert', statement: 'INSERT', lock: 'ROW EXCLUSIVE', rewrites: false, scans: false, example: 'INSERT INTO t (id, a) VALUES (1000, 1)' },
  {
    id: 'update-delete',
    statement: 'UPDATE / DELETE / MERGE (scans: without WHERE)',
    lock: 'ROW EXCLUSIVE',
    rowLocks: true,
    rewrites: false,
    scans: true,
    example: 'UPDATE t SET a = a + 1',
    saferForm: 'update in batches of rows (a WHERE on a key range), each batch its own short transaction',
    traced: [{ aspect: 'scans', why: WHERE_SCANS }],
  },
  {
    id: 'select',
    statement: 'SELECT (scans: without WHERE)',
    lock: 'ACCESS SHARE',
    rewrites: false,
    scans: true,
    example: 'SELECT count(*) FROM t',
    traced: [{ aspect: 'scans', why: WHERE_SCANS }],
  },
  {
    id: 'select-for-update',
    statement: 'SELECT … FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE (scans: without WHERE; FOR KEY SHARE lets UPDATE of non-key columns through)',
    lock: 'ROW SHARE',
    rowLocks: true,
    rewrites: false,
    scans: true,
    example: 'SELECT * FROM t FOR UPDATE',
    saferForm: 'lock only the rows the change needs (a WHERE on a key), in short transactions',
  },
  {
    id: 'grant',
    statement: 'GRANT / REVOKE on a table (PostgreSQL 13 to 17: no table lock)',
    lock: 'ACCESS SHARE',
    rewrites: false,
    scans: false,
    example: 'GRANT SELECT ON t TO PUBLIC',
    until: { major: 17 },
  },
  {
    id: 'sequence-owned-by',
    statement: 'CREATE / ALTER SEQUENCE … OWNED BY table.column (lock on the table)',
    lock: 'ACCESS SHARE',
    rewrites: false,
    scans: false,
    example: 'ALTER SEQUENCE t_seq OWNED BY t.a',
  },
  {
    id: 'no-table-lock',
    statement: 'CREATE FUNCTION / VIEW / TYPE / SCHEMA / SEQUENCE / EXTENSION, SET: no lock on an existing table',
    rewrites: false,
    scans: false,
    example: 'CREATE VIEW t_ids AS SELECT 1 AS id',
  },
  {
    id: 'code',
    statement: 'DO / CALL: runs code; its locks depend on what it does (not read by plan)',
    rewrites: false,
    scans: false,
    example: 'DO $$BEGIN PERFORM 1; END$$',
  },
  { id: 'lock-table', statement: 'LOCK TABLE … IN … MODE', lock: 'SHARE', rewrites: false, scans: false, example: 'LOCK TABLE t IN SHARE MODE' },
];

export const LOCK_FORM = new Map(LOCK_FORMS.map((f) => [f.id, f]));

/** A form by id (the classifier's ids are all in the table). */
export function form(id: string): LockForm {
  const f = LOCK_FORM.get(id);
  if (!f) throw new Error(`no lock form ${id}`);
  return f;
}
