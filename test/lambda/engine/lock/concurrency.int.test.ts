import { afterAll, describe, expect, it } from 'vitest';
import { advisoryLockKey } from '../../../../lambda/driver/pg/advisory-lock';
import { LockWaitTimeoutError } from '../../../../lambda/engine/errors/errors';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { runCli } from '../../../support/cli';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const FILES = Object.fromEntries(
  Array.from({ length: 5 }, (_, k) => [
    `${k + 1}_step${k + 1}.sql`,
    // Each migration counts its own executions: exactly once means one row per version.
    `CREATE TABLE IF NOT EXISTS runs (version int, at timestamptz DEFAULT clock_timestamp());\nINSERT INTO runs (version) VALUES (${k + 1});\nSELECT pg_sleep(0.05);`,
  ]),
);

describe.each(driverCases())('Function: migrate, concurrently on $name', ({ target, driver }) => {
  it('ten concurrent runners apply every migration exactly once; the others find it up to date', async () => {
    const url = await freshDatabase(target, 'ten');
    const dir = tempDir(FILES);

    const results = await Promise.all(Array.from({ length: 10 }, () => runEngine(driver, url, dir)));

    const appliedBy = results.flatMap((r) => r.applied.map((a) => a.version)).sort((a, b) => a - b);
    expect(appliedBy).toEqual([1, 2, 3, 4, 5]);
    expect(results.filter((r) => r.outcome === 'up-to-date').length).toBeGreaterThanOrEqual(9);
    expect(await rows(url, 'SELECT version, count(*)::int AS n FROM runs GROUP BY version ORDER BY version')).toEqual(
      [1, 2, 3, 4, 5].map((v) => ({ version: v, n: 1 })),
    );
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 5 }]);
  });
});

describe.each(targets)('CLI: schemaguard migrate, concurrently on $name', (target) => {
  it('ten concurrent processes: one applies, nine report "up to date"', async () => {
    const url = await freshDatabase(target, 'tencli');
    const dir = tempDir(FILES);

    const runs = await Promise.all(Array.from({ length: 10 }, () => runCli(['migrate', '--dir', dir, '--database-url', url])));

    expect(runs.map((r) => r.code)).toEqual(Array(10).fill(0));
    expect(runs.filter((r) => r.stdout.startsWith('applied 5 migrations')).length).toBe(1);
    expect(runs.filter((r) => r.stdout.startsWith('up to date: version 5, 5 applied')).length).toBe(9);
    expect(await rows(url, 'SELECT count(*)::int AS n, count(DISTINCT version)::int AS d FROM runs')).toEqual([{ n: 5, d: 5 }]);
  });

  it('gives up after --lock-wait, naming the runner that holds the lock', async () => {
    const url = await freshDatabase(target, 'lockwait');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    await withClient(url, async (holder) => {
      await holder.query("SET application_name = 'other-runner'");
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

      const r = await runCli(['migrate', '--dir', dir, '--database-url', url, '--lock-wait', '300ms']);

      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`another migration runner holds the lock: pid ${pid} (other-runner); waited 300 ms`);
      expect(r.stderr).toContain('waiting for the migration lock held by pid');
    });
    expect(await rows(url, "SELECT to_regclass('public.a') AS t")).toEqual([{ t: null }]);
  });
});

describe.each(targets)('Class: AdvisoryLock on $name', (target) => {
  it('is released when the runner finishes, and when its connection dies', async () => {
    const url = await freshDatabase(target, 'release');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const pg = (await import('../../../support/drivers')).driverKinds[0]!;
    await runEngine(pg, url, dir);
    const held = await rows(
      url,
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    expect(held).toEqual([{ n: 0 }]);
    const e = await rejection<LockWaitTimeoutError>(
      withClient(url, async (c) => {
        await c.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
        return runEngine(pg, url, dir, { lockWaitMs: 0 });
      }),
    );
    expect(e).toBeInstanceOf(LockWaitTimeoutError);
    // The holder's connection is gone now, and so is its lock.
    const after = await runEngine(pg, url, dir, { lockWaitMs: 0 });
    expect(after.outcome).toBe('up-to-date');
  });
});
