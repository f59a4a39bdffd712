/**
 * index-not-concurrent on a partitioned table of the database (one no
 * migration made): PostgreSQL refuses CREATE INDEX CONCURRENTLY there (on 18
 * and 15), so with a database lint proposes the parent's index ON ONLY, each
 * partition's built CONCURRENTLY and attached; the fix is migrated by the
 * engine and leaves a valid index on every partition. The fix for an ALTER
 * TABLE's UNIQUE / PRIMARY KEY makes what the statement makes, its other
 * commands included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixFiles } from '../../../../../lambda/checks/lint/fix';
import { parseSql } from '../../../../../lambda/checks/parser/parse';
import { dropDatabases, freshDatabase, versionPair, withClient } from '../../../../support/db';
import { driverKinds } from '../../../../support/drivers';
import { runEngine } from '../../../../support/engine';
import { tempDir } from '../../../../support/files';
import { formatFinding } from '../../../../../lambda/checks/findings/finding';
import { lintAfter } from '../pending';
import { lintWithDatabase } from '../with-database';
import { directAndFixed, ONLY_SETUP } from '../fix-outcome';

afterAll(dropDatabases);

const pg = driverKinds.find((d) => d.name === 'pg')!;

const OUTSIDE = `CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
INSERT INTO events SELECT g, date '2026-01-01' + g FROM generate_series(0, 700) g;
CREATE TABLE plain (id int, at date);`;

describe.each(versionPair)('index-not-concurrent on a partitioned table of the database, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'partitioned_index');
    await withClient(url, (c) => c.query(OUTSIDE));
  });

  const lint = async (pending: string[], withDatabase = true) => (await lintWithDatabase(url, pending, withDatabase)).findings;

  it('without a database the fix is CONCURRENTLY, which the server refuses on a partitioned table', async () => {
    const [f] = await lint(['CREATE INDEX events_at ON events (at);'], false);
    expect(f!.fix).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at ON events (at);');
    await expect(withClient(url, (c) => c.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at ON events (at)'))).rejects.toThrow(
      /cannot create index on partitioned table "events" concurrently/,
    );
  });

  it('with the database: ON ONLY, then each partition CONCURRENTLY and attached; the fix migrates to a valid index on every partition', async () => {
    const findings = await lint(['CREATE INDEX events_at ON events (at);']);
    expect(findings.map((f) => f.message)).toEqual(["CREATE INDEX events_at on partitioned table events builds every partition's index while blocking writes"]);
    const fix = findings[0]!.fix;
    expect(fix).toContain('CREATE INDEX IF NOT EXISTS events_at ON ONLY events (at);');
    for (const p of ['events_2026', 'events_2027']) {
      expect(fix).toContain(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${p}_at_idx ON ${p} (at);`);
      expect(fix).toContain(`ALTER INDEX events_at ATTACH PARTITION ${p}_at_idx;`);
    }
    const files = fixFiles(fix).filter((text) => parseSql(text).statements.length > 0);
    const run = await runEngine(pg, url, tempDir(Object.fromEntries(files.map((text, k) => [`${k + 1}_fix.sql`, text]))));
    expect(run.applied).toHaveLength(files.length);
    const indexes = await withClient(
      url,
      async (c) =>
        (
          await c.query<{ rel: string; valid: boolean }>(
            `SELECT i.indrelid::regclass::text AS rel, i.indisvalid AS valid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
        WHERE i.indexrelid IN (SELECT relid FROM pg_partition_tree('events_at')) ORDER BY 1`,
          )
        ).rows,
    );
    expect(indexes).toEqual([
      { rel: 'events', valid: true },
      { rel: 'events_2026', valid: true },
      { rel: 'events_2027', valid: true },
    ]);
  });

  // Regression (review): a partition partitioned itself was given CONCURRENTLY, which PostgreSQL refuses there too.
  it("a partition partitioned itself gets its own index ON ONLY, its partitions' attached to it; the fix migrates to valid indexes everywhere", async () => {
    const db = await freshDatabase(target, 'subpartitioned_index');
    await withClient(db, (c) =>
      c.query(`CREATE TABLE ev (id int, region text, at date) PARTITION BY LIST (region);
      CREATE TABLE ev_eu PARTITION OF ev FOR VALUES IN ('eu') PARTITION BY RANGE (at);
      CREATE TABLE ev_eu_2026 PARTITION OF ev_eu FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE TABLE ev_us PARTITION OF ev FOR VALUES IN ('us');`),
    );
    const [f] = (await lintWithDatabase(db, ['CREATE INDEX ev_at ON ev (at);'])).findings;
    const files = fixFiles(f!.fix).filter((text) => parseSql(text).statements.length > 0);
    expect(files[0]).toContain('CREATE INDEX IF NOT EXISTS ev_eu_at_idx ON ONLY ev_eu (at);');
    expect(files[0]).toContain(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS ev_eu_2026_at_idx ON ev_eu_2026 (at);\nALTER INDEX ev_eu_at_idx ATTACH PARTITION ev_eu_2026_at_idx;',
    );
    await runEngine(pg, db, tempDir(Object.fromEntries(files.map((text, k) => [`${k + 1}_fix.sql`, text]))));
    const invalid = await withClient(
      db,
      async (c) =>
        (await c.query("SELECT count(*)::int AS n FROM pg_partition_tree('ev_at') t JOIN pg_index i ON i.indexrelid = t.relid WHERE NOT i.indisvalid")).rows[0]
          .n,
    );
    const indexes = await withClient(db, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_partition_tree('ev_at')")).rows[0].n);
    expect({ invalid, indexes }).toEqual({ invalid: 0, indexes: 4 });
  });

  // Regression: CREATE INDEX CONCURRENTLY on a partitioned table passed lint; the server refuses it (0A000).
  it('CREATE INDEX CONCURRENTLY on the partitioned table: the server refuses it (ON ONLY too), lint with the database says so, and its fix migrates', async () => {
    const db = await freshDatabase(target, 'partitioned_cic');
    await withClient(db, (c) => c.query(OUTSIDE));
    const cic = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS events_cic ON events (id)';
    await expect(withClient(db, (c) => c.query(cic))).rejects.toMatchObject({ code: '0A000' });
    await expect(withClient(db, (c) => c.query('CREATE INDEX CONCURRENTLY events_cic ON ONLY events (id)'))).rejects.toMatchObject({ code: '0A000' });
    const file = `-- schemaguard:no-transaction\n${cic};`;
    const { findings } = await lintWithDatabase(db, [file]);
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['index-not-concurrent', 'error']]);
    expect((await lintWithDatabase(db, [file], false)).findings).toEqual([]);
    const files = fixFiles(findings[0]!.fix).filter((text) => parseSql(text).statements.length > 0);
    const run = await runEngine(pg, db, tempDir(Object.fromEntries(files.map((text, k) => [`${k + 1}_fix.sql`, text]))));
    expect(run.applied).toHaveLength(files.length);
    const valid = await withClient(
      db,
      async (c) =>
        (await c.query("SELECT count(*)::int AS n FROM pg_partition_tree('events_cic') t JOIN pg_index i ON i.indexrelid = t.relid WHERE i.indisvalid")).rows[0]
          .n,
    );
    expect(valid).toBe(3);
  });

  it('names a partition a pending migration adds, and passes ON ONLY; a plain table of the database keeps the CONCURRENTLY fix', async () => {
    const added = "CREATE TABLE events_2028 PARTITION OF events FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');";
    const [f] = await lint([added, 'CREATE INDEX events_id ON events (id);']);
    expect(f!.fix).toContain('ALTER INDEX events_id ATTACH PARTITION events_2028_id_idx;');
    expect(await lint(['CREATE INDEX events_only ON ONLY events (id);'])).toEqual([]);
    const [plain] = await lint(['CREATE INDEX plain_at ON plain (at);']);
    expect(plain!.fix).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS plain_at ON plain (at);');
  });

  it("ADD CONSTRAINT … UNIQUE with the database: each partition's key, then the parent's; the fix migrates to the keys the statement makes, no index built twice", async () => {
    const sql = 'ALTER TABLE events ADD CONSTRAINT events_id_at_key UNIQUE (id, at);';
    const [f] = (await lint([sql])).filter((x) => x.rule === 'index-not-concurrent');
    expect(f!.fix).toContain('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_2026_id_at_key ON events_2026 (id, at);');
    expect(f!.fix).toContain('ALTER TABLE events_2027 ADD CONSTRAINT events_2027_id_at_key UNIQUE USING INDEX events_2027_id_at_key;');
    const keys = (db: string) =>
      withClient(
        db,
        async (c) =>
          (
            await c.query(`SELECT conrelid::regclass::text AS t, conname, regexp_replace(pg_get_indexdef(conindid), 'INDEX \\S+ ON', 'INDEX ON') AS def,
        (SELECT count(*)::int FROM pg_index i WHERE i.indrelid = k.conrelid) AS indexes FROM pg_constraint k WHERE contype = 'u' AND connamespace = 'public'::regnamespace ORDER BY 1`)
          ).rows,
      );
    const direct = await freshDatabase(target, 'partitioned_unique_direct');
    await withClient(direct, (c) => c.query(`${OUTSIDE}\n${sql}`));
    const viaFix = await freshDatabase(target, 'partitioned_unique_fix');
    await withClient(viaFix, (c) => c.query(OUTSIDE));
    const files = fixFiles(f!.fix).filter((text) => parseSql(text).statements.length > 0);
    await runEngine(pg, viaFix, tempDir(Object.fromEntries(files.map((text, k) => [`${k + 1}_fix.sql`, text]))));
    expect(await keys(viaFix)).toEqual(await keys(direct));
    expect((await keys(viaFix)).map((k) => k.indexes)).toEqual([1, 1, 1]);
  });
});

// Regression: the fix gave the constraint PostgreSQL's default name (an ORM looks for its own) and dropped NULLS NOT DISTINCT and DEFERRABLE.
describe.each(versionPair)(
  'index-not-concurrent: the fix for ADD CONSTRAINT … UNIQUE / PRIMARY KEY makes the constraint the statement makes, on $name',
  (target) => {
    const TABLE = 'CREATE TABLE book (id int, title text, author_id int, note text);';
    const cases = [
      'ALTER TABLE book ADD CONSTRAINT "UQ_e12875dfb3b1d92d7d7c5377e22" UNIQUE NULLS NOT DISTINCT (title, author_id) INCLUDE (note) DEFERRABLE INITIALLY DEFERRED;',
      'ALTER TABLE book ADD CONSTRAINT book_pk PRIMARY KEY (id) DEFERRABLE;',
    ];

    /** Each constraint of book as the catalog describes it, with its index's definition (its name aside). */
    const constraints = (url: string) =>
      withClient(
        url,
        async (c) =>
          (
            await c.query<{ name: string; def: string; index: string }>(
              `SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS def, regexp_replace(pg_get_indexdef(c.conindid), 'INDEX \\S+ ON', 'INDEX ON') AS index
       FROM pg_constraint c WHERE c.conrelid = 'book'::regclass AND c.contype IN ('u', 'p') ORDER BY 1`,
            )
          ).rows,
      );

    it.each(cases)('%s', async (sql) => {
      const direct = await freshDatabase(target, 'unique_direct');
      await withClient(direct, (c) => c.query(`${TABLE}\n${sql}`));
      const viaFix = await freshDatabase(target, 'unique_fix');
      await withClient(viaFix, (c) => c.query(TABLE));
      const findings = (await lintWithDatabase(viaFix, [sql])).findings;
      const fix = findings.find((f) => f.rule === 'index-not-concurrent')!.fix;
      const files = fixFiles(fix).filter((text) => parseSql(text).statements.length > 0);
      await runEngine(pg, viaFix, tempDir(Object.fromEntries(files.map((text, k) => [`${k + 1}_fix.sql`, text]))));
      expect(await constraints(viaFix)).toEqual(await constraints(direct));
    });
  },
);

