import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckFailedError,
  ChecksumMismatchError,
  DatabaseAheadError,
  ForeignHistoryError,
  InputError,
  LockTimeoutError,
  MigrationError,
  OutOfOrderError,
  StatementError,
} from '../../../lambda/engine/errors/errors';
import type { Driver } from '../../../lambda/engine/ports';
import { migrate, type MigrateOptions, type RunEvent } from '../../../lambda/engine/runner';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { catalogFingerprint } from '../../support/catalog-fingerprint';
import type { Target } from '../../support/targets';
import { allMajors, dropDatabases, fullMatrixMajors, freshDatabase, rows, withClient } from '../../support/db';
import { driverCases, type DriverKind } from '../../support/drivers';
import { rejection, runEngine, type EngineRun } from '../../support/engine';
import { addFile, tempDir } from '../../support/files';

afterAll(dropDatabases);

const tables = (url: string) =>
  rows<{ t: string }>(url, "SELECT string_agg(tablename, ',' ORDER BY tablename) AS t FROM pg_tables WHERE schemaname = 'public'").then((r) => r[0]!.t);
const appliedVersions = async (url: string) =>
  (await rows<{ version: string }>(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).map((r) => Number(r.version));

/**
 * A database whose table `busy` another session holds ACCESS EXCLUSIVE while `act` runs a migration that alters it
 * (`1_alter.sql`); after it, whether the column it adds is there.
 */
async function whileBusyTableHeld(url: string, act: (dir: string) => Promise<void>): Promise<boolean> {
  await withClient(url, (c) => c.query('CREATE TABLE busy (id int)'));
  const dir = tempDir({ '1_alter.sql': 'ALTER TABLE busy ADD COLUMN note text;' });
  await withClient(url, async (blocker) => {
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
    await act(dir);
    await blocker.query('ROLLBACK');
  });
  return (await rows(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'busy' AND column_name = 'note'"))[0]!.n === 1;
}

/**
 * Time scales tried in turn for the deadline tests: every time a test sets
 * (deadline, reserve, lock timeout, backoff, sleeps) is multiplied by it. Each
 * test's run must reach its first migration (connect, lock, state reads)
 * within 2 s times the scale: on a loaded machine, through the Data API
 * stand-in, that has taken over 2 s. At most 2.5: a backoff is capped at 10 s.
 */
const TIME_SCALES = [1, 2.5];

/**
 * `attempt(scale)` at the first time scale the run's own setup fits in. An
 * attempt answers undefined when its first migration never started (the setup
 * took longer than the scaled time left); the next scale is tried on a fresh
 * database. What is tested is the deadline's arithmetic, not the machine's
 * speed; a run that never gets past its setup fails the test.
 */
async function atFittingScale<T>(attempt: (scale: number) => Promise<T | undefined>): Promise<T> {
  for (const scale of TIME_SCALES) {
    const r = await attempt(scale);
    if (r !== undefined) return r;
  }
  throw new Error(`no run reached its first migration at any time scale (${TIME_SCALES.join(', ')})`);
}

/** A run under a deadline, settled: its result or error, and whether its first migration started. */
async function deadlineRun(driver: DriverKind, url: string, dir: string, options: Partial<MigrateOptions>): Promise<DeadlineRun> {
  let started = false;
  const onEvent = (e: RunEvent) => {
    if (e.type === 'migration-start') started = true;
  };
  try {
    return { result: await runEngine(driver, url, dir, { ...options, onEvent }), started };
  } catch (error) {
    return { error, started };
  }
}

type DeadlineRun = { result?: EngineRun; error?: unknown; started: boolean };

/**
 * On a fresh database, the run `start` begins (under its deadline) while another session holds table `busy`
 * (`whileBusyTableHeld`): its error and deadline, and whether the column was added after all; undefined when
 * its first migration never started.
 */
async function whileBusyUnderDeadline(target: Target, label: string, start: (dir: string, url: string) => { deadline: number; run: Promise<DeadlineRun> }) {
  const url = await freshDatabase(target, label);
  let out: (DeadlineRun & { deadline: number }) | undefined;
  const added = await whileBusyTableHeld(url, async (dir) => {
    const { deadline, run } = start(dir, url);
    out = { deadline, ...(await run) };
  });
  return out!.started ? { added, deadline: out!.deadline, e: out!.error as StatementError | undefined } : undefined;
}

/**
 * Both drivers on 18; in the full matrix (`fullMatrixMajors`), both on 15
 * too and the pg driver on every other major. The Data API driver's own part
 * (transactions by id, one statement a call, its lease, the deadline without
 * a session to cancel) does not depend on the server's major, and the SQL the
 * engine sends is the same through both. On every major in `npm test`: the
 * notices and the applying session below, state.int.test.ts (both drivers)
 * and the shipped fixes (migrations/majors.int.test.ts).
 */
const engineCases = driverCases(fullMatrixMajors).filter((c) => c.driver.name === 'pg' || c.target.isDefault);

describe.each(engineCases)('Function: migrate on $name', ({ target, driver }) => {
  it('applies pending migrations in numeric order and records each one', async () => {
    // Prepare
    const url = await freshDatabase(target, 'order');
    const dir = tempDir({
      '1_a.sql': 'CREATE TABLE a (id int PRIMARY KEY);',
      '2_b.sql': 'CREATE TABLE b (a_id int REFERENCES a (id));',
      '10_c.sql': 'ALTER TABLE b ADD COLUMN note text;',
    });
    // Act
    const first = await runEngine(driver, url, dir, { appliedBy: 'cli:tester@host' });
    const second = await runEngine(driver, url, dir);
    // Assess
    expect(first.outcome).toBe('applied');
    expect(first.applied.map((a) => a.file)).toEqual(['1_a.sql', '2_b.sql', '10_c.sql']);
    expect(first.currentVersion).toBe(10);
    expect(second.outcome).toBe('up-to-date');
    expect(second.appliedCount).toBe(3);
    const state = await rows(url, 'SELECT version, name, checksum, execution_ms, applied_by, applied_at FROM schemaguard.applied_migrations ORDER BY version');
    expect(state.map((r) => [r.version, r.name, r.applied_by])).toEqual([
      ['1', 'a', 'cli:tester@host'],
      ['2', 'b', 'cli:tester@host'],
      ['10', 'c', 'cli:tester@host'],
    ]);
    for (const r of state) {
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(r.execution_ms).toBeGreaterThanOrEqual(0);
      expect(r.applied_at).toBeInstanceOf(Date);
    }
  });

  it('refuses a changed applied file before running anything, naming the file and both checksums', async () => {
    const url = await freshDatabase(target, 'checksum');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    await runEngine(driver, url, dir);
    addFile(dir, '1_a.sql', 'CREATE TABLE a (id bigint);');
    addFile(dir, '2_b.sql', 'CREATE TABLE b (id int);');

    const e = await rejection<ChecksumMismatchError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(ChecksumMismatchError);
    expect(e.exitCode).toBe(1);
    expect(e.file).toBe('1_a.sql');
    expect(e.message).toContain(`applied checksum ${e.appliedChecksum.slice(0, 12)}, file checksum ${e.fileChecksum.slice(0, 12)}`);
    expect(e.appliedChecksum).not.toBe(e.fileChecksum);
    expect(await tables(url)).toBe('a');
    expect(await appliedVersions(url)).toEqual([1]);
  });

  it('a refused run leaves the database exactly as it was: a bad pending file on a new database, a changed file on a migrated one', async () => {
    // Regression: the lease (the Data API's lock) created its schema and table before the files were checked, and they stayed.
    const url = await freshDatabase(target, 'refused');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_bad.sql': 'CREATE TABLE b (id int);\nCOMMIT;\n' });
    const run = async () => {
      const d = driver.make(url);
      try {
        return await migrate({ driver: d, migrations: loadMigrations(dir, { deferParse: true }), appliedBy: 'test' });
      } finally {
        await d.end();
      }
    };
    const fresh = await catalogFingerprint(url);

    const bad = await rejection<InputError>(run());

    expect(bad).toBeInstanceOf(InputError);
    expect(bad.message).toContain('2_bad.sql:2: COMMIT inside a transactional migration');
    expect(await catalogFingerprint(url)).toBe(fresh);
    expect(await rows(url, "SELECT to_regnamespace('schemaguard')::text AS s")).toEqual([{ s: null }]);

    // A database migrated under the advisory lock (no lease table): a refusal adds none.
    addFile(dir, '2_bad.sql', 'CREATE TABLE b (id int);');
    await run();
    await withClient(url, (c) => c.query('DROP TABLE IF EXISTS schemaguard.runner_lease'));
    const migrated = await catalogFingerprint(url);
    addFile(dir, '1_a.sql', 'CREATE TABLE a (id bigint);');

    expect(await rejection(run())).toBeInstanceOf(ChecksumMismatchError);
    expect(await catalogFingerprint(url)).toBe(migrated);
  });

  it('leaves no trace of the first statement when the second fails', async () => {
    const url = await freshDatabase(target, 'atomic');
    const dir = tempDir({
      '1_ok.sql': 'CREATE TABLE kept (id int);',
      '2_bad.sql': 'CREATE TABLE half (id int);\nINSERT INTO half VALUES (1);\n\nINSERT INTO\n  missing_table VALUES (1);',
      '3_later.sql': 'CREATE TABLE later (id int);',
    });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(StatementError);
    expect(e.file).toBe('2_bad.sql');
    expect(e.line).toBe(5);
    expect(e.sqlstate).toBe('42P01');
    expect(e.message).toBe('2_bad.sql:5: relation "missing_table" does not exist');
    expect(e.statement).toContain('missing_table');
    expect(await tables(url)).toBe('kept');
    expect(await appliedVersions(url)).toEqual([1]);
  });

  it('carries detail and the constraint of a failing statement', async () => {
    const url = await freshDatabase(target, 'detail');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p (id));\nINSERT INTO c VALUES (42);' });
    const e = await rejection<StatementError>(runEngine(driver, url, dir));
    expect(e.sqlstate).toBe('23503');
    expect(e.line).toBe(3);
    expect(e.detail).toBe('Key (p_id)=(42) is not present in table "p".');
    expect(await tables(url)).toBeNull();
  });

  it('names pg_dump --exclude-schema with the state schema when a file creates it (a fresh dump of a database schemaguard manages failed with 42P06 and no fix)', async () => {
    const url = await freshDatabase(target, 'redump');
    const dump = (schema: string) =>
      `CREATE SCHEMA app;\nCREATE TABLE app.t (id int);\nCREATE SCHEMA ${schema};\nCREATE TABLE ${schema}.applied_migrations (version bigint PRIMARY KEY);`;
    const e = await rejection<StatementError>(runEngine(driver, url, tempDir({ '1_initial.sql': dump('schemaguard') })));
    expect(e.sqlstate).toBe('42P06');
    expect(e.message).toBe('1_initial.sql:3: schema "schemaguard" already exists');
    expect(e.fix).toContain('dump again with pg_dump --schema-only --no-owner --no-privileges --exclude-schema=schemaguard');
    // A configured state schema is the one named; CREATE SCHEMA IF NOT EXISTS fails on its table instead (42P07).
    const own = await rejection<StatementError>(
      runEngine(
        driver,
        url,
        tempDir({ '1_initial.sql': 'CREATE SCHEMA IF NOT EXISTS deploy_state;\nCREATE TABLE deploy_state.applied_migrations (version bigint PRIMARY KEY);' }),
        { stateSchema: 'deploy_state' },
      ),
    );
    expect(own.sqlstate).toBe('42P07');
    expect(own.fix).toContain('--exclude-schema=deploy_state');
    // Another schema that exists is the file's own business: not the state schema's fix, the general one (IF NOT EXISTS, schemaguard diff).
    const other = await rejection<StatementError>(runEngine(driver, url, tempDir({ '1_initial.sql': 'CREATE SCHEMA public;' })));
    expect(other.sqlstate).toBe('42P06');
    expect(other.fix).not.toContain('--exclude-schema');
    expect(other.fix).toContain('write the statement with IF NOT EXISTS (CREATE SCHEMA IF NOT EXISTS)');
    expect(await tables(url)).toBeNull();
  });

  it('rolls back a migration whose check returns rows, and shows the rows', async () => {
    const url = await freshDatabase(target, 'check');
    const dir = tempDir({
      '1_data.sql': "CREATE TABLE lead (id int, email text);\nINSERT INTO lead VALUES (1, 'a@x'), (2, NULL), (3, NULL);",
      '2_fix.sql': [
        'ALTER TABLE lead ADD COLUMN verified boolean NOT NULL DEFAULT false;',
        '',
        '-- schemaguard:check every lead has an email',
        'SELECT id, email FROM lead WHERE email IS NULL ORDER BY id;',
      ].join('\n'),
    });

    const e = await rejection<CheckFailedError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(CheckFailedError);
    expect(e.message).toBe('2_fix.sql:4: check failed: every lead has an email (2 offending rows)');
    expect(e.rows).toEqual([
      { id: '2', email: null },
      { id: '3', email: null },
    ]);
    expect(e.rowCount).toBe(2);
    expect(await rows(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'lead' ORDER BY ordinal_position")).toEqual([
      { column_name: 'id' },
      { column_name: 'email' },
    ]);
    expect(await appliedVersions(url)).toEqual([1]);
  });

  it("shows a failed check's dates, timestamps, bytea and quoted text as PostgreSQL prints them (pg showed a date as 2024-01-31T08:00:00.000Z under TZ=America/Los_Angeles, bytea as a Buffer)", async () => {
    // Prepare: a machine west of UTC, where parsing a date into a JS Date moved it.
    const zone = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles';
    const url = await freshDatabase(target, 'checktext');
    const dir = tempDir({
      '1_a.sql': [
        'CREATE TABLE t (id int);',
        '-- schemaguard:check values print as psql prints them',
        "SELECT date '2024-01-31' AS d, timestamp '2024-01-31 23:30' AS ts, '\\x00ff'::bytea AS b, true AS ok, 12.50::numeric AS n,",
        "       'a \"quoted\", (text)' AS q, '' AS empty, NULL::text AS nothing, ARRAY[1, 2] AS arr;",
      ].join('\n'),
    });

    // Act
    const e = await rejection<CheckFailedError>(runEngine(driver, url, dir)).finally(() => {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });

    // Assess
    expect(e).toBeInstanceOf(CheckFailedError);
    expect(e.rows).toEqual([
      {
        d: '2024-01-31',
        ts: '2024-01-31 23:30:00',
        b: '\\x00ff',
        ok: 't',
        n: '12.50',
        q: 'a "quoted", (text)',
        empty: '',
        nothing: null,
        arr: '{1,2}',
      },
    ]);
  });

  it('names the check and its line when the check query itself fails', async () => {
    const url = await freshDatabase(target, 'checkerr');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE t (id int);\n-- schemaguard:check broken\nSELECT id\n  FROM nope;' });
    const e = await rejection<StatementError>(runEngine(driver, url, dir));
    expect(e.message).toBe('1_a.sql:4: check "broken" could not run: relation "nope" does not exist');
    expect(e.sqlstate).toBe('42P01');
    expect(await tables(url)).toBeNull();
  });

  it('refuses when the database is ahead of the files, unless allowAhead', async () => {
    const url = await freshDatabase(target, 'ahead');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);' });
    await runEngine(driver, url, dir);
    const older = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });

    const e = await rejection<DatabaseAheadError>(runEngine(driver, url, older));
    const allowed = await runEngine(driver, url, older, { allowAhead: true });

    expect(e).toBeInstanceOf(DatabaseAheadError);
    expect(e.unknownVersions).toEqual([2]);
    expect(e.message).toContain('2 (b)');
    expect(allowed.outcome).toBe('up-to-date');
    expect(allowed.unknown).toEqual([2]);
    expect(await appliedVersions(url)).toEqual([1, 2]);
  });

  it('names both sides when the branches diverged (a version only the database has, a file pending below it), where it gave a fix that led to a second refusal', async () => {
    const url = await freshDatabase(target, 'diverged');
    await runEngine(driver, url, tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '4_d.sql': 'CREATE TABLE d (id int);' }));
    const other = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '3_c.sql': 'CREATE TABLE c (id int);' });

    const e = await rejection<DatabaseAheadError>(runEngine(driver, url, other));
    expect(e).toBeInstanceOf(DatabaseAheadError);
    expect(e.unknownVersions).toEqual([4]);
    expect(e.message).toBe(
      'the database and the files have diverged: the database has applied migrations that are not in the files (4 (d)), and 3_c.sql is pending below it; nothing was run',
    );
    expect(e.fix).toBe(
      "another branch's migrations ran on this database: merge that branch (its files for 4) into this one and renumber 3_c.sql above 4; " +
        "passing --allow-ahead and --out-of-order instead runs it without the other branch's files, only safe when they are independent of them",
    );
    // The fix's second way out runs it: nothing was run before.
    expect(await appliedVersions(url)).toEqual([1, 4]);
    const r = await runEngine(driver, url, other, { allowAhead: true, allowOutOfOrder: true });
    expect(r.applied.map((a) => a.version)).toEqual([3]);
  });

  it('refuses a pending migration older than the newest applied one, unless allowOutOfOrder', async () => {
    const url = await freshDatabase(target, 'ooo');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '3_c.sql': 'CREATE TABLE c (id int);' });
    await runEngine(driver, url, dir);
    addFile(dir, '2_b.sql', 'CREATE TABLE b (id int);');

    const e = await rejection<OutOfOrderError>(runEngine(driver, url, dir));
    expect(e).toBeInstanceOf(OutOfOrderError);
    expect(e.file).toBe('2_b.sql');
    const r = await runEngine(driver, url, dir, { allowOutOfOrder: true });
    expect(r.applied.map((a) => a.version)).toEqual([2]);
  });

  it('stops starting migrations when the deadline is near and continues in the next run', async () => {
    const { url, dir, first } = await atFittingScale(async (k) => {
      const url = await freshDatabase(target, 'deadline');
      const dir = tempDir({
        '1_a.sql': `CREATE TABLE a (id int);\nSELECT pg_sleep(${2.2 * k});`,
        '2_b.sql': 'CREATE TABLE b (id int);',
        '3_c.sql': 'CREATE TABLE c (id int);',
      });
      // 6 s to go with 4 s kept back (times k): migration 1 starts and, after its 2.2 s sleep, no time is left to start migration 2.
      const run = await deadlineRun(driver, url, dir, { deadline: Date.now() + 6000 * k, reserveMs: 4000 * k });
      return run.started ? { url, dir, first: run.result! } : undefined;
    });
    expect(first.outcome).toBe('partial');
    expect(first.applied.map((a) => a.version)).toEqual([1]);
    expect(first.remaining).toEqual([2, 3]);
    const second = await runEngine(driver, url, dir, { deadline: Date.now() + 60_000, reserveMs: 1000 });
    expect(second.outcome).toBe('applied');
    expect(second.applied.map((a) => a.version)).toEqual([2, 3]);
  });

  it('cancels a migration whose statements together run past the deadline, though each stays under the statement timeout it left', async () => {
    // statement_timeout bounds each statement (PostgreSQL applies it to each statement of a message), so waits of
    // 1.2 s each pass the cap (statements end by the deadline less half the 4 s reserve: 4 s from now, less the setup;
    // times k) and would end past the deadline. The pg session is cancelled just after the cap's end; through the
    // Data API, no statement starts after it (one that started before it ends within its 1.2 s).
    const wait = 'SELECT pg_sleep(1.2);';
    const { url, deadline, e } = await atFittingScale(async (k) => {
      const url = await freshDatabase(target, 'deadline_sum');
      const waits = Array.from({ length: Math.ceil((6000 * k) / 1200) + 1 }, () => wait);
      const dir = tempDir({ '1_waits.sql': ['CREATE TABLE w (id int);', ...waits].join('\n') });
      const deadline = Date.now() + 6000 * k;
      const run = await deadlineRun(driver, url, dir, { deadline, reserveMs: 4000 * k });
      return run.started ? { url, deadline, e: run.error as StatementError } : undefined;
    });

    expect(e).toBeInstanceOf(StatementError);
    expect(deadline - Date.now()).toBeGreaterThan(0);
    expect(e.sqlstate).toBe('57014');
    expect(e.file).toBe('1_waits.sql');
    expect(e.line).toBeGreaterThanOrEqual(3);
    expect(e.message).toMatch(/the statements together ran past the \d+ ms left before the deadline/);
    expect(e.fix).toContain('the migration was rolled back');
    expect(await tables(url)).toBeNull();
    expect(
      await rows(
        url,
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('gives up a lock-timeout retry whose backoff would end past the deadline, rather than start it late', async () => {
    const { added, deadline, e } = await atFittingScale((k) =>
      whileBusyUnderDeadline(target, 'deadline_retry', (dir, url) => {
        // Statements may run until about 3 s from now; the attempt waits 1 s for the lock, and its backoff would be 2-4 s (times k).
        const deadline = Date.now() + 4000 * k;
        return {
          deadline,
          run: deadlineRun(driver, url, dir, { deadline, reserveMs: 2000 * k, lockTimeoutMs: 1000 * k, lockRetries: 10, retryDelayMs: 4000 * k }),
        };
      }),
    );

    expect(e).toBeInstanceOf(StatementError);
    expect(deadline - Date.now()).toBeGreaterThan(0);
    expect(e!.sqlstate).toBe('57014');
    expect(e!.line).toBe(1);
    expect(e!.message).toMatch(
      /^1_alter\.sql:1: canceling statement due to lock timeout, and no time is left before the deadline for another attempt \(the statements together ran past/,
    );
    expect(added).toBe(false);
  });

  it('cancels a lock-timeout retry still waiting for its lock when the time left before the deadline runs out', async () => {
    const { added, deadline, e } = await atFittingScale((k) =>
      whileBusyUnderDeadline(target, 'deadline_retry_wait', (dir, url) => {
        // Statements may run until about 3 s from now. The first attempt waits 2.5 s for the lock; the retry starts
        // about 0.1 s later and would wait 2.5 s more, past the deadline: its statement timeout is still the first one's (times k).
        const deadline = Date.now() + 4000 * k;
        return {
          deadline,
          run: deadlineRun(driver, url, dir, { deadline, reserveMs: 2000 * k, lockTimeoutMs: 2500 * k, lockRetries: 10, retryDelayMs: 100 * k }),
        };
      }),
    );

    expect(e).toBeInstanceOf(StatementError);
    expect(deadline - Date.now()).toBeGreaterThan(0);
    expect(e!.sqlstate).toBe('57014');
    // Cut by its statement timeout (capped by the time left) or by the watchdog's cancel, whichever comes first.
    expect(e!.message).toMatch(/^1_alter\.sql:1: .*\(the (statements together ran past|statement timeout was) the \d+ ms left before the deadline/);
    expect(added).toBe(false);
  });

  it('bounds statement_timeout and reports it with the fix', async () => {
    const url = await freshDatabase(target, 'stmt');
    const dir = tempDir({ '1_slow.sql': 'CREATE TABLE s (id int);\nSELECT pg_sleep(2);' });
    const e = await rejection<StatementError>(runEngine(driver, url, dir, { statementTimeoutMs: 200 }));
    expect(e.sqlstate).toBe('57014');
    expect(e.line).toBe(2);
    expect(e.fix).toContain('statement-timeout');
    expect(await tables(url)).toBeNull();
  });

  it('leaves nothing half-applied when its connection is killed mid-migration, and a rerun succeeds', async () => {
    const url = await freshDatabase(target, 'killed');
    const dir = tempDir({
      '1_a.sql': 'CREATE TABLE a (id int);',
      '2_b.sql': 'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nSELECT pg_sleep(1.5) AS marker_killed_mid_migration;',
    });
    const killer = (async () => {
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const killed = await rows<{ ok: boolean }>(
          url,
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE '%marker_killed_mid_migration%' AND pid <> pg_backend_pid()`,
        );
        if (killed.length) return killed.length;
      }
      return 0;
    })();

    const e = await rejection<MigrationError>(runEngine(driver, url, dir));

    expect(await killer).toBeGreaterThan(0);
    expect(e).toBeInstanceOf(MigrationError);
    expect(e.file).toBe('2_b.sql');
    expect(await tables(url)).toBe('a');
    expect(await appliedVersions(url)).toEqual([1]);
    const rerun = await runEngine(driver, url, dir);
    expect(rerun.applied.map((a) => a.version)).toEqual([2]);
    expect(await rows(url, 'SELECT id FROM b')).toEqual([{ id: 1 }]);
  });

  it('retries a lock timeout with backoff, then fails naming the blocking session and its query', async () => {
    const url = await freshDatabase(target, 'locktimeout');
    await withClient(url, (c) => c.query('CREATE TABLE busy (id int)'));
    const dir = tempDir({ '1_alter.sql': 'ALTER TABLE busy ADD COLUMN note text;' });
    await withClient(url, async (blocker) => {
      await blocker.query("SET application_name = 'report-job'");
      const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');

      const e = await rejection<LockTimeoutError>(runEngine(driver, url, dir, { lockTimeoutMs: 300, lockRetries: 2 }));

      expect(e).toBeInstanceOf(LockTimeoutError);
      expect(e.sqlstate).toBe('55P03');
      expect(e.attempts).toBe(3);
      expect(e.file).toBe('1_alter.sql');
      expect(e.blockers.map((b) => b.pid)).toContain(blockerPid);
      // Who it is and what it holds; not its SQL, which may carry its data.
      expect(e.blockers.find((b) => b.pid === blockerPid)).toMatchObject({
        application: 'report-job',
        user: 'postgres',
        state: 'idle in transaction',
        locks: 'AccessExclusiveLock on busy',
      });
      expect(e.blockers.find((b) => b.pid === blockerPid)).not.toHaveProperty('query');
      expect(e.message).toContain(`blocked by pid ${blockerPid} (report-job) user postgres idle in transaction, holding AccessExclusiveLock on busy`);
      expect(e.message).not.toContain('LOCK TABLE');
      await blocker.query('ROLLBACK');
    });
    expect(await rows(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'busy'")).toEqual([{ n: 1 }]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);
  });

  it('succeeds on a retry once the blocker lets go', async () => {
    const url = await freshDatabase(target, 'lockretry');
    await withClient(url, (c) => c.query('CREATE TABLE busy (id int)'));
    const dir = tempDir({ '1_alter.sql': 'ALTER TABLE busy ADD COLUMN note text;' });
    const result = await withClient(url, async (blocker) => {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
      const run = runEngine(driver, url, dir, {
        lockTimeoutMs: 200,
        lockRetries: 5,
        onEvent: (ev) => {
          if (ev.type === 'retry') void blocker.query('ROLLBACK');
        },
      });
      return run;
    });
    expect(result.outcome).toBe('applied');
    expect(result.events.filter((ev) => ev.type === 'retry').length).toBeGreaterThanOrEqual(1);
    expect(result.events.find((ev) => ev.type === 'migration-applied')).toMatchObject({ attempts: expect.any(Number) });
  });
});

describe.each(driverCases(allMajors).filter((c) => c.driver.name === 'pg'))('Function: migrate, notices on $name', ({ target, driver }) => {
  it('passes RAISE NOTICE messages on as notes naming the file', async () => {
    const url = await freshDatabase(target, 'notice');
    const dir = tempDir({
      '1_n.sql':
        "CREATE TABLE IF NOT EXISTS t (id int);\nCREATE TABLE IF NOT EXISTS t (id int);\nDO $$ BEGIN RAISE NOTICE 'deactivated % duplicate purchases', 3; END $$;",
    });
    const r = await runEngine(driver, url, dir);
    expect(r.events.filter((e) => e.type === 'note')).toEqual([{ type: 'note', message: '1_n.sql: deactivated 3 duplicate purchases' }]);
  });

  // Regression (tester): with several small files sent together, every file's notes came before the first "applied".
  it("says each file's notices with it, after the file before it is applied, when small files are sent together", async () => {
    const url = await freshDatabase(target, 'notice_order');
    const notice = (k: number) => `CREATE TABLE t${k} (id int);\nDO $$ BEGIN RAISE NOTICE 'file ${k}'; END $$;`;
    const dir = tempDir({ '1_a.sql': notice(1), '2_b.sql': notice(2), '3_c.sql': notice(3) });

    const r = await runEngine(driver, url, dir);

    expect(r.events.some((e) => e.type === 'migration-sent')).toBe(true);
    const said = r.events.flatMap((e) => (e.type === 'note' ? [e.message] : e.type === 'migration-applied' ? [`applied ${e.migration.file}`] : []));
    expect(said).toEqual(['1_a.sql: file 1', 'applied 1_a.sql', '2_b.sql: file 2', 'applied 2_b.sql', '3_c.sql: file 3', 'applied 3_c.sql']);
  });
});

describe.each(driverCases(allMajors).filter((c) => c.driver.name === 'pg'))('Function: migrate, the applying session on $name', ({ target, driver }) => {
  /** Backends of this database other than the asking one, once those closing have gone (a closed session's backend exits a moment later). */
  async function sessionsLeft(url: string): Promise<number> {
    let n = -1;
    for (let i = 0; i < 100; i++) {
      n = (await rows<{ n: number }>(url, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()'))[0]!
        .n;
      if (n === 0) return 0;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return n;
  }

  it('connects while the pending files are parsed, and closes that connection unused when a pending file is refused', async () => {
    const url = await freshDatabase(target, 'opening');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
    expect((await runEngine(driver, url, dir)).outcome).toBe('applied');
    addFile(dir, '2_b.sql', 'CREATE TABLE b (id int);\n');
    addFile(dir, '3_bad.sql', "INSERT INTO b VALUES (1);\nSELECT 'not closed;\n");

    const d = driver.make(url);
    let connections = 0;
    const counted: Driver = {
      kind: d.kind,
      target: d.target,
      createLock: (o) => d.createLock(o),
      end: () => d.end(),
      connect: () => {
        connections++;
        return d.connect();
      },
    };
    const e = await rejection(migrate({ driver: counted, migrations: loadMigrations(dir, { deferParse: true }), appliedBy: 'test' }));

    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toContain('3_bad.sql:2: unterminated quoted string');
    // The session for the files was opening before the bad file was found (the runner lock opens its own inside the driver).
    expect(connections).toBe(1);
    // Both closed by migrate itself (the driver was not ended).
    expect(await sessionsLeft(url)).toBe(0);
    expect(await appliedVersions(url)).toEqual([1]);
    expect(await tables(url)).toBe('a');
    await d.end();
  });
});

describe.each(engineCases)("Function: migrate, another tool's history on $name", ({ target, driver }) => {
  // Regression (exploratory tester): a note, then every file node-pg-migrate had applied ran again (a seed row twice), outcome applied.
  it('refuses a first run where pgmigrations records applied migrations, before anything runs; ignoreForeignHistory runs them with the note', async () => {
    const url = await freshDatabase(target, 'foreign_history');
    await withClient(url, (c) =>
      c.query(`CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
      INSERT INTO pgmigrations (name, run_on) VALUES ('1_seed', now()); CREATE TABLE plans (name text); INSERT INTO plans VALUES ('free')`),
    );
    const dir = tempDir({ '1_seed.sql': "CREATE TABLE IF NOT EXISTS plans (name text);\nINSERT INTO plans VALUES ('free');" });

    const e = await rejection<ForeignHistoryError>(runEngine(driver, url, dir));

    expect(e).toBeInstanceOf(ForeignHistoryError);
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe(
      "public.pgmigrations (node-pg-migrate's history) records 1 applied migration and schemaguard has recorded nothing here: migrate would run all 1 file again on the schema node-pg-migrate built; nothing was run",
    );
    expect(e.fix).toMatch(/^record the files node-pg-migrate applied without running them, then migrate: schemaguard baseline --from node-pg-migrate /);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM plans')).toEqual([{ n: 1 }]);
    expect(await rows(url, "SELECT to_regclass('schemaguard.applied_migrations') AS t")).toEqual([{ t: null }]);

    const run = await runEngine(driver, url, dir, { ignoreForeignHistory: true });
    expect(run.outcome).toBe('applied');
    expect(run.events.some((ev) => ev.type === 'note' && ev.message.startsWith("public.pgmigrations (node-pg-migrate's history) is here"))).toBe(true);
  });
});
