/**
 * set-not-null-without-check with a database: a validated CHECK that proves
 * the column, made outside the migrations (the database's own), spares SET
 * NOT NULL its scan on PostgreSQL 18 and 15, so lint (and plan's scans
 * column) follow the catalog's CHECKs too; one a pending migration drops
 * first no longer counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLintCatalog } from '../../../../../lambda/checks/lint';
import { planLocks } from '../../../../../lambda/checks/locks/plan-locks';
import { loadMigrations } from '../../../../../lambda/engine/source';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../../support/db';
import { tempDir } from '../../../../support/files';
import { lintWithDatabase } from '../with-database';

afterAll(dropDatabases);

const OUTSIDE = `CREATE TABLE contacts (id int, email text, phone text);
INSERT INTO contacts SELECT g, 'x', 'y' FROM generate_series(1, 100) g;
ALTER TABLE contacts ADD CONSTRAINT contacts_email_present CHECK (email IS NOT NULL AND email <> '');`;

describe.each(targets)('set-not-null-without-check with a database, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'not_null_db_check');
    await withClient(url, (c) => c.query(OUTSIDE));
  });

  const lint = async (pending: string[], withDatabase = true) => (await lintWithDatabase(url, pending, withDatabase)).findings.map((f) => `${f.file}:${f.line} ${f.rule}`);

  /** Whether the server reads the table for `sql`, in a transaction rolled back. */
  const serverScans = (sql: string, before = '') => withClient(url, async (c) => {
    await c.query('BEGIN');
    try {
      if (before) await c.query(before);
      const n = async () => Number((await c.query("SELECT coalesce((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'contacts'), 0) AS n")).rows[0].n);
      const start = await n();
      await c.query(sql);
      return (await n()) > start;
    } finally {
      await c.query('ROLLBACK');
    }
  });

  it('a CHECK of the database proves email: no finding, no scan; phone has none: a finding and a scan', async () => {
    expect(await lint(['ALTER TABLE contacts ALTER COLUMN email SET NOT NULL;'])).toEqual([]);
    expect(await serverScans('ALTER TABLE contacts ALTER COLUMN email SET NOT NULL')).toBe(false);
    expect(await lint(['ALTER TABLE contacts ALTER COLUMN phone SET NOT NULL;'])).toEqual(['1_pending.sql:1 set-not-null-without-check']);
    expect(await serverScans('ALTER TABLE contacts ALTER COLUMN phone SET NOT NULL')).toBe(true);
  });

  it('without the database, or once a pending migration drops the CHECK, it is reported, as the server scans', async () => {
    expect(await lint(['ALTER TABLE contacts ALTER COLUMN email SET NOT NULL;'], false)).toEqual(['1_pending.sql:1 set-not-null-without-check']);
    const drop = 'ALTER TABLE contacts DROP CONSTRAINT contacts_email_present';
    expect(await lint([`${drop};`, 'ALTER TABLE contacts ALTER COLUMN email SET NOT NULL;'])).toEqual(['2_pending.sql:1 set-not-null-without-check']);
    expect(await serverScans('ALTER TABLE contacts ALTER COLUMN email SET NOT NULL', drop)).toBe(true);
  });

  it('plan with the database says no scan for the proved column, as lint does', async () => {
    const catalog = await withClient(url, (c) => readLintCatalog(c));
    const p = await planLocks(loadMigrations(tempDir({ '1_email.sql': 'ALTER TABLE contacts ALTER COLUMN email SET NOT NULL;\n', '2_phone.sql': 'ALTER TABLE contacts ALTER COLUMN phone SET NOT NULL;\n' })), { lintCatalog: catalog });
    expect(p.statements.map((s) => [s.file, s.scans])).toEqual([['1_email.sql', false], ['2_phone.sql', true]]);
  });
});
