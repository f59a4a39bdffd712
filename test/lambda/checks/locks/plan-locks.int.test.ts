/**
 * planLocks on ADD PRIMARY KEY USING INDEX: PostgreSQL sets NOT NULL on the
 * index's nullable columns, scanning the table under ACCESS EXCLUSIVE, unless
 * each is NOT NULL already or a validated CHECK proves it. Plan's answer —
 * from the migrations' model, or from the catalog for an index they did not
 * create — is checked against the server's scan counter (18; every major in
 * the full matrix).
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planWithCatalog } from './plan-with-catalog';
import { fullMatrixMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';

afterAll(dropDatabases);

/** Made outside the migrations: plan reads their indexes' columns from the catalog. */
const OUTSIDE = `
CREATE TABLE u (id int, a int NOT NULL, b int CONSTRAINT u_b_nn CHECK (b IS NOT NULL AND b > 0));
INSERT INTO u SELECT g, g, g FROM generate_series(1, 500) g;
CREATE UNIQUE INDEX u_id ON u (id);
CREATE UNIQUE INDEX u_a ON u (a);
CREATE UNIQUE INDEX u_b ON u (b);
CREATE UNIQUE INDEX u_id_a ON u (id, a);
ANALYZE u;`;

/** Whether `sql` (after `before`) scans `table`, as the server counts it; rolled back. */
async function serverScans(c: pg.Client, table: string, sql: string, before = ''): Promise<boolean> {
  await c.query('BEGIN');
  try {
    if (before) await c.query(before);
    const n = async () =>
      Number((await c.query('SELECT coalesce((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = $1::regclass), 0) AS n', [table])).rows[0].n);
    const start = await n();
    await c.query(sql);
    return (await n()) > start;
  } finally {
    await c.query('ROLLBACK');
  }
}

