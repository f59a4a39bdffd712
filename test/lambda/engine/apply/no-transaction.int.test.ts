import { afterAll, describe, expect, it } from 'vitest';
import { CheckFailedError, LockTimeoutError, type MigrationError, type StatementError } from '../../../../lambda/engine/errors/errors';
import type { RunEvent } from '../../../../lambda/engine/runner';
import { dropDatabases, freshDatabase, rows, withClient } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const indexes = (url: string) =>
  rows<{ name: string; valid: boolean }>(
    url,
    `
  SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1`,
  );

const seed = (url: string, duplicates: boolean) =>
  withClient(url, (c) =>
    c.query(`
  CREATE TABLE purchases (student_id int, course_id int, is_active boolean);
  INSERT INTO purchases SELECT g, g, true FROM generate_series(1, 200) g;
  ${duplicates ? 'INSERT INTO purchases VALUES (7, 7, true);' : ''}`),
  );

const CIC = `-- schemaguard:no-transaction
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS unique_active_purchase
  ON purchases (student_id, course_id) WHERE is_active = true;
`;

/**
 * app.purchases with the INVALID unique index purchase_key an earlier build left (it met a duplicate, since
 * deleted), and `more` SQL beside it.
 */
async function leftoverInApp(url: string, more = ''): Promise<void> {
  await withClient(url, (c) =>
    c.query(`
    CREATE SCHEMA app;
    CREATE TABLE app.purchases (student_id int, course_id int);
    INSERT INTO app.purchases SELECT g, g FROM generate_series(1, 200) g;
    INSERT INTO app.purchases VALUES (7, 7);
    ${more}`),
  );
  await withClient(url, (c) => c.query('CREATE UNIQUE INDEX CONCURRENTLY purchase_key ON app.purchases (student_id, course_id)').catch(() => undefined));
  await withClient(url, (c) => c.query('DELETE FROM app.purchases WHERE ctid = (SELECT max(ctid) FROM app.purchases WHERE student_id = 7)'));
}

