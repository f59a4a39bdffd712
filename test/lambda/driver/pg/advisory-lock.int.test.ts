/**
 * The advisory runner lock on a real server: held on its own session, per
 * state schema, gone with its connection — and a waiting runner must never
 * hold what the running one waits for. A session parked in `pg_advisory_lock`
 * runs a statement, and a running statement holds a snapshot that
 * `CREATE INDEX CONCURRENTLY` waits for.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AdvisoryLock, advisoryLockKey } from '../../../../lambda/driver/pg/advisory-lock';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { LockWaitTimeoutError, MigrationError, PoolerError, type Blocker } from '../../../../lambda/engine/errors/errors';
import type { Session } from '../../../../lambda/engine/ports';
import type { RunEvent } from '../../../../lambda/engine/runner';
import { sleep } from '../../../../lambda/engine/runtime/sleep';
import { sampleActivity } from '../../../support/activity';
import { runCli } from '../../../support/cli';
import { allMajors, dropDatabases, freshDatabase, rows, withClient } from '../../../support/db';
import { driverKinds } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

/** Backends holding the session-level advisory lock for `key`. */
const holders = (url: string, key: string) =>
  rows<{ pid: number }>(
    url,
    `
  SELECT pid FROM pg_locks
   WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
    [key],
  );

const pg = driverKinds.find((d) => d.name === 'pg')!;

/** A table, a pause long enough for a second runner to start waiting, then an index built concurrently. */
const INDEX_SET = {
  '1_table.sql': 'CREATE TABLE t1 (id int, v int);\nINSERT INTO t1 SELECT g, g % 97 FROM generate_series(1, 20000) g;\n',
  '2_pause.sql': 'SELECT pg_sleep(0.6);\n',
  '3_index.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY t1_v ON t1 (v);\n',
};

describe('Function: advisoryLockKey', () => {
  it('is a stable signed 64-bit key per state schema (runners of different versions must agree)', () => {
    expect(advisoryLockKey('schemaguard')).toBe(advisoryLockKey('schemaguard'));
    expect(advisoryLockKey('schemaguard')).not.toBe(advisoryLockKey('other_state'));
    const key = BigInt(advisoryLockKey('schemaguard'));
    expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
  });
});

describe.each(allMajors)('Class: AdvisoryLock on $name', (target) => {
  it('holds the lock on its own session, lends it as the monitor, and releases it', async () => {
    const url = await freshDatabase(target, 'advisory');
    const lock = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');

    await lock.acquire(0);
    const monitor = lock.monitor!;
    const [{ pid }] = (await monitor.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    expect(await holders(url, lock.key)).toEqual([{ pid }]);
    expect(() => lock.assertHeld()).not.toThrow();

    await lock.release();
    expect(lock.monitor).toBeUndefined();
    expect(await holders(url, lock.key)).toEqual([]);
  });

  it('refuses a second runner that will not wait, naming the holder', async () => {
    const url = await freshDatabase(target, 'advisory_busy');
    const first = new AdvisoryLock(new PgDriver({ connectionString: url, applicationName: 'first-runner' }), 'schemaguard');
    const second = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');
    await first.acquire(0);
    try {
      let seen: Blocker[] = [];
      const e = await rejection<LockWaitTimeoutError>(
        second.acquire(0, (h) => {
          seen = h;
        }),
      );

      expect(e).toBeInstanceOf(LockWaitTimeoutError);
      expect(e.message).toMatch(/^another migration runner holds the lock: pid \d+ \(first-runner\); waited 0 ms$/);
      expect(seen.map((h) => h.application)).toEqual(['first-runner']);
    } finally {
      await second.release();
      await first.release();
    }
  });

  it('waits, polling, and gets the lock once the holder releases it', async () => {
    const url = await freshDatabase(target, 'advisory_wait');
    const first = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');
    const second = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');
    await first.acquire(0);
    try {
      const waiting = second.acquire(30_000);
      await sleep(200);
      await first.release();
      await waiting;
      expect(() => second.assertHeld()).not.toThrow();
    } finally {
      await second.release();
      await first.release();
    }
  });

  it('is per state schema: runners of two state schemas do not wait for each other', async () => {
    const url = await freshDatabase(target, 'advisory_schemas');
    const a = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');
    const b = new AdvisoryLock(new PgDriver({ connectionString: url }), 'other_state');
    try {
      await a.acquire(0);
      await b.acquire(0);
      expect(a.key).not.toBe(b.key);
    } finally {
      await b.release();
      await a.release();
    }
  });

  it("is per database: runners of two databases on one server do not wait for each other, and a refusal names only its own database's holder", async () => {
    const urlA = await freshDatabase(target, 'advisory_db_a');
    const urlB = await freshDatabase(target, 'advisory_db_b');
    const a = new AdvisoryLock(new PgDriver({ connectionString: urlA, applicationName: 'runner-of-a' }), 'schemaguard');
    const b = new AdvisoryLock(new PgDriver({ connectionString: urlB, applicationName: 'runner-of-b' }), 'schemaguard');
    const b2 = new AdvisoryLock(new PgDriver({ connectionString: urlB }), 'schemaguard');
    try {
      await a.acquire(0);
      await b.acquire(0);
      let seen: Blocker[] = [];
      const e = await rejection<LockWaitTimeoutError>(
        b2.acquire(0, (h) => {
          seen = h;
        }),
      );

      expect(seen.map((h) => h.application)).toEqual(['runner-of-b']);
      expect(e.message).toMatch(/^another migration runner holds the lock: pid \d+ \(runner-of-b\); waited 0 ms$/);
    } finally {
      await b2.release();
      await b.release();
      await a.release();
    }
  });

  it('goes with its connection: a terminated holder loses it and the next runner takes it', async () => {
    const url = await freshDatabase(target, 'advisory_killed');
    const lock = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');
    const next = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');
    await lock.acquire(0);
    try {
      const [{ pid }] = (await holders(url, lock.key)) as [{ pid: number }];
      await rows(url, 'SELECT pg_terminate_backend($1)', [pid]);
      await expect
        .poll(() => {
          try {
            lock.assertHeld();
            return 'held';
          } catch (e) {
            return e;
          }
        })
        .toBeInstanceOf(MigrationError);

      await next.acquire(5_000);
      expect(() => next.assertHeld()).not.toThrow();
    } finally {
      await next.release();
      await lock.release();
    }
  });

  it("a runner waiting for the lock no longer stalls the holder's CREATE INDEX CONCURRENTLY", async () => {
    // Regression: the waiter sat in `SELECT pg_advisory_lock(…)`, the index build
    // waited for its snapshot until lock_timeout ("blocked by pid N … pg_advisory_lock").
    const url = await freshDatabase(target, 'cic_waiter');
    const dir = tempDir(INDEX_SET);
    let second: Promise<unknown> | undefined;
    const onEvent = (e: RunEvent) => {
      if (e.type === 'migration-start' && e.migration.version === 2) second = runEngine(pg, url, dir, { lockWaitMs: 30_000 });
    };

    const first = await runEngine(pg, url, dir, { lockTimeoutMs: 1500, lockRetries: 0, onEvent });
    await second;

    expect(first.applied.map((a) => a.version)).toEqual([1, 2, 3]);
    expect(first.events.filter((e) => e.type === 'retry')).toEqual([]);
    expect(await rows(url, "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 't1_v'::regclass")).toEqual([{ valid: true }]);
  });

  it('a waiting runner never sits in a lock wait and keeps no transaction open between tries', async () => {
    const url = await freshDatabase(target, 'poll');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    await withClient(url, async (holder) => {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
      const waiting = runEngine(pg, url, dir, { lockWaitMs: 30_000 });
      await sleep(200);

      const samples = await sampleActivity(url, 'schemaguard', 1200);

      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [advisoryLockKey('schemaguard')]);
      expect((await waiting).applied.map((a) => a.version)).toEqual([1]);
      expect(samples.length).toBeGreaterThan(10);
      expect(samples.filter((s) => s.wait_event_type === 'Lock')).toEqual([]);
      expect(samples.filter((s) => s.state !== 'active' && (s.in_transaction || s.xmin))).toEqual([]);
      // Mostly asleep between short tries.
      expect(samples.filter((s) => s.state === 'idle').length).toBeGreaterThan(samples.length * 0.8);
    });
  });

  it('refuses, without taking the lock, when its statements run in another server session than the connection started in', async () => {
    const url = await freshDatabase(target, 'moved');
    const driver = new PgDriver({ connectionString: url });
    const real = await driver.connect();
    // As through a pooler that forwards the server's key: the session the connection started in is not the one answering.
    const moved = Object.create(real, { pid: { value: real.pid! + 1 } }) as Session;
    const lock = new AdvisoryLock(driver, 'schemaguard', moved);

    const e = await rejection<PoolerError>(lock.acquire(1000));

    expect(e).toBeInstanceOf(PoolerError);
    expect(e.message).toContain(`it started on server pid ${real.pid! + 1}, and the next statement ran on pid ${real.pid}`);
    expect(
      await rows(
        url,
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      ),
    ).toEqual([{ n: 0 }]);
    await lock.release();
  });

  it('gives up once --lock-wait runs out, within one backoff step', async () => {
    const url = await freshDatabase(target, 'bounded');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    await withClient(url, async (holder) => {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
      const started = Date.now();
      const r = await runCli(['migrate', '--dir', dir, '--database-url', url, '--lock-wait', '2s']);
      const took = Date.now() - started;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('waited 2000 ms');
      expect(took).toBeGreaterThanOrEqual(2000);
      // Process start-up and the last poll, not another full wait.
      expect(took).toBeLessThan(2000 + 5000);
    });
  });

  it('the held-by report says how long the holder has been connected, not "in transaction"', async () => {
    // Regression: connection age (backend_start) was printed as "Ns in transaction".
    const url = await freshDatabase(target, 'held_by');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    await withClient(
      url,
      async (holder) => {
        await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
        await sleep(1100);

        const r = await runCli(['migrate', '--dir', dir, '--database-url', url, '--lock-wait', '200ms']);

        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/held by: pid \d+ user postgres app "schemaguard-test" \(idle, connected [1-9]\d*s ago\)/);
        expect(r.stderr).not.toContain('in transaction');
      },
      'schemaguard-test',
    );
  });

  it('the held-by report gives a holder inside a transaction its transaction age', async () => {
    const url = await freshDatabase(target, 'held_tx');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    await withClient(url, async (holder) => {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
      await sleep(1100);

      const r = await runCli(['migrate', '--dir', dir, '--database-url', url, '--lock-wait', '200ms']);

      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/held by: pid \d+ .*\(idle in transaction, [1-9]\d*s in transaction, connected [1-9]\d*s ago\)/);
      await holder.query('ROLLBACK');
    });
  });
});
