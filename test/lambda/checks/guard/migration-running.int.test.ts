/**
 * The guard never takes the runner lock and never delays a migration: while
 * a migration holds the advisory lock or a live lease, every run says
 * "skipped: a migration is running" and touches no table; a migration that
 * starts during a run makes the run's lock timeout a skip, not an error.
 */
import { cpSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContracts, type Contract } from '../../../../lambda/checks/contracts';
import { runGuard, type GuardReport } from '../../../../lambda/checks/guard';
import { runningMigration } from '../../../../lambda/checks/guard/migration-running';
import { LeaseLock } from '../../../../lambda/driver/data-api/lease-lock';
import { leaseDdl } from '../../../../lambda/driver/data-api/lease-table';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { MigrationError } from '../../../../lambda/engine/errors/errors';
import type { Queryable } from '../../../../lambda/engine/ports';
import { advisoryLockKey } from '../../../../lambda/engine/state/runner-lock-names';
import { migrate, type RunEvent } from '../../../../lambda/engine/runner';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';
import { CONTRACTS_DIR, MIGRATIONS_DIR, runFixes } from '../../../support/schema-fixes';

afterAll(dropDatabases);

let contracts: Contract[];
beforeAll(async () => {
  contracts = await loadContracts(CONTRACTS_DIR);
});

async function guard(url: string, lockTimeoutMs?: number): Promise<GuardReport> {
  const driver = new PgDriver({ connectionString: url });
  try {
    return await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts, lockTimeoutMs });
  } finally {
    await driver.end();
  }
}

