/**
 * Backfills on real PostgreSQL, as a user meets them: a runner killed with
 * SIGKILL mid-backfill and run again (the batches committed before the kill
 * are not written again, no row is missed); application writers inserting
 * and updating throughout (none fails, no row is left behind: rows written
 * behind the cursor are swept); a file that waits for the backfill refused
 * by `migrate --backfill-later` (exit 2, the files before it applied) and
 * applied by the next `migrate`; and a streaming standby whose replay is
 * paused pausing the backfill, which goes on once replay resumes.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { runBackfill, type BackfillProgress } from '../../../../lambda/engine/backfill/run';
import { DEFAULT_BACKFILL } from '../../../../lambda/engine/defaults';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { migrate } from '../../../../lambda/engine/runner';
import { CLI, ROOT, runCli, runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { adminUrl, removeServer, startPrimary, startStandby } from '../../../support/replication';

afterAll(dropDatabases);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `orders` with even ids 2 … 2n (odd ids are free for writers), then the expand and its backfill, then a file that waits for it. */
function files(n: number): Record<string, string> {
  return {
    '0001_orders.sql': `CREATE TABLE orders (id bigint PRIMARY KEY, country text NOT NULL, touched int NOT NULL DEFAULT 0);
INSERT INTO orders (id, country) SELECT 2 * g, CASE WHEN g % 3 = 0 THEN 'DE' ELSE 'FR' END FROM generate_series(1, ${n}) g;\n`,
    '0002_region.sql': `ALTER TABLE orders ADD COLUMN region text;

-- schemaguard:backfill
UPDATE orders SET region = lower(country) WHERE region IS NULL;\n`,
    '0003_region_required.sql': `-- schemaguard:after-backfill 0002_region.sql
ALTER TABLE orders ADD CONSTRAINT orders_region_required CHECK (region IS NOT NULL) NOT VALID;\n`,
  };
}

/** A migrations folder of `files(n)` and a project file with `backfill` bounds beside it. */
function project(n: number, backfill: Record<string, unknown>): { dir: string; config: string } {
  const root = tempDir({ ...Object.fromEntries(Object.entries(files(n)).map(([k, v]) => [`migrations/${k}`, v])) }, 'backfill');
  const config = join(root, 'schemaguard.config.json');
  writeFileSync(config, JSON.stringify({ backfill }));
  return { dir: join(root, 'migrations'), config };
}

