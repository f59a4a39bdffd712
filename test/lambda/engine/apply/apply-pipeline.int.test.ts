/**
 * Small files in flight together (pg: `Session.capabilities.pipelines`): the next file's
 * message is written before the answer to the one before. It must mean what
 * one file at a time meant: stop at the first failure (nothing of a file
 * behind it commits, even when the failure comes at COMMIT and leaves the
 * session idle), the failing file's line, a lock timeout retried from the
 * file that timed out, notices on the file that raised them, events in
 * order — and it must really overlap.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { PIPELINE_FILES, pipelinable } from '../../../../lambda/engine/apply/apply-pipeline';
import { LockTimeoutError, StatementError } from '../../../../lambda/engine/errors/errors';
import type { Driver, Session } from '../../../../lambda/engine/ports';
import { migrate, type RunEvent } from '../../../../lambda/engine/runner';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { CountingDriver } from '../../../../bench/lib/counting-driver';
import { dropDatabases, freshDatabase, rows, withClient } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const tables = async (url: string) =>
  (await rows<{ t: string }>(url, "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map((r) => r.t);
const applied = async (url: string) =>
  (await rows<{ version: string }>(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY 1')).map((r) => Number(r.version));

/** `count` files `N_tN.sql`, each creating table tN, with `replace` overriding some. */
function files(count: number, replace: Record<number, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (let k = 1; k <= count; k++) out[`${k}_t${k}.sql`] = replace[k] ?? `CREATE TABLE t${k} (id int PRIMARY KEY);\nINSERT INTO t${k} VALUES (${k});\n`;
  return out;
}