describe.each(driverCases())('no-transaction migrations on $name', ({ target, driver }) => {
  it('builds an index concurrently and records the migration', async () => {
    const url = await freshDatabase(target, 'cic');
    await seed(url, false);
    const r = await runEngine(driver, url, tempDir({ '1_idx.sql': CIC }));
    expect(r.outcome).toBe('applied');
    expect(await indexes(url)).toEqual([{ name: 'unique_active_purchase', valid: true }]);
    expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations')).toEqual([{ version: '1' }]);
  });

  it('drops the INVALID index a failed concurrent build leaves, records nothing, and a rerun succeeds after the data is fixed', async () => {
    const url = await freshDatabase(target, 'cicfail');
    await seed(url, true);
    const dir = tempDir({ '1_idx.sql': CIC });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect(e.sqlstate).toBe('23505');
    expect(e.file).toBe('1_idx.sql');
    expect(e.line).toBe(2);
    expect(await indexes(url)).toEqual([]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);

    await withClient(url, (c) => c.query('UPDATE purchases SET is_active = false WHERE ctid = (SELECT max(ctid) FROM purchases WHERE student_id = 7)'));
    const rerun = await runEngine(driver, url, dir);
    expect(rerun.outcome).toBe('applied');
    expect(await indexes(url)).toEqual([{ name: 'unique_active_purchase', valid: true }]);
  });

  it('says which lines of the file committed before the failing statement (they stay applied; the file is not recorded)', async () => {
    // Regression: the next run failed on "column already exists" with nothing having said line 2 stayed applied.
    const url = await freshDatabase(target, 'cicpart');
    await seed(url, true);
    const dir = tempDir({
      '1_idx.sql': `-- schemaguard:no-transaction\nALTER TABLE purchases ADD COLUMN status text;\n${CIC.split('\n').slice(1).join('\n')}`,
    });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect({ sqlstate: e.sqlstate, line: e.line }).toEqual({ sqlstate: '23505', line: 3 });
    expect(e.fix).toMatch(
      /^line 2 of this no-transaction file committed before it and stays applied, but the file is not recorded: the next run starts again from its first line, so make that statement safe to run twice \(IF NOT EXISTS\) or undo it first; as written, line 2 fails when run again \(already exists\)$/,
    );
    expect(await rows(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'purchases' AND column_name = 'status'")).toEqual([
      { n: 1 },
    ]);
  });

  it("indexes a partitioned table partition by partition: keeps the parent's index (INVALID by design) when a partition's build fails, and a rerun attaches the rest", async () => {
    const url = await freshDatabase(target, 'cicparts');
    await withClient(url, (c) =>
      c.query(`
      CREATE TABLE ledger (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE ledger_2025 PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE TABLE ledger_2026 PARTITION OF ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      INSERT INTO ledger SELECT g, DATE '2025-01-01' + (g % 700) FROM generate_series(1, 2000) g;
      INSERT INTO ledger VALUES (5, DATE '2026-06-01'), (5, DATE '2026-06-01');`),
    );
    // What lint prints for CREATE UNIQUE INDEX ON ledger (id, at) (index-not-concurrent).
    const dir = tempDir({
      '1_idx.sql': `-- schemaguard:no-transaction
CREATE UNIQUE INDEX IF NOT EXISTS ledger_id_at_idx ON ONLY ledger (id, at);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ledger_2025_id_at_idx ON ledger_2025 (id, at);
ALTER INDEX ledger_id_at_idx ATTACH PARTITION ledger_2025_id_at_idx;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ledger_2026_id_at_idx ON ledger_2026 (id, at);
ALTER INDEX ledger_id_at_idx ATTACH PARTITION ledger_2026_id_at_idx;
`,
    });

    const e = await rejection<StatementError>(runEngine(driver, url, dir));

    expect([e.sqlstate, e.line]).toEqual(['23505', 5]);
    // The failed partition's index is dropped; the parent's stays, INVALID, with the 2025 partition's attached.
    expect(await indexes(url)).toEqual([
      { name: 'ledger_2025_id_at_idx', valid: true },
      { name: 'ledger_id_at_idx', valid: false },
    ]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);

    await withClient(url, (c) => c.query('DELETE FROM ledger WHERE ctid = (SELECT max(ctid) FROM ledger_2026 WHERE id = 5)'));
    const rerun = await runEngine(driver, url, dir);

    expect(rerun.outcome).toBe('applied');
    expect(await indexes(url)).toEqual([
      { name: 'ledger_2025_id_at_idx', valid: true },
      { name: 'ledger_2026_id_at_idx', valid: true },
      { name: 'ledger_id_at_idx', valid: true },
    ]);
  });

  it('replaces an INVALID index left by an earlier crashed build instead of keeping it through IF NOT EXISTS', async () => {
    const url = await freshDatabase(target, 'cicleft');
    await seed(url, true);
    // An earlier run outside schemaguard failed and left the index INVALID.
    await withClient(url, (c) =>
      c.query('CREATE UNIQUE INDEX CONCURRENTLY unique_active_purchase ON purchases (student_id, course_id) WHERE is_active = true').catch(() => undefined),
    );
    expect(await indexes(url)).toEqual([{ name: 'unique_active_purchase', valid: false }]);
    await withClient(url, (c) => c.query('DELETE FROM purchases WHERE ctid = (SELECT max(ctid) FROM purchases WHERE student_id = 7)'));

    const r = await runEngine(driver, url, tempDir({ '1_idx.sql': CIC }));

    expect(
      r.events.some((ev) => ev.type === 'note' && ev.message.includes('dropped INVALID index public.unique_active_purchase left by an earlier failed run')),
    ).toBe(true);
    expect(await indexes(url)).toEqual([{ name: 'unique_active_purchase', valid: true }]);
  });

  it("finds the INVALID index an earlier build left on a table outside public in that table's schema (not through search_path)", async () => {
    // Regression: the leftover was looked up by its bare name, found public's valid namesake, and IF NOT EXISTS kept app's INVALID one: the file was recorded, the index never usable.
    const url = await freshDatabase(target, 'cicschema');
    await leftoverInApp(url, 'CREATE TABLE public.purchases (student_id int); CREATE INDEX purchase_key ON public.purchases (student_id);');
    const validity = () =>
      rows(
        url,
        "SELECT n.nspname AS schema, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'purchase_key' ORDER BY 1",
      );
    expect(await validity()).toEqual([
      { schema: 'app', valid: false },
      { schema: 'public', valid: true },
    ]);

    const r = await runEngine(
      driver,
      url,
      tempDir({
        '1_idx.sql': '-- schemaguard:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS purchase_key ON app.purchases (student_id, course_id);\n',
      }),
    );

    expect(r.events.filter((ev) => ev.type === 'note').map((ev) => ev.message)).toContain(
      '1_idx.sql: dropped INVALID index app.purchase_key left by an earlier failed run',
    );
    expect(await validity()).toEqual([
      { schema: 'app', valid: true },
      { schema: 'public', valid: true },
    ]);
  });

  it('refuses a CREATE INDEX IF NOT EXISTS that PostgreSQL skipped for an INVALID index of that name on another table, shows the skip notice, and builds it once that is dropped', async () => {
    const url = await freshDatabase(target, 'skipped_invalid');
    await seed(url, false);
    // A failed build on another table left an INVALID index with the name the file uses.
    await withClient(url, (c) => c.query('CREATE TABLE other (x int); INSERT INTO other VALUES (1), (1)'));
    await withClient(url, (c) => c.query('CREATE UNIQUE INDEX CONCURRENTLY unique_active_purchase ON other (x)').catch(() => undefined));
    const dir = tempDir({ '1_idx.sql': CIC });
    const events: RunEvent[] = [];

    const e = await rejection<MigrationError>(runEngine(driver, url, dir, { onEvent: (ev) => events.push(ev) }));

    expect(e.message).toBe(
      '1_idx.sql:2: CREATE INDEX IF NOT EXISTS unique_active_purchase built nothing: PostgreSQL skipped it because public.unique_active_purchase already exists and is an INVALID index on other (a build that failed or was cut off left it), not a valid index on purchases; the file is not recorded',
    );
    expect(e.fix).toBe('drop it and run again: DROP INDEX CONCURRENTLY public.unique_active_purchase;');
    // The server's notice, as psql shows it (the Data API returns no notices).
    if (driver.name === 'pg') expect(events).toContainEqual({ type: 'note', message: '1_idx.sql: relation "unique_active_purchase" already exists, skipping' });
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);

    await withClient(url, (c) => c.query(e.fix!.replace(/^drop it and run again: /, '')));
    expect((await runEngine(driver, url, dir)).applied.map((a) => a.version)).toEqual([1]);
    expect(
      await rows(url, "SELECT indrelid::regclass::text AS t, indisvalid AS valid FROM pg_index WHERE indexrelid = 'unique_active_purchase'::regclass"),
    ).toEqual([{ t: 'purchases', valid: true }]);
  });

  it('refuses a CREATE INDEX IF NOT EXISTS skipped for a table of that name, and keeps a rerun that finds its valid index on its table', async () => {
    const url = await freshDatabase(target, 'skipped_table');
    await seed(url, false);
    await withClient(url, (c) => c.query('CREATE TABLE unique_active_purchase (id int)'));
    const dir = tempDir({ '1_idx.sql': CIC });

    const e = await rejection<MigrationError>(runEngine(driver, url, dir));

    expect(e.message).toContain('public.unique_active_purchase already exists and is a table, not a valid index on purchases');
    expect(e.fix).toMatch(/^give the new index another name in 1_idx.sql/);
    await withClient(url, (c) =>
      c.query('DROP TABLE unique_active_purchase; CREATE UNIQUE INDEX unique_active_purchase ON purchases (student_id, course_id) WHERE is_active = true'),
    );
    expect((await runEngine(driver, url, dir)).applied.map((a) => a.version)).toEqual([1]);
  });

  it('runs checks after the statements and does not record the file when one fails', async () => {
    const url = await freshDatabase(target, 'ciccheck');
    await seed(url, false);
    const dir = tempDir({ '1_idx.sql': `${CIC}\n-- schemaguard:check no student 5\nSELECT student_id FROM purchases WHERE student_id = 5;` });
    const e = await rejection<CheckFailedError>(runEngine(driver, url, dir));
    expect(e).toBeInstanceOf(CheckFailedError);
    expect(e.rows).toEqual([{ student_id: '5' }]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);
  });
});

