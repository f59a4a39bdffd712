/**
 * Fault matrix: errors the database raises under a run — statement timeout,
 * lock timeout with a blocker, resource exhaustion (disk full, out of memory,
 * simulated with the real SQLSTATE) — and many runners at once with `plan`
 * and `status` reading alongside. Through the CLI's `main` (in process):
 * exit codes and messages are part of the contract.
 */
import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../support/db';
import { driverKinds } from '../support/drivers';
import { runEngine } from '../support/engine';
import { addFile, tempDir } from '../support/files';
import { expectConsistent, leaks, steps, Transcript, cliInProcess } from './support';

afterAll(dropDatabases);

const transcript = new Transcript();
const record = <R extends { stdout: string; stderr: string }>(r: R): R => {
  transcript.add(r.stdout, r.stderr);
  return r;
};

/** Raises `sqlstate` while the flag table exists: "the disk is full" until the test frees it. */
const failWhileFlagged = (sqlstate: string, message: string) => `DO $$ BEGIN
  IF to_regclass('public.resource_exhausted') IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = '${sqlstate}', MESSAGE = '${message}';
  END IF;
END $$;`;

describe.each(targets)('Faults: the database says no, on $name', (target) => {
  it("a read-only database (default_transaction_read_only): exit 1 saying so, where it is set and the fix, without the DO block's context lines", async () => {
    const url = await freshDatabase(target, 'read_only');
    const db = new URL(url).pathname.slice(1);
    await rows(url, `ALTER DATABASE "${db}" SET default_transaction_read_only = on`);
    const dir = tempDir(steps(1));

    const r = record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url]));

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: the database is read-only (cannot execute CREATE SCHEMA in a read-only transaction): default_transaction_read_only is on (set for the database); nothing was applied',
    );
    expect(r.stderr).toContain('sqlstate: 25006');
    expect(r.stderr).toContain(
      `fix: if the database is read-only on purpose (a migration freeze), lift it first: ALTER DATABASE "${db}" RESET default_transaction_read_only`,
    );
    expect(r.stderr).not.toContain('where:');
    // The test's own session is read-only too now: it turns that off for itself first.
    await withClient(url, async (c) => {
      await c.query('SET default_transaction_read_only = off');
      await c.query(`ALTER DATABASE "${db}" RESET default_transaction_read_only`);
    });
    expect(record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url])).code).toBe(0);
  });

  it('read-only for this role in this database, its files already partly applied: the file that failed is named, with the fix for the role', async () => {
    const url = await freshDatabase(target, 'read_only_role');
    const db = new URL(url).pathname.slice(1);
    expect(record(await cliInProcess(['migrate', '--dir', tempDir(steps(1)), '--database-url', url])).code).toBe(0);
    const role = (await rows<{ r: string }>(url, 'SELECT current_user AS r'))[0]!.r;
    await rows(url, `ALTER ROLE "${role}" IN DATABASE "${db}" SET default_transaction_read_only = on`);
    try {
      const r = record(await cliInProcess(['migrate', '--dir', tempDir(steps(2)), '--database-url', url]));

      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'error: 2_step2.sql:1: the database is read-only (cannot execute CREATE TABLE in a read-only transaction): default_transaction_read_only is on (set for the database and role); 2_step2.sql was not applied',
      );
      expect(r.stderr).toContain(`fix: have a superuser run ALTER ROLE "${role}" IN DATABASE "${db}" RESET default_transaction_read_only`);
    } finally {
      await withClient(url, async (c) => {
        await c.query('SET default_transaction_read_only = off');
        await c.query(`ALTER ROLE "${role}" IN DATABASE "${db}" RESET default_transaction_read_only`);
      });
    }
  });

  it('statement timeout: exit 1 naming the file, line and SQLSTATE 57014; nothing of the migration stays; a rerun with a larger timeout converges', async () => {
    const url = await freshDatabase(target, 'stmt_timeout');
    const dir = tempDir(steps(3, { 2: 'SELECT pg_sleep(1);' }));

    const r = record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url, '--statement-timeout', '200ms']));

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: 2_step2.sql:4: canceling statement due to statement timeout');
    expect(r.stderr).toContain('sqlstate: 57014');
    expect(r.stderr).toContain('fix: the statement ran past statement_timeout');
    await expectConsistent(url, [1]);
    const rerun = record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url, '--statement-timeout', '5s']));
    expect(rerun.code, rerun.stderr).toBe(0);
    await expectConsistent(url, [1, 2, 3]);
  });

  it('a cancel from another session (pg_cancel_backend): exit 1 with 57014, and a fix about the cancel, not statement_timeout', async () => {
    const url = await freshDatabase(target, 'stmt_cancel');
    const dir = tempDir(steps(2, { 2: 'SELECT pg_sleep(30) /* cancel me */;' }));
    const run = cliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    // Cancel the sleep once it runs: the file goes as one message, whose whole text (the marker included) shows from its first statement on.
    await withClient(url, async (c) => {
      for (let k = 0; k < 200; k++) {
        const n = (
          await c.query<{ n: number }>(
            "SELECT count(pg_cancel_backend(pid))::int AS n FROM pg_stat_activity WHERE query LIKE '%cancel me%' AND pid <> pg_backend_pid() AND wait_event = 'PgSleep'",
          )
        ).rows[0]!.n;
        if (n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    const r = record(await run);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: 2_step2.sql:4: canceling statement due to user request');
    expect(r.stderr).toContain('sqlstate: 57014');
    expect(r.stderr).toContain('fix: another session cancelled it (pg_cancel_backend, or an operator): run again when that is settled');
    expect(r.stderr).not.toContain('statement_timeout');
    await expectConsistent(url, [1]);
  });

  it('lock timeout exhausted: exit 1 naming the blocking session, its user, application and lock, never its query; nothing applied; a rerun after the blocker ends converges', async () => {
    const url = await freshDatabase(target, 'lock_timeout');
    const dir = tempDir(steps(2));
    record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url]));
    addFile(dir, '3_alter.sql', 'ALTER TABLE step_1 ADD COLUMN note text;\nCREATE TABLE step_3 (id int);\nINSERT INTO ledger (version) VALUES (3);');

    await withClient(url, async (blocker) => {
      await blocker.query("SET application_name = 'nightly-report'");
      const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await blocker.query('BEGIN');
      await blocker.query('SELECT count(*) FROM step_1 /* long report */');

      const r = record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url, '--lock-timeout', '200ms', '--lock-retries', '1']));

      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error: 3_alter.sql:1: could not get a lock within 200 ms after 2 attempts; blocked by pid ${pid} (nightly-report)`);
      expect(r.stderr).toContain('holding AccessShareLock on step_1');
      // Another session's SQL may carry its data: not printed (the security review saw 300 characters of it).
      expect(r.stderr).not.toContain('long report');
      expect(r.stderr).toContain('pg_terminate_backend');
      await blocker.query('ROLLBACK');
    });
    await expectConsistent(url, [1, 2]);
    const rerun = record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url]));
    expect(rerun.code, rerun.stderr).toBe(0);
    await expectConsistent(url, [1, 2, 3]);
  });

  it.each([
    ['disk full', '53100', 'could not extend file "base/16384/16385": No space left on device'],
    ['out of memory', '53200', 'out of memory'],
    ['too many connections', '53300', 'sorry, too many clients already'],
    ['I/O error', '58030', 'could not write to file "pg_wal/xlogtemp.123": Input/output error'],
  ])('%s (SQLSTATE %s) mid-migration: a clean failure, nothing half-applied, a rerun after it clears converges', async (_label, sqlstate, message) => {
    const url = await freshDatabase(target, `exhausted_${sqlstate}`);
    await withClient(url, (c) => c.query('CREATE TABLE resource_exhausted ()'));
    const dir = tempDir(steps(3, { 2: failWhileFlagged(sqlstate, message) }));

    const r = record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url]));

    expect(r.code).toBe(1);
    // The RAISE's own line (the DO block opens on line 4; PL/pgSQL names its line 3).
    expect(r.stderr).toContain(`error: 2_step2.sql:6: ${message}`);
    expect(r.stderr).toContain(`sqlstate: ${sqlstate}`);
    await expectConsistent(url, [1]);
    await withClient(url, (c) => c.query('DROP TABLE resource_exhausted'));
    const rerun = record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url]));
    expect(rerun.code, rerun.stderr).toBe(0);
    await expectConsistent(url, [1, 2, 3]);
  });
});

/** A migrate run through the CLI that fails with exit 1, the SQLSTATE and a fix containing each of `fix`; its stderr. */
async function failsWithFix(url: string, dir: string, sqlstate: string, fix: string[]): Promise<string> {
  const r = record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url]));
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain(`sqlstate: ${sqlstate}`);
  const fixLine = /\n {2}fix: (.*)/.exec(r.stderr)?.[1] ?? '';
  for (const words of fix) expect(fixLine).toContain(words);
  return r.stderr;
}

// Regression (tester): these came with no fix line; the deferred one named no line and did not mention COMMIT.
describe.each(targets)('Faults: server errors the file explains, with a fix, on $name', (target) => {
  it('2D000 from a CALL of a procedure that commits: the no-transaction directive, which then runs it', async () => {
    const url = await freshDatabase(target, 'call_commits');
    const dir = tempDir(steps(1, { 1: 'CREATE PROCEDURE batch() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO step_1 VALUES (1); COMMIT; END $$;' }));
    addFile(dir, '2_step2.sql', 'CREATE TABLE step_2 (id int);\nINSERT INTO ledger (version) VALUES (2);\nCALL batch();');

    const stderr = await failsWithFix(url, dir, '2D000', [
      'commits or rolls back, which PostgreSQL allows only when the CALL is not inside a transaction block',
      '-- schemaguard:no-transaction',
    ]);

    expect(stderr).toContain('error: 2_step2.sql:3: invalid transaction termination');
    await expectConsistent(url, [1]);
    addFile(dir, '2_step2.sql', '-- schemaguard:no-transaction\nCREATE TABLE step_2 (id int);\nINSERT INTO ledger (version) VALUES (2);\nCALL batch();');
    expect(record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url])).code).toBe(0);
    await expectConsistent(url, [1, 2]);
  });

  it('55P04, a new enum value used in the transaction that added it: add it in one file, use it in the next', async () => {
    const url = await freshDatabase(target, 'enum_unsafe');
    const dir = tempDir(steps(1, { 1: "CREATE TYPE status AS ENUM ('a');" }));
    addFile(
      dir,
      '2_step2.sql',
      "CREATE TABLE step_2 (id int);\nINSERT INTO ledger (version) VALUES (2);\nALTER TYPE status ADD VALUE 'b';\nCREATE TABLE uses (s status DEFAULT 'b');",
    );

    const stderr = await failsWithFix(url, dir, '55P04', ['cannot be used in the transaction that added it', 'use it in a later file']);

    expect(stderr).toContain('error: 2_step2.sql:4: unsafe use of new value "b" of enum type status');
    await expectConsistent(url, [1]);
  });

  it('25001 from a form refused by what the catalog holds (DROP SUBSCRIPTION of one with a slot): the no-transaction directive', async () => {
    const url = await freshDatabase(target, 'drop_subscription');
    const dir = tempDir(
      steps(1, {
        1: "CREATE PUBLICATION pub FOR TABLE step_1;\nCREATE SUBSCRIPTION sub CONNECTION 'host=127.0.0.1 port=1 dbname=none' PUBLICATION pub WITH (connect = false);",
      }),
    );
    addFile(dir, '2_step2.sql', 'CREATE TABLE step_2 (id int);\nINSERT INTO ledger (version) VALUES (2);\nDROP SUBSCRIPTION sub;');
    try {
      const stderr = await failsWithFix(url, dir, '25001', ['by what the database holds', '-- schemaguard:no-transaction']);

      expect(stderr).toContain('error: 2_step2.sql:3: DROP SUBSCRIPTION cannot run inside a transaction block');
      await expectConsistent(url, [1]);
    } finally {
      // A database with a subscription cannot be dropped.
      await withClient(url, (c) => c.query('ALTER SUBSCRIPTION sub SET (slot_name = NONE); DROP SUBSCRIPTION sub'));
    }
  });

  it('23503 found at COMMIT by a deferred foreign key: says so, names the constraint, blames no line', async () => {
    const url = await freshDatabase(target, 'deferred_fk');
    const dir = tempDir(steps(1, { 1: 'CREATE TABLE parent (id int PRIMARY KEY);' }));
    addFile(
      dir,
      '2_step2.sql',
      'CREATE TABLE step_2 (id int);\nINSERT INTO ledger (version) VALUES (2);\nCREATE TABLE child (id int, parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO child VALUES (1, 42);',
    );

    const stderr = await failsWithFix(url, dir, '23503', [
      'found at COMMIT by the deferred constraint "child_parent_id_fkey" on "public"."child"',
      'no line of the file is at fault by itself',
      'SET CONSTRAINTS "child_parent_id_fkey" IMMEDIATE',
    ]);

    expect(stderr).toContain('error: 2_step2.sql: at COMMIT: insert or update on table "child" violates foreign key constraint "child_parent_id_fkey"');
    expect(stderr).toContain('detail: Key (parent_id)=(42) is not present in table "parent".');
    await expectConsistent(url, [1]);
  });
});

describe.each(targets)('Faults: ten runners with plan and status alongside, on $name', (target) => {
  it('each migration runs once; plan and status answer while the lock is held, never block and never write', async () => {
    const url = await freshDatabase(target, 'ten_plus_readers');
    // Migration 3 waits on a gate the test holds, until plan and status have answered (a sleep of
    // fixed length let a slow start of the readers see 3 committed).
    const GATE = 20261125;
    const dir = tempDir(steps(5, { 3: `SELECT pg_advisory_xact_lock(${GATE});` }));
    // A read-only session: any write by plan or status would fail the command.
    const readOnly = `${url}?options=${encodeURIComponent('-c default_transaction_read_only=on')}`;
    const pg = driverKinds[0]!;
    const gate = new Client({ connectionString: url });
    await gate.connect();
    let readersMs = 0;
    let plan: Awaited<ReturnType<typeof cliInProcess>>;
    let status: Awaited<ReturnType<typeof cliInProcess>>;
    let results: Awaited<ReturnType<typeof runEngine>>[];
    try {
      await gate.query('SELECT pg_advisory_lock($1)', [GATE]);
      const runners = Promise.all(Array.from({ length: 10 }, () => runEngine(pg, url, dir, { lockTimeoutMs: 60_000 })));
      // Wait until a runner waits at the gate inside migration 3 (1 and 2 committed). The pg driver sends a
      // file as one message (BEGIN; …; SELECT pg_advisory_xact_lock(…); …; COMMIT), so the call is in the query text.
      let inside = false;
      for (let i = 0; i < 500 && !inside; i++) {
        inside =
          (
            await rows(
              url,
              `SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_advisory_xact_lock(${GATE})%' AND wait_event_type = 'Lock'
                                      AND pid <> pg_backend_pid() AND datname = current_database()`,
            )
          ).length > 0;
        if (!inside) await new Promise((res) => setTimeout(res, 20));
      }
      expect(inside, 'a runner inside migration 3').toBe(true);
      const started = Date.now();
      [plan, status] = await Promise.all([
        cliInProcess(['plan', '--dir', dir, '--database-url', readOnly, '--json']),
        cliInProcess(['status', '--dir', dir, '--database-url', readOnly, '--json']),
      ]);
      readersMs = Date.now() - started;
      await gate.query('SELECT pg_advisory_unlock($1)', [GATE]);
      results = await runners;
    } finally {
      await gate.end();
    }
    record(plan);
    record(status);

    expect(plan.code, plan.stderr).toBe(0);
    expect(status.code, status.stderr).toBe(0);
    // They ran while migration 3 held its transaction open: a consistent snapshot, 1 and 2 applied.
    expect(JSON.parse(plan.stdout).pending.map((p: { version: number }) => p.version)).toEqual([3, 4, 5]);
    expect(JSON.parse(status.stdout).migrations.map((m: { status: string }) => m.status)).toEqual(['applied', 'applied', 'pending', 'pending', 'pending']);
    // The gate stays shut until the readers are done, so readers that waited for a runner would never end:
    // the bound only turns that hang into this failure, with room for a machine loaded by other work.
    expect(readersMs, 'plan and status did not wait for the runners').toBeLessThan(30_000);
    expect(results.flatMap((r) => r.applied.map((a) => a.version)).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(results.filter((r) => r.outcome === 'up-to-date').length).toBe(9);
    await expectConsistent(url, [1, 2, 3, 4, 5]);
  });
});

describe('Security: the output of these runs', () => {
  it('holds no password and no connection string with a password', () => {
    expect(transcript.texts.length).toBeGreaterThan(10);
    expect(
      leaks(
        transcript.texts,
        targets.map((t) => t.password),
      ),
    ).toEqual([]);
  });
});
