/**
 * Through a real PgBouncer with pool_mode=transaction: the pg driver
 * recognises the pooler, takes the lease instead of a session lock, keeps no
 * session state, and refuses what needs a session (no-transaction files)
 * before anything runs.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { detectDrift, takeSnapshot } from '../../../../lambda/checks/drift/drift';
import { baseline } from '../../../../lambda/engine/state/baseline';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { ChecksumMismatchError, LockTimeoutError, PoolerError } from '../../../../lambda/engine/errors/errors';
import { migrate, type RunEvent } from '../../../../lambda/engine/runner';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { runCli } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { rejection } from '../../../support/engine';
import { addFile, tempDir } from '../../../support/files';
import { startPgbouncer, type RunningPgbouncer } from '../../../support/pgbouncer';

afterAll(dropDatabases);

const FILES = Object.fromEntries(
  Array.from({ length: 5 }, (_, k) => [
    `${k + 1}_step${k + 1}.sql`,
    // Each migration counts its own executions: exactly once means one row per version.
    `CREATE TABLE IF NOT EXISTS runs (version int, at timestamptz DEFAULT clock_timestamp());\nINSERT INTO runs (version) VALUES (${k + 1});\nSELECT pg_sleep(0.05);`,
  ]),
);

/** A table, then a no-transaction file that indexes it: a pooler in transaction mode cannot run the second. */
const NO_TRANSACTION_FILES = {
  '1_table.sql': 'CREATE TABLE t1 (id int, v int);',
  '2_index.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY t1_v ON t1 (v);',
};

/** What the server shows of schemaguard's locks and leases after the runs (read directly, not through the pooler). */
async function leftovers(url: string): Promise<{ advisory: number; leases: number }> {
  const [l] = await rows<{ n: number }>(
    url,
    "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
  );
  const [t] = await rows<{ t: string | null }>(url, "SELECT to_regclass('schemaguard.runner_lease')::text AS t");
  const leases = t!.t ? (await rows<{ n: number }>(url, 'SELECT count(*)::int AS n FROM schemaguard.runner_lease'))[0]!.n : 0;
  return { advisory: l!.n, leases };
}

async function exactlyOnce(url: string): Promise<void> {
  expect(await rows(url, 'SELECT version, count(*)::int AS n FROM runs GROUP BY version ORDER BY version')).toEqual(
    [1, 2, 3, 4, 5].map((v) => ({ version: v, n: 1 })),
  );
  expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 5 }]);
  expect(await leftovers(url)).toEqual({ advisory: 0, leases: 0 });
}

