/**
 * planLocks on statements that drop a foreign key, or drop and add it again:
 * PostgreSQL takes ACCESS EXCLUSIVE on the referenced table too. With a
 * database, plan names the keys and their referenced tables; checked against
 * pg_locks on PostgreSQL 18 (every major in the full matrix), and the CLI's
 * text against the same database.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planWithCatalog } from './plan-with-catalog';
import { serverSees } from './server-sees';
import { runCliInProcess } from '../../../support/cli';
import { PARTITION_LOCKS_REFERENCING_FROM } from '../../../../lambda/checks/locks/forms';
import type { Target } from '../../../support/targets';
import { allMajors, dropDatabases, freshDatabase, fullMatrixMajors, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

/** `orders` references `customers` (customer_id) and `regions` (region_id), and itself (parent_id); it has a CHECK too. */
const OUTSIDE = `
CREATE TABLE customers (id int PRIMARY KEY);
CREATE TABLE regions (id int PRIMARY KEY);
CREATE TABLE orders (
  id int PRIMARY KEY,
  customer_id int CONSTRAINT orders_customer_fk REFERENCES customers (id),
  region_id int CONSTRAINT orders_region_fk REFERENCES regions (id),
  parent_id int CONSTRAINT orders_parent_fk REFERENCES orders (id),
  total int CONSTRAINT orders_total_positive CHECK (total > 0)
);
CREATE TABLE carriers (id int PRIMARY KEY);
CREATE TABLE shipments (id int PRIMARY KEY, carrier_id int CONSTRAINT shipments_carrier_fk REFERENCES carriers (id)) PARTITION BY RANGE (id);
CREATE TABLE shipments_1 PARTITION OF shipments FOR VALUES FROM (0) TO (100);
CREATE TABLE labels (shipment_id int CONSTRAINT labels_shipment_fk REFERENCES shipments (id));
CREATE TABLE shipments_new (id int PRIMARY KEY, carrier_id int);`;

/** The referenced tables `sql` holds ACCESS EXCLUSIVE on, as pg_locks shows; rolled back. */
async function lockedReferenced(c: pg.Client, sql: string): Promise<string[]> {
  await c.query('BEGIN');
  try {
    await c.query(sql);
    return (
      await c.query<{ relname: string }>(
        "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = pg_backend_pid() AND l.granted AND l.mode = 'AccessExclusiveLock' AND c.relname IN ('customers', 'regions') ORDER BY 1",
      )
    ).rows.map((r) => r.relname);
  } finally {
    await c.query('ROLLBACK');
  }
}

/** A database with OUTSIDE's tables, made before the block's tests; `plan` plans one statement on it. */
function outsideRig(target: Target) {
  const rig = { url: '', plan: (sql: string) => planWithCatalog(rig.url, { '1_drop.sql': `${sql};\n` }) };
  beforeAll(async () => {
    rig.url = await freshDatabase(target, 'plan_foreign_keys');
    await withClient(rig.url, (c) => c.query(OUTSIDE));
  });
  return rig;
}

