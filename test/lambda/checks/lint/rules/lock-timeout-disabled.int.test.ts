/**
 * lock-timeout-disabled's why for a no-transaction file of concurrent index
 * statements, on real PostgreSQL (18; 15 too in the full matrix): a CREATE
 * INDEX CONCURRENTLY waiting for an older transaction holds up no SELECT or
 * INSERT (it holds SHARE UPDATE EXCLUSIVE), but VACUUM and ALTER TABLE wait
 * behind it, and lock_timeout is what bounds its wait (with 0 it waits for as
 * long as the older transaction stays open).
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, freshDatabase, targets } from '../../../../support/db';

afterAll(dropDatabases);

async function client(url: string, name: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: name });
  await c.connect();
  return c;
}

/** The SQLSTATE of `sql` under a 1 s lock_timeout, or 'ok'. */
async function underTimeout(c: pg.Client, sql: string): Promise<string> {
  await c.query("SET lock_timeout = '1s'");
  try {
    await c.query(sql);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** Waits until the session named `name` waits for a lock; returns what it waits on. */
async function waitingOn(c: pg.Client, name: string): Promise<{ event: string; held: string[] }> {
  for (let i = 0; i < 200; i++) {
    const r = await c.query("SELECT wait_event, pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [name]);
    if (r.rows.length) {
      const held = await c.query("SELECT mode FROM pg_locks WHERE pid = $1 AND granted AND locktype = 'relation' AND relation = 't'::regclass", [
        r.rows[0].pid,
      ]);
      return { event: r.rows[0].wait_event, held: held.rows.map((h) => h.mode) };
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`${name} never waited for a lock`);
}

describe.each(targets)('Rule: lock-timeout-disabled, a concurrent build on $name', (target) => {
  it('a build waiting for an older transaction with lock_timeout 0 lets SELECT and INSERT through, stops VACUUM and ALTER TABLE, and waits until that transaction ends', async () => {
    const url = await freshDatabase(target, 'cic_wait');
    const [old, build, app] = [await client(url, 'old'), await client(url, 'build'), await client(url, 'app')];
    try {
      await app.query('CREATE TABLE t (id int, v int); INSERT INTO t SELECT g, g FROM generate_series(1, 100) g');
      await old.query('BEGIN');
      await old.query('INSERT INTO t VALUES (0, 0)');
      await build.query('SET lock_timeout = 0');
      const building = build.query('CREATE INDEX CONCURRENTLY t_v ON t (v)').then(
        () => 'built',
        (e) => `failed ${e.code}`,
      );

      expect(await waitingOn(app, 'build')).toEqual({ event: 'virtualxid', held: ['ShareUpdateExclusiveLock'] });
      expect(await underTimeout(app, 'SELECT count(*) FROM t')).toBe('ok');
      expect(await underTimeout(app, 'INSERT INTO t VALUES (101, 101)')).toBe('ok');
      expect(await underTimeout(app, 'VACUUM t')).toBe('55P03');
      expect(await underTimeout(app, 'ALTER TABLE t ADD COLUMN w int')).toBe('55P03');
      await new Promise((res) => setTimeout(res, 1500));
      expect(await waitingOn(app, 'build')).toMatchObject({ event: 'virtualxid' });

      await old.query('COMMIT');
      expect(await building).toBe('built');
    } finally {
      for (const c of [old, build, app]) await c.end();
    }
  });

  it('lock_timeout bounds the same wait: the build fails with 55P03 and leaves an INVALID index', async () => {
    const url = await freshDatabase(target, 'cic_timeout');
    const [old, build] = [await client(url, 'old'), await client(url, 'build')];
    try {
      await build.query('CREATE TABLE t (id int, v int)');
      await old.query('BEGIN');
      await old.query('INSERT INTO t VALUES (0, 0)');

      expect(await underTimeout(build, 'CREATE INDEX CONCURRENTLY t_v ON t (v)')).toBe('55P03');
      expect((await build.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass")).rows).toEqual([{ indisvalid: false }]);
    } finally {
      await old.query('ROLLBACK');
      for (const c of [old, build]) await c.end();
    }
  });
});
