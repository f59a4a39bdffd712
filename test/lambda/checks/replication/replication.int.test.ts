/**
 * Replication-aware migrate and plan, through the CLI, on a real primary with
 * `wal_level = logical`: a native subscription (an active pgoutput slot) to
 * a publication of one table, and a physical streaming standby. DDL on the
 * published table is refused before anything runs (exit 2), unless the file
 * or the run says it was planned; DDL elsewhere runs. After applying,
 * migrate waits for the standby, and a paused standby is a warning or, with
 * --standby-strict, a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../../support/cli';
import { targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { adminUrl, removeServer, startPrimary, startStandby, subscribe } from '../../../support/replication';
import type { StartedServer } from '../../../support/system-postgres';

const started = targets.filter((t) => t.binDir !== undefined);
if (started.length === 0) console.log('[replication tests] no target started by this run (DATABASE_URL set): nothing to start a primary from');

const TABLES = 'CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\nCREATE TABLE notes (id bigint PRIMARY KEY, body text);';

describe.each(started)('Replication: DDL on a table logical replication carries, on $name', (target) => {
  let primary: StartedServer;
  let url: string;
  beforeAll(async () => {
    primary = await startPrimary(target.binDir!);
    await withClient(adminUrl(primary), (c) => c.query('CREATE DATABASE app'));
    url = adminUrl(primary, 'app');
    await withClient(url, async (c) => {
      await c.query(TABLES);
      await c.query('CREATE PUBLICATION orders_pub FOR TABLE orders');
    });
    await subscribe(primary, 'app', 'orders_pub', TABLES);
  });
  afterAll(async () => {
    if (primary) await removeServer(primary);
  });

  const columns = async (table: string) =>
    (
      await withClient(url, (c) =>
        c.query('SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum', [table]),
      )
    ).rows.map((r) => r.attname);

  it('refuses ADD COLUMN on the published table before anything runs: exit 2, naming the file, line, table and publication; nothing applied', async () => {
    const dir = tempDir({ '1_notes.sql': 'ALTER TABLE notes ADD COLUMN author text;', '2_orders.sql': 'SELECT 1;\nALTER TABLE orders ADD COLUMN note text;' });
    const r = await runCliInProcess(['migrate', '--database-url', url, '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('2_orders.sql:2: 1 pending statement changes tables that logical replication carries; nothing was run');
    expect(r.stderr).toContain('2_orders.sql:2: ALTER TABLE orders ADD COLUMN note text — public.orders, carried by publication orders_pub');
    expect(r.stderr).toContain('-- schemaguard:replication-planned');
    expect(r.stderr).toContain('--replication-planned');
    // The file before it did not run either: the check is made before the first file.
    expect(await columns('notes')).toEqual(['id', 'body']);
    expect(await columns('orders')).toEqual(['id', 'total']);
    const json = await runCliInProcess(['migrate', '--database-url', url, '--dir', dir, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: 'ReplicationError',
      statements: [{ file: '2_orders.sql', line: 2, table: 'public.orders', carriedBy: ['publication orders_pub'] }],
    });
  });

  it('plan shows the same refusal as a warning, and in --json', async () => {
    const dir = tempDir({ '1_orders.sql': 'ALTER TABLE orders ALTER COLUMN total TYPE text;' });
    const r = await runCliInProcess(['plan', '--database-url', url, '--dir', dir]);
    expect(r.stdout).toContain(
      'warning: migrate through this URL will refuse to run: 1_orders.sql:1: 1 pending statement changes tables that logical replication carries',
    );
    const json = JSON.parse((await runCliInProcess(['plan', '--database-url', url, '--dir', dir, '--json'])).stdout);
    expect(json.refusals).toEqual([expect.objectContaining({ file: '1_orders.sql', line: 1 })]);
  });

  it('runs DDL on a table no publication carries, and indexes on the published one', async () => {
    const dir = tempDir({ '1_notes.sql': 'ALTER TABLE notes ADD COLUMN author text;', '2_index.sql': 'CREATE INDEX orders_total ON orders (total);' });
    const r = await runCliInProcess(['migrate', '--database-url', url, '--dir', dir, '--state-schema', 'sg_unpublished']);
    expect(r.code).toBe(0);
    expect(await columns('notes')).toContain('author');
  });

  it('runs a file that says how the replication was planned for, with a note', async () => {
    const dir = tempDir({
      '1_orders.sql': '-- schemaguard:replication-planned the subscriber got the column in release 41\nALTER TABLE orders ADD COLUMN placed_at timestamptz;',
    });
    await withClient(adminUrl(primary, 'subscriber'), (c) => c.query('ALTER TABLE orders ADD COLUMN placed_at timestamptz'));
    const r = await runCliInProcess(['migrate', '--database-url', url, '--dir', dir, '--state-schema', 'sg_planned_file']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('1 statement in 1_orders.sql changes tables that logical replication carries (public.orders): planned for, as each file says');
    expect(await columns('orders')).toContain('placed_at');
  });

  it('runs with --replication-planned REASON for the whole run', async () => {
    const dir = tempDir({ '1_orders.sql': 'ALTER TABLE orders ADD COLUMN source text;' });
    await withClient(adminUrl(primary, 'subscriber'), (c) => c.query('ALTER TABLE orders ADD COLUMN source text'));
    const r = await runCliInProcess([
      'migrate',
      '--database-url',
      url,
      '--dir',
      dir,
      '--state-schema',
      'sg_planned_run',
      '--replication-planned',
      'blue/green switchover done',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('planned for, as the run says: blue/green switchover done');
  });

  it('refuses a file whose replication-planned directive has no reason (exit 2)', async () => {
    const dir = tempDir({ '1_orders.sql': '-- schemaguard:replication-planned\nALTER TABLE orders ADD COLUMN x int;' });
    const r = await runCliInProcess(['migrate', '--database-url', url, '--dir', dir, '--state-schema', 'sg_no_reason']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1_orders.sql:1: schemaguard:replication-planned needs a reason');
  });
});

describe.each(started)('Replication: a streaming standby after migrate, on $name', (target) => {
  let primary: StartedServer;
  let standby: Awaited<ReturnType<typeof startStandby>>;
  beforeAll(async () => {
    primary = await startPrimary(target.binDir!);
    standby = await startStandby(primary);
  });
  afterAll(async () => {
    if (standby) await standby.remove();
    if (primary) await removeServer(primary);
  });

  it('waits for the standby to replay what it applied, and reports it caught up (text and --json)', async () => {
    const dir = tempDir({ '1_t.sql': 'CREATE TABLE t (id int);' });
    const r = await runCliInProcess(['migrate', '--database-url', adminUrl(primary), '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/standbys: 1 caught up \(standby1 \(127\.0\.0\.1\) 0 bytes behind/);
    expect(JSON.parse(r.stdout).standbys).toMatchObject({ caughtUp: true, standbys: [{ name: 'standby1', caughtUp: true }] });
    // The standby really has the table.
    const there = await withClient(adminUrl(standby), (c) => c.query("SELECT to_regclass('t') IS NOT NULL AS there"));
    expect(there.rows[0].there).toBe(true);
  });

  it('a paused standby: a bounded wait, a warning naming it and exit 0; with --standby-strict, exit 1', async () => {
    await withClient(adminUrl(standby), (c) => c.query('SELECT pg_wal_replay_pause()'));
    try {
      const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
      const warned = await runCliInProcess([
        'migrate',
        '--database-url',
        adminUrl(primary),
        '--dir',
        dir,
        '--standby-wait',
        '1s',
        '--state-schema',
        'sg_paused',
      ]);
      expect(warned.code).toBe(0);
      expect(warned.stderr).toMatch(
        /warning: standbys: 1 still behind after \d+ ms: standby1 \(127\.0\.0\.1\) \d+ bytes behind.*the application deployed next may read the old schema there \(a warning: --standby-strict makes it fail the run\)/,
      );
      const strictDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);' });
      const strict = await runCliInProcess([
        'migrate',
        '--database-url',
        adminUrl(primary),
        '--dir',
        strictDir,
        '--standby-wait',
        '1s',
        '--standby-strict',
        '--state-schema',
        'sg_paused',
      ]);
      expect(strict.code).toBe(1);
      expect(strict.stderr).toContain('standby1');
      expect(strict.stderr).toContain('pg_is_wal_replay_paused()');
    } finally {
      await withClient(adminUrl(standby), (c) => c.query('SELECT pg_wal_replay_resume()'));
    }
  });
});