// Regression: the fix for ADD COLUMN … UNIQUE beside other commands was `ALTER TABLE … ADD COLUMN handle text` alone: ADD COLUMN rank (and every other command) was gone.
describe.each(versionPair)("index-not-concurrent: the fix for an ALTER TABLE's keys keeps the statement's other commands, on $name", (target) => {
  const TABLE = "CREATE TABLE shelf (id int, title text);\nINSERT INTO shelf VALUES (1, 'a');";
  const cases = [
    'ALTER TABLE shelf ADD COLUMN rank int, ADD COLUMN handle text UNIQUE;',
    "ALTER TABLE shelf ADD COLUMN rank int DEFAULT 0, ADD CONSTRAINT shelf_title_key UNIQUE (title), ADD COLUMN code text CONSTRAINT shelf_code_uq UNIQUE DEFERRABLE INITIALLY DEFERRED DEFAULT 'c';",
    'ALTER TABLE shelf ADD COLUMN note text, ADD COLUMN serial_no bigint DEFAULT 0 PRIMARY KEY;',
  ];

  /** shelf's columns (NOT NULL included), constraints but PostgreSQL 18's NOT NULL ones (with their indexes, names aside) and rows, as the catalog has them. */
  const shape = (url: string) =>
    withClient(url, async (c) => ({
      columns: (
        await c.query(`SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull, pg_get_expr(d.adbin, d.adrelid) AS default
      FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = 'shelf'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`)
      ).rows,
      keys: (
        await c.query(`SELECT conname, pg_get_constraintdef(oid) AS def, regexp_replace(pg_get_indexdef(conindid), 'INDEX \\S+ ON', 'INDEX ON') AS index
      FROM pg_constraint WHERE conrelid = 'shelf'::regclass AND contype <> 'n' ORDER BY 1`)
      ).rows,
      rows: (await c.query('SELECT * FROM shelf')).rows,
    }));

  it.each(cases)('%s', async (sql) => {
    const direct = await freshDatabase(target, 'keys_direct');
    await withClient(direct, (c) => c.query(`${TABLE}\n${sql}`));
    const findings = (await lintAfter(TABLE, sql)).findings.filter((f) => f.rule === 'index-not-concurrent');
    expect(findings.length).toBeGreaterThan(0);
    expect(new Set(findings.map((f) => f.fix)).size).toBe(1);
    const files = fixFiles(findings[0]!.fix);
    expect((await lintAfter(TABLE, ...files)).findings.map(formatFinding)).toEqual([]);

    const viaFix = await freshDatabase(target, 'keys_fix');
    await withClient(viaFix, (c) => c.query(TABLE));
    await runEngine(pg, viaFix, tempDir(Object.fromEntries(files.map((text, k) => [`${k + 1}_fix.sql`, text]))));
    expect(await shape(viaFix)).toEqual(await shape(direct));
  });
});