async function until(what: string, test: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const runnerLockHeld = (url: string) => async () =>
  (
    await rows(
      url,
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
      [advisoryLockKey('schemaguard')],
    )
  ).length > 0;

describe.each(targets)('Function: runGuard while a migration runs, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'guard_running');
    await runFixes(url);
  });

  it('skips while migrate holds the advisory lock, and runs over and over without delaying it: its ALTER (lock_timeout 200 ms, no retry) goes through', async () => {
    const dir = tempDir({}, 'migrations');
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    addFile(dir, '0100_slow.sql', '-- schemaguard:lock-timeout=200ms\nSELECT pg_sleep(1.5);\nALTER TABLE lead_purchases ADD COLUMN guard_probe integer;\n');
    const driver = new PgDriver({ connectionString: url });
    const events: RunEvent[] = [];
    const running = migrate({ driver, migrations: loadMigrations(dir), appliedBy: 'test', lockRetries: 0, onEvent: (e) => events.push(e) }).finally(() =>
      driver.end(),
    );
    let done = false;
    void running
      .finally(() => {
        done = true;
      })
      .catch(() => undefined);
    await until('the runner lock', runnerLockHeld(url));
    const reports: GuardReport[] = [];
    while (!done) reports.push(await guard(url));
    const result = await running;

    expect(result.outcome).toBe('applied');
    expect(result.applied.map((a) => a.version)).toEqual([100]);
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    expect(reports.length).toBeGreaterThan(1);
    // Every run that ended before the migration did was a skip (the last one may have started after it).
    for (const r of reports.slice(0, -1)) {
      expect(r.outcome).toBe('skipped');
      expect(r.skippedReason).toMatch(/^a migration is running: server process \d+ holds the runner lock \(advisory lock -?\d+\)$/);
      expect(r.findings).toEqual([]);
      expect(r.page).toBe(false);
    }
    expect((await guard(url)).outcome).not.toBe('skipped');
  });

  it("a migration of another database on the same server is not this database's: the run goes on (advisory locks are per database)", async () => {
    const other = await freshDatabase(target, 'guard_running_other');
    await withClient(other, async (c) => {
      await c.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
      const r = await guard(url);
      expect(r.outcome).not.toBe('skipped');
      expect(r.skippedReason).toBeUndefined();
    });
  });

  it('skips while a live lease is held (the Data API runner), runs again once it expired or was released', async () => {
    const driver = new PgDriver({ connectionString: url });
    const lease = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: 'deploy 42', ttlMs: 60_000, renewEveryMs: 30_000 });
    try {
      await lease.acquire(0);
      const r = await guard(url);
      expect(r.outcome).toBe('skipped');
      expect(r.skippedReason).toMatch(/^a migration is running: deploy 42 holds the runner lease \(expires in \d+ s unless renewed\)$/);
      await withClient(url, (c) => c.query("UPDATE schemaguard.runner_lease SET expires_at = now() - interval '1 second'"));
      expect((await guard(url)).outcome).not.toBe('skipped');
    } finally {
      await lease.release();
      await driver.end();
    }
    expect((await guard(url)).outcome).not.toBe('skipped');
  });

  it('a migration that takes the lock while the run waits on a table: the lock timeout becomes a skip; without a migration it is an error naming the timeout', async () => {
    await withClient(url, async (holder) => {
      await holder.query('BEGIN; LOCK TABLE lead_purchases IN ACCESS EXCLUSIVE MODE');
      const waiting = guard(url).then(
        (r) => r,
        (e: unknown) => e,
      );
      await until(
        'the guard waiting for the table lock',
        async () => (await rows(url, "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'lead_purchases'::regclass")).length > 0,
      );
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
      const r = (await waiting) as GuardReport;
      expect(r.outcome).toBe('skipped');
      expect(r.skippedReason).toMatch(/^a migration is running: server process \d+ holds the runner lock/);
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [advisoryLockKey('schemaguard')]);

      const error = await guard(url).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as MigrationError).sqlstate).toBe('55P03');
      expect((error as MigrationError).fix).toContain('the next run tries again');
      await holder.query('ROLLBACK');
    });
    expect((await guard(url)).outcome).not.toBe('skipped');
  });

  it('regression: the lease table dropped between its look-up and the privilege check is no lease, not "may not read" (to_regclass ran twice)', async () => {
    // Prepare: what the server answers for the oid of a table dropped after it was looked up.
    const db = await freshDatabase(target, 'guard_lease_gone');
    await withClient(db, (c) => c.query(leaseDdl('schemaguard').join(';\n')));
    const [{ oid }] = await rows<{ oid: string }>(db, "SELECT to_regclass('schemaguard.runner_lease')::oid::text AS oid");
    await withClient(db, (c) => c.query('DROP TABLE schemaguard.runner_lease'));
    const [{ can_read }] = await rows<{ can_read: boolean | null }>(db, "SELECT has_table_privilege($1::oid, 'SELECT') AS can_read", [oid]);
    expect(can_read).toBeNull();
    // Act: the look that found the table, its privilege checked on that same oid after the DROP.
    const look = { pids: [], lease_table: true, can_read, role: 'schemaguard_guard_app' };
    const queried: string[] = [];
    const q: Queryable = {
      query: (async (sql: string) => {
        queried.push(sql);
        return { rows: [look], rowCount: 1 };
      }) as Queryable['query'],
    };
    // Assess: no lease, and the lease row is not read (the table is gone)
    expect(await runningMigration(q, 'schemaguard')).toBeUndefined();
    expect(queried).toHaveLength(1);
    expect(queried[0]!.match(/FROM pg_class/g)).toHaveLength(1);
    expect(queried[0]).not.toContain('to_regclass');
    // A table that is there and may not be read is still refused, naming the GRANT.
    look.can_read = false;
    await expect(runningMigration(q, 'schemaguard')).rejects.toThrow(/may not read schemaguard\.runner_lease/);
  });

  it('the lease table dropped while the run waits to read it (a runner that committed nothing removes it): no skip and no error', async () => {
    await withClient(url, (c) => c.query(leaseDdl('schemaguard').join(';\n')));
    await withClient(url, async (remover) => {
      // The removing runner's transaction: ACCESS EXCLUSIVE first, the DROP after the guard queued behind it.
      await remover.query('BEGIN; LOCK TABLE schemaguard.runner_lease IN ACCESS EXCLUSIVE MODE');
      const running = guard(url, 60_000).then(
        (r) => r,
        (e: unknown) => e,
      );
      await until(
        'the guard waiting for the lease table',
        async () => (await rows(url, "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'schemaguard.runner_lease'::regclass")).length > 0,
      );
      await remover.query('DROP TABLE schemaguard.runner_lease; COMMIT');
      const r = await running;
      expect(r).not.toBeInstanceOf(Error);
      expect((r as GuardReport).outcome).not.toBe('skipped');
      expect((r as GuardReport).skippedReason).toBeUndefined();
      // What a run finds with no lease table at all (an earlier test left a migration the files do not have).
      expect((r as GuardReport).findings).toEqual((await guard(url)).findings);
    });
  });
});
