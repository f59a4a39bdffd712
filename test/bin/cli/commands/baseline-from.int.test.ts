/**
 * `schemaguard baseline --from`: the version read from another tool's history
 * table. node-pg-migrate runs for real (it is a dev dependency); Flyway's,
 * golang-migrate's and Prisma's history tables are created as those tools
 * create them (golang-migrate's postgres driver, Prisma's schema engine).
 * The CLI runs as the real executable in the first test, in process
 * (`runCliInProcess`, the same `main`) in the others.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { ROOT, runCli, runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';

afterAll(dropDatabases);

const NODE_PG_MIGRATE = join(ROOT, 'node_modules', 'node-pg-migrate', 'bin', 'node-pg-migrate.js');

const FLYWAY_HISTORY = `
CREATE TABLE flyway_schema_history (
  installed_rank integer PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL,
  script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL,
  installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL)`;

const GOLANG_MIGRATE_HISTORY = 'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)';

const PRISMA_HISTORY = `
CREATE TABLE _prisma_migrations (
  id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL,
  logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`;

/** A database with `history` (CREATE TABLE) and `insert` run in it. */
async function withHistory(target: (typeof targets)[number], label: string, history: string, insert: string): Promise<string> {
  const url = await freshDatabase(target, label);
  await withClient(url, async (c) => {
    await c.query(history);
    await c.query(insert);
  });
  return url;
}