describe.each(targets)('PgBouncer pool_mode=transaction in front of $name', (target) => {
  let bouncer: RunningPgbouncer;
  let single: RunningPgbouncer;

  beforeAll(async () => {
    const problem = inject('pgbouncer').problem;
    if (problem) throw new Error(problem);
    [bouncer, single] = await Promise.all([
      startPgbouncer(target, { poolMode: 'transaction', poolSize: 2 }),
      startPgbouncer(target, { poolMode: 'transaction', poolSize: 1 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([bouncer?.stop(), single?.stop()]);
  });

  describe('Class: PgDriver', () => {
    it('recognises the pooler when it connects, and a direct connection as one session', async () => {
      const url = await freshDatabase(target, 'pool_detect');
      const pooled = new PgDriver({ connectionString: bouncer.url(url) });
      const direct = new PgDriver({ connectionString: url });
      const [a, b] = [await pooled.connect(), await direct.connect()];
      try {
        expect(pooled.pooler).toMatchObject({ target: pooled.target });
        expect(pooled.pooler!.announcedPid).not.toBe(pooled.pooler!.serverPid);
        expect(a.pid).toBeUndefined();
        expect(direct.pooler).toBeUndefined();
        expect(b.pid).toEqual(expect.any(Number));
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe('Function: migrate through the pooler', () => {
    it('a migration longer than the lease through a pool of one server connection commits: its renewals wait for that COMMIT, and nobody took the lease over', async () => {
      const url = await freshDatabase(target, 'pool_one_long');
      const migrations = loadMigrations(
        tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_slow.sql': 'SELECT pg_sleep(2.5);', '3_b.sql': 'CREATE TABLE b (id int);' }),
      );
      const driver = new PgDriver({ connectionString: single.url(url), lease: { ttlMs: 1000, pollMs: 50 } });
      const r = await migrate({ driver, migrations, appliedBy: 'pooled' });
      expect(r.applied.map((a) => a.version)).toEqual([1, 2, 3]);
      expect(await leftovers(url)).toEqual({ advisory: 0, leases: 0 });
    });

    it('baseline through a pool of one server connection records its rows: its commit is fenced, not preceded by a renewal that would wait for it', async () => {
      const url = await freshDatabase(target, 'pool_one_baseline');
      const migrations = loadMigrations(tempDir(FILES));
      const driver = new PgDriver({ connectionString: single.url(url), lease: { ttlMs: 1000, pollMs: 50 } });
      try {
        const r = await baseline({ driver, migrations, version: 3, actor: 'pooled', reason: 'adopted' });
        expect(r.recorded.map((m) => m.version)).toEqual([1, 2, 3]);
      } finally {
        await driver.end();
      }
      expect(await rows(url, 'SELECT version, kind FROM schemaguard.applied_migrations ORDER BY version')).toEqual(
        [1, 2, 3].map((v) => ({ version: String(v), kind: 'baseline' })),
      );
      expect(await leftovers(url)).toEqual({ advisory: 0, leases: 0 });
    });

    it('eight CLI processes through a pool of two apply each migration exactly once and leave no lock or lease behind', async () => {
      // Regression: two runners applied the same migration (duplicate key on applied_migrations_pkey),
      // pg_advisory_unlock hit 40P01, and the session lock stayed on a pooled server connection.
      const url = await freshDatabase(target, 'pool_cli');
      const dir = tempDir(FILES);

      const runs = await Promise.all(
        Array.from({ length: 8 }, () => runCli(['migrate', '--dir', dir, '--database-url', bouncer.url(url)], { timeoutMs: 120_000 })),
      );

      expect(runs.map((r) => `${r.code} ${r.code ? r.stderr : ''}`)).toEqual(Array(8).fill('0 '));
      expect(runs.filter((r) => r.stdout.startsWith('applied 5 migrations')).length).toBe(1);
      await exactlyOnce(url);
    });

    it('eight in-process runners through a pool of two apply each migration exactly once', async () => {
      const url = await freshDatabase(target, 'pool_engine');
      const migrations = loadMigrations(tempDir(FILES));
      const results = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const driver = new PgDriver({ connectionString: bouncer.url(url) });
          return migrate({ driver, migrations, appliedBy: 'pooled', lockWaitMs: 60_000, retryDelayMs: 50 });
        }),
      );
      expect(results.flatMap((r) => r.applied.map((a) => a.version)).sort()).toEqual([1, 2, 3, 4, 5]);
      await exactlyOnce(url);
    });

    it('refuses a pending no-transaction file before anything runs, naming the pooler and the fix', async () => {
      const url = await freshDatabase(target, 'pool_notx');
      const dir = tempDir(NO_TRANSACTION_FILES);

      const before = await catalogFingerprint(url);

      const r = await runCli(['migrate', '--dir', dir, '--database-url', bouncer.url(url)]);

      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error: 2_index.sql is a no-transaction file, and postgres://postgres:****@127.0.0.1:${bouncer.port}/`);
      expect(r.stderr).toContain('goes through a connection pooler such as PgBouncer');
      expect(r.stderr).toContain('nothing was run');
      expect(r.stderr).toContain('fix: point --database-url (DATABASE_URL) at the database server itself for migrations');
      expect(await rows(url, "SELECT to_regclass('public.t1')::text AS t, to_regclass('schemaguard.applied_migrations')::text AS s")).toEqual([
        { t: null, s: null },
      ]);
      expect(await leftovers(url)).toEqual({ advisory: 0, leases: 0 });
      // Regression: the lease's schema and table, created before the files were checked, stayed behind.
      expect(await catalogFingerprint(url)).toBe(before);

      // The same files through a direct URL: applied.
      const direct = await runCli(['migrate', '--dir', dir, '--database-url', url]);
      expect(direct.code).toBe(0);
      expect(await rows(url, "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 't1_v'::regclass")).toEqual([{ valid: true }]);
    });

    // Regression: plan through the pooler showed the file pending and said nothing of the refusal migrate then made.
    it('plan through the pooler says migrate will refuse a pending no-transaction file, with the fix; through a direct URL it does not', async () => {
      const url = await freshDatabase(target, 'pool_plan_notx');
      const dir = tempDir(NO_TRANSACTION_FILES);
      const before = await catalogFingerprint(url);

      const text = await runCli(['plan', '--dir', dir, '--database-url', bouncer.url(url)]);
      const json = await runCli(['plan', '--dir', dir, '--database-url', bouncer.url(url), '--json']);
      const direct = await runCli(['plan', '--dir', dir, '--database-url', url, '--json']);

      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(
        `warning: migrate through this URL will refuse to run: 2_index.sql is a no-transaction file, and postgres://postgres:****@127.0.0.1:${bouncer.port}/`,
      );
      expect(text.stdout).toContain('  fix: point --database-url (DATABASE_URL) at the database server itself for migrations');
      expect(text.stdout).not.toContain('nothing was run');
      expect(json.code, json.stderr).toBe(0);
      expect((JSON.parse(json.stdout) as { refusal: { message: string; fix: string } }).refusal).toMatchObject({
        message: expect.stringContaining('2_index.sql is a no-transaction file'),
        fix: expect.stringContaining('at the database server itself'),
      });
      expect((JSON.parse(direct.stdout) as { refusal: unknown }).refusal).toBeNull();
      expect(await catalogFingerprint(url)).toBe(before);
    });

    // Regression: plan kept one refusal of several, and the first it checked (the pooler), where migrate meets another tool's history first.
    it("plan names every refusal migrate would meet, in the order migrate meets them: another tool's history, the no-transaction file, the backslash", async () => {
      const url = await freshDatabase(target, 'pool_plan_all');
      await withClient(url, (c) =>
        c.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET standard_conforming_strings = off;
        CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (3, false)`),
      );
      const dir = tempDir({ ...NO_TRANSACTION_FILES, '3_ins.sql': "INSERT INTO t1 (id) SELECT length('C:\\dir');\n" });
      const before = await catalogFingerprint(url);

      const text = await runCli(['plan', '--dir', dir, '--database-url', bouncer.url(url)]);
      const json = await runCli(['plan', '--dir', dir, '--database-url', bouncer.url(url), '--json']);
      const github = await runCli(['plan', '--dir', dir, '--database-url', bouncer.url(url), '--format', 'github']);
      const migrate = await runCli(['migrate', '--dir', dir, '--database-url', bouncer.url(url)]);

      const starts = [
        "public.schema_migrations (golang-migrate's history) records migrations up to version 3",
        '2_index.sql is a no-transaction file',
        '3_ins.sql:1: a string with a backslash',
      ];
      for (const r of [text, json, github]) expect(r.code, r.stderr).toBe(0);
      const warnings = text.stdout.split('\n').filter((l) => l.startsWith('warning: migrate through this URL will refuse to run: '));
      expect(warnings.map((l) => starts.findIndex((s) => l.includes(`refuse to run: ${s}`)))).toEqual([0, 1, 2]);
      expect(text.stdout.split('\n').filter((l) => l.startsWith('  fix: '))).toHaveLength(3);
      const report = JSON.parse(json.stdout) as { refusal: unknown; refusals: { message: string; fix: string; file?: string; line?: number }[] };
      expect(report.refusals.map((r) => starts.findIndex((s) => r.message.startsWith(s)))).toEqual([0, 1, 2]);
      expect(report.refusals.map((r) => [r.file, r.line, r.fix.length > 0])).toEqual([
        [undefined, undefined, true],
        ['2_index.sql', undefined, true],
        ['3_ins.sql', 1, true],
      ]);
      // The single field of before: the first, the one migrate stops at.
      expect(report.refusal).toEqual(report.refusals[0]);
      const annotations = github.stdout
        .split('\n')
        .filter((l) => /^::error (file=[^,]+,line=1,)?title=schemaguard plan::migrate through this URL will refuse to run: /.test(l));
      expect(annotations.map((l) => starts.findIndex((s) => l.includes(`refuse to run: ${s}`)))).toEqual([0, 1, 2]);
      expect(migrate.code).toBe(1);
      expect(migrate.stderr).toContain(`error: ${report.refusals[0]!.message}; nothing was run`);
      expect(await catalogFingerprint(url)).toBe(before);
    });

    it('refuses a bad pending file with exit 2 and leaves the database exactly as it was: no lease table, no state schema', async () => {
      // Regression: the lease's CREATE SCHEMA/TABLE committed before the files were parsed, and stayed behind.
      const url = await freshDatabase(target, 'pool_bad_file');
      const dir = tempDir({ '1_b.sql': 'CREATE TABLE b (id int);\nCOMMIT;\n' });
      const before = await catalogFingerprint(url);

      const r = await runCli(['migrate', '--dir', dir, '--database-url', bouncer.url(url)]);

      expect(r.code).toBe(2);
      expect(r.stderr).toContain('error: 1_b.sql:2: COMMIT inside a transactional migration');
      expect(await rows(url, "SELECT to_regnamespace('schemaguard')::text AS s")).toEqual([{ s: null }]);
      expect(await catalogFingerprint(url)).toBe(before);
    });

    it('a refusal through the pooler on a database migrated directly (a changed file, a bad pending one) leaves no lease table', async () => {
      const url = await freshDatabase(target, 'pool_refused');
      const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
      expect((await runCli(['migrate', '--dir', dir, '--database-url', url])).code).toBe(0);
      const before = await catalogFingerprint(url);

      addFile(dir, '2_bad.sql', "SELECT 'open;\n");
      const bad = await runCli(['migrate', '--dir', dir, '--database-url', bouncer.url(url)]);
      addFile(dir, '2_bad.sql', 'SELECT 1;\n');
      addFile(dir, '1_a.sql', 'CREATE TABLE a (id bigint);');
      const changed = await runCli(['migrate', '--dir', dir, '--database-url', bouncer.url(url)]);

      expect([bad.code, changed.code]).toEqual([2, 1]);
      expect(changed.stderr).toContain('error: 1_a.sql was changed after it was applied');
      expect(await rows(url, "SELECT to_regclass('schemaguard.runner_lease')::text AS t")).toEqual([{ t: null }]);
      expect(await catalogFingerprint(url)).toBe(before);
    });

    it('regression: a run with nothing to do through the pooler, on a database migrated directly, writes nothing (the lease table was created and dropped each run)', async () => {
      // Prepare: migrated directly (advisory lock: no lease table); every CREATE from here on is logged.
      const url = await freshDatabase(target, 'pool_noop');
      const migrations = loadMigrations(tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' }));
      await migrate({ driver: new PgDriver({ connectionString: url }), migrations, appliedBy: 'direct' });
      await withClient(url, (c) =>
        c.query(`
        CREATE TABLE ddl_log (tag text, object text);
        CREATE FUNCTION log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO ddl_log SELECT command_tag, object_identity FROM pg_event_trigger_ddl_commands(); END $$;
        CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION log_ddl();`),
      );
      const before = await catalogFingerprint(url);
      // Act: twice, as each deploy would
      const events: RunEvent['type'][] = [];
      const runs = [];
      for (let i = 0; i < 2; i++) {
        runs.push(
          await migrate({ driver: new PgDriver({ connectionString: bouncer.url(url) }), migrations, appliedBy: 'pooled', onEvent: (e) => events.push(e.type) }),
        );
      }
      // Assess
      expect(runs.map((r) => [r.outcome, r.appliedCount, r.currentVersion])).toEqual([
        ['up-to-date', 1, 1],
        ['up-to-date', 1, 1],
      ]);
      expect(await rows(url, 'SELECT tag, object FROM ddl_log')).toEqual([]);
      // Nothing to apply was seen before the lock: it was not taken.
      expect(events).toEqual(['plan', 'plan']);
      expect(await catalogFingerprint(url)).toBe(before);
      expect(await leftovers(url)).toEqual({ advisory: 0, leases: 0 });

      // A file to apply: the lease is taken (its table made and, the run having committed, kept), and the file applied once.
      const more = loadMigrations(tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);' }));
      const r = await migrate({ driver: new PgDriver({ connectionString: bouncer.url(url) }), migrations: more, appliedBy: 'pooled' });
      expect(r.applied.map((a) => a.version)).toEqual([2]);
      expect(await rows(url, "SELECT object FROM ddl_log WHERE tag = 'CREATE TABLE' ORDER BY object")).toEqual([
        { object: 'public.b' },
        { object: 'schemaguard.runner_lease' },
      ]);
      expect(await leftovers(url)).toEqual({ advisory: 0, leases: 0 });

      // An applied file changed: the read before the lock does not answer for it; the run under the lease refuses, as ever.
      const changed = loadMigrations(tempDir({ '1_a.sql': 'CREATE TABLE a (id bigint);', '2_b.sql': 'CREATE TABLE b (id int);' }));
      const e = await rejection(migrate({ driver: new PgDriver({ connectionString: bouncer.url(url) }), migrations: changed, appliedBy: 'pooled' }));
      expect(e).toBeInstanceOf(ChecksumMismatchError);
      expect(await leftovers(url)).toEqual({ advisory: 0, leases: 0 });
    });

    it('applies a no-transaction file with no statement (a placeholder): it has nothing that needs a session', async () => {
      const url = await freshDatabase(target, 'pool_notx_empty');
      const dir = tempDir({
        '1_table.sql': 'CREATE TABLE t1 (id int);',
        '2_placeholder.sql': '-- schemaguard:no-transaction\n-- the index is built by hand on this database\n',
      });

      const r = await runCli(['migrate', '--dir', dir, '--database-url', bouncer.url(url)]);

      expect(r.code, r.stderr).toBe(0);
      expect(await rows(url, 'SELECT version::int AS v FROM schemaguard.applied_migrations ORDER BY 1')).toEqual([{ v: 1 }, { v: 2 }]);
    });

    it('leaves no session setting behind on the pooled server connection', async () => {
      // Regression: `SET client_connection_check_interval` on connect stayed with the pooled server connection.
      const url = await freshDatabase(target, 'pool_settings');
      const r = await runCli(['migrate', '--dir', tempDir(FILES), '--database-url', single.url(url), '--lock-timeout', '3s']);
      expect(r.code).toBe(0);

      // Pool size 1: every client of this database shares the one server connection the runner used.
      await withClient(single.url(url), async (c) => {
        const s = await c.query<{ check: string; lock: string; statement: string }>(
          `SELECT current_setting('client_connection_check_interval') AS check, current_setting('lock_timeout') AS lock,
                  current_setting('statement_timeout') AS statement`,
        );
        expect(s.rows).toEqual([{ check: '0', lock: '0', statement: '0' }]);
      });
    });

    it("what a file sets in its session reaches neither the next file nor the pool's next client, and the fence runs after a SET ROLE", async () => {
      const url = await freshDatabase(target, 'pool_hygiene');
      const role = `sg_pool_owner_${url.slice(-8)}`;
      await withClient(url, async (c) => {
        await c.query('CREATE SCHEMA app');
        await c.query(`DROP ROLE IF EXISTS ${role}`);
        await c.query(`CREATE ROLE ${role}`);
      });
      const dir = tempDir({
        '1_app.sql': `SET search_path = app, public;\nSET ROLE ${role};\nSELECT set_config('app.tenant', 'acme', false);`,
        '2_users.sql': 'CREATE TABLE users (id int);',
      });

      try {
        // Pool size 1: both files, the fence and the next client share the one server connection.
        const r = await migrate({ driver: new PgDriver({ connectionString: single.url(url) }), migrations: loadMigrations(dir), appliedBy: 't' });

        expect(r.applied.map((a) => a.version)).toEqual([1, 2]);
        expect(await rows(url, "SELECT schemaname AS schema, tableowner AS owner FROM pg_tables WHERE tablename = 'users'")).toEqual([
          { schema: 'public', owner: 'postgres' },
        ]);
        await withClient(single.url(url), async (c) => {
          const s = await c.query(
            "SELECT current_setting('search_path') AS path, current_user AS who, coalesce(current_setting('app.tenant', true), '') AS tenant",
          );
          expect(s.rows).toEqual([{ path: '"$user", public', who: 'postgres', tenant: '' }]);
        });
      } finally {
        await withClient(url, (c) => c.query(`DROP ROLE ${role}`));
      }
    });

    it('keeps lock_timeout and names the blocking session, reading the pid inside each transaction', async () => {
      const url = await freshDatabase(target, 'pool_blocked');
      const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'ALTER TABLE a ADD COLUMN b int;' });
      await migrate({ driver: new PgDriver({ connectionString: url }), migrations: loadMigrations(dir).slice(0, 1), appliedBy: 't' });
      await withClient(url, async (holder) => {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE a IN ACCESS SHARE MODE');
        const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

        const e = await rejection<LockTimeoutError>(
          migrate({
            driver: new PgDriver({ connectionString: bouncer.url(url) }),
            migrations: loadMigrations(dir),
            appliedBy: 't',
            lockTimeoutMs: 400,
            lockRetries: 1,
            retryDelayMs: 50,
          }),
        );

        expect(e).toBeInstanceOf(LockTimeoutError);
        expect(e.blockers.map((b) => b.pid)).toEqual([pid]);
        await holder.query('ROLLBACK');
      });
      expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 1 }]);
    });

    it("passes a migration's RAISE NOTICE on to the runner", async () => {
      const url = await freshDatabase(target, 'pool_notice');
      const events: RunEvent[] = [];
      await migrate({
        driver: new PgDriver({ connectionString: bouncer.url(url) }),
        appliedBy: 't',
        onEvent: (e) => events.push(e),
        migrations: loadMigrations(tempDir({ '1_n.sql': "DO $$ BEGIN RAISE NOTICE 'deactivated 3 duplicates'; END $$;" })),
      });
      expect(events).toContainEqual({ type: 'note', message: '1_n.sql: deactivated 3 duplicates' });
    });

    it('the drift check through the pooler keeps its search_path to itself', async () => {
      // Regression: readCatalog's session-level search_path = pg_catalog reached other clients of the pool.
      const url = await freshDatabase(target, 'pool_drift');
      const migrations = loadMigrations(tempDir(FILES));
      await migrate({ driver: new PgDriver({ connectionString: url }), migrations, appliedBy: 't' });
      const snapshot = await withClient(url, (c) => takeSnapshot(c, migrations));
      const seen = new Set<string>();
      let done = false;
      const watching = withClient(single.url(url), async (c) => {
        while (!done) seen.add((await c.query<{ p: string }>("SELECT current_setting('search_path') AS p")).rows[0]!.p);
      });

      for (let k = 0; k < 5; k++) {
        const driver = new PgDriver({ connectionString: single.url(url) });
        const session = await driver.connect();
        try {
          expect((await detectDrift({ session, snapshot })).differences).toEqual([]);
        } finally {
          await session.close();
        }
      }
      done = true;
      await watching;

      expect([...seen]).toEqual(['"$user", public']);
    });

    it('a lease lost through the pooler stops the runner before COMMIT', async () => {
      const url = await freshDatabase(target, 'pool_fence');
      const dir = tempDir({ '1_log.sql': 'CREATE TABLE log (v int);', '2_slow.sql': 'INSERT INTO log VALUES (2);\nSELECT pg_sleep(1);' });
      const e = await rejection<Error>(
        migrate({
          driver: new PgDriver({ connectionString: bouncer.url(url), lease: { ttlMs: 3000 } }),
          migrations: loadMigrations(dir),
          appliedBy: 't',
          onEvent: (ev) => {
            if (ev.type === 'migration-start' && ev.migration.version === 2) {
              void rows(url, "UPDATE schemaguard.runner_lease SET holder = 'someone-else'");
            }
          },
        }),
      );
      expect(e.message).toContain('lost the migration lease before COMMIT');
      expect(await rows(url, 'SELECT count(*)::int AS n FROM log')).toEqual([{ n: 0 }]);
    });
  });
});

describe('Class: PoolerError', () => {
  it('exits 2: the fix is the URL, not the migration', () => {
    expect(new PoolerError('x').exitCode).toBe(2);
  });
});
