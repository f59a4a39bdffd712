/**
 * The runner lock under real conditions: a second runner waiting for it, the
 * lock's own (idle) connection ended while a file runs, a lock-timeout retry
 * after the lock was lost, and a state row another runner wrote meanwhile.
 * Each on every server version the tests have.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LockLostError, type MigrationError } from '../../lambda/engine/errors/errors';
import { allMajors, dropDatabases, freshDatabase, rows, withClient } from '../support/db';
import { driverKinds } from '../support/drivers';
import { rejection, runEngine } from '../support/engine';
import { runCli } from '../support/cli';
import { tempDir } from '../support/files';
import { lockHolderPid, sleep, waitForMarker, waitUntilNoBackend } from './support';

afterAll(dropDatabases);

const pgDriver = () => driverKinds.find((d) => d.name === 'pg')!;

/** 50 ms a row while slow_on has its row (DELETE FROM slow_on: a rerun's build does not wait); qualified, as an index build's search_path is only pg_catalog from PostgreSQL 17. */
const SLOW_ID =
  'CREATE TABLE slow_on (); INSERT INTO slow_on DEFAULT VALUES; ' +
  'CREATE FUNCTION slow_id(x int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.05) FROM public.slow_on; RETURN x; END $$';

// From 14: a runner's orphaned backend is ended by client_connection_check_interval, which PostgreSQL 13 does not have (its CREATE INDEX CONCURRENTLY runs on: docs/guide/versions.md).
describe.each(allMajors.filter((t) => t.major === 0 || t.major >= 14))('Faults: the runner lock, on $name', (target) => {
  it('a waiting runner names the process applying the file and the file, not the idle lock connection; cancelling that process, as the fix says, stops the run', async () => {
    const url = await freshDatabase(target, 'rl_holder');
    const dir = tempDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_slow.sql': "ALTER TABLE a ADD COLUMN b int;\nSELECT 'marker_rl_holder' AS m, pg_sleep(30);",
    });
    const first = runCli(['migrate', '--dir', dir, '--database-url', url]);
    const worker = await waitForMarker(url, 'marker_rl_holder', 20_000, { inSleep: true });
    const lockPid = await lockHolderPid(url);

    const waiting = await runCli(['migrate', '--dir', dir, '--database-url', url, '--lock-wait', '500ms', '--json']);

    expect(waiting.code).toBe(1);
    const error = JSON.parse(waiting.stdout) as { message: string; fix: string; holders: { pid: number; lockPid: number; file: string }[] };
    expect(worker).not.toBe(lockPid);
    expect(error.holders).toEqual([expect.objectContaining({ pid: worker, lockPid, file: '2_slow.sql' })]);
    expect(error.message).toBe(
      `another migration runner holds the lock: pid ${worker} applying 2_slow.sql (its runner lock is held by its idle connection, pid ${lockPid}); waited 500 ms`,
    );
    expect(error.fix).toContain(`SELECT pg_cancel_backend(${worker})`);
    expect(error.fix).not.toContain('pg_terminate_backend');

    // Following the fix: the file rolls back, the runner stops and releases the lock.
    await rows(url, 'SELECT pg_cancel_backend($1)', [worker]);
    const stopped = await first;
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('2_slow.sql:2: canceling statement due to user request');
    expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY 1')).toEqual([{ version: '1' }]);
    expect(await rows(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'a' AND column_name = 'b'")).toEqual([{ n: 0 }]);
  });

  it('the lock connection ended during CREATE INDEX CONCURRENTLY: the build is stopped (no second runner builds beside it), exit 1; the next run builds it once', async () => {
    const url = await freshDatabase(target, 'rl_cic');
    await withClient(url, (c) => c.query(`${SLOW_ID}; CREATE TABLE items (id int); INSERT INTO items SELECT generate_series(1, 200)`));
    const dir = tempDir({ '1_idx.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_slow_idx ON items (slow_id(id));' });
    const first = runCli(['migrate', '--dir', dir, '--database-url', url]);
    await waitForMarker(url, 'items_slow_idx', 20_000);
    await sleep(300);

    await rows(url, 'SELECT pg_terminate_backend($1)', [await lockHolderPid(url)]);
    const stopped = await first;

    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain(
      "error: lost the runner lock while 1_idx.sql ran: its connection closed; this runner dropped the migration's connection at once, so the statement it ran was stopped",
    );
    // The server ended the orphaned build within its client_connection_check_interval (1 s), well before its 10 s.
    await waitUntilNoBackend(url, 'items_slow_idx', 4000);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);

    await rows(url, 'DELETE FROM slow_on');
    const rerun = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await rows(url, "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'items_slow_idx'::regclass")).toEqual([{ valid: true }]);
  });

  it('a lock-timeout retry after the lock was lost does not run the file again: another runner applied it meanwhile', async () => {
    const url = await freshDatabase(target, 'rl_retry');
    await withClient(url, (c) => c.query('CREATE TABLE t (id int)'));
    const dir = tempDir({ '1_col.sql': 'ALTER TABLE t ADD COLUMN a int;' });
    const driver = pgDriver();

    await withClient(url, async (blocker) => {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE t IN ACCESS SHARE MODE');
      let lost: Promise<unknown> | undefined;
      const first = runEngine(driver, url, dir, {
        lockTimeoutMs: 200,
        lockRetries: 5,
        retryDelayMs: 1500,
        onEvent: (e) => {
          // During the first backoff: the lock's connection ends, and another runner takes the lock and applies the file.
          if (e.type !== 'retry' || lost) return;
          lost = (async () => {
            await rows(url, 'SELECT pg_terminate_backend($1)', [await lockHolderPid(url)]);
            await blocker.query('COMMIT');
            return runEngine(driver, url, dir);
          })();
        },
      });
      const e = await rejection<MigrationError>(first);
      const second = (await lost) as Awaited<ReturnType<typeof runEngine>>;

      expect(second.applied.map((a) => a.version)).toEqual([1]);
      expect(e).toBeInstanceOf(LockLostError);
      expect(e.sqlstate).not.toBe('42701');
    });
    expect(await rows(url, 'SELECT version, applied_by FROM schemaguard.applied_migrations')).toEqual([{ version: '1', applied_by: 'test' }]);
  });

  it('a state row written by another runner while a no-transaction file ran: the duplicate key says so and what to do', async () => {
    const url = await freshDatabase(target, 'rl_dup');
    const dir = tempDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_nt.sql': "-- schemaguard:no-transaction\nSELECT 'marker_rl_dup' AS m, pg_sleep(1);",
    });
    const running = rejection<MigrationError>(runEngine(pgDriver(), url, dir));
    await waitForMarker(url, 'marker_rl_dup', 10_000, { inSleep: true });
    // What a runner of an earlier schemaguard (no guard on its state row) that took the lock over would write.
    await rows(
      url,
      "INSERT INTO schemaguard.applied_migrations (version, name, checksum, execution_ms, applied_by) VALUES (2, 'nt', repeat('a', 64), 1, 'other-runner')",
    );

    const e = await running;

    expect(e.sqlstate).toBe('23505');
    expect(e.constraint).toBe('applied_migrations_pkey');
    expect(e.fix).toContain('another runner applied version 2 meanwhile and recorded it');
    expect(e.fix).toContain('make them safe to run twice');
  });
});