async function progress(url: string): Promise<{ state: string; rows_done: number; last_key: string | null; reason: string | null } | undefined> {
  const t = await rows<{ t: string | null }>(url, "SELECT to_regclass('schemaguard.backfills')::text AS t");
  if (!t[0]!.t) return undefined;
  return (
    await rows<{ state: string; rows_done: number; last_key: string | null; reason: string | null }>(
      url,
      'SELECT state, rows_done::int AS rows_done, last_key, reason FROM schemaguard.backfills WHERE version = 2',
    )
  )[0];
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const left = async (url: string) =>
  (await rows<{ n: number }>(url, 'SELECT count(*)::int AS n FROM orders WHERE region IS DISTINCT FROM lower(country)'))[0]!.n;

describe('Backfill: a runner killed with SIGKILL mid-backfill', () => {
  const target = targets[0]!;
  it('the next migrate goes on after the last committed batch: no committed batch written again, every row done once', async () => {
    const url = await freshDatabase(target, 'backfill_kill');
    const { dir, config } = project(60_000, { minRows: 500, maxRows: 500 });
    const child = spawn(process.execPath, [CLI, 'migrate', '--dir', dir, '--config', config, '--database-url', url], { cwd: ROOT, stdio: 'ignore' });
    const exit = new Promise((r) => child.on('close', (code, signal) => r(signal ?? code)));
    await until('the backfill under way', async () => ((await progress(url))?.rows_done ?? 0) >= 10_000 || undefined);
    child.kill('SIGKILL');
    expect(await exit).toBe('SIGKILL');
    // The server ends the orphaned batch by itself (client_connection_check_interval): its transaction rolls back.
    await until('the orphaned session gone', async () =>
      (
        await rows(
          url,
          "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND (application_name = 'schemaguard' OR application_name LIKE 'schemaguard: %')",
        )
      ).length === 0
        ? true
        : undefined,
    );
    const atKill = (await progress(url))!;
    expect(atKill.state).toBe('running');
    // Every committed batch: rows up to the last key, and the transaction that wrote each.
    await rows(url, 'CREATE TABLE done_before AS SELECT id, xmin::text AS written_by FROM orders WHERE id <= $1::bigint', [atKill.last_key]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM done_before WHERE written_by IS NOT NULL')).toEqual([{ n: atKill.rows_done }]);

    const again = await runCli(['migrate', '--dir', dir, '--config', config, '--database-url', url]);
    expect(again.code, again.stderr).toBe(0);

    expect(await left(url)).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM done_before d JOIN orders o USING (id) WHERE o.xmin::text <> d.written_by')).toEqual([{ n: 0 }]);
    // Every row counted once: the batch cut by the kill rolled back, and ran once more.
    expect(await progress(url)).toMatchObject({ state: 'done', rows_done: 60_000 });
    expect(again.stderr).toMatch(/backfill 0002_region\.sql: done, 60,000 rows done/);
  });
});

describe.each(targets)('Backfill on $name', (target) => {
  it('writers insert and update throughout: none fails, and the rows they wrote behind the cursor are swept', async () => {
    const url = await freshDatabase(target, 'backfill_writers');
    const { dir } = project(40_000, {});
    const migrations = loadMigrations(dir);
    // The table first, so the writers have rows to update.
    await migrate({ driver: new PgDriver({ connectionString: url }), migrations: migrations.slice(0, 1), appliedBy: 'test' });
    let stop = false;
    let failed = 0;
    let ops = 0;
    const writer = async (w: number) => {
      const c = new pg.Client({ connectionString: url, application_name: 'app' });
      await c.connect();
      await c.query('SET statement_timeout = 10000');
      try {
        for (let k = 0; !stop; k++) {
          // Odd ids anywhere in the table: many land behind the backfill's cursor, as an application's inserts do.
          const odd = 2 * Math.floor(Math.random() * 40_000) + 1;
          try {
            if ((k + w) % 2 === 0) await c.query("INSERT INTO orders (id, country) VALUES ($1, 'SE') ON CONFLICT (id) DO NOTHING", [odd]);
            else await c.query('UPDATE orders SET touched = touched + 1 WHERE id = $1', [2 * (1 + Math.floor(Math.random() * 40_000))]);
            ops++;
          } catch {
            failed++;
          }
        }
      } finally {
        await c.end();
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    const events: BackfillProgress[] = [];
    try {
      const run = migrate({
        driver: new PgDriver({ connectionString: url }),
        migrations,
        appliedBy: 'test',
        backfillSettings: { minRows: 200, maxRows: 1000 },
        onEvent: (e) => {
          if (e.type === 'backfill') events.push(e.progress);
          // The writers stop once the first pass is half way: what they wrote behind it is left to the sweep.
          if (e.type === 'backfill' && e.progress.rowsDone >= 20_000) stop = true;
        },
      });
      const result = await run;
      expect(result.applied.map((a) => a.file)).toEqual(['0002_region.sql', '0003_region_required.sql']);
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(failed).toBe(0);
    expect(ops).toBeGreaterThan(100);
    expect(await left(url)).toBe(0);
    const [b] = await rows<{ rows_done: number; sweeps: number; n: number }>(
      url,
      'SELECT rows_done::int AS rows_done, sweeps, (SELECT count(*)::int FROM orders) AS n FROM schemaguard.backfills',
    );
    expect(b!.rows_done).toBe(b!.n);
    expect(b!.n).toBeGreaterThan(40_000);
    expect(b!.sweeps).toBeGreaterThanOrEqual(1);
    expect(events.at(-1)).toMatchObject({ state: 'done', file: '0002_region.sql', table: 'public.orders' });
  });

  it('sessions piled up behind a batch: the next batch is half as large at once, not after a poll-long pause', async () => {
    const url = await freshDatabase(target, 'backfill_crowded');
    // Each row takes 2 ms to fill: a batch holds its row locks long enough for the writers to queue behind it.
    const dir = tempDir({
      '0001_orders.sql': `CREATE TABLE orders (id bigint PRIMARY KEY, country text NOT NULL, touched int NOT NULL DEFAULT 0);
INSERT INTO orders (id, country) SELECT g, 'FR' FROM generate_series(1, 2000) g;
CREATE FUNCTION slow_lower(t text) RETURNS text LANGUAGE sql AS $$ SELECT lower(t) FROM pg_sleep(0.002) $$;\n`,
      '0002_region.sql':
        'ALTER TABLE orders ADD COLUMN region text;\n-- schemaguard:backfill\nUPDATE orders SET region = slow_lower(country) WHERE region IS NULL;\n',
    });
    const settings = { ...DEFAULT_BACKFILL, batchTimeMs: 200, minRows: 10, maxRows: 200, lockWaiters: 2 };
    await migrate({
      driver: new PgDriver({ connectionString: url }),
      migrations: loadMigrations(dir),
      appliedBy: 'test',
      backfills: 'start',
      backfillSettings: settings,
    });
    let stop = false;
    let failed = 0;
    const writer = async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'app' });
      await c.connect();
      try {
        while (!stop) await c.query('UPDATE orders SET touched = touched + 1 WHERE id = $1', [1 + Math.floor(Math.random() * 2000)]).catch(() => failed++);
      } finally {
        await c.end();
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    const driver = new PgDriver({ connectionString: url });
    const [session, monitor] = [await driver.connect(), await driver.connect()];
    const events: BackfillProgress[] = [];
    const started = Date.now();
    try {
      const end = await runBackfill({
        session,
        monitor,
        stateSchema: 'schemaguard',
        version: 2,
        settings,
        until: 'done',
        pausePollMs: 5000,
        onProgress: (p) => events.push(p),
      });
      expect(end.state).toBe('done');
    } finally {
      stop = true;
      await Promise.all(writers);
      await session.close();
      await monitor.close();
      await driver.end();
    }
    const elapsed = Date.now() - started;
    const crowded = events.flatMap((e, k) =>
      e.state === 'paused' && /sessions waited for locks behind the last batch \(bound 2\): the next batch is half as large/.test(e.reason ?? '') ? [k] : [],
    );
    expect(crowded.length).toBeGreaterThan(0);
    // Each answer halves the batch at once (down to minRows)...
    for (const k of crowded) expect(events[k]!.batchRows).toBeLessThanOrEqual(Math.max(10, Math.floor(events[k - 1]!.batchRows / 2)));
    // ... and waits a tenth of a batch time: a poll each (5 s) would take longer than the whole run did.
    expect(elapsed).toBeLessThan(crowded.length * 5000);
    expect(failed).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM orders WHERE region IS NULL')).toEqual([{ n: 0 }]);
  });

  it.each([
    // 1,000 rows: 100 keys a batch are 20 ranges of 100 values (50 rows each) stepped by value, or 10 of 100 rows walked.
    { keys: 'dense (every second value): ranges stepped by value', step: 2, batches: 20 },
    { keys: 'sparse (every tenth value): ranges walked through the index', step: 10, batches: 10 },
  ])(
    'an integer key, analysed, $keys; every row done once, a row inserted meanwhile far past the last key (10^9) taken by one more range, the gap skipped',
    async ({ step, batches }) => {
      const url = await freshDatabase(target, 'backfill_steps');
      const dir = tempDir({
        '0001_orders.sql': `CREATE TABLE orders (id bigint PRIMARY KEY, country text NOT NULL);
INSERT INTO orders (id, country) SELECT ${step} * g, 'FR' FROM generate_series(1, 1000) g;\n`,
        '0002_region.sql':
          // Each batch sleeps 10 ms (once per statement: an uncorrelated subquery's InitPlan): the row far past the last key lands while batches are left.
          'ALTER TABLE orders ADD COLUMN region text;\n-- schemaguard:backfill\nUPDATE orders SET region = lower(country) WHERE region IS NULL AND (SELECT true FROM pg_sleep(0.01));\n',
      });
      // A batch of 100 keys at any pace.
      const settings = { ...DEFAULT_BACKFILL, minRows: 100, maxRows: 100 };
      const driver = new PgDriver({ connectionString: url });
      try {
        await migrate({ driver, migrations: loadMigrations(dir).slice(0, 1), appliedBy: 'test' });
        await rows(url, 'ANALYZE orders');
        await migrate({ driver, migrations: loadMigrations(dir), appliedBy: 'test', backfills: 'start', backfillSettings: settings });
        const session = await driver.connect();
        const events: BackfillProgress[] = [];
        // After this runner's first batch (its density read without the row), a row far past the others: stepped through by value, the gap would take ten million batches.
        let far: Promise<number> | undefined;
        const onProgress = (p: BackfillProgress) => {
          events.push(p);
          far ??= rows(url, "INSERT INTO orders (id, country) VALUES (1000000000, 'DE')").then(() => events.length);
        };
        try {
          const end = await runBackfill({ session, stateSchema: 'schemaguard', version: 2, settings, until: 'done', onProgress });
          expect(end.state).toBe('done');
        } finally {
          await session.close();
        }
        // The row was there before the last range.
        expect(await far).toBeLessThan(events.length - 1);
        expect(events.at(-1)).toMatchObject({ state: 'done', sweeps: 0 });
        const stats = await rows<{ batches: number; rows_done: number }>(
          url,
          'SELECT batches::int AS batches, rows_done::int AS rows_done FROM schemaguard.backfills WHERE version = 2',
        );
        expect(stats[0]!.rows_done).toBe(1001);
        expect(stats[0]!.batches).toBeGreaterThanOrEqual(batches);
        expect(stats[0]!.batches).toBeLessThanOrEqual(batches + 1);
        expect(await rows(url, 'SELECT count(*)::int AS n FROM orders WHERE region IS DISTINCT FROM lower(country)')).toEqual([{ n: 0 }]);
      } finally {
        await driver.end();
      }
    },
  );

  it('a file after the backfill: refused by migrate --backfill-later (exit 2, the files before it applied), applied by the next migrate', async () => {
    const url = await freshDatabase(target, 'backfill_after');
    const { dir, config } = project(5000, { minRows: 1000, maxRows: 1000 });
    const later = await runCli(['migrate', '--backfill-later', '--dir', dir, '--config', config, '--database-url', url]);
    expect(later.code, later.stderr).toBe(2);
    expect(later.stderr).toContain(
      'error: 0003_region_required.sql waits for the backfill of 0002_region.sql (running, 1,000 rows done): it runs once that backfill is done',
    );
    expect(later.stderr).toContain('fix: run migrate without --backfill-later to finish the backfill here');
    expect(await rows(url, 'SELECT version::int AS v FROM schemaguard.applied_migrations ORDER BY 1')).toEqual([{ v: 1 }, { v: 2 }]);
    const status = await runCli(['status', '--json', '--dir', dir, '--database-url', url]);
    expect(JSON.parse(status.stdout).backfills).toEqual([
      expect.objectContaining({ file: '0002_region.sql', state: 'running', rows_done: 1000, reason: null, table: 'public.orders' }),
    ]);

    const inline = await runCli(['migrate', '--dir', dir, '--config', config, '--database-url', url]);
    expect(inline.code, inline.stderr).toBe(0);
    expect(inline.stderr).toMatch(/backfill 0002_region\.sql: done, 5,000 rows done/);
    expect(await rows(url, 'SELECT version::int AS v FROM schemaguard.applied_migrations ORDER BY 1')).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
    expect(await left(url)).toBe(0);
    expect((await runCli(['status', '--dir', dir, '--database-url', url])).stdout).toMatch(
      /^backfill 0002_region\.sql \(public\.orders\): done, 5,000 rows done, done \d{4}-\d\d-\d\dT/m,
    );
  });

  it('left by migrate --backfill-later with no file waiting for it: the next migrate finishes it, and the one after is up to date', async () => {
    const url = await freshDatabase(target, 'backfill_left');
    const { dir, config } = project(5000, { minRows: 1000, maxRows: 1000 });
    rmSync(join(dir, '0003_region_required.sql'));
    const later = await runCli(['migrate', '--backfill-later', '--dir', dir, '--config', config, '--database-url', url]);
    expect(later.code, later.stderr).toBe(0);
    expect(await progress(url)).toMatchObject({ state: 'running', rows_done: 1000 });
    // The summary (stdout) says what became of the backfill, not only the progress lines (stderr).
    expect(later.stdout).toMatch(
      /^applied 2 migrations in .*; version 2, 2 applied; backfill 0002_region\.sql: running, 1,000 rows done \(the next migrate without --backfill-later finishes it\)$/m,
    );

    const next = await runCli(['migrate', '--dir', dir, '--config', config, '--database-url', url]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/backfill 0002_region\.sql: done, 5,000 rows done/);
    expect(next.stdout.trim()).toBe('up to date: version 2, 2 applied; backfill 0002_region.sql: done, 5,000 rows done');
    expect(await progress(url)).toMatchObject({ state: 'done', rows_done: 5000 });
    expect(await left(url)).toBe(0);

    const again = await runCli(['migrate', '--dir', dir, '--config', config, '--database-url', url]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/backfill 0002_region/);
    expect(again.stdout.trim()).toBe('up to date: version 2, 2 applied');
  });

  it('left by migrate --backfill-later, then a pending file waits for it: migrate finishes it once, before that file, and reports it once', async () => {
    const url = await freshDatabase(target, 'backfill_left_waited');
    const { dir, config } = project(3000, { minRows: 1000, maxRows: 1000 });
    const waiting = readFileSync(join(dir, '0003_region_required.sql'), 'utf8');
    rmSync(join(dir, '0003_region_required.sql'));
    const args = ['--dir', dir, '--config', config, '--database-url', url];
    expect((await runCliInProcess(['migrate', '--backfill-later', ...args])).code).toBe(0);
    expect(await progress(url)).toMatchObject({ state: 'running', rows_done: 1000 });

    writeFileSync(join(dir, '0003_region_required.sql'), waiting);
    const next = await runCliInProcess(['migrate', '--json', ...args]);
    expect(next.code, next.stderr).toBe(0);
    const result = JSON.parse(next.stdout) as { applied: { version: number }[]; backfills: { version: number; state: string; rowsDone: number }[] };
    expect(result.applied.map((a) => a.version)).toEqual([3]);
    expect(next.stderr.match(/backfill 0002_region\.sql: done, 3,000 rows done/g)).toHaveLength(1);
    expect(next.stderr.indexOf('backfill 0002_region.sql: done')).toBeLessThan(next.stderr.indexOf('applied 0003_region_required.sql'));
    expect(result.backfills).toEqual([expect.objectContaining({ version: 2, state: 'done', rowsDone: 3000 })]);
    expect(await left(url)).toBe(0);
  });

  it('a table without a one-column primary key is refused with the way out, and the expand rolled back', async () => {
    const url = await freshDatabase(target, 'backfill_nokey');
    const dir = tempDir({
      '0001_t.sql': 'CREATE TABLE t (a int, b int, v int, PRIMARY KEY (a, b));\n',
      '0002_fill.sql': 'ALTER TABLE t ADD COLUMN w int;\n-- schemaguard:backfill\nUPDATE t SET w = v WHERE w IS NULL;\n',
    });
    const r = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("0002_fill.sql:3: the backfill's table public.t has a primary key of 2 columns");
    expect(r.stderr).toContain('fix: give public.t a one-column primary key');
    expect(await rows(url, "SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'w'")).toEqual([{ n: 0 }]);
  });
});

const embedded = targets.find((t) => t.binDir !== undefined);

describe.runIf(embedded)('Backfill: a standby whose replay is paused', () => {
  it('pauses the backfill, saying why, and it goes on once replay resumes', async () => {
    const primary = await startPrimary(embedded!.binDir!);
    const standby = await startStandby(primary);
    try {
      await withClient(adminUrl(primary), (c) => c.query('CREATE DATABASE app'));
      const url = adminUrl(primary, 'app');
      const { dir } = project(30_000, {});
      const events: BackfillProgress[] = [];
      await withClient(adminUrl(standby), (c) => c.query('SELECT pg_wal_replay_pause()'));
      const run = migrate({
        driver: new PgDriver({ connectionString: url }),
        migrations: loadMigrations(dir),
        appliedBy: 'test',
        // Batches of 10: 3,000 of them outlast the lag bound and the health reading's one second while healthy.
        backfillSettings: { standbyLagMs: 1000, minRows: 10, maxRows: 10 },
        onEvent: (e) => {
          if (e.type === 'backfill') events.push(e.progress);
        },
      });
      run.catch(() => undefined);
      const paused = await until('the backfill paused', async () => {
        const p = await progress(url);
        return p?.state === 'paused' ? p : undefined;
      });
      expect(paused.reason).toMatch(/^standby standby1 is \d+ s behind \(\d+ MB of WAL to replay; bound 1 s\)$/);
      await sleep(1500);
      expect((await progress(url))!.rows_done).toBe(paused.rows_done);
      expect(paused.rows_done).toBeLessThan(30_000);

      await withClient(adminUrl(standby), (c) => c.query('SELECT pg_wal_replay_resume()'));
      await run;
      expect(await progress(url)).toMatchObject({ state: 'done', rows_done: 30_000, reason: null });
      expect(await left(url)).toBe(0);
      expect(events.some((e) => e.state === 'paused' && /standby standby1/.test(e.reason ?? ''))).toBe(true);
    } finally {
      await standby.remove();
      await removeServer(primary);
    }
  });
});
