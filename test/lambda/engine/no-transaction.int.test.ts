import { afterAll, describe, expect, it } from 'vitest';
import { CheckFailedError, StatementError } from '../../../lambda/engine/errors';
import { dropDatabases, freshDatabase, rows, withClient } from '../../support/db';
import { driverCases } from '../../support/drivers';
import { rejection, runEngine } from '../../support/engine';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

const indexes = (url: string) => rows<{ name: string; valid: boolean }>(url, `
  SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1`);

const seed = (url: string, duplicates: boolean) => withClient(url, (c) => c.query(`
  CREATE TABLE purchases (student_id int, course_id int, is_active boolean);
  INSERT INTO purchases SELECT g, g, true FROM generate_series(1, 200) g;
  ${duplicates ? 'INSERT INTO purchases VALUES (7, 7, true);' : ''}`));

const CIC = `-- schemaguard:no-transaction
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS unique_active_purchase
  ON purchases (student_id, course_id) WHERE is_active = true;
`;

describe.each(driverCases())('no-transaction migrations on $name', ({ target, driver }) => {
  it('builds an index concurrently and records the migration', async () => {
    const url = await freshDatabase(target, 'cic');
    await seed(url, false);
    const r = await runEngine(driver, url, tempDir({ '1_idx.sql': CIC }));
    expect(r.outcome).toBe('applied');
    expect(await indexes(url)).toEqual([{ name: 'unique_active_purchase', valid: true }]);
    expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations')).toEqual([{ version: '1' }]);
  });

  it('drops the INVALID index a failed concurrent build leaves, records nothing, and a rerun succeeds after the data is fixed', async () => {
    const url = await freshDatabase(target, 'cicfail');
    await seed(url, true);
    const dir = tempDir({ '1_idx.sql': CIC });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e.sqlstate).toBe('23505');
    expect(e.file).toBe('1_idx.sql');
    expect(e.line).toBe(2);
    expect(await indexes(url)).toEqual([]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);

    await withClient(url, (c) => c.query('UPDATE purchases SET is_active = false WHERE ctid = (SELECT max(ctid) FROM purchases WHERE student_id = 7)'));
    const rerun = await runEngine(driver, url, dir);
    expect(rerun.outcome).toBe('applied');
    expect(await indexes(url)).toEqual([{ name: 'unique_active_purchase', valid: true }]);
  });

  it('indexes a partitioned table partition by partition: keeps the parent\'s index (INVALID by design) when a partition\'s build fails, and a rerun attaches the rest', async () => {
    const url = await freshDatabase(target, 'cicparts');
    await withClient(url, (c) => c.query(`
      CREATE TABLE ledger (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE ledger_2025 PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE TABLE ledger_2026 PARTITION OF ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      INSERT INTO ledger SELECT g, DATE '2025-01-01' + (g % 700) FROM generate_series(1, 2000) g;
      INSERT INTO ledger VALUES (5, DATE '2026-06-01'), (5, DATE '2026-06-01');`));
    // What lint prints for CREATE UNIQUE INDEX ON ledger (id, at) (index-not-concurrent).
    const dir = tempDir({ '1_idx.sql': `-- schemaguard:no-transaction
CREATE UNIQUE INDEX IF NOT EXISTS ledger_id_at_idx ON ONLY ledger (id, at);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ledger_2025_id_at_idx ON ledger_2025 (id, at);
ALTER INDEX ledger_id_at_idx ATTACH PARTITION ledger_2025_id_at_idx;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ledger_2026_id_at_idx ON ledger_2026 (id, at);
ALTER INDEX ledger_id_at_idx ATTACH PARTITION ledger_2026_id_at_idx;
` });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect([e.sqlstate, e.line]).toEqual(['23505', 5]);
    // The failed partition's index is dropped; the parent's stays, INVALID, with the 2025 partition's attached.
    expect(await indexes(url)).toEqual([{ name: 'ledger_2025_id_at_idx', valid: true }, { name: 'ledger_id_at_idx', valid: false }]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);

    await withClient(url, (c) => c.query("DELETE FROM ledger WHERE ctid = (SELECT max(ctid) FROM ledger_2026 WHERE id = 5)"));
    const rerun = await runEngine(driver, url, dir);

    expect(rerun.outcome).toBe('applied');
    expect(await indexes(url)).toEqual([
      { name: 'ledger_2025_id_at_idx', valid: true }, { name: 'ledger_2026_id_at_idx', valid: true }, { name: 'ledger_id_at_idx', valid: true },
    ]);
  });

  it('replaces an INVALID index left by an earlier crashed build instead of keeping it through IF NOT EXISTS', async () => {
    const url = await freshDatabase(target, 'cicleft');
    await seed(url, true);
    // An earlier run outside schemaguard failed and left the index INVALID.
    await withClient(url, (c) => c.query('CREATE UNIQUE INDEX CONCURRENTLY unique_active_purchase ON purchases (student_id, course_id) WHERE is_active = true').catch(() => undefined));
    expect(await indexes(url)).toEqual([{ name: 'unique_active_purchase', valid: false }]);
    await withClient(url, (c) => c.query('DELETE FROM purchases WHERE ctid = (SELECT max(ctid) FROM purchases WHERE student_id = 7)'));

    const r = await runEngine(driver, url, tempDir({ '1_idx.sql': CIC }));

    expect(r.events.some((ev) => ev.type === 'note' && ev.message.includes('dropped INVALID index public.unique_active_purchase left by an earlier failed run'))).toBe(true);
    expect(await indexes(url)).toEqual([{ name: 'unique_active_purchase', valid: true }]);
  });

  it('runs checks after the statements and does not record the file when one fails', async () => {
    const url = await freshDatabase(target, 'ciccheck');
    await seed(url, false);
    const dir = tempDir({ '1_idx.sql': `${CIC}\n-- schemaguard:check no student 5\nSELECT student_id FROM purchases WHERE student_id = 5;` });
    const e = await rejection<CheckFailedError>(runEngine(driver, url, dir));
    expect(e).toBeInstanceOf(CheckFailedError);
    expect(e.rows).toEqual([{ student_id: 5 }]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);
  });
});
