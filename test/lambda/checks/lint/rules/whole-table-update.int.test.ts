/**
 * whole-table-update and whole-table-delete on real PostgreSQL (18; 15 too in
 * the full matrix), with an application session holding a row lock while the
 * migration runs: the statement as written keeps every row it changed locked
 * until its file commits, and the fix lint prints (a DO block in a
 * no-transaction file, one primary-key range per transaction) lets the
 * application write the rows already done.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixFiles } from '../../../../../lambda/checks/lint/fix';
import { BATCH_ROWS } from '../../../../../lambda/checks/lint/fix-steps';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../../support/db';
import { driverKinds } from '../../../../support/drivers';
import { runEngine } from '../../../../support/engine';
import { tempDir } from '../../../../support/files';
import { lintAfter } from '../pending';

afterAll(dropDatabases);

const pgDriver = driverKinds.find((d) => d.name === 'pg')!;
const TABLE = 'CREATE TABLE orders (id bigint PRIMARY KEY, status text)';
const UPDATE = "UPDATE orders SET status = 'open';";
/** Three batches, the last one short. */
const ROWS = 2 * BATCH_ROWS + 1234;

const DELETE = 'DELETE FROM orders;';

async function fixOf(sql = UPDATE, rule = 'whole-table-update'): Promise<string[]> {
  const [finding] = (await lintAfter(`${TABLE};`, sql)).findings.filter((f) => f.rule === rule);
  return fixFiles(finding!.fix);
}

/** Waits until a session of the database waits for a lock. */
async function someoneWaits(url: string): Promise<void> {
  for (let k = 0; k < 200; k++) {
    const [r] = await rows<{ n: number }>(
      url,
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if (r!.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no session came to wait for a lock');
}

/** The application: updates order 1 with a 1 s lock timeout; how many rows it updated, or the error code when it could not. */
async function appUpdatesFirstRow(url: string): Promise<number | string> {
  return withClient(url, async (c) => {
    await c.query("SET lock_timeout = '1s'");
    try {
      return (await c.query("UPDATE orders SET status = 'paid' WHERE id = 1")).rowCount ?? 0;
    } catch (e) {
      return (e as { code?: string }).code ?? 'no code';
    }
  });
}

describe.each(targets)('whole-table-update and whole-table-delete on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'whole_table_update');
  });

  /** A fresh table of ROWS orders, and an application session holding the last one's row lock. */
  async function ordersWithLastRowLocked(): Promise<pg.Client> {
    await withClient(url, async (c) => {
      await c.query('DROP SCHEMA IF EXISTS schemaguard CASCADE; DROP TABLE IF EXISTS orders');
      await c.query(TABLE);
      await c.query('INSERT INTO orders SELECT g, NULL FROM generate_series(1, $1::int) AS g', [ROWS]);
    });
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    await app.query('BEGIN');
    await app.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [ROWS]);
    return app;
  }

  it('the fix commits each key range on its own: the application writes a row already done while the backfill waits further on', async () => {
    const files = await fixOf();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^-- schemaguard:no-transaction\n/);
    const app = await ordersWithLastRowLocked();
    try {
      const run = runEngine(pgDriver, url, tempDir({ '2_backfill.sql': files[0]! }));
      run.catch(() => undefined);
      await someoneWaits(url);
      expect(await appUpdatesFirstRow(url)).toBe(1);
      await app.query('COMMIT');
      expect((await run).applied.map((a) => a.file)).toEqual(['2_backfill.sql']);
    } finally {
      await app.end();
    }
    const [r] = await rows<{ open: number; paid: number; batches: number }>(
      url,
      "SELECT count(*) FILTER (WHERE status = 'open')::int AS open, count(*) FILTER (WHERE status = 'paid')::int AS paid, count(DISTINCT xmin::text)::int AS batches FROM orders",
    );
    // Order 1 was written by the application after its batch committed, so the backfill did not touch it again.
    expect(r).toEqual({ open: ROWS - 1, paid: 1, batches: 4 });
  });

  it('the UPDATE as written holds every row it changed until its file commits: the same application write times out', async () => {
    const app = await ordersWithLastRowLocked();
    try {
      const run = runEngine(pgDriver, url, tempDir({ '2_update.sql': UPDATE }));
      run.catch(() => undefined);
      await someoneWaits(url);
      expect(await appUpdatesFirstRow(url)).toBe('55P03');
      await app.query('COMMIT');
      expect((await run).applied.map((a) => a.file)).toEqual(['2_update.sql']);
    } finally {
      await app.end();
    }
  });

  it('a DELETE of every order: the batches commit as they go (order 1 is gone, not locked), the statement as written holds them', async () => {
    const files = await fixOf(DELETE, 'whole-table-delete');
    let app = await ordersWithLastRowLocked();
    try {
      const run = runEngine(pgDriver, url, tempDir({ '2_purge.sql': files[0]! }));
      run.catch(() => undefined);
      await someoneWaits(url);
      expect(await appUpdatesFirstRow(url)).toBe(0);
      await app.query('COMMIT');
      await run;
    } finally {
      await app.end();
    }
    expect(await rows(url, 'SELECT id FROM orders')).toEqual([]);

    app = await ordersWithLastRowLocked();
    try {
      const run = runEngine(pgDriver, url, tempDir({ '2_purge.sql': DELETE }));
      run.catch(() => undefined);
      await someoneWaits(url);
      expect(await appUpdatesFirstRow(url)).toBe('55P03');
      await app.query('COMMIT');
      await run;
    } finally {
      await app.end();
    }
  });
});