// The same on every major; on 18 in npm test, every major in the full matrix (SCHEMAGUARD_TEST_MAJORS=all).
describe.each(fullMatrixMajors)('Function: planLocks, dropped foreign keys, on $name', (target) => {
  const rig = outsideRig(target);
  const plan = rig.plan;

  it.each([
    [
      'DROP TABLE orders',
      [
        ['public.customers', 'orders_customer_fk', 'drops'],
        ['public.regions', 'orders_region_fk', 'drops'],
      ],
    ],
    ['ALTER TABLE orders DROP CONSTRAINT orders_customer_fk', [['public.customers', 'orders_customer_fk', 'drops']]],
    ['ALTER TABLE orders DROP COLUMN region_id', [['public.regions', 'orders_region_fk', 'drops']]],
    ['ALTER TABLE orders ALTER COLUMN customer_id TYPE bigint', [['public.customers', 'orders_customer_fk', 'rebuilds']]],
    ['ALTER TABLE orders ALTER COLUMN customer_id TYPE bigint, DROP CONSTRAINT orders_customer_fk', [['public.customers', 'orders_customer_fk', 'drops']]],
    ['ALTER TABLE orders DROP CONSTRAINT orders_total_positive', []],
    ['ALTER TABLE orders DROP COLUMN total', []],
    ['ALTER TABLE orders DROP CONSTRAINT orders_parent_fk', []],
  ] as const)('%s: ACCESS EXCLUSIVE on the referenced tables plan names, as pg_locks shows', async (sql, expected) => {
    const p = await plan(sql);
    expect((p.statements[0]!.referenced ?? []).map((k) => [k.table, k.constraint, k.action])).toEqual(expected);
    await withClient(rig.url, async (c) => expect(await lockedReferenced(c, sql)).toEqual(expected.map(([t]) => t.replace('public.', '')).sort()));
  });

  // Regression: the keys that reference the table were not read: a type change of a referenced key column locks (and validates) the referencing table.
  it.each([
    ['ALTER TABLE customers ALTER COLUMN id TYPE bigint', [['public.orders', 'orders_customer_fk', 'rebuilds']]],
    ['DROP TABLE customers CASCADE', [['public.orders', 'orders_customer_fk', 'drops']]],
    ['ALTER TABLE customers DROP CONSTRAINT customers_pkey CASCADE', [['public.orders', 'orders_customer_fk', 'drops']]],
    ['ALTER TABLE customers DROP COLUMN id CASCADE', [['public.orders', 'orders_customer_fk', 'drops']]],
  ] as const)('%s: ACCESS EXCLUSIVE on the table that references it, as pg_locks shows', async (sql, expected) => {
    const p = await plan(sql);
    expect((p.statements[0]!.referenced ?? []).map((k) => [k.table, k.constraint, k.action, k.referencing])).toEqual(expected.map((e) => [...e, true]));
    await withClient(rig.url, async (c) => {
      await c.query('BEGIN');
      try {
        await c.query(sql);
        const held = (
          await c.query<{ mode: string }>(
            "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = pg_backend_pid() AND l.granted AND c.relname = 'orders'",
          )
        ).rows.map((r) => r.mode);
        expect(held).toContain('AccessExclusiveLock');
      } finally {
        await c.query('ROLLBACK');
      }
    });
  });

  it('DROP TABLE of two tables: a row for each, with the keys of each', async () => {
    const p = await plan('DROP TABLE orders, regions CASCADE');
    expect(p.statements.map((s) => [s.table, s.lock, (s.referenced ?? []).map((k) => `${k.referencing ? '<-' : '->'} ${k.table}`)])).toEqual([
      ['public.orders', 'ACCESS EXCLUSIVE', ['-> public.customers', '-> public.regions']],
      ['public.regions', 'ACCESS EXCLUSIVE', ['<- public.orders']],
    ]);
  });

  it('the CLI says which key makes the lock, and nothing without a database', async () => {
    const dir = tempDir({
      '1_drop.sql': 'ALTER TABLE orders DROP CONSTRAINT orders_customer_fk;\n',
      '2_type.sql': 'ALTER TABLE orders ALTER COLUMN region_id TYPE bigint;\n',
    });
    const online = await runCliInProcess(['plan', '--database-url', rig.url, '--dir', dir]);
    expect(online.stdout).toContain('1_drop.sql:1: also ACCESS EXCLUSIVE on public.customers (the referenced table of orders_customer_fk, which this drops)\n');
    expect(online.stdout).toContain(
      '2_type.sql:1: also ACCESS EXCLUSIVE on public.regions (the referenced table of orders_region_fk, which this drops and adds again)\n',
    );
    const referencing = await runCliInProcess([
      'plan',
      '--database-url',
      rig.url,
      '--dir',
      tempDir({ '1_type.sql': 'ALTER TABLE customers ALTER COLUMN id TYPE bigint;\n' }),
    ]);
    expect(referencing.stdout).toContain(
      '1_type.sql:1: also ACCESS EXCLUSIVE on public.orders (which references it through orders_customer_fk, which this drops and adds again)\n',
    );
    const offline = await runCliInProcess(['plan', '--offline', '--dir', dir]);
    expect(offline.stdout).not.toContain('also ACCESS EXCLUSIVE');
  });
});