// Regression: the fix's ADD CONSTRAINT … USING INDEX and its NOT NULL steps dropped the statement's ONLY (a primary key's NOT NULL went to every child table);
// and ALTER TABLE ONLY of a partitioned table, which builds no index, was given CREATE INDEX CONCURRENTLY, which PostgreSQL refuses there.
describe.each(versionPair)('index-not-concurrent: the fix of an ALTER TABLE ONLY, on $name', (target) => {
  const cases: { sql: string; refused?: string }[] = [
    { sql: 'ALTER TABLE ONLY parent ADD CONSTRAINT parent_id_key UNIQUE (id);' },
    { sql: 'ALTER TABLE parent ADD PRIMARY KEY (n);' },
  ];

  it.each(cases)('$sql', async ({ sql, refused }) => {
    const r = await directAndFixed(target, 'index-not-concurrent', ONLY_SETUP, sql);
    expect(r.fixFindings).toEqual([]);
    expect(r.direct.refused).toBe(refused);
    expect(r.fixed).toEqual(r.direct);
  });

  // Regression: on PostgreSQL 18 the fix's last step failed as the statement does ("cannot change NO INHERIT status of NOT NULL constraint"): its NOT NULL steps kept ONLY.
  it("ALTER TABLE ONLY parent ADD PRIMARY KEY: 18 refuses it while a child's column may be NULL; the fix makes the children's NOT NULL too and applies on 18 and 15", async () => {
    const sql = 'ALTER TABLE ONLY parent ADD PRIMARY KEY (n);';
    const r = await directAndFixed(target, 'index-not-concurrent', ONLY_SETUP, sql);
    expect(r.fixFindings).toEqual([]);
    expect(r.fix).toContain('ALTER TABLE parent ALTER COLUMN n SET NOT NULL;');
    expect(r.fix).toContain('ALTER TABLE ONLY parent ADD CONSTRAINT parent_pkey PRIMARY KEY USING INDEX parent_pkey;');
    expect(r.fixed.refused).toBeUndefined();
    expect(r.fixed.keys.filter((k) => k.table === 'parent')).toEqual([
      { table: 'parent', name: 'parent_pkey', def: 'PRIMARY KEY (n)', index: 'CREATE UNIQUE INDEX ON public.parent USING btree (n)' },
    ]);
    expect(r.fixed.notNull.filter((c) => c.table === 'parent' || c.table === 'child').map((c) => `${c.table}.${c.column}`)).toEqual(['child.n', 'parent.n']);
    expect(r.fixed.constraints).toEqual(r.direct.refused ? [] : r.direct.constraints);
    if (target.major >= 18) {
      expect(r.direct.refused).toBe('column "n" of table "child" is not marked NOT NULL');
      return;
    }
    // 15 makes the parent's column alone NOT NULL: told the server's version, lint keeps ONLY on every step, as before, and the fix leaves what the statement leaves.
    expect(r.direct.refused).toBeUndefined();
    const on15 = await directAndFixed(target, 'index-not-concurrent', ONLY_SETUP, sql, '', target.major);
    expect(on15.fixFindings).toEqual([]);
    expect(on15.fix).toContain('ALTER TABLE ONLY parent ALTER COLUMN n SET NOT NULL;');
    expect(on15.fixed).toEqual(on15.direct);
  });

  // Regression: ADD CONSTRAINT … UNIQUE / PRIMARY KEY on a partitioned table got CREATE INDEX CONCURRENTLY and USING INDEX on it, both of which PostgreSQL refuses there (0A000).
  it.each([
    'ALTER TABLE ledger ADD CONSTRAINT ledger_id_code_key UNIQUE (id, code);',
    'ALTER TABLE ledger ADD PRIMARY KEY (id);',
    'ALTER TABLE ledger ADD COLUMN ref int, ADD CONSTRAINT ledger_key UNIQUE NULLS NOT DISTINCT (id, n) INCLUDE (code) DEFERRABLE INITIALLY DEFERRED;',
  ])("on a partitioned table: each partition's key built CONCURRENTLY and made its constraint, then the parent's, which builds none: %s", async (sql) => {
    const r = await directAndFixed(target, 'index-not-concurrent', ONLY_SETUP, sql);
    expect(r.fixFindings).toEqual([]);
    expect(r.fix).toMatch(/CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ledger_1_\w+ ON ledger_1 \(/);
    expect(r.fix).not.toMatch(/ON ledger \(|USING INDEX ledger_(pkey|id|key)/);
    expect(r.direct.refused).toBeUndefined();
    expect(r.fixed).toEqual(r.direct);
  });

  it('ALTER TABLE ONLY of a partitioned table builds no index: not reported; without ONLY it is', async () => {
    const only = 'ALTER TABLE ONLY ledger ADD CONSTRAINT ledger_id_key UNIQUE (id, code);';
    expect((await lintAfter(ONLY_SETUP, only)).findings.map((f) => f.rule)).not.toContain('index-not-concurrent');
    expect((await lintAfter(ONLY_SETUP, only.replace('ONLY ', ''))).findings.map((f) => f.rule)).toContain('index-not-concurrent');
    const url = await freshDatabase(target, 'only_partitioned');
    await withClient(url, (c) => c.query(`${ONLY_SETUP}\n${only}`));
    expect(
      await withClient(url, async (c) => (await c.query("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'ledger_id_key'::regclass")).rows),
    ).toEqual([{ valid: false }]);
    expect(await withClient(url, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'ledger_1'::regclass")).rows[0].n)).toBe(
      0,
    );
  });

  it("without a database or the table's CREATE TABLE, the fix keeps ONLY and says what it cannot keep on a partitioned table", async () => {
    const fix = (await lintAfter(undefined, 'ALTER TABLE ONLY elsewhere ADD CONSTRAINT elsewhere_id_key UNIQUE (id);')).findings[0]!.fix;
    expect(fix).toContain('ALTER TABLE ONLY elsewhere ADD CONSTRAINT elsewhere_id_key UNIQUE USING INDEX elsewhere_id_key;');
    expect(fix).toContain('-- ONLY kept; but if elsewhere is partitioned, PostgreSQL refuses CREATE INDEX CONCURRENTLY on it');
  });
});
