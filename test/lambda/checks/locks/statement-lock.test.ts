/** Variants of the forms that the form table's one example each does not cover (each seen on PostgreSQL 18 and 15 through pg_locks). */
import { beforeAll, describe, expect, it } from 'vitest';
import { statementLock, withCurrentTypes, withKeyColumnsNotNull, withNotNullProven, withVirtualColumns } from '../../../../lambda/checks/locks/statement-lock';
import { loadParser, parseSql } from '../../../../lambda/checks/parser/parse';

beforeAll(loadParser);

const classify = (sql: string) => statementLock(parseSql(sql).statements[0]!);

describe('Function: statementLock', () => {
  it.each([
    'ALTER TABLE t SET (user_catalog_table = true)',
    'ALTER TABLE t RESET (user_catalog_table)',
    'ALTER TABLE t SET (fillfactor = 70, user_catalog_table = false)',
  ])('reads %s as ACCESS EXCLUSIVE (user_catalog_table), not SHARE UPDATE EXCLUSIVE', (sql) => {
    expect(classify(sql)).toMatchObject({ form: { id: 'set-options-catalog' }, lock: 'ACCESS EXCLUSIVE' });
  });

  it("keeps the other storage parameters, the TOAST table's included, at SHARE UPDATE EXCLUSIVE", () => {
    expect(classify('ALTER TABLE t SET (fillfactor = 70, toast.autovacuum_enabled = false)')).toMatchObject({
      form: { id: 'set-options' },
      lock: 'SHARE UPDATE EXCLUSIVE',
    });
  });

  // Regression: plan showed "-" for a new partition and INHERITS, and ACCESS EXCLUSIVE assumed on the parent for ATTACH and DETACH.
  it('reads a new partition as ACCESS EXCLUSIVE on its parent, and INHERITS as SHARE UPDATE EXCLUSIVE on the parent', () => {
    expect(classify("CREATE TABLE app.events_2026_12 PARTITION OF app.events FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')")).toMatchObject({
      form: { id: 'create-partition' },
      lock: 'ACCESS EXCLUSIVE',
      table: { schema: 'app', name: 'events' },
      scans: false,
      assumed: false,
    });
    expect(classify('CREATE TABLE events_other PARTITION OF events DEFAULT')).toMatchObject({ form: { id: 'create-partition' }, table: { name: 'events' } });
    expect(classify('CREATE TABLE c (x int) INHERITS (a, b)')).toMatchObject({
      form: { id: 'create-table-inherits' },
      lock: 'SHARE UPDATE EXCLUSIVE',
      table: { name: 'a' },
    });
  });

  it('reads ATTACH PARTITION as ACCESS EXCLUSIVE on the partition, which it reads, and SHARE UPDATE EXCLUSIVE on the parent', () => {
    for (const bound of ["FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')", 'DEFAULT']) {
      expect(classify(`ALTER TABLE app.events ATTACH PARTITION app.events_new ${bound}`)).toMatchObject({
        form: { id: 'attach-partition' },
        lock: 'ACCESS EXCLUSIVE',
        table: { schema: 'app', name: 'events_new' },
        scans: true,
        rewrites: false,
        other: { table: { schema: 'app', name: 'events' }, lock: 'SHARE UPDATE EXCLUSIVE', role: 'parent' },
      });
    }
  });

  it('reads DETACH PARTITION as ACCESS EXCLUSIVE on both tables, SHARE UPDATE EXCLUSIVE with CONCURRENTLY; FINALIZE is assumed', () => {
    expect(classify('ALTER TABLE events DETACH PARTITION events_old')).toMatchObject({
      form: { id: 'detach-partition' },
      lock: 'ACCESS EXCLUSIVE',
      table: { name: 'events' },
      other: { table: { name: 'events_old' }, lock: 'ACCESS EXCLUSIVE', role: 'partition' },
    });
    expect(classify('ALTER TABLE events DETACH PARTITION events_old CONCURRENTLY')).toMatchObject({
      form: { id: 'detach-partition-concurrently' },
      lock: 'SHARE UPDATE EXCLUSIVE',
      other: { lock: 'SHARE UPDATE EXCLUSIVE' },
    });
    expect(classify('ALTER TABLE events DETACH PARTITION events_old FINALIZE')).toMatchObject({ lock: 'ACCESS EXCLUSIVE', assumed: true });
  });

  // Regression: plan showed SHARE UPDATE EXCLUSIVE and no copy for ALTER INDEX … SET TABLESPACE, and nothing for ALL IN TABLESPACE.
  it("reads ALTER INDEX … SET TABLESPACE as ACCESS EXCLUSIVE on the index and a copy; ATTACH PARTITION also locks the partition's index", () => {
    expect(classify('ALTER INDEX app.events_at SET TABLESPACE fast')).toMatchObject({
      form: { id: 'alter-index-tablespace' },
      lock: 'ACCESS EXCLUSIVE',
      table: { schema: 'app', name: 'events_at', kind: 'index' },
      rewrites: true,
      scans: false,
    });
    expect(classify('ALTER INDEX events_at SET (fillfactor = 80)')).toMatchObject({
      form: { id: 'alter-index' },
      lock: 'SHARE UPDATE EXCLUSIVE',
      rewrites: false,
    });
    expect(classify('ALTER INDEX events_at ATTACH PARTITION events_2026_at')).toMatchObject({
      form: { id: 'attach-index-partition' },
      lock: 'SHARE UPDATE EXCLUSIVE',
      table: { name: 'events_at', kind: 'index' },
      scans: false,
      other: { table: { name: 'events_2026_at', kind: 'index' }, lock: 'ACCESS EXCLUSIVE', role: 'partition' },
    });
    for (const kind of ['TABLE', 'INDEX', 'MATERIALIZED VIEW']) {
      expect(classify(`ALTER ${kind} ALL IN TABLESPACE pg_default SET TABLESPACE fast`)).toMatchObject({
        form: { id: 'move-all-tablespace' },
        lock: 'ACCESS EXCLUSIVE',
        rewrites: true,
        assumed: false,
      });
    }
  });

  it('reads CREATE / ALTER SEQUENCE … OWNED BY as ACCESS SHARE on the table; other sequence options and OWNED BY NONE lock no table', () => {
    expect(classify('ALTER SEQUENCE app.s OWNED BY app.orders.id')).toMatchObject({
      form: { id: 'sequence-owned-by' },
      lock: 'ACCESS SHARE',
      table: { schema: 'app', name: 'orders' },
    });
    expect(classify('CREATE SEQUENCE s2 OWNED BY orders.id')).toMatchObject({ form: { id: 'sequence-owned-by' }, table: { name: 'orders' } });
    for (const sql of ['ALTER SEQUENCE s OWNED BY NONE', 'ALTER SEQUENCE s RESTART', 'CREATE SEQUENCE s3'])
      expect(classify(sql)).toMatchObject({ form: { id: 'no-table-lock' } });
  });

  // Regression: plan showed "-" for ALTER DOMAIN, which locks and reads every table with a column of the domain.
  it.each([
    ['ALTER DOMAIN app.posint ADD CONSTRAINT pos CHECK (VALUE > 0)', { schema: 'app', name: 'posint' }],
    ['ALTER DOMAIN posint SET NOT NULL', { name: 'posint' }],
    ['ALTER DOMAIN posint VALIDATE CONSTRAINT pos', { name: 'posint' }],
  ])('reads %s as SHARE on the tables of the domain, each read', (sql, domain) => {
    expect(classify(sql)).toMatchObject({ form: { id: 'alter-domain-check' }, lock: 'SHARE', domain, scans: true, rewrites: false, assumed: false });
    expect(classify(sql).table).toBeUndefined();
  });

  it.each([
    'ALTER DOMAIN posint ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID',
    'ALTER DOMAIN posint DROP NOT NULL',
    'ALTER DOMAIN posint DROP CONSTRAINT pos',
    'ALTER DOMAIN posint SET DEFAULT 1',
  ])('reads %s as locking no table', (sql) => {
    expect(classify(sql)).toMatchObject({ form: { id: 'no-table-lock' }, scans: false });
    expect(classify(sql).lock).toBeUndefined();
  });

  // Regression: plan said "scans no" for a new column with a CHECK or UNIQUE, which PostgreSQL verifies or indexes over every row (scans.int.test.ts).
  it.each([
    ['ALTER TABLE t ADD COLUMN x int CHECK (x > 0)', 'add-column-constrained', true],
    ['ALTER TABLE t ADD COLUMN x int UNIQUE', 'add-column-constrained', true],
    ['ALTER TABLE t ADD COLUMN x int PRIMARY KEY', 'add-column-constrained', true],
    ['ALTER TABLE t ADD COLUMN x int DEFAULT 1 REFERENCES r (id)', 'add-column-constrained', true],
    ['ALTER TABLE t ADD COLUMN x int REFERENCES r (id)', 'add-column-references', false],
    ['ALTER TABLE t ADD COLUMN x int NOT NULL DEFAULT 0', 'add-column', false],
    ['ALTER TABLE t ADD CONSTRAINT t_a_nn NOT NULL a NOT VALID', 'add-check-not-valid', false],
  ] as const)('reads %s as %s, scans %s', (sql, id, scans) => {
    expect(classify(sql)).toMatchObject({ form: { id }, lock: 'ACCESS EXCLUSIVE', scans });
  });

  it("keeps a foreign key's referenced table on a new column that reads its rows", () => {
    expect(classify('ALTER TABLE t ADD COLUMN x int DEFAULT 1 REFERENCES r (id)').other).toEqual({
      table: { name: 'r', kind: 'table', schema: undefined },
      lock: 'SHARE ROW EXCLUSIVE',
    });
  });

  it('reads SET NOT NULL as a scan until its columns are proved not null; the other subcommands then decide', () => {
    const one = classify('ALTER TABLE t ALTER COLUMN a SET NOT NULL');
    expect(one).toMatchObject({ form: { id: 'set-not-null' }, scans: true, notNull: ['a'] });
    expect(withNotNullProven(one, [])).toMatchObject({ scans: false, lock: 'ACCESS EXCLUSIVE' });
    expect(withNotNullProven(one, ['a'])).toMatchObject({ scans: true });
    expect(withNotNullProven(one, undefined)).toMatchObject({ scans: true });
    const two = classify("ALTER TABLE t ALTER COLUMN a SET NOT NULL, ADD CONSTRAINT t_b_nn NOT NULL b, ADD CONSTRAINT t_c CHECK (c <> '')");
    expect(two).toMatchObject({ notNull: ['a', 'b'] });
    expect(withNotNullProven(two, [])).toMatchObject({ scans: true });
  });

  // Regression: plan showed SET EXPRESSION as an unknown form with no rewrite; a STORED column's values are recomputed into a new file.
  it('reads SET EXPRESSION as a rewrite, none when each column is known virtual and nothing else rewrites', () => {
    const one = classify('ALTER TABLE g ALTER COLUMN total SET EXPRESSION AS (price * qty)');
    expect(one).toMatchObject({
      form: { id: 'set-expression' },
      lock: 'ACCESS EXCLUSIVE',
      rewrites: true,
      scans: true,
      assumed: false,
      expressions: ['total'],
    });
    expect(withVirtualColumns(one, () => true)).toMatchObject({ rewrites: false, scans: false });
    expect(withVirtualColumns(one, () => false)).toMatchObject({ rewrites: true, scans: true });
    const two = classify('ALTER TABLE g ALTER COLUMN total SET EXPRESSION AS (price * qty), ALTER COLUMN note TYPE int USING 0');
    expect(withVirtualColumns(two, () => true)).toMatchObject({ rewrites: true, scans: true });
  });

  // Regression: a statement on a list of tables named only the first (DROP TABLE a, b took the lock on b unseen).
  it.each([
    ['DROP TABLE IF EXISTS app.a, b', 'drop-table', [{ schema: 'app', name: 'a' }, { name: 'b' }]],
    ['TRUNCATE a, app.b', 'truncate', [{ name: 'a' }, { schema: 'app', name: 'b' }]],
    ['LOCK TABLE a, b IN SHARE MODE', 'lock-table', [{ name: 'a' }, { name: 'b' }]],
    ['VACUUM (FULL) a, b', 'vacuum-full', [{ name: 'a' }, { name: 'b' }]],
    ['ANALYZE a, b', 'analyze', [{ name: 'a' }, { name: 'b' }]],
    ['DROP INDEX a_i, b_i', 'drop-index', [{ name: 'a_i' }, { name: 'b_i' }]],
    ['CREATE TABLE c (x int) INHERITS (a, b)', 'create-table-inherits', [{ name: 'a' }, { name: 'b' }]],
    ['CREATE TABLE c (a_id int REFERENCES a, b_id int REFERENCES b, a2 int REFERENCES a)', 'create-table-references', [{ name: 'a' }, { name: 'b' }]],
  ] as const)('reads %s as %s on each of its tables', (sql, id, tables) => {
    const sl = classify(sql);
    expect(sl.form.id).toBe(id);
    expect([sl.table, ...(sl.moreTables ?? [])].map((t) => ({ ...(t!.schema ? { schema: t!.schema } : {}), name: t!.name }))).toEqual(tables);
  });

  // Regression (review): each refinement kept its own "the others scan", so two proved subcommands still scanned, and a binary-compatible type change cleared a CHECK beside it.
  it('composes the refinements: the statement scans while any subcommand still does', () => {
    const both = classify('ALTER TABLE t ADD PRIMARY KEY USING INDEX t_a_u, ALTER COLUMN b SET NOT NULL');
    expect(withNotNullProven(withKeyColumnsNotNull(both, []), [])).toMatchObject({ scans: false, rewrites: false });
    expect(withKeyColumnsNotNull(withNotNullProven(both, []), [])).toMatchObject({ scans: false });
    expect(withNotNullProven(withKeyColumnsNotNull(both, []), ['b'])).toMatchObject({ scans: true });
    const typeAndCheck = classify("ALTER TABLE t ALTER COLUMN c TYPE varchar(40), ADD CONSTRAINT t_c_check CHECK (c <> '')");
    expect(withCurrentTypes(typeAndCheck, () => 'character varying(20)')).toMatchObject({
      form: { id: 'alter-column-type-compatible' },
      rewrites: false,
      scans: true,
    });
    const typeAndExpression = classify('ALTER TABLE t ALTER COLUMN c TYPE text, ALTER COLUMN g SET EXPRESSION AS (a * 2)');
    expect(
      withVirtualColumns(
        withCurrentTypes(typeAndExpression, () => 'character varying(20)'),
        () => true,
      ),
    ).toMatchObject({ rewrites: false, scans: false });
    expect(withCurrentTypes(typeAndExpression, () => 'character varying(20)')).toMatchObject({ rewrites: true, scans: true });
  });

  it.each(['FOR UPDATE', 'FOR NO KEY UPDATE', 'FOR SHARE', 'FOR KEY SHARE', 'FOR UPDATE SKIP LOCKED'])(
    'reads SELECT … %s as ROW SHARE with row locks, a scan without WHERE',
    (clause) => {
      expect(classify(`SELECT * FROM t ${clause}`)).toMatchObject({ form: { id: 'select-for-update', rowLocks: true }, lock: 'ROW SHARE', scans: true });
      expect(classify(`SELECT * FROM t WHERE id = 1 ${clause}`)).toMatchObject({ lock: 'ROW SHARE', scans: false });
    },
  );

  // Regression: plan showed a binary-compatible change with a computing USING as rewriting nothing (PostgreSQL 18 and 15 rewrite: type-change.int.test.ts).
  it('keeps a binary-compatible type change a rewrite when its USING computes the value; the column itself, or cast, is not one', () => {
    const current = () => 'character varying(20)';
    expect(withCurrentTypes(classify('ALTER TABLE t ALTER COLUMN c TYPE varchar(40) USING lower(c)'), current)).toMatchObject({
      form: { id: 'alter-column-type' },
      rewrites: true,
      scans: true,
    });
    expect(withCurrentTypes(classify('ALTER TABLE t ALTER COLUMN c TYPE text USING c::text'), current)).toMatchObject({
      form: { id: 'alter-column-type-compatible' },
      rewrites: false,
      scans: false,
    });
    expect(withCurrentTypes(classify('ALTER TABLE t ALTER COLUMN c TYPE text'), current)).toMatchObject({
      form: { id: 'alter-column-type-compatible' },
      rewrites: false,
    });
  });

  it("reads timestamp → timestamptz as no rewrite only where the database's sessions run in UTC", () => {
    const current = () => 'timestamp(3) without time zone';
    const sl = classify('ALTER TABLE t ALTER COLUMN at TYPE timestamptz');
    expect(withCurrentTypes(sl, current, true)).toMatchObject({ form: { id: 'alter-column-type-compatible' }, rewrites: false, scans: false });
    expect(withCurrentTypes(sl, current, false)).toMatchObject({ form: { id: 'alter-column-type' }, rewrites: true });
    expect(withCurrentTypes(sl, current)).toMatchObject({ form: { id: 'alter-column-type' }, rewrites: true });
  });

  it('reads a plain SELECT as ACCESS SHARE without row locks', () => {
    expect(classify('SELECT * FROM t')).toMatchObject({ form: { id: 'select' }, lock: 'ACCESS SHARE' });
  });

  it.each(['REINDEX TABLE t', 'REINDEX INDEX t_a'])('reads %s as SHARE on the table and ACCESS EXCLUSIVE on its indexes', (sql) => {
    expect(classify(sql)).toMatchObject({ form: { id: 'reindex', indexLock: 'ACCESS EXCLUSIVE' }, lock: 'SHARE' });
  });

  it('reads REINDEX … CONCURRENTLY as SHARE UPDATE EXCLUSIVE, with no stronger lock on the indexes', () => {
    const sl = classify('REINDEX TABLE CONCURRENTLY t');
    expect(sl).toMatchObject({ form: { id: 'reindex-concurrently' }, lock: 'SHARE UPDATE EXCLUSIVE' });
    expect(sl.form.indexLock).toBeUndefined();
  });

  it("reads ADD PRIMARY KEY USING INDEX as a scan until its index's columns are known (plan: withKeyColumnsNotNull); UNIQUE USING INDEX never scans", () => {
    expect(classify('ALTER TABLE t ADD PRIMARY KEY USING INDEX t_a_u')).toMatchObject({
      form: { id: 'add-primary-key-using-index' },
      lock: 'ACCESS EXCLUSIVE',
      scans: true,
      primaryKeyIndex: 't_a_u',
    });
    expect(classify('ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_a_u')).toMatchObject({ scans: true, primaryKeyIndex: 't_a_u' });
    expect(classify('ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_a_u')).toMatchObject({
      form: { id: 'add-constraint-using-index' },
      scans: false,
    });
    const known = withKeyColumnsNotNull(classify('ALTER TABLE t ADD PRIMARY KEY USING INDEX t_a_u'), []);
    expect(known).toMatchObject({ form: { id: 'add-constraint-using-index' }, scans: false });
    expect(withKeyColumnsNotNull(classify('ALTER TABLE t ADD PRIMARY KEY USING INDEX t_a_u'), ['a'])).toMatchObject({ scans: true });
    // Beside other subcommands, a scan-free key leaves the statement scanning only if one of those does.
    const two = classify('ALTER TABLE t ADD PRIMARY KEY USING INDEX t_a_u, ALTER COLUMN b SET NOT NULL');
    expect(two).toMatchObject({ primaryKeyIndex: 't_a_u', notNull: ['b'] });
    expect(withKeyColumnsNotNull(two, [])).toMatchObject({ scans: true });
    const quiet = classify('ALTER TABLE t ADD COLUMN c int, ALTER COLUMN b SET DEFAULT 0, ADD PRIMARY KEY USING INDEX t_a_u');
    expect(quiet).toMatchObject({ scans: true, primaryKeyIndex: 't_a_u' });
    expect(withKeyColumnsNotNull(quiet, [])).toMatchObject({ form: { id: 'add-constraint-using-index' }, scans: false });
    expect(withKeyColumnsNotNull(quiet, ['a'])).toMatchObject({ scans: true });
  });
});