describe.each(targets)('CLI: schemaguard baseline --from on $name', (target) => {
  it('node-pg-migrate: takes the newest version its pgmigrations table recorded', async () => {
    // Prepare: node-pg-migrate migrates the database with its own SQL files.
    const url = await freshDatabase(target, 'from_npm');
    const theirs = tempDir({
      '1700000000001_leads.sql': '-- Up Migration\nCREATE TABLE leads (id int PRIMARY KEY);\n-- Down Migration\nDROP TABLE leads;\n',
      '1700000000002_notes.sql': '-- Up Migration\nCREATE TABLE notes (id int PRIMARY KEY);\n-- Down Migration\nDROP TABLE notes;\n',
    });
    const up = spawnSync(process.execPath, [NODE_PG_MIGRATE, 'up', '-m', theirs, '--no-verbose'], {
      env: { ...process.env, DATABASE_URL: url },
      encoding: 'utf8',
    });
    expect(up.status, up.stderr + up.stdout).toBe(0);
    const ours = tempDir({
      '1700000000001_leads.sql': 'CREATE TABLE leads (id int PRIMARY KEY);',
      '1700000000002_notes.sql': 'CREATE TABLE notes (id int PRIMARY KEY);',
      '1700000000003_tags.sql': 'CREATE TABLE tags (id int PRIMARY KEY);',
    });
    // Act
    const r = await runCli(['baseline', '--from', 'node-pg-migrate', '--dir', ours, '--database-url', url]);
    const m = await runCli(['migrate', '--dir', ours, '--database-url', url, '--quiet']);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('public.pgmigrations: node-pg-migrate applied up to version 1700000000002');
    expect(r.stdout).toContain('recorded 2 files');
    expect(m.code, m.stderr).toBe(0);
    expect(await rows(url, 'SELECT version, kind, reason FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
      { version: '1700000000001', kind: 'baseline', reason: 'adopted from node-pg-migrate (public.pgmigrations, up to version 1700000000002)' },
      { version: '1700000000002', kind: 'baseline', reason: 'adopted from node-pg-migrate (public.pgmigrations, up to version 1700000000002)' },
      { version: '1700000000003', kind: 'migrate', reason: null },
    ]);
  });

  // Regression: node-pg-migrate's UTC names (YYYYMMDDHHMMSSmmm) are past 2^53; as numbers, 20240101123045123 and …124 are one version.
  it('node-pg-migrate with 17-digit UTC names: its files are refused with the rename to the second, and baseline --from reads its names to the second', async () => {
    const url = await freshDatabase(target, 'from_npm_utc');
    const theirs = tempDir({
      '20240101123045123_leads.sql': '-- Up Migration\nCREATE TABLE leads (id int PRIMARY KEY);\n',
      '20240101123046456_notes.sql': '-- Up Migration\nCREATE TABLE notes (id int PRIMARY KEY);\n',
    });
    const up = spawnSync(process.execPath, [NODE_PG_MIGRATE, 'up', '-m', theirs, '--no-verbose'], {
      env: { ...process.env, DATABASE_URL: url },
      encoding: 'utf8',
    });
    expect(up.status, up.stderr + up.stdout).toBe(0);
    expect(await rows(url, 'SELECT name FROM pgmigrations ORDER BY id')).toEqual([{ name: '20240101123045123_leads' }, { name: '20240101123046456_notes' }]);
    const before = await catalogFingerprint(url);

    const kept = await runCliInProcess(['baseline', '--from', 'node-pg-migrate', '--dir', theirs, '--database-url', url]);
    const bigArg = await runCliInProcess(['baseline', '20240101123046456', '--dir', theirs, '--database-url', url]);
    expect(kept.code).toBe(2);
    expect(kept.stderr).toContain(
      '20240101123045123_leads.sql: version 20240101123045123 is too large: schemaguard versions are below 2^53 (9007199254740991), read exactly',
    );
    expect(kept.stderr).toContain(
      `; here: mv ${join(theirs, '20240101123045123_leads.sql')} ${join(theirs, '20240101123045_leads.sql')} (git mv, the same arguments, for a file git tracks)`,
    );
    expect(bigArg.code).toBe(2);
    expect(bigArg.stderr).toContain('baseline: version 20240101123046456 is past 2^53 (9007199254740991), the largest schemaguard reads exactly');
    expect(await catalogFingerprint(url)).toBe(before);

    const ours = tempDir({
      '20240101123045_leads.sql': 'CREATE TABLE leads (id int PRIMARY KEY);',
      '20240101123046_notes.sql': 'CREATE TABLE notes (id int PRIMARY KEY);',
      '20240101123047_tags.sql': 'CREATE TABLE tags (id int PRIMARY KEY);',
    });
    const r = await runCliInProcess(['baseline', '--from', 'node-pg-migrate', '--dir', ours, '--database-url', url]);
    const m = await runCliInProcess(['migrate', '--dir', ours, '--database-url', url, '--quiet']);
    const s = await runCliInProcess(['status', '--dir', ours, '--database-url', url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('public.pgmigrations: node-pg-migrate applied up to version 20240101123046');
    expect(m.code, m.stderr).toBe(0);
    expect(s.code, s.stderr).toBe(0);
    expect(await rows(url, 'SELECT version, kind FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
      { version: '20240101123045', kind: 'baseline' },
      { version: '20240101123046', kind: 'baseline' },
      { version: '20240101123047', kind: 'migrate' },
    ]);
  });

  // Regression (helper): with the baseline forgotten, status showed every file pending and migrate failed on "relation already exists", neither naming the other tool's history.
  it("a forgotten baseline: status names the other tool's history table and the baseline to run", async () => {
    const url = await freshDatabase(target, 'from_forgotten');
    await withClient(url, async (c) => {
      await c.query(FLYWAY_HISTORY);
      await c.query(
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, execution_time, success) VALUES (1, '1', 'leads', 'SQL', 'V1__leads.sql', 'ci', 5, true)",
      );
      await c.query('CREATE TABLE leads (id int PRIMARY KEY)');
    });
    const dir = tempDir({ '1_leads.sql': 'CREATE TABLE leads (id int PRIMARY KEY);' });
    const note =
      "public.flyway_schema_history (flyway's history) is here and schemaguard has recorded nothing yet: if these files re-create the schema flyway made, " +
      'stop and record them first, without running them: schemaguard baseline --from flyway --reason …';
    const status = await runCliInProcess(['status', '--dir', dir, '--database-url', url]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`note: ${note}`);
    // Once baselined, nothing is said.
    expect((await runCliInProcess(['baseline', '--from', 'flyway', '--dir', dir, '--database-url', url])).code).toBe(0);
    const after = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toContain('flyway');
  });

  // Regression (exploratory tester): migrate printed "stop and record them first" and went on: every old migration ran again (a seed row twice, a value doubled), exit 0.
  it('migrate on a database flyway migrated, nothing recorded: refused before anything runs, naming the table, its count and the baseline; --ignore-foreign-history runs them', async () => {
    const url = await freshDatabase(target, 'from_refused');
    await withClient(url, async (c) => {
      await c.query(FLYWAY_HISTORY);
      await c.query(`INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, execution_time, success) VALUES
        (1, '1', 'prices', 'SQL', 'V1__prices.sql', 'ci', 5, true), (2, '2', 'double', 'SQL', 'V2__double.sql', 'ci', 5, true)`);
      await c.query('CREATE TABLE prices (v int); INSERT INTO prices VALUES (10); UPDATE prices SET v = v * 2');
    });
    const dir = tempDir({
      '1_prices.sql': 'CREATE TABLE IF NOT EXISTS prices (v int);\nINSERT INTO prices VALUES (10);',
      '2_double.sql': 'UPDATE prices SET v = v * 2;',
    });
    const before = await catalogFingerprint(url);

    const m = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    const json = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--json']);
    const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);

    expect(m.code).toBe(1);
    expect(m.stderr).toContain(
      "error: public.flyway_schema_history (flyway's history) records 2 applied migrations and schemaguard has recorded nothing here: migrate would run all 2 files again on the schema flyway built; nothing was run",
    );
    expect(m.stderr).toContain(
      'fix: record the files flyway applied without running them, then migrate: schemaguard baseline --from flyway --database-url <this database>',
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ error: 'ForeignHistoryError', table: 'public.flyway_schema_history', source: 'flyway', appliedCount: 2 });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(
      "warning: migrate through this URL will refuse to run: public.flyway_schema_history (flyway's history) records 2 applied migrations",
    );
    expect(await rows(url, 'SELECT v FROM prices')).toEqual([{ v: 20 }]);
    expect(await catalogFingerprint(url)).toBe(before);

    const forced = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--ignore-foreign-history']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain("note: public.flyway_schema_history (flyway's history) is here");
    expect(await rows(url, 'SELECT v FROM prices ORDER BY v')).toEqual([{ v: 20 }, { v: 40 }]);
  });

  it('flyway: successful versioned rows count, repeatable ones do not; files it never ran are refused, with the fix to run them or baseline below them', async () => {
    const url = await freshDatabase(target, 'from_flyway');
    await withClient(url, async (c) => {
      await c.query(FLYWAY_HISTORY);
      await c.query(`INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, execution_time, success) VALUES
        (1, '1', 'leads', 'SQL', 'V1__leads.sql', 'ci', 5, true),
        (2, '2', 'notes', 'SQL', 'V2__notes.sql', 'ci', 5, true),
        (3, NULL, 'views', 'SQL', 'R__views.sql', 'ci', 5, true)`);
    });
    const dir = tempDir({ '1_leads.sql': 'SELECT 1;', '2_notes.sql': 'SELECT 2;', '3_broken.sql': 'SELECT 3;' });
    const refused = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(refused.stderr).toContain(
      "error: public.flyway_schema_history (flyway's history) records 2 applied migrations and repeatable migrations (R__views.sql) and schemaguard has recorded nothing here",
    );
    const ok = await runCliInProcess(['baseline', '--from', 'flyway', '--dir', dir, '--database-url', url]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('baseline 2: recorded 2 files');
    expect(ok.stderr).toContain(
      'note: public.flyway_schema_history also records repeatable migrations (R__views.sql): they have no version and nothing is recorded for them; ' +
        "a file that holds one's text runs with migrate when its version is above 2",
    );

    // Regression (exploratory tester): the fix offered "schemaguard baseline VERSION", and baseline 4 recorded 3 as baselined though it never ran.
    const url2 = await freshDatabase(target, 'from_flyway_gap');
    await withClient(url2, async (c) => {
      await c.query(FLYWAY_HISTORY);
      await c.query(`INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, execution_time, success) VALUES
        (1, '1', 'leads', 'SQL', 'V1__leads.sql', 'ci', 5, true), (2, '2', 'notes', 'SQL', 'V2__notes.sql', 'ci', 5, true), (3, '4', 'tags', 'SQL', 'V4__tags.sql', 'ci', 5, true)`);
    });
    addFile(dir, '4_tags.sql', 'SELECT 4;');
    const before = await catalogFingerprint(url2);
    const gap = await runCliInProcess(['baseline', '--from', 'flyway', '--dir', dir, '--database-url', url2]);
    expect(gap.code).toBe(1);
    expect(gap.stderr).toContain('files it never applied: 3_broken.sql; nothing was recorded');
    expect(gap.stderr).toContain(
      `fix: 3_broken.sql never ran there: run it by hand first (psql -f ${join(dir, '3_broken.sql')}, checking it fits the schema as it is now), then baseline --from flyway again; ` +
        'or baseline below it, schemaguard baseline 2, when the files above it may run again: migrate then runs 3_broken.sql and the files after it, 4 included, which flyway applied already',
    );
    expect(gap.stderr).not.toContain('schemaguard baseline VERSION');
    expect(await catalogFingerprint(url2)).toBe(before);
  });

  // Regression (exploratory tester): an undo did not cancel its version (baseline recorded 2 though U2 undid it); a failed row was skipped silently; a BASELINE row read as a migration with no file.
  it("flyway: each version's latest row counts: undone versions are left out, a failed one is refused, a baseline row is named", async () => {
    const history = async (label: string, values: string) => {
      const url = await freshDatabase(target, label);
      await withClient(url, async (c) => {
        await c.query(FLYWAY_HISTORY);
        await c.query(
          `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, execution_time, success) VALUES ${values}`,
        );
      });
      return url;
    };
    const dir = tempDir({ '1_leads.sql': 'SELECT 1;', '2_notes.sql': 'SELECT 2;', '3_tags.sql': 'SELECT 3;' });
    const undone = await history(
      'flyway_undo',
      `(1, '1', 'leads', 'SQL', 'V1__leads.sql', 'ci', 5, true), (2, '2', 'notes', 'SQL', 'V2__notes.sql', 'ci', 5, true),
      (3, '2', 'notes', 'UNDO_SQL', 'U2__notes.sql', 'ci', 5, true)`,
    );
    const failed = await history(
      'flyway_failed',
      `(1, '1', 'leads', 'SQL', 'V1__leads.sql', 'ci', 5, true), (2, '2', 'notes', 'SQL', 'V2__notes.sql', 'ci', 5, true),
      (3, '3', 'tags', 'SQL', 'V3__tags.sql', 'ci', 5, false)`,
    );
    const based = await history('flyway_baselined', `(1, '5', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', 'ci', 0, true)`);

    const u = await runCliInProcess(['baseline', '--from', 'flyway', '--dir', dir, '--database-url', undone]);
    const f = await runCliInProcess(['baseline', '--from', 'flyway', '--dir', dir, '--database-url', failed]);
    const b = await runCliInProcess(['baseline', '--from', 'flyway', '--dir', dir, '--database-url', based]);
    const m = await runCliInProcess(['migrate', '--dir', dir, '--database-url', failed, '--json']);

    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toContain('baseline 1: recorded 1 file');
    expect(await rows(undone, 'SELECT version FROM schemaguard.applied_migrations')).toEqual([{ version: '1' }]);
    expect(f.code).toBe(1);
    expect(f.stderr).toContain(
      'baseline --from flyway: detected failed migration to version 3 (public.flyway_schema_history, installed_rank 3, V3__tags.sql, success = false); nothing was recorded',
    );
    expect(f.stderr).toContain('fix: the failed migration may have left part of its change: repair that by hand');
    expect(JSON.parse(m.stdout)).toMatchObject({ error: 'ForeignHistoryError', appliedCount: 2 });
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('baseline --from flyway: Flyway was baselined at version 5 (public.flyway_schema_history: << Flyway Baseline >>)');
    expect(b.stderr).toContain('fix: add a file 5_baseline.sql that creates that schema');
    expect(await rows(failed, "SELECT to_regclass('schemaguard.applied_migrations') AS t")).toEqual([{ t: null }]);
  });

  // Regression (noticed): a history of only successful repeatable rows read as empty: migrate ran every file as on a new database, noting that Flyway had applied nothing.
  it('flyway: only repeatable migrations applied: migrate refuses naming them, baseline --from asks for baseline VERSION, which records the files', async () => {
    const url = await withHistory(
      target,
      'from_flyway_repeatables',
      FLYWAY_HISTORY,
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
      (1, NULL, 'views', 'SQL', 'R__views.sql', 1041424315, 'ci', 5, true), (2, NULL, 'grants', 'SQL', 'R__grants.sql', -7123456, 'ci', 5, true),
      (3, NULL, 'views', 'SQL', 'R__views.sql', 99887766, 'ci', 5, true)`,
    );
    await withClient(url, (c) => c.query('CREATE TABLE leads (id int); CREATE VIEW lead_ids AS SELECT id FROM leads'));
    const dir = tempDir({
      '1_leads.sql': 'CREATE TABLE leads (id int);',
      '2_views.sql': 'CREATE OR REPLACE VIEW lead_ids AS SELECT id FROM leads;',
      '3_notes.sql': 'CREATE TABLE notes (id int);',
    });
    const before = await catalogFingerprint(url);
    const records = 'records only repeatable migrations, no versioned one (R__views.sql, R__grants.sql)';

    const m = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    const b = await runCliInProcess(['baseline', '--from', 'flyway', '--dir', dir, '--database-url', url]);
    const status = await runCliInProcess(['status', '--dir', dir, '--database-url', url]);

    expect(m.code).toBe(1);
    // Not "again": no versioned file ran.
    expect(m.stderr).toContain(
      `error: public.flyway_schema_history (flyway's history) ${records} and schemaguard has recorded nothing here: migrate would run all 3 files on the objects flyway's repeatable migrations made; nothing was run`,
    );
    expect(m.stderr).toContain(
      'fix: schemaguard runs no R__ files: each became a versioned file with its current text. When your files up to a version re-create what is in this database ' +
        "(the repeatables' objects included), record them without running them: schemaguard baseline VERSION. If these files do not re-create what it made",
    );
    expect(m.stderr).not.toContain('records no applied migration');
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(
      `error: baseline --from flyway: public.flyway_schema_history ${records}: Flyway applied them, and they have no version to baseline to; nothing was recorded`,
    );
    expect(b.stderr).toContain('run them with schemaguard migrate --ignore-foreign-history (public.flyway_schema_history is left as it is)');
    expect(status.stdout).toContain(
      'stop and record them first, without running them: schemaguard baseline VERSION --reason … (the newest file that re-creates what its repeatable migrations R__views.sql, R__grants.sql made',
    );
    expect(await catalogFingerprint(url)).toBe(before);

    // As the fix says: the files that re-create the schema recorded, the next one run.
    expect((await runCliInProcess(['baseline', '2', '--dir', dir, '--database-url', url])).code).toBe(0);
    const after = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(after.code, after.stderr).toBe(0);
    expect(await rows(url, 'SELECT version, kind FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
      { version: '1', kind: 'baseline' },
      { version: '2', kind: 'baseline' },
      { version: '3', kind: 'migrate' },
    ]);
  });

  // Regression (noticed): a history of only flyway baseline's row was refused with "records migrations", naming neither the version nor what it means.
  it('flyway: only a baseline row: migrate refuses naming its version and baseline --from flyway, which records the files up to it', async () => {
    const url = await withHistory(
      target,
      'from_flyway_baseline_only',
      FLYWAY_HISTORY,
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
      (1, '2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'ci', 0, true)`,
    );
    await withClient(url, (c) => c.query('CREATE TABLE leads (id int); CREATE TABLE notes (id int)'));
    const dir = tempDir({
      '1_leads.sql': 'CREATE TABLE leads (id int);',
      '2_notes.sql': 'CREATE TABLE notes (id int);',
      '3_tags.sql': 'CREATE TABLE tags (id int);',
    });
    const before = await catalogFingerprint(url);

    const m = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);

    expect(m.code).toBe(1);
    expect(m.stderr).toContain(
      "error: public.flyway_schema_history (flyway's history) records only a Flyway baseline, at version 2 (<< Flyway Baseline >>, written by flyway baseline: " +
        'the schema up to version 2 was there before Flyway ran) and schemaguard has recorded nothing here',
    );
    expect(m.stderr).toContain(
      'fix: record the files up to version 2 without running them, then migrate: schemaguard baseline --from flyway --database-url <this database>',
    );
    expect(m.stderr).not.toContain('records migrations');
    expect(plan.stdout).toContain(
      "warning: migrate through this URL will refuse to run: public.flyway_schema_history (flyway's history) records only a Flyway baseline, at version 2",
    );
    expect(await catalogFingerprint(url)).toBe(before);

    const b = await runCliInProcess(['baseline', '--from', 'flyway', '--dir', dir, '--database-url', url]);
    const after = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain('baseline 2: recorded 2 files');
    expect(after.code, after.stderr).toBe(0);
    expect(await rows(url, "SELECT to_regclass('public.tags')::text AS t")).toEqual([{ t: 'tags' }]);
  });

  // Regression: the fix read "pass the version to baseline to instead".
  it('flyway: a dotted version (1.0) is refused (exit 2) with the baseline VERSION to run instead; nothing is written', async () => {
    const url = await withHistory(
      target,
      'from_flyway_dotted',
      FLYWAY_HISTORY,
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, execution_time, success) VALUES
      (1, '1.0', 'leads', 'SQL', 'V1.0__leads.sql', 'ci', 5, true)`,
    );
    const dir = tempDir({ '1_leads.sql': 'SELECT 1;' });
    const before = await catalogFingerprint(url);

    const r = await runCliInProcess(['baseline', '--from', 'flyway', '--dir', dir, '--database-url', url]);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('baseline --from flyway: public.flyway_schema_history has "1.0", which has no whole-number version');
    expect(r.stderr).toContain(
      'fix: schemaguard versions are whole numbers below 2^53: pass instead the version of the newest file this database already has: schemaguard baseline VERSION',
    );
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it('refuses a database without that history table (exit 2), and a version together with --from', async () => {
    const url = await freshDatabase(target, 'from_none');
    const dir = tempDir({ '1_a.sql': 'SELECT 1;' });
    const none = await runCliInProcess(['baseline', '--from', 'flyway', '--dir', dir, '--database-url', url]);
    const both = await runCliInProcess(['baseline', '1', '--from', 'flyway', '--dir', dir, '--database-url', url]);
    const bad = await runCliInProcess(['baseline', '--from', 'liquibase', '--dir', dir, '--database-url', url]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('baseline --from flyway: no flyway_schema_history table in this database');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('baseline takes a VERSION or --from flyway, not both');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from: unknown value "liquibase"');
  });

  it('golang-migrate: every file up to the version its one row records, the later ones left to migrate', async () => {
    // Prepare: golang-migrate's up files (its down files are deleted when adopting).
    const url = await withHistory(target, 'from_golang', GOLANG_MIGRATE_HISTORY, 'INSERT INTO schema_migrations (version, dirty) VALUES (2, false)');
    await withClient(url, (c) => c.query('CREATE TABLE leads (id int PRIMARY KEY); CREATE TABLE notes (id int PRIMARY KEY)'));
    const dir = tempDir({
      '000001_leads.up.sql': 'CREATE TABLE leads (id int PRIMARY KEY);',
      '000002_notes.up.sql': 'CREATE TABLE notes (id int PRIMARY KEY);',
      '000003_tags.up.sql': 'CREATE TABLE tags (id int PRIMARY KEY);',
    });
    // Act
    const r = await runCliInProcess(['baseline', '--from', 'golang-migrate', '--dir', dir, '--database-url', url]);
    const m = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url, '--quiet']);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('public.schema_migrations: golang-migrate applied up to version 2');
    expect(r.stdout).toContain('baseline 2: recorded 2 files as applied without running them (kind baseline): 000001_leads.up.sql, 000002_notes.up.sql');
    expect(m.code, m.stderr).toBe(0);
    expect(await rows(url, 'SELECT version, kind, reason FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
      { version: '1', kind: 'baseline', reason: 'adopted from golang-migrate (public.schema_migrations, up to version 2)' },
      { version: '2', kind: 'baseline', reason: 'adopted from golang-migrate (public.schema_migrations, up to version 2)' },
      { version: '3', kind: 'migrate', reason: null },
    ]);
    expect(await rows(url, 'SELECT version, dirty FROM schema_migrations')).toEqual([{ version: '2', dirty: false }]);
  });

  it('golang-migrate: a dirty version is refused with the repair and migrate force; a version no file has is listed; nothing is written', async () => {
    const dir = tempDir({ '1_leads.sql': 'SELECT 1;', '2_notes.sql': 'SELECT 2;' });
    const dirty = await withHistory(target, 'from_golang_dirty', GOLANG_MIGRATE_HISTORY, 'INSERT INTO schema_migrations (version, dirty) VALUES (2, true)');
    const ahead = await withHistory(target, 'from_golang_ahead', GOLANG_MIGRATE_HISTORY, 'INSERT INTO schema_migrations (version, dirty) VALUES (7, false)');
    const rails = await withHistory(
      target,
      'from_golang_rails',
      'CREATE TABLE schema_migrations (version varchar PRIMARY KEY); CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar)',
      "INSERT INTO schema_migrations VALUES ('20240101000000')",
    );
    const before = await catalogFingerprint(dirty);

    const d = await runCliInProcess(['baseline', '--from', 'golang-migrate', '--dir', dir, '--database-url', dirty]);
    const a = await runCliInProcess(['baseline', '--from', 'golang-migrate', '--dir', dir, '--database-url', ahead]);
    const r = await runCliInProcess(['baseline', '--from', 'golang-migrate', '--dir', dir, '--database-url', rails]);
    const asDbmate = await runCliInProcess(['baseline', '--from', 'dbmate', '--dir', dir, '--database-url', rails]);

    expect(d.code).toBe(1);
    expect(d.stderr).toContain(
      'error: baseline --from golang-migrate: detected a failed migration (public.schema_migrations: version 2, dirty = true): it stopped midway; nothing was recorded',
    );
    expect(d.stderr).toContain(
      'fix: the failed migration may have left part of its change: repair that by hand (finish or undo it), then tell golang-migrate where the schema stands ' +
        '(migrate force 2 if you finished it, or migrate force with the version before it if you undid it) and baseline --from golang-migrate again',
    );
    expect(await catalogFingerprint(dirty)).toBe(before);
    expect(await rows(dirty, "SELECT to_regclass('schemaguard.applied_migrations') AS t")).toEqual([{ t: null }]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain(
      'baseline --from golang-migrate: public.schema_migrations and the files disagree; applied there but no file here: 7; nothing was recorded',
    );
    expect(await rows(ahead, "SELECT to_regclass('schemaguard.applied_migrations') AS t")).toEqual([{ t: null }]);
    // Rails' schema_migrations (a text version, no dirty column, ar_internal_metadata beside it) is neither golang-migrate's nor dbmate's.
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('baseline --from golang-migrate: no schema_migrations table in this database');
    expect(asDbmate.code).toBe(2);
    expect(asDbmate.stderr).toContain('baseline --from dbmate: no schema_migrations table in this database');
  });

  it('prisma: the migrations finished and not rolled back, matched to the files by name; a rolled-back attempt re-applied counts once', async () => {
    const url = await withHistory(
      target,
      'from_prisma',
      PRISMA_HISTORY,
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at, started_at, applied_steps_count) VALUES
      ('a', 'x', now(), '20240101000000_init', NULL, now() - interval '3 h', 1),
      ('b', 'x', NULL, '20240201000000_posts', now(), now() - interval '2 h', 0),
      ('c', 'x', now(), '20240201000000_posts', NULL, now() - interval '1 h', 1)`,
    );
    const dir = tempDir({
      '20240101000000_init.sql': 'CREATE TABLE users (id int PRIMARY KEY);',
      '20240201000000_posts.sql': 'CREATE TABLE posts (id int PRIMARY KEY);',
      '20240301000000_tags.sql': 'CREATE TABLE tags (id int PRIMARY KEY);',
    });

    const r = await runCliInProcess(['baseline', '--from', 'prisma', '--dir', dir, '--database-url', url, '--json']);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('public._prisma_migrations: prisma applied up to version 20240201000000');
    expect(JSON.parse(r.stdout)).toMatchObject({ command: 'baseline', version: 20240201000000, pending: [20240301000000] });
    expect(await rows(url, 'SELECT version, name, kind FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
      { version: '20240101000000', name: 'init', kind: 'baseline' },
      { version: '20240201000000', name: 'posts', kind: 'baseline' },
    ]);
  });

  it('prisma: a failed migration is refused with migrate resolve; a file under another name and a migration never applied below the newest are listed; nothing is written', async () => {
    const dir = tempDir({ '20240101000000_init.sql': 'SELECT 1;', '20240201000000_posts.sql': 'SELECT 2;', '20240301000000_tags.sql': 'SELECT 3;' });
    const failed = await withHistory(
      target,
      'from_prisma_failed',
      PRISMA_HISTORY,
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES
      ('a', 'x', now(), '20240101000000_init'), ('b', 'x', NULL, '20240201000000_posts')`,
    );
    const disagree = await withHistory(
      target,
      'from_prisma_disagree',
      PRISMA_HISTORY,
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at) VALUES
      ('a', 'x', now(), '20240101000000_initial', NULL), ('b', 'x', NULL, '20240201000000_posts', now()), ('c', 'x', now(), '20240301000000_tags', NULL)`,
    );
    const before = await catalogFingerprint(disagree);

    const f = await runCliInProcess(['baseline', '--from', 'prisma', '--dir', dir, '--database-url', failed]);
    const d = await runCliInProcess(['baseline', '--from', 'prisma', '--dir', dir, '--database-url', disagree]);

    expect(f.code).toBe(1);
    expect(f.stderr).toContain(
      'error: baseline --from prisma: detected failed migration 20240201000000_posts (public._prisma_migrations: finished_at is null, rolled_back_at is null); nothing was recorded',
    );
    expect(f.stderr).toContain(
      'then record it with prisma migrate resolve --applied 20240201000000_posts (finished) or --rolled-back 20240201000000_posts (undone), and baseline --from prisma again',
    );
    expect(d.code).toBe(1);
    expect(d.stderr).toContain(
      'error: baseline --from prisma: public._prisma_migrations and the files disagree; files it never applied: 20240201000000_posts.sql; ' +
        'recorded under another name: 20240101000000_init.sql (public._prisma_migrations: 20240101000000_initial); nothing was recorded',
    );
    expect(d.stderr).toContain('fix: 20240201000000_posts.sql never ran there: run it by hand first');
    expect(await catalogFingerprint(disagree)).toBe(before);
    for (const url of [failed, disagree]) expect(await rows(url, "SELECT to_regclass('schemaguard.applied_migrations') AS t")).toEqual([{ t: null }]);

    // Only the name differs: the fix renames the file.
    const renamed = await withHistory(
      target,
      'from_prisma_renamed',
      PRISMA_HISTORY,
      "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES ('a', 'x', now(), '20240101000000_initial')",
    );
    const n = await runCliInProcess(['baseline', '--from', 'prisma', '--dir', dir, '--database-url', renamed]);
    expect(n.code).toBe(1);
    expect(n.stderr).toContain(
      `fix: name each file as prisma recorded its migration: mv ${join(dir, '20240101000000_init.sql')} ${join(dir, '20240101000000_initial.sql')} (git mv, the same arguments, for a file git tracks); then baseline --from prisma again`,
    );
  });
  // Regression (exploratory tester): a history table recording no applied migration was a dead end: migrate refused ("baseline first") and baseline --from refused ("run migrate").
  it.each([
    { tool: 'golang-migrate', history: GOLANG_MIGRATE_HISTORY, insert: 'SELECT 1', table: 'schema_migrations' },
    { tool: 'golang-migrate', history: GOLANG_MIGRATE_HISTORY, insert: 'INSERT INTO schema_migrations VALUES (-1, false)', table: 'schema_migrations' },
    {
      tool: 'prisma',
      history: PRISMA_HISTORY,
      insert:
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at) VALUES ('a', 'x', NULL, '1_a', now()), ('b', 'x', now(), '2_b', now())",
      table: '_prisma_migrations',
    },
    {
      tool: 'node-pg-migrate',
      history: 'CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)',
      insert: 'SELECT 1',
      table: 'pgmigrations',
    },
    {
      tool: 'flyway',
      history: FLYWAY_HISTORY,
      insert:
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, execution_time, success) VALUES (0, NULL, '<< Flyway Schema Creation >>', 'SCHEMA', '\"public\"', 'ci', 0, true)",
      table: 'flyway_schema_history',
    },
  ])(
    '$tool history recording no applied migration ($insert): baseline --from says run migrate, and migrate runs every file with a note naming the table',
    async ({ tool, history, insert, table }) => {
      const url = await withHistory(target, 'from_empty', history, insert);
      const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', '2_b.sql': 'CREATE TABLE b (id int);' });
      const note = `note: public.${table} (${tool}'s history) records no applied migration: this database is migrated as a new one, every file runs, and that table is left as it is`;
      const historyBefore = await rows(url, `SELECT * FROM ${table}`);

      const b = await runCliInProcess(['baseline', '--from', tool, '--dir', dir, '--database-url', url]);
      const status = await runCliInProcess(['status', '--dir', dir, '--database-url', url]);
      const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);
      const planJson = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--json']);
      const planGithub = await runCliInProcess(['plan', '--dir', dir, '--database-url', url, '--format', 'github']);
      const m = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);

      expect(JSON.parse(planJson.stdout).note).toBe(note.slice('note: '.length));
      expect(planGithub.stdout.split('\n')).toContain(`::notice title=schemaguard plan::${note.slice('note: '.length)}`);
      expect(b.code).toBe(1);
      expect(b.stderr).toContain(`error: baseline --from ${tool}: public.${table} records no applied migration`);
      expect(b.stderr).toContain(
        `fix: nothing to adopt: run schemaguard migrate, which runs every file as on a new database (it notes public.${table} and leaves it as it is)`,
      );
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(note);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(note);
      expect(plan.stdout).not.toContain('will refuse');
      expect(m.code, m.stderr).toBe(0);
      expect(m.stderr).toContain(note);
      expect(await rows(url, "SELECT to_regclass('public.a')::text AS a, to_regclass('public.b')::text AS b")).toEqual([{ a: 'a', b: 'b' }]);
      expect(await rows(url, `SELECT * FROM ${table}`)).toEqual(historyBefore);
      // Recorded now: nothing more is said.
      const again = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).not.toContain(table);
    },
  );

  it('golang-migrate dirty at version -1 (it failed in its first migration): migrate and baseline --from both refuse with the repair; emptied, migrate runs', async () => {
    const url = await withHistory(target, 'from_golang_dirty_first', GOLANG_MIGRATE_HISTORY, 'INSERT INTO schema_migrations VALUES (-1, true)');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const before = await catalogFingerprint(url);
    const repair =
      'fix: the failed migration may have left part of its change: repair that by hand (finish or undo it), then tell golang-migrate where the schema stands ' +
      '(migrate force VERSION, the version of the last file whose change is complete, or empty the table when none is)';

    const b = await runCliInProcess(['baseline', '--from', 'golang-migrate', '--dir', dir, '--database-url', url]);
    const m = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    const plan = await runCliInProcess(['plan', '--dir', dir, '--database-url', url]);

    expect(b.code).toBe(1);
    expect(b.stderr).toContain(repair);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain(
      "error: public.schema_migrations (golang-migrate's history) records a failed migration: version -1 (dirty = true) (repair what it left by hand first) and schemaguard has recorded nothing here: migrate would run all 1 file again",
    );
    expect(m.stderr).not.toContain('up to version -1');
    expect(m.stderr).toContain(`${repair} and baseline --from golang-migrate again; then migrate. If these files do not re-create what it made`);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(
      "warning: migrate through this URL will refuse to run: public.schema_migrations (golang-migrate's history) records a failed migration: version -1",
    );
    expect(await catalogFingerprint(url)).toBe(before);

    // Repaired as the fix says (none of its files' change is complete): the table emptied, migrate runs.
    await withClient(url, (c) => c.query('DELETE FROM schema_migrations'));
    const after = await runCliInProcess(['migrate', '--dir', dir, '--database-url', url]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toContain("note: public.schema_migrations (golang-migrate's history) records no applied migration");
    expect(await rows(url, "SELECT to_regclass('public.a')::text AS a")).toEqual([{ a: 'a' }]);
  });
});
