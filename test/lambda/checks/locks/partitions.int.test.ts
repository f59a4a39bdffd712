/**
 * planLocks on partition work, against a partitioned table with a DEFAULT
 * partition: a new partition (CREATE TABLE … PARTITION OF) locks the parent
 * ACCESS EXCLUSIVE, and ATTACH PARTITION the table it attaches; both also lock
 * the DEFAULT partition ACCESS EXCLUSIVE and read it, unless a CHECK of it
 * excludes the new bound. DETACH locks it without reading. Plan's answer is
 * checked against pg_locks and the scan counters (PostgreSQL 18 and 15),
 * and the CLI's text against the same database.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planWithCatalog } from './plan-with-catalog';
import { runCliInProcess } from '../../../support/cli';
import { LOCK_FORMS } from '../../../../lambda/checks/locks/forms';
import { pgLocksMode } from '../../../../lambda/checks/locks/modes';
import { allMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { serverSees } from './server-sees';

afterAll(dropDatabases);

/** Made outside the migrations: `ev` by range of id, 500 rows in its DEFAULT partition, and `ev_next` to attach. */
const OUTSIDE = `
CREATE TABLE ev (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM (0) TO (100);
CREATE TABLE ev_default PARTITION OF ev DEFAULT;
INSERT INTO ev SELECT g, g FROM generate_series(1000, 1499) g;
CREATE TABLE ev_next (id int, v int);
INSERT INTO ev_next SELECT g, g FROM generate_series(200, 299) g;
ANALYZE ev_1, ev_default, ev_next;`;

const CREATE = 'CREATE TABLE ev_3 PARTITION OF ev FOR VALUES FROM (300) TO (400)';
const ATTACH = 'ALTER TABLE ev ATTACH PARTITION ev_next FOR VALUES FROM (200) TO (300)';
const DETACH = 'ALTER TABLE ev DETACH PARTITION ev_1';

const TABLES = ['ev', 'ev_1', 'ev_default', 'ev_next'];
/** The strong locks (ACCESS EXCLUSIVE, SHARE UPDATE EXCLUSIVE) `sql` takes on the tables, and which it reads. */
const sees = (c: pg.Client, sql: string, before?: string) => serverSees(c, sql, TABLES, { before, modes: ['AccessExclusiveLock', 'ShareUpdateExclusiveLock'] });

