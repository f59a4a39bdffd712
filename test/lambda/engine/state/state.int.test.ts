/**
 * The state table of an earlier schemaguard (no `kind`, no `reason`) keeps
 * working: read as executed rows, upgraded in place by the next run that
 * writes under the runner lock, by every driver.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { baseline } from '../../../../lambda/engine/state/baseline';
import { LockTimeoutError, MigrationError } from '../../../../lambda/engine/errors/errors';
import { migrate } from '../../../../lambda/engine/runner';
import { loadMigrations, loadMigrationsAsync } from '../../../../lambda/engine/files/source';
import { readApplied, readAppliedKeys } from '../../../../lambda/engine/state/state';
import { allMajors, dropDatabases, freshDatabase, fullMatrixMajors, rows, urlFor, withClient } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';
import { lockHolderPid, sleep } from '../../../faults/support';

afterAll(dropDatabases);

/** The state table exactly as schemaguard 0.1.0 created it, with one executed row. */
const OLD_STATE = `
CREATE SCHEMA schemaguard;
CREATE TABLE schemaguard.applied_migrations (
  version      bigint      PRIMARY KEY,
  name         text        NOT NULL,
  checksum     text        NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  applied_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  execution_ms integer     NOT NULL CHECK (execution_ms >= 0),
  applied_by   text        NOT NULL
);`;

/** Poll until `sql` returns a row (10 s at most). */
async function waitFor(url: string, sql: string): Promise<void> {
  for (const until = Date.now() + 10_000; Date.now() < until; await sleep(25)) if ((await rows(url, sql)).length) return;
  throw new Error(`no row within 10 s: ${sql}`);
}

const columns = (url: string) =>
  rows<{ c: string }>(
    url,
    "SELECT string_agg(attname, ',' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'schemaguard.applied_migrations'::regclass AND attnum > 0 AND NOT attisdropped",
  ).then((r) => r[0]!.c);

/**
 * The pg driver on every major; the Data API driver on 18 (every major in
 * the full matrix, `fullMatrixMajors`). The SQL the upgrade sends is the
 * same through both drivers, so the pg cases prove it on each major; what is
 * the Data API driver's own (transactions by id, one statement a call, its
 * lease) does not depend on the server's major (runner.int.test.ts's engine
 * cases are cut the same way).
 */
const stateCases = driverCases(allMajors).filter((c) => c.driver.name === 'pg' || fullMatrixMajors.includes(c.target));