describe.each(fullMatrixMajors)('Function: planLocks, ADD PRIMARY KEY USING INDEX, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'plan_key');
    await withClient(url, (c) => c.query(OUTSIDE));
  });

  const plan = (files: Record<string, string>, catalog = true) => planWithCatalog(url, files, { catalog, warnRows: 100 });

  it.each([
    ['a nullable column', 'ALTER TABLE u ADD PRIMARY KEY USING INDEX u_id', true],
    ['a NOT NULL column', 'ALTER TABLE u ADD CONSTRAINT u_pkey PRIMARY KEY USING INDEX u_a', false],
    ['a column a validated CHECK (b IS NOT NULL AND b > 0) proves', 'ALTER TABLE u ADD PRIMARY KEY USING INDEX u_b', false],
    ['two columns, one nullable', 'ALTER TABLE u ADD PRIMARY KEY USING INDEX u_id_a', true],
    [
      'a NOT NULL column, beside ADD COLUMN and SET DEFAULT',
      'ALTER TABLE u ADD COLUMN x int, ALTER COLUMN id SET DEFAULT 0, ADD PRIMARY KEY USING INDEX u_a',
      false,
    ],
    ['a nullable column, beside SET DEFAULT', 'ALTER TABLE u ALTER COLUMN a SET DEFAULT 0, ADD PRIMARY KEY USING INDEX u_id', true],
  ] as const)('an index the migrations did not create, on %s (%s): scans %s, as the server does (read from the catalog)', async (_what, sql, scans) => {
    const p = await plan({ '1_key.sql': `${sql};` });
    expect(p.statements[0]).toMatchObject({ lock: 'ACCESS EXCLUSIVE', table: 'public.u', rows: 500, scans });
    expect(p.findings.map((f) => f.rule)).toEqual(scans ? ['blocking-lock-on-large-table'] : []);
    if (scans) expect(p.findings[0]!.fix).toContain('SET NOT NULL (no scan), then ADD PRIMARY KEY USING INDEX');
    await withClient(url, async (c) => expect(await serverScans(c, 'u', sql)).toBe(scans));
  });

  // Regression: PostgreSQL 18 sets pg_attribute.attnotnull while the NOT NULL constraint is NOT VALID; plan said "no scan" for a key the server refuses (55000).
  it('an index the migrations did not create, on a column whose NOT NULL is NOT VALID (18) or valid (15): not scan-free on 18, where the server refuses it until VALIDATE', async () => {
    const pg18 = target.major === 0 || target.major >= 18;
    await withClient(url, (c) =>
      c.query(`CREATE TABLE v (id int); INSERT INTO v VALUES (1); CREATE UNIQUE INDEX v_id ON v (id);
      ${pg18 ? 'ALTER TABLE v ADD CONSTRAINT v_id_nn NOT NULL id NOT VALID' : 'ALTER TABLE v ALTER COLUMN id SET NOT NULL'}`),
    );
    const sql = 'ALTER TABLE v ADD PRIMARY KEY USING INDEX v_id';
    const p = await plan({ '1_key.sql': `${sql};` });
    expect(p.statements[0]).toMatchObject({ table: 'public.v', scans: pg18 });
    const server = await withClient(url, (c) =>
      serverScans(c, 'v', sql).then(
        (scans) => ({ scans }),
        (e: { code?: string }) => e.code,
      ),
    );
    expect(server).toEqual(pg18 ? '55000' : { scans: false });
  });

  it('without a catalog an index nobody describes is taken to scan (its columns may be nullable)', async () => {
    const p = await plan({ '1_key.sql': 'ALTER TABLE u ADD PRIMARY KEY USING INDEX u_a;' }, false);
    expect(p.statements[0]).toMatchObject({ scans: true, form: expect.stringContaining('whose columns are, or may be, nullable') });
  });

  it('a scan-free key beside a subcommand that scans: the statement scans, as the server does', async () => {
    const sql = 'ALTER TABLE u ALTER COLUMN id SET NOT NULL, ADD PRIMARY KEY USING INDEX u_a';
    const p = await plan({ '1_key.sql': `${sql};` });
    expect(p.statements[0]).toMatchObject({ lock: 'ACCESS EXCLUSIVE', scans: true });
    await withClient(url, async (c) => expect(await serverScans(c, 'u', sql)).toBe(true));
  });

  it.each([
    ['a nullable column', '', 'w_id', true],
    ['a NOT NULL column', '', 'w_k', false],
    [
      'a column a CHECK validated in an earlier file proves',
      'ALTER TABLE w ADD CONSTRAINT w_id_nn CHECK (id IS NOT NULL) NOT VALID;\nALTER TABLE w VALIDATE CONSTRAINT w_id_nn;',
      'w_id',
      false,
    ],
    ['a column SET NOT NULL in an earlier file', 'ALTER TABLE w ALTER COLUMN id SET NOT NULL;', 'w_id', false],
    ['a column renamed after its index was built', 'ALTER TABLE w RENAME COLUMN k TO k2;', 'w_k', false],
  ] as const)(
    'an index the migrations create, on %s (%s, index %s): scans %s, read from the model, as the server does',
    async (_what, between, index, scans) => {
      const table = 'CREATE TABLE w (id int, k int NOT NULL);\nINSERT INTO w SELECT g, g FROM generate_series(1, 500) g;';
      const indexes = 'CREATE UNIQUE INDEX w_id ON w (id);\nCREATE UNIQUE INDEX w_k ON w (k);';
      const key = `ALTER TABLE w ADD PRIMARY KEY USING INDEX ${index};`;
      const p = await plan(
        {
          '1_w.sql': table,
          '2_idx.sql': `-- schemaguard:no-transaction\n${indexes.replace(/INDEX/g, 'INDEX CONCURRENTLY')}`,
          '3_between.sql': between || 'SELECT 1;',
          '4_key.sql': key,
        },
        false,
      );
      expect(p.statements.find((s) => s.file === '4_key.sql')).toMatchObject({ lock: 'ACCESS EXCLUSIVE', scans });
      await withClient(url, async (c) => expect(await serverScans(c, 'w', key, `${table}\n${indexes}\n${between}`)).toBe(scans));
    },
  );
});