describe.each(allMajors)('Function: planLocks, partitions with a DEFAULT partition, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'plan_partitions');
    await withClient(url, (c) => c.query(OUTSIDE));
  });

  const plan = (sql: string) => planWithCatalog(url, { '1_partition.sql': `${sql};` }, { warnRows: 100 });

  it('a new partition: ACCESS EXCLUSIVE on the parent and on the DEFAULT partition, which it reads; plan warns of the read', async () => {
    const p = await plan(CREATE);
    expect(p.statements[0]).toMatchObject({
      lock: 'ACCESS EXCLUSIVE',
      table: 'public.ev',
      scans: false,
      defaultPartition: { table: 'public.ev_default', rows: 500, reads: true, checked: false },
    });
    expect(p.findings).toHaveLength(1);
    expect(p.findings[0]).toMatchObject({ rule: 'blocking-lock-on-large-table', line: 1 });
    expect(p.findings[0]!.message).toContain('ACCESS EXCLUSIVE on public.ev_default, the DEFAULT partition of public.ev (~500 rows');
    expect(p.findings[0]!.message).toContain('reads and writes on public.ev and all its partitions wait');
    expect(p.findings[0]!.fix).toContain('add a CHECK to it that excludes the bound');
    await withClient(url, async (c) =>
      expect(await sees(c, CREATE)).toEqual({
        locks: { ev: 'AccessExclusiveLock', ev_default: 'AccessExclusiveLock' },
        read: ['ev_default'],
      }),
    );
  });

  it('ATTACH PARTITION: ACCESS EXCLUSIVE on the table attached, which it reads, SHARE UPDATE EXCLUSIVE on the parent, and the DEFAULT partition read', async () => {
    const p = await plan(ATTACH);
    expect(p.statements[0]).toMatchObject({
      lock: 'ACCESS EXCLUSIVE',
      table: 'public.ev_next',
      rows: 100,
      scans: true,
      other: { table: 'public.ev', lock: 'SHARE UPDATE EXCLUSIVE', role: 'parent' },
      defaultPartition: { table: 'public.ev_default', rows: 500, reads: true },
    });
    // The table attached (100 rows) and the DEFAULT partition (500), each over warnRows.
    expect(p.findings).toHaveLength(2);
    expect(p.findings[0]!.message).toContain('ATTACH PARTITION takes ACCESS EXCLUSIVE on public.ev_next (~100 rows');
    expect(p.findings[0]!.fix).toContain('first add a CHECK matching the bound NOT VALID');
    expect(p.findings[1]!.message).toContain('reads and writes on public.ev_default wait');
    await withClient(url, async (c) =>
      expect(await sees(c, ATTACH)).toEqual({
        locks: { ev: 'ShareUpdateExclusiveLock', ev_default: 'AccessExclusiveLock', ev_next: 'AccessExclusiveLock' },
        read: ['ev_default', 'ev_next'],
      }),
    );
  });

  it('a CHECK on the DEFAULT partition that excludes the bound: the server skips the read, and plan does not warn of it', async () => {
    const check = 'ALTER TABLE ev_default ADD CONSTRAINT ev_default_not_3xx CHECK (id < 300 OR id >= 400)';
    await withClient(url, async (c) => expect((await sees(c, CREATE, check)).read).toEqual([]));
    await withClient(url, (c) => c.query(check));
    try {
      const p = await plan(CREATE);
      expect(p.statements[0]).toMatchObject({ defaultPartition: { table: 'public.ev_default', reads: true, checked: true } });
      expect(p.findings).toEqual([]);
    } finally {
      await withClient(url, (c) => c.query('ALTER TABLE ev_default DROP CONSTRAINT ev_default_not_3xx'));
    }
  });

  // Regression: a partitioned table showed 0 rows (its own storage is empty), so no statement on it was ever warned of.
  it('a partitioned table is sized by its leaf partitions, and warned of as a table of that size', async () => {
    const p = await plan('ALTER TABLE ev ALTER COLUMN v TYPE bigint');
    expect(p.statements[0]).toMatchObject({ table: 'public.ev', rows: 500, rewrites: true });
    expect(p.statements[0]!.bytes).toBeGreaterThan(0);
    expect(p.findings.map((f) => f.message)).toEqual([expect.stringContaining('takes ACCESS EXCLUSIVE on public.ev (~500 rows')]);
  });

  it("SET TABLESPACE of the partitioned table copies nothing (only its partitions' default)", async () => {
    expect((await plan('ALTER TABLE ev SET TABLESPACE pg_default')).statements[0]).toMatchObject({
      table: 'public.ev',
      lock: 'ACCESS EXCLUSIVE',
      rewrites: false,
      scans: false,
    });
  });

  // Regression: plan said CREATE INDEX … ON ONLY the partitioned table scans; it builds the parent's index alone.
  it('CREATE INDEX ON ONLY the partitioned table reads no row; without ONLY it reads every partition', async () => {
    const only = 'CREATE INDEX ev_v ON ONLY ev (v)';
    const all = 'CREATE INDEX ev_v ON ev (v)';
    const [seenOnly, seenAll] = await withClient(url, async (c) => [await serverSees(c, only, TABLES), await serverSees(c, all, TABLES)]);
    expect(seenOnly.read).toEqual([]);
    expect(seenAll.read).toEqual(['ev_1', 'ev_default']);
    expect((await plan(only)).statements[0]).toMatchObject({ table: 'public.ev', lock: 'SHARE', scans: false });
    expect((await plan(all)).statements[0]).toMatchObject({ table: 'public.ev', lock: 'SHARE', scans: true });
  });

  it('a CHECK the DEFAULT partition inherits from its parent does not silence the warning; only its own does', async () => {
    await withClient(url, (c) => c.query('ALTER TABLE ev ADD CONSTRAINT ev_v_not_negative CHECK (v >= 0)'));
    try {
      const p = await plan(CREATE);
      expect(p.statements[0]).toMatchObject({ defaultPartition: { table: 'public.ev_default', checked: false } });
      expect(p.findings.map((f) => f.message)).toEqual([expect.stringContaining('the DEFAULT partition of public.ev')]);
    } finally {
      await withClient(url, (c) => c.query('ALTER TABLE ev DROP CONSTRAINT ev_v_not_negative'));
    }
  });

  it('ATTACH PARTITION of a table with a validated CHECK of its own: no warning for the table, as the CHECK may spare the read', async () => {
    const check = 'ALTER TABLE ev_next ADD CONSTRAINT ev_next_bound CHECK (id IS NOT NULL AND id >= 200 AND id < 300)';
    await withClient(url, async (c) => expect((await sees(c, ATTACH, check)).read).toEqual(['ev_default']));
    await withClient(url, (c) => c.query(check));
    try {
      const p = await plan(ATTACH);
      expect(p.statements[0]).toMatchObject({ table: 'public.ev_next', scans: true, boundMayBeImplied: true });
      expect(p.findings.map((f) => f.message)).toEqual([expect.stringContaining('the DEFAULT partition of public.ev')]);
      const r = await runCliInProcess(['plan', '--database-url', url, '--dir', tempDir({ '1_attach.sql': `${ATTACH};\n` }), '--warn-rows', '100']);
      expect(r.stdout).toContain(
        '1_attach.sql:1: public.ev_next has a validated CHECK: if it implies the bound, ATTACH PARTITION reads nothing (not proved here, so no warning)\n',
      );
    } finally {
      await withClient(url, (c) => c.query('ALTER TABLE ev_next DROP CONSTRAINT ev_next_bound'));
    }
  });

  it('DETACH PARTITION: ACCESS EXCLUSIVE on the parent, the partition (SHARE UPDATE EXCLUSIVE on PostgreSQL 13) and the DEFAULT partition, nothing read', async () => {
    const until = LOCK_FORMS.find((f) => f.id === 'detach-partition')!.until!;
    const partitionLock = target.major > 0 && target.major <= until.major ? until.other! : 'ACCESS EXCLUSIVE';
    const p = await plan(DETACH);
    expect(p.statements[0]).toMatchObject({
      lock: 'ACCESS EXCLUSIVE',
      table: 'public.ev',
      scans: false,
      other: { table: 'public.ev_1', lock: partitionLock, role: 'partition' },
      defaultPartition: { table: 'public.ev_default', reads: false },
    });
    expect(p.findings).toEqual([]);
    await withClient(url, async (c) =>
      expect(await sees(c, DETACH)).toEqual({
        locks: { ev: 'AccessExclusiveLock', ev_1: pgLocksMode(partitionLock), ev_default: 'AccessExclusiveLock' },
        read: [],
      }),
    );
  });

  it('the CLI names the second table and the DEFAULT partition under the statement table', async () => {
    const dir = tempDir({ '1_create.sql': `${CREATE};\n`, '2_attach.sql': `${ATTACH};\n`, '3_detach.sql': `${DETACH};\n` });
    const r = await runCliInProcess(['plan', '--database-url', url, '--dir', dir, '--warn-rows', '100'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      '1_create.sql:1: also ACCESS EXCLUSIVE on public.ev_default (the DEFAULT partition, ~500 rows), which it reads for rows of the new bound\n',
    );
    expect(r.stdout).toContain('2_attach.sql:1: also SHARE UPDATE EXCLUSIVE on public.ev (the parent)\n');
    const until = LOCK_FORMS.find((f) => f.id === 'detach-partition')!.until!;
    expect(r.stdout).toContain(
      `3_detach.sql:1: also ${target.major > 0 && target.major <= until.major ? until.other : 'ACCESS EXCLUSIVE'} on public.ev_1 (the partition)\n`,
    );
    expect(r.stdout).toContain('3_detach.sql:1: also ACCESS EXCLUSIVE on public.ev_default (the DEFAULT partition, ~500 rows)\n');
    expect(r.stdout).not.toContain('?: a form plan does not know');
  });
});
