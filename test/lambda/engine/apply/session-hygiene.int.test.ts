/**
 * Each migration starts from a clean session, as psql gives each file its
 * own: what one file sets in its session (search_path, a role, a custom
 * setting, a temporary table, a prepared statement, LISTEN, an advisory lock)
 * never reaches the next file, nor the checks that run after it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, freshDatabase, rows, withClient } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

/** Schema and owner of a table, or undefined. */
async function whereIs(url: string, table: string): Promise<{ schema: string; owner: string }[]> {
  return rows(url, 'SELECT schemaname AS schema, tableowner AS owner FROM pg_tables WHERE tablename = $1 ORDER BY 1', [table]);
}

describe.each(driverCases())('Session hygiene: migrate on $name', ({ target, driver }) => {
  it('a SET search_path in one file does not reach the next: its CREATE TABLE lands in public, as with psql', async () => {
    const url = await freshDatabase(target, 'search_path');
    await withClient(url, (c) => c.query('CREATE SCHEMA app'));
    const dir = tempDir({
      '1_app_path.sql': 'SET search_path = app, public;\nCREATE TABLE app_settings (key text PRIMARY KEY);',
      '2_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);',
    });

    const r = await runEngine(driver, url, dir);

    expect(r.outcome).toBe('applied');
    expect(await whereIs(url, 'app_settings')).toEqual([{ schema: 'app', owner: 'postgres' }]);
    expect(await whereIs(url, 'users')).toEqual([{ schema: 'public', owner: 'postgres' }]);
  });

  it('a SET ROLE in one file does not reach the next (its tables belong to the connecting user), nor the state row', async () => {
    const url = await freshDatabase(target, 'set_role');
    const role = `sg_owner_${url.slice(-8)}`;
    await withClient(url, async (c) => {
      await c.query(`DROP ROLE IF EXISTS ${role}`);
      await c.query(`CREATE ROLE ${role}`);
      await c.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
    });
    const dir = tempDir({
      '1_as_owner.sql': `SET ROLE ${role};\nCREATE TABLE owned (id int);`,
      '2_after.sql': 'CREATE TABLE after_role (id int);',
    });

    try {
      const r = await runEngine(driver, url, dir);

      expect(r.applied.map((a) => a.version)).toEqual([1, 2]);
      expect(await whereIs(url, 'owned')).toEqual([{ schema: 'public', owner: role }]);
      expect(await whereIs(url, 'after_role')).toEqual([{ schema: 'public', owner: 'postgres' }]);
    } finally {
      await withClient(url, async (c) => {
        await c.query('DROP TABLE IF EXISTS owned');
        await c.query(`REVOKE CREATE ON SCHEMA public FROM ${role}`);
        await c.query(`DROP ROLE ${role}`);
      });
    }
  });

  it('a temporary table of one file is gone in the next: a table of the same name is the real one', async () => {
    const url = await freshDatabase(target, 'temp_table');
    const dir = tempDir({
      '1_scratch.sql': 'CREATE TEMP TABLE scratch (x int);\nINSERT INTO scratch VALUES (1);',
      '2_real.sql': 'CREATE TABLE scratch (id int);\nINSERT INTO scratch (id) VALUES (42);',
    });

    const r = await runEngine(driver, url, dir);

    expect(r.outcome).toBe('applied');
    expect(await rows(url, 'SELECT id FROM public.scratch')).toEqual([{ id: 42 }]);
  });

  it('a session setting, a prepared statement, LISTEN and an advisory lock of one file are not seen by the next file or its check', async () => {
    const url = await freshDatabase(target, 'session_state');
    const dir = tempDir({
      '1_session.sql': [
        "SELECT set_config('app.tenant', 'acme', false);",
        'PREPARE get_one AS SELECT 1;',
        'LISTEN schema_changes;',
        'SELECT pg_advisory_lock(4242);',
        'CREATE TABLE t1 (id int);',
      ].join('\n'),
      '2_next.sql': [
        'PREPARE get_one AS SELECT 2;',
        'CREATE TABLE t2 (id int);',
        '-- schemaguard:check nothing of the first file is left in the session',
        "SELECT 'tenant' AS what WHERE coalesce(current_setting('app.tenant', true), '') <> ''",
        "UNION ALL SELECT 'listen' FROM pg_listening_channels()",
        "UNION ALL SELECT 'advisory lock' FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objid = 4242;",
      ].join('\n'),
    });

    const r = await runEngine(driver, url, dir);

    expect(r.applied.map((a) => a.version)).toEqual([1, 2]);
    // Released with the session state: nobody holds the file's lock once the run is over.
    expect(await rows(url, "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242")).toEqual([]);
  });

  it("a file's own checks still see what its body set (they belong to the file, as in psql)", async () => {
    const url = await freshDatabase(target, 'own_check');
    await withClient(url, (c) => c.query('CREATE SCHEMA app'));
    const dir = tempDir({
      '1_app.sql': [
        'SET search_path = app, public;',
        'CREATE TABLE settings (key text);',
        "-- schemaguard:check settings is reached through the file's search_path",
        'SELECT key FROM settings WHERE key IS NULL;',
      ].join('\n'),
    });

    const r = await runEngine(driver, url, dir);

    expect(r.outcome).toBe('applied');
    expect(await whereIs(url, 'settings')).toEqual([{ schema: 'app', owner: 'postgres' }]);
  });

  it("a no-transaction file's SET does not reach the next file either", async () => {
    const url = await freshDatabase(target, 'notx_path');
    await withClient(url, (c) => c.query('CREATE SCHEMA app; CREATE TABLE app.events (id int)'));
    const dir = tempDir({
      '1_index.sql': '-- schemaguard:no-transaction\nSET search_path = app, public;\nCREATE INDEX CONCURRENTLY events_id ON app.events (id);',
      '2_users.sql': 'CREATE TABLE users (id int);',
    });

    const r = await runEngine(driver, url, dir);

    expect(r.applied.map((a) => a.version)).toEqual([1, 2]);
    expect(await whereIs(url, 'users')).toEqual([{ schema: 'public', owner: 'postgres' }]);
  });

  it("a retry after a lock timeout starts clean too: the file's PREPARE does not collide with its first attempt's", async () => {
    const url = await freshDatabase(target, 'retry_clean');
    await withClient(url, (c) => c.query('CREATE TABLE busy (id int)'));
    const dir = tempDir({ '1_alter.sql': 'PREPARE get_one AS SELECT 1;\nALTER TABLE busy ADD COLUMN note text;' });

    const result = await withClient(url, async (blocker) => {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
      return runEngine(driver, url, dir, {
        lockTimeoutMs: 200,
        lockRetries: 5,
        onEvent: (ev) => {
          if (ev.type === 'retry') void blocker.query('ROLLBACK');
        },
      });
    });

    expect(result.outcome).toBe('applied');
    expect(result.events.filter((ev) => ev.type === 'retry').length).toBeGreaterThanOrEqual(1);
  });
});
