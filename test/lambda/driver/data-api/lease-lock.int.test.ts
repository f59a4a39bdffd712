import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleActivity } from '../../../support/activity';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { DataApiStandin } from '../../../support/data-api-standin';
import { TEST_CLUSTER_ARN, TEST_SECRET_ARN } from '../../../support/drivers';
import { tempDir } from '../../../support/files';
import { DataApiDriver, type DataApiClient } from '../../../../lambda/driver/data-api/data-api-driver';
import { LeaseLock, LeaseLostError } from '../../../../lambda/driver/data-api/lease-lock';
import { advisoryLockKey } from '../../../../lambda/driver/pg/advisory-lock';
import { LockWaitTimeoutError, MigrationError, type Blocker } from '../../../../lambda/engine/errors/errors';
import { migrate } from '../../../../lambda/engine/runner';
import { loadMigrations } from '../../../../lambda/engine/files/source';

afterAll(dropDatabases);

const standins: DataApiStandin[] = [];
afterAll(async () => {
  for (const s of standins.splice(0)) await s.close();
});

/** `renewals`: false makes every lease renewal fail, as from a runner that lost its way to the service (the rest still goes through). */
function driverFor(url: string, ttlMs: number, renewals: { through: boolean; blocked?: number } = { through: true }): DataApiDriver {
  const standin = new DataApiStandin(url, { poolSize: 4 });
  standins.push(standin);
  const client: DataApiClient = {
    send: ((command: Parameters<DataApiStandin['send']>[0]) => {
      const sql = (command.input as { sql?: string }).sql ?? '';
      if (!renewals.through && /UPDATE \S*runner_lease\S*\s+SET renewed_at/.test(sql)) {
        renewals.blocked = (renewals.blocked ?? 0) + 1;
        return Promise.reject(new Error('renewal blocked by the test'));
      }
      return standin.send(command as never);
    }) as DataApiClient['send'],
  };
  return new DataApiDriver({
    client,
    resourceArn: TEST_CLUSTER_ARN,
    secretArn: TEST_SECRET_ARN,
    database: decodeURIComponent(new URL(url).pathname.slice(1)),
    lease: { ttlMs, pollMs: 50 },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when a runner starts the given version. */
function startOf(version: number): { onEvent: (e: { type: string; migration?: { version: number } }) => void; started: Promise<void> } {
  let resolve!: () => void;
  const started = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    onEvent: (e) => {
      if (e.type === 'migration-start' && e.migration?.version === version) resolve();
    },
    started,
  };
}

/** The state schema and the lease table, null where absent. */
async function leaseTable(url: string): Promise<{ s: string | null; t: string | null } | undefined> {
  return (
    await rows<{ s: string | null; t: string | null }>(
      url,
      "SELECT to_regnamespace('schemaguard')::text AS s, to_regclass('schemaguard.runner_lease')::text AS t",
    )
  )[0];
}

async function expireLease(url: string): Promise<void> {
  await rows(url, `UPDATE schemaguard.runner_lease SET expires_at = clock_timestamp() - interval '1 second'`);
}

describe.each(targets)('$name', (target) => {
  describe('Class: LeaseLock', () => {
    it('a runner that died leaves a lease that expires, and the next runner proceeds', async () => {
      // Prepare: a separate process takes the lease and keeps renewing it.
      const url = await freshDatabase(target, 'lease_dead');
      const ttlMs = 1500;
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/lease-holder.ts', url, String(ttlMs), 'doomed-runner'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
      expect(chunk.toString()).toBe('held\n');
      // While it lives it renews: two TTLs later the lease is still taken.
      await sleep(2 * ttlMs);
      const probe = driverFor(url, ttlMs).createLock({ stateSchema: 'schemaguard', owner: 'probe' });
      await expect(probe.acquire(0)).rejects.toBeInstanceOf(LockWaitTimeoutError);
      await probe.release();

      // Act: kill it without a chance to release, then migrate.
      child.kill('SIGKILL');
      await once(child, 'exit');
      const killedAt = Date.now();
      const holders: Blocker[][] = [];
      const result = await migrate({
        driver: driverFor(url, ttlMs),
        migrations: loadMigrations(tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' })),
        appliedBy: 'survivor',
        lockWaitMs: 10_000,
        onEvent: (e) => {
          if (e.type === 'lock-wait') holders.push(e.holders);
        },
      });

      // Assess
      expect(result.applied.map((a) => a.version)).toEqual([1]);
      expect(holders[0]?.[0]).toMatchObject({ pid: 0, application: 'doomed-runner' });
      expect(Date.now() - killedAt).toBeLessThan(ttlMs + 3000);
      expect(await rows(url, 'SELECT applied_by FROM schemaguard.applied_migrations')).toEqual([{ applied_by: 'survivor' }]);
    });

    it('a bounded wait fails with the holder named', async () => {
      const url = await freshDatabase(target, 'lease_wait');
      const driver = driverFor(url, 5000);
      const first = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: 'first-runner', ttlMs: 5000 });
      await first.acquire(0);
      const second = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: 'second-runner', ttlMs: 5000, pollMs: 50 });
      const seen: Blocker[][] = [];
      const started = Date.now();
      const err = await second.acquire(300, (h) => seen.push(h)).catch((e: unknown) => e);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(err).toBeInstanceOf(LockWaitTimeoutError);
      expect((err as Error).message).toMatch(/lease [0-9a-f-]{36} of first-runner, expires in \d+ s/);
      expect(seen).toHaveLength(1);
      expect(seen[0]![0]!.application).toBe('first-runner');
      await second.release();
      await first.release();
      // Nothing was committed under the lease: the table first created is gone with its row.
      expect(await leaseTable(url)).toEqual({ s: null, t: null });
    });

    it('assertHeld throws once another runner took an expired lease over', async () => {
      const url = await freshDatabase(target, 'lease_lost');
      const driver = driverFor(url, 5000);
      const a = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: 'a', ttlMs: 5000 });
      await a.acquire(0);
      await a.assertHeld();
      await expireLease(url);
      const b = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: 'b', ttlMs: 5000 });
      await b.acquire(0);
      await expect(a.assertHeld()).rejects.toBeInstanceOf(LeaseLostError);
      await a.release(); // must not delete b's lease
      expect(await rows(url, 'SELECT owner FROM schemaguard.runner_lease')).toEqual([{ owner: 'b' }]);
      await b.release();
    });

    it('ten runners creating the lease table at the same moment all get the lease in turn', async () => {
      // Regression: concurrent CREATE TABLE IF NOT EXISTS failed with 42710 "type already exists".
      const url = await freshDatabase(target, 'lease_race');
      const driver = driverFor(url, 5000);
      const order: number[] = [];
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const lock = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: `r${i}`, ttlMs: 5000, pollMs: 20 });
          await lock.acquire(20_000);
          order.push(i);
          await lock.release();
        }),
      );
      expect(order.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('a runner waiting for another to create the lease table does not sit in a lock wait', async () => {
      // Regression: it waited in pg_advisory_xact_lock, a statement holding a snapshot.
      const url = await freshDatabase(target, 'lease_ddl_wait');
      await withClient(url, async (creator) => {
        await creator.query('BEGIN');
        await creator.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey('schemaguard:lease-ddl')]);
        const lock = new LeaseLock(driverFor(url, 5000), { stateSchema: 'schemaguard', owner: 'waiter', ttlMs: 5000 });
        const acquiring = lock.acquire(20_000);

        const samples = await sampleActivity(url, 'rds-data-api', 800);

        await creator.query('ROLLBACK');
        await acquiring;
        await lock.release();
        expect(samples.filter((x) => x.wait_event_type === 'Lock')).toEqual([]);
        expect(samples.filter((x) => x.state !== 'active' && (x.in_transaction || x.xmin))).toEqual([]);
      });
      expect(await leaseTable(url)).toEqual({ s: null, t: null });
    });

    it("a waiting runner does not queue behind the holder's lock on the lease row", async () => {
      const url = await freshDatabase(target, 'lease_row_wait');
      const driver = driverFor(url, 5000);
      const first = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: 'first', ttlMs: 5000 });
      await first.acquire(0);
      await withClient(url, async (fence) => {
        // As the holder's commit fence does: the lease row locked inside a transaction.
        await fence.query('BEGIN');
        await fence.query("SELECT 1 FROM schemaguard.runner_lease WHERE name = 'migrate' FOR UPDATE");
        const second = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: 'second', ttlMs: 5000 });
        const waiting = second.acquire(600).catch((e: unknown) => e);

        const samples = await sampleActivity(url, 'rds-data-api', 500);

        expect(await waiting).toBeInstanceOf(LockWaitTimeoutError);
        await fence.query('ROLLBACK');
        await second.release();
        expect(samples.filter((x) => x.wait_event_type === 'Lock')).toEqual([]);
      });
      await first.release();
    });

    it('a lease released with nothing committed under it removes the table it created, and the schema it created', async () => {
      // Regression: a run refused after taking the lease (a bad pending file) left the schema and the lease table behind.
      const url = await freshDatabase(target, 'lease_undo');
      const lock = new LeaseLock(driverFor(url, 5000), { stateSchema: 'schemaguard', owner: 'refused', ttlMs: 5000 });

      await lock.acquire(0);
      expect(await leaseTable(url)).toEqual({ s: 'schemaguard', t: 'schemaguard.runner_lease' });
      await lock.release();

      expect(await leaseTable(url)).toEqual({ s: null, t: null });
    });

    it('keeps the schema when it held something else, a table it did not create, and one under which a commit was fenced', async () => {
      const url = await freshDatabase(target, 'lease_keep');
      await rows(url, 'CREATE SCHEMA schemaguard; CREATE TABLE schemaguard.other (id int)');
      const take = async (owner: string, write?: string) => {
        const driver = driverFor(url, 5000);
        const lock = driver.createLock({ stateSchema: 'schemaguard', owner });
        await lock.acquire(0);
        if (write) {
          const s = await driver.connect();
          await s.begin({ lockTimeoutMs: 1000, statementTimeoutMs: 0 });
          await s.query(write);
          await s.commit();
          await s.close();
        }
        await lock.release();
      };

      await take('refused');
      expect(await leaseTable(url)).toEqual({ s: 'schemaguard', t: null });
      await take('writer', 'CREATE TABLE written (id int)');
      expect(await leaseTable(url)).toEqual({ s: 'schemaguard', t: 'schemaguard.runner_lease' });
      await rows(url, 'DROP TABLE schemaguard.other');
      await take('refused');
      expect(await leaseTable(url)).toEqual({ s: 'schemaguard', t: 'schemaguard.runner_lease' });
      expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.runner_lease')).toEqual([{ n: 0 }]);
    });

    it('a runner waiting for a lease whose holder removes the lease table on release takes the lease all the same', async () => {
      const url = await freshDatabase(target, 'lease_undo_wait');
      const driver = driverFor(url, 5000);
      const first = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: 'first', ttlMs: 5000 });
      await first.acquire(0);
      const second = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: 'second', ttlMs: 5000, pollMs: 20 });
      const seen: Blocker[][] = [];
      const waiting = second.acquire(10_000, (h) => seen.push(h));
      await sleep(200);

      await first.release();
      await waiting;

      expect(seen[0]?.[0]?.application).toBe('first');
      expect(await rows(url, 'SELECT owner FROM schemaguard.runner_lease')).toEqual([{ owner: 'second' }]);
      await second.release();
    });

    it('quotes the state schema name', async () => {
      const url = await freshDatabase(target, 'lease_quote');
      const lock = new LeaseLock(driverFor(url, 5000), { stateSchema: 'Odd "schema"; x', owner: 'o' });
      await lock.acquire(0);
      expect(await rows(url, `SELECT to_regclass('"Odd ""schema""; x".runner_lease')::text AS t`)).toEqual([{ t: '"Odd ""schema""; x".runner_lease' }]);
      await lock.release();
    });
  });

  describe('Exactly once when a lease lapses mid-migration', () => {
    const files = {
      '1_log.sql': 'CREATE TABLE log (version int NOT NULL, runner text);\n',
      '2_slow.sql': "INSERT INTO log VALUES (2, 'x');\nSELECT pg_sleep(1.5);\n",
    };

    it('a runner whose lease lapsed while nobody took it over commits: expiry only lets another runner in', async () => {
      const url = await freshDatabase(target, 'lease_lapsed');
      const at2 = startOf(2);
      const running = migrate({
        driver: driverFor(url, 1000),
        migrations: loadMigrations(tempDir(files)),
        appliedBy: 'late',
        onEvent: at2.onEvent,
      });
      await at2.started;
      await expireLease(url);
      expect((await running).applied.map((a) => a.version)).toEqual([1, 2]);
      expect(await rows(url, 'SELECT count(*)::int AS n FROM log')).toEqual([{ n: 1 }]);
      expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.runner_lease')).toEqual([{ n: 0 }]);
    });

    it('a runner whose lease another runner took over cannot commit (the commit is fenced)', async () => {
      const url = await freshDatabase(target, 'lease_fence');
      const at2 = startOf(2);
      const running = migrate({
        driver: driverFor(url, 1000),
        migrations: loadMigrations(tempDir(files)),
        appliedBy: 'stalled',
        onEvent: at2.onEvent,
      }).catch((e: unknown) => e);
      await at2.started;
      // Another runner's takeover, as its upsert does it, while the file sleeps.
      await rows(url, "UPDATE schemaguard.runner_lease SET holder = 'another-runner', expires_at = clock_timestamp() + interval '1 minute'");
      const err = await running;
      expect(err).toBeInstanceOf(LeaseLostError);
      expect((err as Error).message).toContain('another runner took the lease over');
      expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations')).toEqual([{ version: '1' }]);
      expect(await rows(url, 'SELECT count(*)::int AS n FROM log')).toEqual([{ n: 0 }]);
    });

    it('when another runner takes the lease over, the migration is still applied once', async () => {
      const url = await freshDatabase(target, 'lease_takeover');
      const migrations = loadMigrations(tempDir(files));
      const at2 = startOf(2);
      // The first runner's renewals stop reaching the database once its file started: its lease lapses for good.
      const renewals: { through: boolean; blocked?: number } = { through: true };
      const first = migrate({ driver: driverFor(url, 1000, renewals), migrations, appliedBy: 'first', onEvent: at2.onEvent }).catch((e: unknown) => e);
      await at2.started;
      renewals.through = false;
      await expireLease(url);
      const second = await migrate({ driver: driverFor(url, 1000), migrations, appliedBy: 'second', lockWaitMs: 10_000 });
      const firstOutcome = await first;

      expect(renewals.blocked).toBeGreaterThan(0);
      expect(firstOutcome).toBeInstanceOf(MigrationError);
      expect(second.applied.map((a) => a.version)).toEqual([2]);
      expect(await rows(url, 'SELECT version, applied_by FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
        { version: '1', applied_by: 'first' },
        { version: '2', applied_by: 'second' },
      ]);
      expect(await rows(url, 'SELECT count(*)::int AS n FROM log WHERE version = 2')).toEqual([{ n: 1 }]);
      await withClient(url, async (c) => {
        expect((await c.query('SELECT count(*)::int AS n FROM schemaguard.runner_lease')).rows).toEqual([{ n: 0 }]);
      });
    });
  });
});
