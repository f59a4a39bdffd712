/**
 * Connections kept between a fleet's tenants (`PgSessionPool`): the next
 * tenant's driver gets the same server session, carrying nothing of the
 * tenant before — as a new connection would be — and a connection left in a
 * transaction, or lost, is never handed out again.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { PgSessionPool } from '../../../../lambda/driver/pg/session-pool';
import type { Session } from '../../../../lambda/engine/ports';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';

afterAll(dropDatabases);

async function until<T>(what: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await what();
  for (let k = 0; k < 100 && !done(v); k++) {
    await new Promise((r) => setTimeout(r, 50));
    v = await what();
  }
  return v;
}

/** What a session carries that a file could have changed: settings, role, locks, statements, cursors, temporary tables, LISTEN. */
const CARRIED = `SELECT current_setting('search_path') AS search_path, current_setting('work_mem') AS work_mem,
  current_setting('lock_timeout') AS lock_timeout, coalesce(current_setting('app.tenant', true), '') AS app_tenant,
  current_user::text AS current_user, session_user::text AS session_user,
  (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS advisory_locks,
  (SELECT count(*)::int FROM pg_prepared_statements) AS prepared, (SELECT count(*)::int FROM pg_cursors) AS cursors,
  (SELECT count(*)::int FROM pg_listening_channels()) AS listening,
  (SELECT count(*)::int FROM pg_class WHERE relpersistence = 't') AS temp_tables,
  current_setting('client_connection_check_interval', true) AS check_interval`;

/** Everything a tenant's files could leave behind in their session. */
async function dirty(s: Session): Promise<void> {
  await s.query(`SET work_mem = '77MB'; SET lock_timeout = '9s'; SELECT set_config('app.tenant', 'tenant_a', false);
    SELECT pg_advisory_lock(4242); PREPARE left_behind AS SELECT 1; LISTEN tenant_a_events;
    CREATE TEMP TABLE tenant_a_scratch (x int); SET ROLE pool_role`);
  await s.query('BEGIN; DECLARE c CURSOR WITH HOLD FOR SELECT 1; COMMIT');
}

describe.each(targets)('Class: PgSessionPool on $name', (target) => {
  it("hands a closed session's connection to the next tenant's driver carrying nothing of the tenant before: its search_path is the new tenant's", async () => {
    const url = await freshDatabase(target, 'pool');
    await withClient(url, (c) =>
      c.query(`CREATE SCHEMA tenant_a; CREATE SCHEMA "tenant b"; DO $$ BEGIN CREATE ROLE pool_role; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
        GRANT pool_role TO CURRENT_USER`),
    );
    const app = `pool_${randomBytes(3).toString('hex')}`;
    const fresh = new PgDriver({ connectionString: url, applicationName: app, searchPath: 'tenant b' });
    const expected = await (async () => {
      const s = await fresh.connect();
      try {
        return (await s.query(CARRIED)).rows[0];
      } finally {
        await s.close();
      }
    })();
    const sessions = new PgSessionPool();
    try {
      const a = await new PgDriver({ connectionString: url, applicationName: app, searchPath: 'tenant_a', sessions }).connect();
      const pidA = a.pid;
      await dirty(a);
      await a.close();

      const b = await new PgDriver({ connectionString: url, applicationName: app, searchPath: 'tenant b', sessions }).connect();
      try {
        expect(b.pid).toBe(pidA);
        expect(sessions.reused).toBe(1);
        expect((await b.query(CARRIED)).rows[0]).toEqual(expected);
        expect(expected).toMatchObject({ search_path: '"tenant b"', advisory_locks: 0, temp_tables: 0, app_tenant: '' });
      } finally {
        await b.close();
      }
    } finally {
      await sessions.end();
    }
    // Ended: nothing of the pool's is left on the server (a backend ends once it reads the goodbye).
    expect(
      await until(
        () => rows(url, 'SELECT pid FROM pg_stat_activity WHERE application_name = $1', [app]),
        (r) => r.length === 0,
      ),
    ).toEqual([]);
  });

  it('never hands out a connection closed inside a transaction, or one whose backend was terminated: the next driver opens its own', async () => {
    const url = await freshDatabase(target, 'pool_tx');
    const app = `pool_${randomBytes(3).toString('hex')}`;
    const sessions = new PgSessionPool();
    const driver = () => new PgDriver({ connectionString: url, applicationName: app, searchPath: 'public', sessions });
    try {
      const inTx = await driver().connect();
      await inTx.query('BEGIN; CREATE TABLE half_done (x int)');
      await inTx.close();
      const next = await driver().connect();
      expect(next.pid).not.toBe(inTx.pid);
      expect(sessions.reused).toBe(0);
      // The transaction never committed: its connection was closed, not reset and kept.
      expect(await rows(url, "SELECT to_regclass('public.half_done') AS t")).toEqual([{ t: null }]);
      const pidKept = next.pid;
      await next.close();

      await withClient(url, (c) => c.query('SELECT pg_terminate_backend($1)', [pidKept]));
      await new Promise((r) => setTimeout(r, 200));
      const after = await driver().connect();
      try {
        expect(after.pid).not.toBe(pidKept);
        expect((await after.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await after.close();
      }
    } finally {
      await sessions.end();
    }
  });
});