// Through the Data API a concurrent build runs as a bare call, without lock_timeout, and a session's SET does not outlive its call (data-api-driver.ts).
describe.each(driverCases().filter((c) => c.driver.name === 'pg'))('no-transaction files in one session on $name', ({ target, driver }) => {
  /** app.purchases with the INVALID purchase_key an earlier build left, then a no-transaction file of `build` after SET search_path = app. */
  async function buildInApp(label: string, build: string): Promise<{ url: string; r: Awaited<ReturnType<typeof runEngine>> }> {
    const url = await freshDatabase(target, label);
    await leftoverInApp(url);
    const r = await runEngine(driver, url, tempDir({ '1_idx.sql': `-- schemaguard:no-transaction\nSET search_path = app;\n${build}\n` }));
    return { url, r };
  }

  it("finds it too when the file's own SET search_path names the schema (looked up just before the statement, in its session)", async () => {
    const { url, r } = await buildInApp('cicpath', 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS purchase_key ON purchases (student_id, course_id);');

    expect(r.outcome).toBe('applied');
    expect(await rows(url, "SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = 'app.purchase_key'::regclass")).toEqual([{ valid: true }]);
  });

  it("keeps the INVALID index another build left on the table the file's SET search_path reaches: it was there before the file ran", async () => {
    // The INVALID indexes before a file are those of its builds' tables as named; a name resolved before the file's
    // SET search_path would miss app.purchases, and its old INVALID index would be taken for one the file left.
    const { url, r } = await buildInApp('cicother', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_course ON purchases (course_id);');

    expect(r.outcome).toBe('applied');
    expect(
      await rows(
        url,
        "SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'app.purchases'::regclass ORDER BY 1",
      ),
    ).toEqual([
      { name: 'purchase_key', valid: false },
      { name: 'purchases_course', valid: true },
    ]);
  });

  it('retries a build blocked by an open transaction, dropping its INVALID index first (the drop waits for the same session), then names the file, line and blocker', async () => {
    // Regression: the drop timed out too, and its bare "canceling statement due to lock timeout" escaped the retries (no file, no blocker).
    const url = await freshDatabase(target, 'cicblocked');
    await seed(url, false);
    const dir = tempDir({ '1_idx.sql': CIC });
    const notes: string[] = [];
    const e = await withClient(url, async (blocker) => {
      await blocker.query("SET application_name = 'billing-batch'");
      await blocker.query('BEGIN');
      await blocker.query('UPDATE purchases SET course_id = course_id WHERE student_id = 1');
      const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const err = await rejection<LockTimeoutError>(
        runEngine(driver, url, dir, {
          lockTimeoutMs: 300,
          lockRetries: 2,
          onEvent: (ev) => {
            if (ev.type === 'note') notes.push(ev.message);
          },
        }),
      );
      // A second run while the transaction is still open: the leftover's drop waits under the file's lock_timeout too, and retries.
      const again = await rejection<LockTimeoutError>(runEngine(driver, url, dir, { lockTimeoutMs: 300, lockRetries: 1 }));
      await blocker.query('ROLLBACK');
      return { err, again, pid };
    });
    expect(e.again).toBeInstanceOf(LockTimeoutError);
    expect({ file: e.again.file, line: e.again.line, attempts: e.again.attempts }).toEqual({ file: '1_idx.sql', line: 2, attempts: 2 });
    expect(e.again.blockers.map((b) => b.pid)).toContain(e.pid);

    expect(e.err).toBeInstanceOf(LockTimeoutError);
    expect({ file: e.err.file, line: e.err.line, attempts: e.err.attempts }).toEqual({ file: '1_idx.sql', line: 2, attempts: 3 });
    expect(e.err.blockers.map((b) => b.pid)).toContain(e.pid);
    expect(e.err.message).toContain(`blocked by pid ${e.pid} (billing-batch)`);
    // It writes the table: a lock on it, not an older transaction elsewhere.
    expect(e.err.fix).toBe(
      'a long transaction holds a lock on the table: let it finish or end it (SELECT pg_terminate_backend(pid)), then run again; or raise --lock-timeout',
    );
    expect(notes.join('\n')).toMatch(
      /INVALID index public\.unique_active_purchase is left: its DROP INDEX CONCURRENTLY waited for the same sessions as the build/,
    );
    expect(await indexes(url)).toEqual([{ name: 'unique_active_purchase', valid: false }]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);

    // Once the transaction ended, the next run drops the leftover and builds the index.
    // Regression: the next run's drop of the leftover ran before the file's lock_timeout was set, and waited for ever.
    const rerun = await runEngine(driver, url, dir);
    expect(rerun.outcome).toBe('applied');
    expect(await indexes(url)).toEqual([{ name: 'unique_active_purchase', valid: true }]);
  });

  // Regression (tester): a build waiting for a snapshot held open on another table was told "a long transaction holds a lock on the table".
  it('says a build blocked by an older transaction on another table waits for that transaction, not for a lock on the table, and names it', async () => {
    const url = await freshDatabase(target, 'cicsnapshot');
    await seed(url, false);
    await withClient(url, (c) => c.query('CREATE TABLE reports (n int); INSERT INTO reports VALUES (1)'));
    const e = await withClient(url, async (reader) => {
      await reader.query("SET application_name = 'monthly-report'");
      const pid = (await reader.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await reader.query('SELECT count(*) FROM reports');
      const err = await rejection<LockTimeoutError>(runEngine(driver, url, tempDir({ '1_idx.sql': CIC }), { lockTimeoutMs: 300, lockRetries: 0 }));
      await reader.query('ROLLBACK');
      return { err, pid };
    });

    expect(e.err).toBeInstanceOf(LockTimeoutError);
    expect(e.err.blockers.map((b) => [b.pid, b.olderTransaction])).toEqual([[e.pid, true]]);
    expect(e.err.message).toMatch(
      new RegExp(`blocked by pid ${e.pid} \\(monthly-report\\) user \\w+ idle in transaction, an open transaction \\(\\d+ s\\) holding no lock on the table`),
    );
    expect(e.err.message).not.toContain('SELECT count');
    expect(e.err.fix).toBe(
      `no session holds a lock on the table: a concurrent build (CREATE INDEX CONCURRENTLY, REINDEX or DROP INDEX CONCURRENTLY) waits for every transaction older than it to end, whatever it touches, and pid ${e.pid} ` +
        `has one open (an idle-in-transaction session, a long report, a REPEATABLE READ snapshot): let it finish or end it (SELECT pg_terminate_backend(${e.pid})), then run again; or raise --lock-timeout`,
    );
  });
});