describe.each(stateCases)('State table of an earlier version on $name', ({ target, driver }) => {
  async function oldDatabase(label: string): Promise<{ url: string; dir: string }> {
    const url = await freshDatabase(target, label);
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);', '3_c.sql': 'CREATE TABLE c (id int);' });
    const [first] = loadMigrations(dir);
    await withClient(url, async (c) => {
      await c.query(OLD_STATE);
      await c.query(first!.text);
      await c.query('INSERT INTO schemaguard.applied_migrations (version, name, checksum, execution_ms, applied_by) VALUES (1, $1, $2, 3, $3)', [
        first!.name,
        first!.checksum,
        'cli:old@host',
      ]);
    });
    return { url, dir };
  }

  /** A session that read the state table in a transaction it keeps open (a `status` left open in psql). */
  async function openReader(url: string): Promise<pg.Client> {
    const reader = new pg.Client({ connectionString: url, application_name: 'status-left-open' });
    await reader.connect();
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM schemaguard.applied_migrations');
    return reader;
  }

  it('reads it as executed rows without writing anything', async () => {
    const { url } = await oldDatabase('old_state_read');
    const d = driver.make(url);
    try {
      const session = await d.connect();
      try {
        expect(await readApplied(session, 'schemaguard')).toMatchObject([{ version: 1, name: 'a', kind: 'migrate', appliedBy: 'cli:old@host' }]);
        // What migrate compares: the same rows, without the columns it does not need.
        const [key, ...more] = await readAppliedKeys(session, 'schemaguard');
        expect(more).toEqual([]);
        expect(Object.keys(key!).sort()).toEqual(['checksum', 'kind', 'name', 'version']);
        expect(key).toMatchObject({ version: 1, name: 'a', kind: 'migrate' });
      } finally {
        await session.close();
      }
    } finally {
      await d.end();
    }
    expect(await columns(url)).toBe('version,name,checksum,applied_at,execution_ms,applied_by');
  });

  it('migrate adds kind and reason in place, keeping the old row as executed', async () => {
    const { url, dir } = await oldDatabase('old_state_migrate');
    const r = await runEngine(driver, url, dir);
    expect(r.applied.map((a) => a.version)).toEqual([2, 3]);
    expect(await columns(url)).toBe('version,name,checksum,applied_at,execution_ms,applied_by,kind,reason');
    expect(await rows(url, 'SELECT version, kind, applied_by FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
      { version: '1', kind: 'migrate', applied_by: 'cli:old@host' },
      { version: '2', kind: 'migrate', applied_by: 'test' },
      { version: '3', kind: 'migrate', applied_by: 'test' },
    ]);
    // Idempotent: a second run finds the columns and changes nothing.
    expect((await runEngine(driver, url, dir)).outcome).toBe('up-to-date');
  });

  it('migrate refused by a bad pending file leaves it as it was: the upgrade, made while the files were parsed, is rolled back', async () => {
    const { url, dir } = await oldDatabase('old_state_bad_file');
    writeFileSync(join(dir, '4_bad.sql'), "SELECT 'open;\n");
    const d = driver.make(url);
    try {
      const migrations = await loadMigrationsAsync(dir, { deferParse: true });
      await expect(migrate({ driver: d, migrations, appliedBy: 'test' })).rejects.toThrow('4_bad.sql:1: unterminated quoted string');
    } finally {
      await d.end();
    }
    expect(await columns(url)).toBe('version,name,checksum,applied_at,execution_ms,applied_by');
    expect(await rows(url, "SELECT to_regclass('b') AS b")).toEqual([{ b: null }]);
  });

  it('migrate names the session that keeps the table from being upgraded, after the lock timeout, and leaves it as it was', async () => {
    const { url, dir } = await oldDatabase('old_state_held');
    const reader = await openReader(url);
    const d = driver.make(url);
    try {
      const migrations = await loadMigrationsAsync(dir, { deferParse: true });
      const e = await rejection<LockTimeoutError>(migrate({ driver: d, migrations, appliedBy: 'test', lockTimeoutMs: 300 }));
      expect(e).toBeInstanceOf(LockTimeoutError);
      expect(e.message).toMatch(
        /^could not get a lock on the state table "schemaguard"\."applied_migrations" within 300 ms to bring it up to date; blocked by .*; nothing was run$/,
      );
      expect(e.fix).toMatch(/raise --lock-timeout/);
      // The pg driver samples who blocks from the runner lock's connection; the Data API has no second session to ask from.
      if (driver.name === 'pg')
        expect(e.blockers).toMatchObject([{ pid: (reader as unknown as { processID: number }).processID, application: 'status-left-open' }]);
    } finally {
      await reader.end();
      await d.end();
    }
    expect(await columns(url)).toBe('version,name,checksum,applied_at,execution_ms,applied_by');
    expect(await rows(url, "SELECT to_regclass('b') AS b")).toEqual([{ b: null }]);
    // Once the reader is gone, the same run upgrades it.
    expect((await runEngine(driver, url, dir)).applied.map((a) => a.version)).toEqual([2, 3]);
  });

  it('migrate whose runner lock is lost while the upgrade waits rolls the upgrade back and runs nothing', async () => {
    const { url, dir } = await oldDatabase('old_state_lock_lost');
    const reader = await openReader(url);
    const d = driver.make(url);
    try {
      const migrations = await loadMigrationsAsync(dir, { deferParse: true });
      const running = rejection<MigrationError>(migrate({ driver: d, migrations, appliedBy: 'test', lockTimeoutMs: 30_000 }));
      // The upgrade's ALTER TABLE waits for the reader; meanwhile the runner lock goes.
      await waitFor(
        url,
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%ALTER TABLE %applied_migrations%'",
      );
      if (driver.name === 'pg') {
        const holder = await lockHolderPid(url);
        await rows(url, 'SELECT pg_terminate_backend($1)', [holder]);
        await waitFor(url, `SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ${holder})`);
      } else {
        // Another runner's takeover of the lease, as its upsert does it.
        await rows(url, "UPDATE schemaguard.runner_lease SET holder = 'another-runner', expires_at = clock_timestamp() + interval '1 minute'");
      }
      await reader.query('COMMIT');
      const e = await running;
      expect(e).toBeInstanceOf(MigrationError);
      expect(e.message).toMatch(driver.name === 'pg' ? /^lost the runner lock: its connection closed/ : /another runner took the lease over/);
    } finally {
      await reader.end();
      await d.end();
    }
    expect(await columns(url)).toBe('version,name,checksum,applied_at,execution_ms,applied_by');
    expect(await rows(url, "SELECT to_regclass('b') AS b")).toEqual([{ b: null }]);
    // Once the other runner is done (its lease released), the next run upgrades it and applies the rest.
    if (driver.name !== 'pg') await rows(url, 'DELETE FROM schemaguard.runner_lease');
    expect((await runEngine(driver, url, dir)).applied.map((a) => a.version)).toEqual([2, 3]);
    expect(await columns(url)).toBe('version,name,checksum,applied_at,execution_ms,applied_by,kind,reason');
  });

  it('baseline upgrades it in the same transaction as the rows it records', async () => {
    const { url, dir } = await oldDatabase('old_state_baseline');
    await withClient(url, (c) => c.query('CREATE TABLE b (id int)'));
    const d = driver.make(url);
    try {
      const result = await baseline({ driver: d, migrations: loadMigrations(dir), version: 2, actor: 'test', reason: 'b built by hand' });
      expect(result.recorded.map((m) => m.version)).toEqual([2]);
    } finally {
      await d.end();
    }
    expect(await rows(url, 'SELECT version, kind, reason FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
      { version: '1', kind: 'migrate', reason: null },
      { version: '2', kind: 'baseline', reason: 'b built by hand' },
    ]);
  });

  /**
   * A deploy role as an upgrade finds it: granted USAGE on the state schema and
   * SELECT, INSERT on the table an earlier version made as postgres (and, for the
   * lease of the Data API, CREATE on the schema, where its runner_lease goes).
   */
  async function deployRole(url: string): Promise<{ roleUrl: string; role: string; drop(): Promise<void> }> {
    const role = `sg_deploy_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const database = new URL(url).pathname.slice(1);
    await withClient(url, async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      await c.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${role}`);
      await c.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
      await c.query(`GRANT USAGE${driver.name === 'pg' ? '' : ', CREATE'} ON SCHEMA schemaguard TO ${role}`);
      await c.query(`GRANT SELECT, INSERT ON schemaguard.applied_migrations TO ${role}`);
    });
    const u = new URL(url);
    u.username = role;
    u.password = password;
    const drop = () =>
      withClient(urlFor(target, 'postgres'), async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${role}`);
      }).then(() => undefined);
    return { roleUrl: u.toString(), role, drop };
  }

  it('migrate as a role that does not own the earlier table (granted SELECT, INSERT) applies the files without the new columns and notes the owner\'s ALTER once, where it failed on "must be owner of table applied_migrations"', async () => {
    const { url, dir } = await oldDatabase('old_state_not_owner');
    const deploy = await deployRole(url);
    try {
      const r = await runEngine(driver, deploy.roleUrl, dir);
      expect(r.applied.map((a) => a.version)).toEqual([2, 3]);
      const notes = r.events.filter((e) => e.type === 'note').map((e) => (e as { message: string }).message);
      expect(notes.filter((n) => n.includes('lacks the columns kind, reason'))).toEqual([
        `"schemaguard"."applied_migrations" was made by an earlier schemaguard and lacks the columns kind, reason; role "${deploy.role}" does not own it ("postgres" does), so this run goes on without them (it does not need them); ` +
          `baseline needs them: have "postgres" run once: ALTER TABLE "schemaguard"."applied_migrations" ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'migrate' CHECK (kind IN ('migrate', 'baseline')); ALTER TABLE "schemaguard"."applied_migrations" ADD COLUMN IF NOT EXISTS reason text`,
      ]);
      expect(await columns(url)).toBe('version,name,checksum,applied_at,execution_ms,applied_by');
      expect(await rows(url, 'SELECT version, applied_by FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
        { version: '1', applied_by: 'cli:old@host' },
        { version: '2', applied_by: 'test' },
        { version: '3', applied_by: 'test' },
      ]);
      // Nothing pending: no note, nothing written.
      const again = await runEngine(driver, deploy.roleUrl, dir);
      expect(again.outcome).toBe('up-to-date');
      expect(again.events.filter((e) => e.type === 'note')).toEqual([]);
    } finally {
      await deploy.drop();
    }
  });

  it("baseline as a role that does not own the earlier table refuses before writing, naming schemaguard's ALTER and giving the owner's statements as the fix", async () => {
    const { url, dir } = await oldDatabase('old_state_not_owner_baseline');
    await withClient(url, (c) => c.query('CREATE TABLE b (id int)'));
    const deploy = await deployRole(url);
    const d = driver.make(deploy.roleUrl);
    try {
      const e = await rejection<MigrationError>(baseline({ driver: d, migrations: loadMigrations(dir), version: 2, actor: 'test', reason: 'b built by hand' }));
      expect(e).toBeInstanceOf(MigrationError);
      expect(e.message).toBe(
        `baseline: "schemaguard"."applied_migrations" was made by an earlier schemaguard and lacks the columns kind, reason, where baseline records kind = 'baseline' and the --reason; ` +
          `schemaguard's own statement ALTER TABLE "schemaguard"."applied_migrations" ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'migrate' CHECK (kind IN ('migrate', 'baseline')) needs the table's owner ("postgres"), and role "${deploy.role}" is not: nothing was written`,
      );
      expect(e.sqlstate).toBe('42501');
      expect(e.fix).toMatch(
        /^have "postgres" \(or a superuser\) run once: ALTER TABLE .* ADD COLUMN IF NOT EXISTS kind .*; ALTER TABLE .* ADD COLUMN IF NOT EXISTS reason text; then run baseline again/,
      );
      expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).toEqual([{ version: '1' }]);
      // Once the owner ran the fix, the same role records it.
      await withClient(url, async (c) => {
        for (const stmt of e
          .fix!.replace(/^have .*? run once: /, '')
          .replace(/; then run .*$/, '')
          .split('; '))
          await c.query(stmt);
      });
      expect(
        (await baseline({ driver: d, migrations: loadMigrations(dir), version: 2, actor: 'test', reason: 'b built by hand' })).recorded.map((m) => m.version),
      ).toEqual([2]);
    } finally {
      await d.end();
      await deploy.drop();
    }
  });
});
