/**
 * Plan's "scans" column against the server's scan counter
 * (pg_stat_xact_user_tables, PostgreSQL 18 and 15) for the forms whose
 * answer depends on more than the statement's kind: a new column's
 * constraints, and SET NOT NULL after a validated CHECK that proves it.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planLocks } from '../../../../lambda/checks/locks/plan-locks';
import { planWithCatalog } from './plan-with-catalog';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { allMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const SCHEMA = `CREATE TABLE r (id int PRIMARY KEY);
INSERT INTO r VALUES (1);
CREATE TABLE w (id int PRIMARY KEY, a int, b int);
INSERT INTO w SELECT g, g, g FROM generate_series(1, 100) g;
ALTER TABLE w ADD CONSTRAINT w_a_nn CHECK (a IS NOT NULL) NOT VALID;
ALTER TABLE w VALIDATE CONSTRAINT w_a_nn;
`;

/** Whether `sql` reads every row of w, as the server counts it; rolled back. */
async function serverScans(c: pg.Client, sql: string): Promise<boolean> {
  await c.query('BEGIN');
  try {
    const n = async () =>
      Number((await c.query("SELECT coalesce((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'w'::regclass), 0) AS n")).rows[0].n);
    const start = await n();
    await c.query(sql);
    return (await n()) > start;
  } finally {
    await c.query('ROLLBACK');
  }
}

/** Plan's answer for `sql` after the schema's file (offline: the files' model alone). */
async function planScans(sql: string): Promise<boolean> {
  const p = await planLocks(loadMigrations(tempDir({ '1_schema.sql': SCHEMA, '2_change.sql': `${sql};\n` })));
  return p.statements.at(-1)!.scans;
}

describe.each(allMajors)('Function: planLocks, scans, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'plan_scans');
    await withClient(url, (c) => c.query(SCHEMA));
  });

  it.each([
    ['ALTER TABLE w ADD COLUMN x int CHECK (x > 0)', true],
    ['ALTER TABLE w ADD COLUMN x int UNIQUE', true],
    ['ALTER TABLE w ADD COLUMN x int DEFAULT 1 REFERENCES r (id)', true],
    ['ALTER TABLE w ADD COLUMN x int REFERENCES r (id)', false],
    ['ALTER TABLE w ADD COLUMN x int NOT NULL DEFAULT 0', false],
    ['ALTER TABLE w ALTER COLUMN a SET NOT NULL', false],
    ['ALTER TABLE w ALTER COLUMN b SET NOT NULL', true],
    ['ALTER TABLE w ALTER COLUMN a SET NOT NULL, ALTER COLUMN b SET NOT NULL', true],
  ] as const)('%s: scans %s, as the server counts it', async (sql, scans) => {
    expect(await planScans(sql)).toBe(scans);
    await withClient(url, async (c) => expect(await serverScans(c, sql)).toBe(scans));
  });

  it("PostgreSQL 18's ADD CONSTRAINT … NOT NULL … NOT VALID reads no row; without NOT VALID it reads them unless proved", async () => {
    if (target.major !== 0 && target.major < 18) {
      // PostgreSQL 15 has no NOT NULL constraint syntax: the server refuses it, and plan's answer is the same either way.
      expect(await planScans('ALTER TABLE w ADD CONSTRAINT w_b_nn NOT NULL b NOT VALID')).toBe(false);
      return;
    }
    for (const [sql, scans] of [
      ['ALTER TABLE w ADD CONSTRAINT w_b_nn NOT NULL b NOT VALID', false],
      ['ALTER TABLE w ADD CONSTRAINT w_b_nn NOT NULL b', true],
      ['ALTER TABLE w ADD CONSTRAINT w_a_nn2 NOT NULL a', false],
    ] as const) {
      expect([sql, await planScans(sql)]).toEqual([sql, scans]);
      await withClient(url, async (c) => expect([sql, await serverScans(c, sql)]).toEqual([sql, scans]));
    }
  });
});

describe.each(allMajors.filter((t) => t.major === 0 || t.major >= 18))('Function: planLocks, SET EXPRESSION, on $name', (target) => {
  const GENERATED =
    'CREATE TABLE g (a int, s int GENERATED ALWAYS AS (a * 2) STORED, v int GENERATED ALWAYS AS (a * 3) VIRTUAL);\nINSERT INTO g (a) SELECT g FROM generate_series(1, 100) g;\n';
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'plan_expressions');
    await withClient(url, (c) => c.query(GENERATED));
  });

  it.each([
    ['ALTER TABLE g ALTER COLUMN s SET EXPRESSION AS (a * 4)', true],
    ['ALTER TABLE g ALTER COLUMN v SET EXPRESSION AS (a * 5)', false],
  ] as const)('%s: rewrites and scans %s, as the file node and the scan counter show', async (sql, rewrites) => {
    const p = await planLocks(loadMigrations(tempDir({ '1_schema.sql': GENERATED, '2_change.sql': `${sql};\n` })));
    expect(p.statements.at(-1)).toMatchObject({ lock: 'ACCESS EXCLUSIVE', rewrites, scans: rewrites });
    await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        const seen = async () =>
          (await c.query("SELECT pg_relation_filenode('g') AS n, coalesce((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'g'), 0) AS scans"))
            .rows[0] as { n: string; scans: string };
        const before = await seen();
        await c.query(sql);
        const after = await seen();
        expect({ rewrites: after.n !== before.n, scans: Number(after.scans) > Number(before.scans) }).toEqual({ rewrites, scans: rewrites });
      } finally {
        await c.query('ROLLBACK');
      }
    });
  });
});

describe.each(allMajors)('Function: planLocks, storage the table has already, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'plan_storage');
    await withClient(url, (c) => c.query('CREATE TABLE st (id int); INSERT INTO st SELECT generate_series(1, 100);'));
  });

  // Regression: plan said these rewrite the table; asking for the persistence, tablespace or access method it has copies nothing.
  it.each([
    ['ALTER TABLE st SET LOGGED', false],
    ['ALTER TABLE st SET TABLESPACE pg_default', false],
    ['ALTER TABLE st SET ACCESS METHOD heap', false],
    ['ALTER TABLE st SET LOGGED, SET TABLESPACE pg_default', false],
    ['ALTER TABLE st SET UNLOGGED', true],
    ['ALTER TABLE st SET LOGGED, SET UNLOGGED', true],
  ] as const)('%s: rewrites %s, as the file node shows', async (sql, rewrites) => {
    // SET ACCESS METHOD is PostgreSQL 15 syntax (lint's server-version-syntax): older servers refuse it.
    if (sql.includes('ACCESS METHOD') && target.major > 0 && target.major < 15) {
      await expect(withClient(url, (c) => c.query(sql))).rejects.toMatchObject({ code: '42601' });
      return;
    }
    const p = await planWithCatalog(url, { '1_storage.sql': `${sql};\n` });
    expect(p.statements[0]).toMatchObject({ lock: 'ACCESS EXCLUSIVE', rewrites, scans: rewrites });
    await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        const node = async () => (await c.query("SELECT pg_relation_filenode('st') AS n")).rows[0].n as string;
        const before = await node();
        await c.query(sql);
        expect((await node()) !== before).toBe(rewrites);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  });
});