// What a partition's keys lock differs by major (PARTITION_LOCKS_REFERENCING_FROM): on every major.
describe.each(allMajors)("Function: planLocks, a partition's foreign keys, on $name", (target) => {
  const rig = outsideRig(target);
  const plan = rig.plan;

  // Regression: a new or attached partition gets a copy of each of its parent's keys, locking both other ends SHARE ROW EXCLUSIVE; plan named neither.
  it.each([
    ['CREATE TABLE shipments_2 PARTITION OF shipments FOR VALUES FROM (200) TO (300)'],
    ['ALTER TABLE shipments ATTACH PARTITION shipments_new FOR VALUES FROM (100) TO (200)'],
  ])('%s: SHARE ROW EXCLUSIVE on the table the parent references and (PostgreSQL 15+) on the one that references it, as pg_locks shows', async (sql) => {
    const referencing = target.major === 0 || target.major >= PARTITION_LOCKS_REFERENCING_FROM;
    const p = await plan(sql);
    expect((p.statements[0]!.referenced ?? []).map((k) => [k.table, k.lock, k.action, k.referencing ?? false])).toEqual([
      ['public.carriers', 'SHARE ROW EXCLUSIVE', 'copies', false],
      ...(referencing ? [['public.labels', 'SHARE ROW EXCLUSIVE', 'copies', true]] : []),
    ]);
    await withClient(rig.url, async (c) => {
      await c.query('BEGIN');
      try {
        await c.query(sql);
        const held = (
          await c.query<{ relname: string }>(
            "SELECT DISTINCT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = pg_backend_pid() AND l.granted AND l.mode = 'ShareRowExclusiveLock' AND c.relname IN ('carriers', 'labels') ORDER BY 1",
          )
        ).rows.map((r) => r.relname);
        expect(held).toEqual(referencing ? ['carriers', 'labels'] : ['carriers']);
      } finally {
        await c.query('ROLLBACK');
      }
    });
    const r = await runCliInProcess(['plan', '--database-url', rig.url, '--dir', tempDir({ '1_partition.sql': `${sql};\n` })]);
    expect(r.stdout).toContain(
      '1_partition.sql:1: also SHARE ROW EXCLUSIVE on public.carriers (the referenced table of shipments_carrier_fk, which the partition gets a copy of)\n',
    );
    if (referencing)
      expect(r.stdout).toContain(
        '1_partition.sql:1: also SHARE ROW EXCLUSIVE on public.labels (which references the parent through labels_shipment_fk: the partition joins it)\n',
      );
    else expect(r.stdout).not.toContain('on public.labels');
  });

  // Regression: DETACH PARTITION of a partitioned table with keys named none of their other tables, which it locks and reads.
  it('DETACH PARTITION: ACCESS EXCLUSIVE on the table that references the parent, which it reads, SHARE ROW EXCLUSIVE on the one it references, as the server shows', async () => {
    const sql = 'ALTER TABLE shipments DETACH PARTITION shipments_1';
    const p = await plan(sql);
    expect((p.statements[0]!.referenced ?? []).map((k) => [k.table, k.lock, k.action, k.referencing ?? false])).toEqual([
      ['public.carriers', 'SHARE ROW EXCLUSIVE', 'detaches', false],
      ['public.labels', 'ACCESS EXCLUSIVE', 'detaches', true],
    ]);
    const seen = await withClient(rig.url, (c) => serverSees(c, sql, ['carriers', 'labels']));
    expect(seen).toEqual({ locks: { carriers: 'ShareRowExclusiveLock', labels: 'AccessExclusiveLock' }, read: ['labels'] });
    const r = await runCliInProcess(['plan', '--database-url', rig.url, '--dir', tempDir({ '1_detach.sql': `${sql};\n` })]);
    expect(r.stdout).toContain(
      '1_detach.sql:1: also ACCESS EXCLUSIVE on public.labels (which references the parent through labels_shipment_fk: read for rows that reference the partition)\n',
    );
  });

  it('DETACH PARTITION of a parent a large table references: a warning naming that table, which it locks and reads (CONCURRENTLY too)', async () => {
    const db = await freshDatabase(target, 'plan_detach_read');
    await withClient(db, (c) => c.query(`${OUTSIDE}\nINSERT INTO labels SELECT NULL FROM generate_series(1, 300); ANALYZE labels;`));
    for (const sql of ['ALTER TABLE shipments DETACH PARTITION shipments_1', 'ALTER TABLE shipments DETACH PARTITION shipments_1 CONCURRENTLY']) {
      const file = sql.endsWith('CONCURRENTLY') ? `-- schemaguard:no-transaction\n${sql};\n` : `${sql};\n`;
      const p = await planWithCatalog(db, { '1_detach.sql': file }, { warnRows: 100 });
      expect(p.findings.map((f) => f.message)).toEqual([
        expect.stringMatching(
          /^DETACH PARTITION takes ACCESS EXCLUSIVE on public\.labels \(~300 rows, [\d.]+ kB\), which references public\.shipments through labels_shipment_fk, and reads it for rows that reference the partition: reads and writes on public\.labels wait until it ends$/,
        ),
      ]);
    }
    const seen = await withClient(db, (c) => serverSees(c, 'ALTER TABLE shipments DETACH PARTITION shipments_1', ['labels']));
    expect(seen).toEqual({ locks: { labels: 'AccessExclusiveLock' }, read: ['labels'] });
  });
});
