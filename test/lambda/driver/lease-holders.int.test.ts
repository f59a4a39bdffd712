/**
 * The runner lock's two forms exclude each other: a runner straight to the
 * server (the advisory lock) and one through the RDS Data API or a
 * transaction-pooling PgBouncer (the lease) on the same database serialise,
 * as a deploy and an operator's `migrate` must. Each takes its own form and
 * then backs off from the other's.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LeaseLock } from '../../../lambda/driver/data-api/lease-lock';
import { leaseDdl } from '../../../lambda/driver/data-api/lease-table';
import { PgDriver } from '../../../lambda/driver/pg/pg-driver';
import { LockWaitTimeoutError, type MigrationError } from '../../../lambda/engine/errors/errors';
import type { Driver } from '../../../lambda/engine/ports';
import { advisoryLockKey } from '../../../lambda/engine/state/runner-lock-names';
import { migrate, type MigrateResult, type RunEvent } from '../../../lambda/engine/runner';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { dropDatabases, freshDatabase, rows, targets, urlFor, withClient } from '../../support/db';
import { makeDataApiDriver } from '../../support/drivers';
import { rejection } from '../../support/engine';
import { tempDir } from '../../support/files';
import { startPgbouncer, type RunningPgbouncer } from '../../support/pgbouncer';
import { lockHolderPid, sleep } from '../../faults/support';

afterAll(dropDatabases);

/** Each file counts its own executions (exactly once: one row per version), and sleeps so that two runs overlap. */
const FILES = Object.fromEntries(
  Array.from({ length: 4 }, (_, k) => [
    `${k + 1}_step${k + 1}.sql`,
    `CREATE TABLE IF NOT EXISTS runs (version int);\nCREATE TABLE t${k + 1} (id int);\nINSERT INTO runs VALUES (${k + 1});\nSELECT pg_sleep(0.15);`,
  ]),
);

interface Run {
  result?: MigrateResult;
  error?: unknown;
  events: RunEvent[];
}

async function run(driver: Driver, who: string): Promise<Run> {
  const events: RunEvent[] = [];
  try {
    const result = await migrate({
      driver,
      migrations: loadMigrations(tempDir(FILES)),
      appliedBy: who,
      lockWaitMs: 30_000,
      retryDelayMs: 50,
      onEvent: (e) => events.push(e),
    });
    return { result, events };
  } catch (error) {
    return { error, events };
  } finally {
    await driver.end();
  }
}

/** Each file applied once, by one of the runs; no lock or lease left behind. */
async function appliedOnce(url: string, runs: Run[]): Promise<void> {
  for (const r of runs) expect(r.error).toBeUndefined();
  expect(runs.flatMap((r) => r.result!.applied.map((a) => a.version)).sort()).toEqual([1, 2, 3, 4]);
  expect(await rows(url, 'SELECT version, count(*)::int AS n FROM runs GROUP BY version ORDER BY version')).toEqual(
    [1, 2, 3, 4].map((v) => ({ version: v, n: 1 })),
  );
  expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 4 }]);
  expect(
    await rows(
      url,
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    ),
  ).toEqual([{ n: 0 }]);
}

/** Until the lease row of `owner` is there (10 s at most). */
async function leaseTaken(url: string, owner: string): Promise<void> {
  for (const until = Date.now() + 10_000; Date.now() < until; await sleep(20)) {
    const t = await rows<{ t: string | null }>(url, "SELECT to_regclass('schemaguard.runner_lease')::text AS t");
    if (t[0]!.t && (await rows(url, 'SELECT 1 FROM schemaguard.runner_lease WHERE owner = $1', [owner])).length) return;
  }
  throw new Error(`no lease of ${owner} within 10 s`);
}

const waited = (r: Run) => r.events.some((e) => e.type === 'lock-wait');

