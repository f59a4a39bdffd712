/**
 * planLocks on ALTER DOMAIN: one that checks stored values takes SHARE on
 * every table with a column of the domain, or of a domain over it, and reads
 * each (VALIDATE CONSTRAINT too). With a database, plan names each table with
 * its size; checked against pg_locks and the scan counters on PostgreSQL 18
 * (every major in the full matrix), and the CLI's text against the same
 * database.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planWithCatalog } from './plan-with-catalog';
import { runCli } from '../../../support/cli';
import { fullMatrixMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { serverSees } from './server-sees';

afterAll(dropDatabases);

/** Made outside the migrations: `amount` (500 rows) has a column of `cents`, `refund` one of `refund_cents`, a domain over it. */
const OUTSIDE = `
CREATE SCHEMA billing;
CREATE DOMAIN billing.cents AS bigint;
CREATE DOMAIN billing.refund_cents AS billing.cents;
CREATE TABLE billing.amount (id int, value billing.cents);
INSERT INTO billing.amount SELECT g, g FROM generate_series(1, 500) g;
CREATE TABLE refund (id int, value billing.refund_cents);
INSERT INTO refund SELECT g, g FROM generate_series(1, 50) g;
CREATE TABLE unrelated (id int, value bigint);
ANALYZE billing.amount, refund;`;

const CHECK = 'ALTER DOMAIN billing.cents ADD CONSTRAINT cents_not_negative CHECK (VALUE >= 0)';

/** What `sql` locks and reads among the three tables. */
const sees = (c: pg.Client, sql: string) => serverSees(c, sql, ['amount', 'refund', 'unrelated']);

describe.each(fullMatrixMajors)('Function: planLocks, ALTER DOMAIN, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'plan_domains');
    await withClient(url, (c) => c.query(OUTSIDE));
  });

  const plan = (files: Record<string, string>, catalog = true) => planWithCatalog(url, files, { catalog, warnRows: 100 });

  it('ADD CONSTRAINT … CHECK: SHARE on each table with a column of the domain or of a domain over it, each read; a warning for the large one', async () => {
    const p = await plan({ '1_check.sql': `${CHECK};\n` });
    expect(p.statements.map((s) => [s.table, s.lock, s.rows, s.scans, s.domain])).toEqual([
      ['billing.amount', 'SHARE', 500, true, 'billing.cents'],
      ['public.refund', 'SHARE', 50, true, 'billing.cents'],
    ]);
    expect(p.findings).toHaveLength(1);
    expect(p.findings[0]!.message).toBe(
      'ALTER DOMAIN takes SHARE on billing.amount (~500 rows, 48 kB) and scans it under that lock: writes on billing.amount wait until it ends',
    );
    expect(p.findings[0]!.fix).toContain('put the CHECK on each table instead');
    await withClient(url, async (c) =>
      expect(await sees(c, CHECK)).toEqual({ locks: { amount: 'ShareLock', refund: 'ShareLock' }, read: ['amount', 'refund'] }),
    );
  });

  it("SET NOT NULL is named as ALTER DOMAIN in the warning, not as the form's first alternative", async () => {
    const p = await plan({ '1_not_null.sql': 'ALTER DOMAIN billing.cents SET NOT NULL;\n' });
    expect(p.findings.map((f) => f.message)).toEqual([expect.stringMatching(/^ALTER DOMAIN takes SHARE on billing\.amount /)]);
  });

  it('NOT VALID locks no table; VALIDATE CONSTRAINT later takes SHARE and reads, as the server shows', async () => {
    const notValid = `${CHECK} NOT VALID`;
    const validate = 'ALTER DOMAIN billing.cents VALIDATE CONSTRAINT cents_not_negative';
    const p = await plan({ '1_check.sql': `${notValid};\n`, '2_validate.sql': `${validate};\n` });
    expect(p.statements.map((s) => [s.file, s.table, s.lock])).toEqual([
      ['1_check.sql', null, null],
      ['2_validate.sql', 'billing.amount', 'SHARE'],
      ['2_validate.sql', 'public.refund', 'SHARE'],
    ]);
    await withClient(url, async (c) => {
      expect(await sees(c, notValid)).toEqual({ locks: {}, read: [] });
      await c.query(notValid);
      try {
        expect(await sees(c, validate)).toEqual({ locks: { amount: 'ShareLock', refund: 'ShareLock' }, read: ['amount', 'refund'] });
      } finally {
        await c.query('ALTER DOMAIN billing.cents DROP CONSTRAINT cents_not_negative');
      }
    });
  });

  it('without a database, or for a domain the files create: one row for the domain, its tables unknown', async () => {
    const offline = await plan({ '1_check.sql': `${CHECK};\n` }, false);
    expect(offline.statements).toMatchObject([{ table: null, domain: 'billing.cents', lock: 'SHARE', scans: true }]);
    const created = await plan({ '1_domain.sql': 'CREATE DOMAIN fresh AS int;\nCREATE TABLE uses_fresh (v fresh);\nALTER DOMAIN fresh SET NOT NULL;\n' });
    expect(created.statements.at(-1)).toMatchObject({ table: null, domain: 'fresh', lock: 'SHARE' });
    expect(created.findings).toEqual([]);
  });

  it('the CLI shows a row per table, and "tables of" the domain without a database', async () => {
    const dir = tempDir({ '1_check.sql': `${CHECK};\n` });
    const online = await runCli(['plan', '--database-url', url, '--dir', dir, '--warn-rows', '100']);
    expect(online.stdout).toMatch(/1_check\.sql:1 +SHARE +billing\.amount +500 /);
    expect(online.stdout).toMatch(/1_check\.sql:1 +SHARE +public\.refund +50 /);
    expect(online.stdout).toContain('ALTER DOMAIN takes SHARE on billing.amount');
    const offline = await runCli(['plan', '--offline', '--dir', dir]);
    expect(offline.stdout).toMatch(/1_check\.sql:1 +SHARE +tables of billing\.cents +no +yes /);
  });
});