/** Runs the engine through a counting driver: what was in flight at most, and the events. */
async function run(url: string, dir: string, options: { lockTimeoutMs?: number; lockRetries?: number; onEvent?: (e: RunEvent) => void } = {}) {
  const driver = new CountingDriver(new PgDriver({ connectionString: url }));
  const events: RunEvent[] = [];
  const result = migrate({
    driver,
    migrations: loadMigrations(dir),
    appliedBy: 'test',
    retryDelayMs: 50,
    ...options,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  return { result, driver, events };
}

describe.each(driverCases().filter((c) => c.driver.name === 'pg'))('Function: migrate, small files in flight together, on $name', ({ target }) => {
  it('writes files ahead of the answers, at most PIPELINE_FILES, and applies them all in order with events in order', async () => {
    const url = await freshDatabase(target, 'pipe_all');
    const count = PIPELINE_FILES + 8;
    const dir = tempDir(files(count));
    expect(loadMigrations(dir).every(pipelinable)).toBe(true);

    const { result, driver, events } = await run(url, dir);
    const r = await result;

    expect(r.outcome).toBe('applied');
    expect(driver.maxInFlight).toBe(PIPELINE_FILES);
    expect(await applied(url)).toEqual(Array.from({ length: count }, (_, k) => k + 1));
    const order = events
      .filter((e) => e.type === 'migration-start' || e.type === 'migration-applied')
      .map((e) => `${e.type === 'migration-start' ? 'start' : 'applied'} ${(e as { migration: { version: number } }).migration.version}`);
    expect(order).toEqual(Array.from({ length: count }, (_, k) => [`start ${k + 1}`, `applied ${k + 1}`]).flat());
    // Every state row's time came from the server, for its own file.
    expect(r.applied.map((a) => a.version)).toEqual(Array.from({ length: count }, (_, k) => k + 1));
  });

  it('writes ahead through the driver as the CLI uses it (its own runner lock), and the run key of the lock is gone after the run', async () => {
    const url = await freshDatabase(target, 'pipe_real');
    const dir = tempDir(files(12));
    const inner = new PgDriver({ connectionString: url });
    let inFlight = 0;
    let most = 0;
    const driver: Driver = {
      kind: inner.kind,
      target: inner.target,
      createLock: (o) => inner.createLock(o),
      end: () => inner.end(),
      connect: async () => {
        const session = await inner.connect();
        const script = session.script!.bind(session);
        (session as { script?: Session['script'] }).script = (sql, keep, onNotice) => {
          most = Math.max(most, ++inFlight);
          return script(sql, keep, onNotice).finally(() => {
            inFlight--;
          });
        };
        return session;
      },
    };

    const r = await migrate({ driver, migrations: loadMigrations(dir), appliedBy: 'test' });
    await inner.end();

    expect(r.outcome).toBe('applied');
    expect(most).toBe(12);
    expect(await applied(url)).toEqual(Array.from({ length: 12 }, (_, k) => k + 1));
    // pg_locks shows the whole server: the other test files' databases share it.
    expect(
      await rows(
        url,
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('stops at a file that fails in the middle: the files written behind it commit nothing, and the error names its line', async () => {
    const url = await freshDatabase(target, 'pipe_fail');
    const dir = tempDir(
      files(8, { 3: 'CREATE TABLE t3 (id int PRIMARY KEY);\nINSERT INTO t3 VALUES (1);\n-- the same key again\nINSERT INTO t3\n  VALUES (1);\n' }),
    );

    const { result, driver } = await run(url, dir);
    const e = await rejection<StatementError>(result);

    expect(e).toBeInstanceOf(StatementError);
    expect(e).toMatchObject({ file: '3_t3.sql', line: 4, sqlstate: '23505' });
    expect(driver.maxInFlight).toBeGreaterThan(3);
    expect(await tables(url)).toEqual(['t1', 't2']);
    expect(await applied(url)).toEqual([1, 2]);
  });

  it('stops at a file whose COMMIT fails (a deferred constraint): the next file does not run on the idle session', async () => {
    const url = await freshDatabase(target, 'pipe_commit');
    const dir = tempDir(
      files(6, {
        2:
          'CREATE TABLE parent (id int PRIMARY KEY);\n' +
          'CREATE TABLE child (parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\n' +
          'INSERT INTO child VALUES (42);\n',
      }),
    );

    const { result, driver } = await run(url, dir);
    const e = await rejection<StatementError>(result);

    expect(e).toBeInstanceOf(StatementError);
    expect(e.file).toBe('2_t2.sql');
    expect(e.sqlstate).toBe('23503');
    // Found at COMMIT by the deferred constraint, not at a line of the file: the message says so, and the fix names the constraint.
    expect(e.message).toMatch(/^2_t2\.sql: at COMMIT: insert or update on table "child" violates foreign key constraint/);
    expect(e.fix).toContain('child_parent_id_fkey');
    expect(driver.maxInFlight).toBeGreaterThan(2);
    expect(await tables(url)).toEqual(['t1']);
    expect(await applied(url)).toEqual([1]);
  });

  it('retries a lock timeout from the file that timed out, once the blocker lets go, and applies every file once', async () => {
    const url = await freshDatabase(target, 'pipe_lock');
    await withClient(url, (c) => c.query('CREATE TABLE busy (id int)'));
    const dir = tempDir(files(10, { 4: 'ALTER TABLE busy ADD COLUMN note text;\n' }));

    const r = await withClient(url, async (blocker) => {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
      const { result, events } = await run(url, dir, {
        lockTimeoutMs: 200,
        lockRetries: 5,
        onEvent: (ev) => {
          if (ev.type === 'retry') void blocker.query('ROLLBACK');
        },
      });
      return { r: await result, events };
    });

    expect(r.r.outcome).toBe('applied');
    const retries = r.events.filter((ev) => ev.type === 'retry') as Extract<RunEvent, { type: 'retry' }>[];
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(new Set(retries.map((ev) => ev.migration.file))).toEqual(new Set(['4_t4.sql']));
    const appliedEvents = r.events.filter((ev) => ev.type === 'migration-applied') as Extract<RunEvent, { type: 'migration-applied' }>[];
    expect(appliedEvents.map((ev) => ev.migration.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(appliedEvents.find((ev) => ev.migration.version === 4)!.attempts).toBe(retries.length + 1);
    expect(r.events.filter((ev) => ev.type === 'migration-start')).toHaveLength(10);
    expect(await applied(url)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await rows(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'busy'")).toEqual([{ n: 2 }]);
  });

  it('gives up after the retries with the blockers, having committed only the files before', async () => {
    const url = await freshDatabase(target, 'pipe_lock_fail');
    await withClient(url, (c) => c.query('CREATE TABLE busy (id int)'));
    const dir = tempDir(files(6, { 3: 'ALTER TABLE busy ADD COLUMN note text;\n' }));

    await withClient(url, async (blocker) => {
      await blocker.query("SET application_name = 'report-job'");
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
      const { result } = await run(url, dir, { lockTimeoutMs: 300, lockRetries: 1 });
      const e = await rejection<LockTimeoutError>(result);
      expect(e).toBeInstanceOf(LockTimeoutError);
      expect(e).toMatchObject({ file: '3_t3.sql', attempts: 2 });
      expect(e.blockers.map((b) => b.application)).toContain('report-job');
      await blocker.query('ROLLBACK');
    });
    expect(await tables(url)).toEqual(['busy', 't1', 't2']);
    expect(await applied(url)).toEqual([1, 2]);
  });

  it('stops writing when the runner lock is lost, and reports every file that committed as applied', async () => {
    const url = await freshDatabase(target, 'pipe_lock_lost');
    const slow = (k: number) => `CREATE TABLE t${k} (id int);\nSELECT pg_sleep(0.03);\n`;
    const dir = tempDir(files(40, Object.fromEntries(Array.from({ length: 40 }, (_, k) => [k + 1, slow(k + 1)]))));
    let killed: Promise<unknown> | undefined;

    const { result, events } = await run(url, dir, {
      onEvent: (ev) => {
        if (ev.type !== 'migration-applied' || ev.migration.version !== 2) return;
        // The runner lock's own session goes away (a failover, an idle-session timeout).
        killed = withClient(url, (c) =>
          c.query(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
          ),
        );
      },
    });
    const e = await rejection<Error>(result);
    await killed;

    expect(e.message).toMatch(/lost the runner lock/);
    const reported = events.filter((ev) => ev.type === 'migration-applied').map((ev) => (ev as { migration: { version: number } }).migration.version);
    expect(reported.length).toBeLessThan(40);
    expect(reported.length).toBeGreaterThanOrEqual(2);
    expect(await applied(url)).toEqual(reported);
  });

  it('puts each notice on the file that raised it, though the next files were already written', async () => {
    const url = await freshDatabase(target, 'pipe_notice');
    const notice = (k: number) => `DO $$ BEGIN PERFORM pg_sleep(0.02); RAISE NOTICE 'from file %', ${k}; END $$;\n`;
    const dir = tempDir(files(6, { 1: notice(1), 2: notice(2), 3: notice(3), 5: notice(5) }));

    const { result, events, driver } = await run(url, dir);
    await result;

    expect(driver.maxInFlight).toBeGreaterThan(2);
    expect(events.filter((e) => e.type === 'note').map((e) => (e as { message: string }).message)).toEqual([
      '1_t1.sql: from file 1',
      '2_t2.sql: from file 2',
      '3_t3.sql: from file 3',
      '5_t5.sql: from file 5',
    ]);
  });

  it('sends a file with checks, and the files after it, one at a time after the files before are answered', async () => {
    const url = await freshDatabase(target, 'pipe_checks');
    const dir = tempDir(files(6, { 3: 'CREATE TABLE t3 (id int);\n-- schemaguard:check t3 is empty\nSELECT id FROM t3;\n' }));

    const { result, driver } = await run(url, dir);
    await result;

    expect(await applied(url)).toEqual([1, 2, 3, 4, 5, 6]);
    // 1–2 together, 3 alone (body with its checks, then the state row with COMMIT), 4–6 together.
    // After the state table's own transaction (a new database).
    // Each file's message is headed by the comment naming it (pg_stat_activity shows it): left out here.
    const work = driver.texts
      .map((s) => s.replace(/^\/\* schemaguard: applying \S+ \*\/ /, ''))
      .filter((s) => s.startsWith('BEGIN') || s.includes('COMMIT'))
      .slice(2);
    expect(work).toHaveLength(7);
    expect(work[1]).toMatch(
      /^BEGIN; SELECT .*, 1 \/ \(CASE WHEN current_setting\('schemaguard\.in_flight_applied', true\) = '1' AND NOT pg_try_advisory_xact_lock_shared\(-?\d+::bigint\) THEN 1 ELSE 0 END\) AS guard\n;\nCREATE TABLE t2/,
    );
    expect(work[2]).toContain('schemaguard_check');
    expect(work[2]).not.toContain('AS guard');
    expect(work[4]).not.toContain('AS guard');
    expect(work[5]).toMatch(
      /in_flight_applied', true\) = '4' AND NOT pg_try_advisory_xact_lock_shared\(-?\d+::bigint\) THEN 1 ELSE 0 END\) AS guard\n;\nCREATE TABLE t5/,
    );
  });
});