describe.each(targets)("The runner lock's two forms on $name", (target) => {
  let bouncer: RunningPgbouncer;

  beforeAll(async () => {
    const problem = inject('pgbouncer').problem;
    if (problem) throw new Error(problem);
    bouncer = await startPgbouncer(target, { poolMode: 'transaction', poolSize: 2 });
  });
  afterAll(async () => {
    await bouncer?.stop();
  });

  const lease = {
    'the Data API': (url: string): Driver => makeDataApiDriver(url),
    'PgBouncer (transaction pooling)': (url: string): Driver => new PgDriver({ connectionString: bouncer.url(url) }),
  };

  describe.each(Object.entries(lease))('a direct migrate and one through %s', (_, leaseDriver) => {
    // Regression: each took its own form of the lock, both applied 1_step1.sql, and one failed on "already exists".
    it('the one through the lease waits for the direct one holding the advisory lock, and applies nothing twice', async () => {
      const url = await freshDatabase(target, 'forms_direct_first');
      const direct = run(new PgDriver({ connectionString: url }), 'direct');
      await lockHolderPid(url);
      const leased = await run(leaseDriver(url), 'leased');
      const first = await direct;
      await appliedOnce(url, [first, leased]);
      expect(first.result!.applied.map((a) => a.version)).toEqual([1, 2, 3, 4]);
      expect(waited(leased)).toBe(true);
      expect(leased.result!.outcome).toBe('up-to-date');
    });

    it('the direct one waits for the one holding the lease, and applies nothing twice', async () => {
      const url = await freshDatabase(target, 'forms_lease_first');
      const leased = run(leaseDriver(url), 'leased');
      await leaseTaken(url, 'leased');
      const direct = await run(new PgDriver({ connectionString: url }), 'direct');
      const first = await leased;
      await appliedOnce(url, [first, direct]);
      expect(first.result!.applied.map((a) => a.version)).toEqual([1, 2, 3, 4]);
      expect(waited(direct)).toBe(true);
      expect(direct.events.find((e) => e.type === 'lock-wait')).toMatchObject({ holders: [{ pid: 0, application: 'leased' }] });
      expect(direct.result!.outcome).toBe('up-to-date');
    });

    it('started together, three of each apply every file once', async () => {
      const url = await freshDatabase(target, 'forms_race');
      const runs = await Promise.all(
        [0, 1, 2].flatMap((k) => [run(new PgDriver({ connectionString: url }), `direct-${k}`), run(leaseDriver(url), `leased-${k}`)]),
      );
      await appliedOnce(url, runs);
    });
  });

  describe('Class: LeaseLock', () => {
    it("backs off from another session's advisory lock: the wait names it, and nothing of the lease is left", async () => {
      const url = await freshDatabase(target, 'forms_lease_backoff');
      const holder = new pg.Client({ connectionString: url, application_name: 'operator-migrate' });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
        const pid = (holder as unknown as { processID: number }).processID;
        const lock = new LeaseLock(makeDataApiDriver(url), { stateSchema: 'schemaguard', owner: 'deploy' });
        const told: unknown[] = [];
        const e = await rejection<LockWaitTimeoutError>(lock.acquire(400, (h) => told.push(h)));
        await lock.release();
        expect(e).toBeInstanceOf(LockWaitTimeoutError);
        expect(e.message).toBe(`another migration runner holds the lock: pid ${pid} (operator-migrate); waited 400 ms`);
        expect(e.fix).toMatch(/^wait for it to finish \(a runner connected to the server directly holds the advisory lock\)/);
        expect(told).toEqual([[expect.objectContaining({ pid, application: 'operator-migrate' })]]);
        // The lease's table (and schema) that its first try created went again when it backed off.
        expect(await rows(url, "SELECT to_regnamespace('schemaguard')::text AS s")).toEqual([{ s: null }]);

        await holder.query('SELECT pg_advisory_unlock($1::bigint)', [advisoryLockKey('schemaguard')]);
        const next = new LeaseLock(makeDataApiDriver(url), { stateSchema: 'schemaguard', owner: 'deploy' });
        await next.acquire(0);
        expect(next.isHeld).toBe(true);
        await next.release();
      } finally {
        await holder.end();
      }
    });
  });

  describe('Class: AdvisoryLock', () => {
    it('refuses before anything runs, with the GRANT, when its role cannot read the lease table; SELECT, DELETE are enough', async () => {
      const url = await freshDatabase(target, 'forms_lease_grants');
      const role = `sg_direct_${randomBytes(4).toString('hex')}`;
      const password = randomBytes(12).toString('hex');
      const database = new URL(url).pathname.slice(1);
      await withClient(url, async (c) => {
        for (const stmt of leaseDdl('schemaguard')) await c.query(stmt);
        await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
        await c.query(`GRANT USAGE ON SCHEMA schemaguard TO ${role}`);
      });
      const u = new URL(url);
      u.username = role;
      u.password = password;
      try {
        const lock = new PgDriver({ connectionString: u.toString() }).createLock({ stateSchema: 'schemaguard', owner: 'direct' });
        const e = await rejection<MigrationError>(lock.acquire(0));
        await lock.release();
        expect(e.message).toMatch(
          /^the runner lock's other form, a lease in "schemaguard"\."runner_lease" \(taken through the RDS Data API or a connection pooler\), cannot be checked: permission denied for table runner_lease; nothing was run$/,
        );
        expect(e.fix).toBe(
          `have the table's owner run: GRANT USAGE ON SCHEMA "schemaguard" TO "${role}"; GRANT SELECT, DELETE ON "schemaguard"."runner_lease" TO "${role}" (a direct migrate checks that no runner holds the lease, and takes an expired one over)`,
        );
        // Nothing was run: the state table is not there (the lock went with its session, closed by release).
        expect(await rows(url, "SELECT to_regclass('schemaguard.applied_migrations')::text AS t")).toEqual([{ t: null }]);

        await withClient(url, (c) => c.query(`GRANT SELECT, DELETE ON schemaguard.runner_lease TO ${role}`));
        const next = new PgDriver({ connectionString: u.toString() }).createLock({ stateSchema: 'schemaguard', owner: 'direct' });
        // Waits, if need be, for the refused lock's server process to finish exiting.
        await next.acquire(10_000);
        await next.release();
      } finally {
        await withClient(urlFor(target, 'postgres'), async (c) => {
          await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
          await c.query(`DROP ROLE IF EXISTS ${role}`);
        });
      }
    });

    it('takes an expired lease over (its row deleted): the stalled runner that held it can no longer commit', async () => {
      const url = await freshDatabase(target, 'forms_expired_lease');
      const stalled = new LeaseLock(makeDataApiDriver(url), { stateSchema: 'schemaguard', owner: 'stalled', ttlMs: 10_000 });
      await stalled.acquire(0);
      await rows(url, "UPDATE schemaguard.runner_lease SET expires_at = clock_timestamp() - interval '1 second'");
      const direct = new PgDriver({ connectionString: url }).createLock({ stateSchema: 'schemaguard', owner: 'direct' });
      await direct.acquire(0);
      try {
        expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.runner_lease')).toEqual([{ n: 0 }]);
        const e = await rejection<MigrationError>(Promise.resolve(stalled.assertHeld()));
        expect(e.message).toMatch(/^lost the migration lease: another runner took the lease over/);
      } finally {
        await direct.release();
        await stalled.release();
      }
    });
  });
});
