import { afterAll, describe, expect, it } from 'vitest';
import { AdvisoryLock, advisoryLockKey } from '../../../../lambda/driver/pg/advisory-lock';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { LockWaitTimeoutError, MigrationError, type Blocker } from '../../../../lambda/engine/errors';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { rejection } from '../../../support/engine';

afterAll(dropDatabases);

/** Backends holding the session-level advisory lock for `key`. */
const holders = (url: string, key: string) => rows<{ pid: number }>(url, `
  SELECT pid FROM pg_locks
   WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`, [key]);

describe('Function: advisoryLockKey', () => {
  it('is a stable signed 64-bit key per state schema (runners of different versions must agree)', () => {
    expect(advisoryLockKey('schemaguard')).toBe(advisoryLockKey('schemaguard'));
    expect(advisoryLockKey('schemaguard')).not.toBe(advisoryLockKey('other_state'));
    const key = BigInt(advisoryLockKey('schemaguard'));
    expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
  });
});

describe.each(targets)('Class: AdvisoryLock on $name', (target) => {
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
      const e = await rejection<LockWaitTimeoutError>(second.acquire(0, (h) => { seen = h; }));

      expect(e).toBeInstanceOf(LockWaitTimeoutError);
      expect(e.message).toMatch(/^another migration runner holds the lock: pid \d+ \(first-runner\); waited 0 ms$/);
      expect(seen.map((h) => h.application)).toEqual(['first-runner']);
    } finally {
      await second.release();
      await first.release();
    }
  });

  it('waits in the server and gets the lock once the holder releases it', async () => {
    const url = await freshDatabase(target, 'advisory_wait');
    const first = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');
    const second = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');
    await first.acquire(0);
    try {
      const waiting = second.acquire(30_000);
      await new Promise((r) => setTimeout(r, 200));
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

  it('goes with its connection: a terminated holder loses it and the next runner takes it', async () => {
    const url = await freshDatabase(target, 'advisory_killed');
    const lock = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');
    const next = new AdvisoryLock(new PgDriver({ connectionString: url }), 'schemaguard');
    await lock.acquire(0);
    try {
      const [{ pid }] = await holders(url, lock.key) as [{ pid: number }];
      await rows(url, 'SELECT pg_terminate_backend($1)', [pid]);
      await expect.poll(() => { try { lock.assertHeld(); return 'held'; } catch (e) { return e; } }).toBeInstanceOf(MigrationError);

      await next.acquire(5_000);
      expect(() => next.assertHeld()).not.toThrow();
    } finally {
      await next.release();
      await lock.release();
    }
  });
});
