/**
 * Each key of schemaguard.config.json changes what the CLI does, run from
 * the project's folder or a subfolder of it (the CLI's `main` in process,
 * `runCliInProcess`: the executable reads the same file through it, as
 * test/bin/cli/commands/*.int.test.ts's first tests show), against real PostgreSQL; a flag given wins over the file; a bad
 * key or value stops every command with exit 2, naming the file, the key,
 * the value and the fix.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { advisoryLockKey } from '../../../lambda/engine/state/runner-lock-names';
import { CONFIG_FILE_NAME } from '../../../lib/config/load';
import { SETTINGS, type SettingKey } from '../../../lib/config/settings';
import { runCliInProcess, type CliRun } from '../../support/cli';
import { dropDatabases, freshDatabase, rows, targets, whileHeld, withClient } from '../../support/db';
import { tempDir } from '../../support/files';
import { SYSTEM_PG_BIN } from '../../support/global-setup';
import { adminUrl, removeServer, startPrimary, startStandby } from '../../support/replication';
import type { StartedServer } from '../../support/system-postgres';

afterAll(dropDatabases);

const target = targets[0]!;
/** No database from the environment, and no git base: the project is a temporary folder. */
const NO_DB = { DATABASE_URL: undefined, GITHUB_BASE_REF: undefined };

/** A project folder with `config` as its project file and `files` in it. */
function project(config: Record<string, unknown>, files: Record<string, string> = {}): string {
  const root = tempDir({ ...files, [CONFIG_FILE_NAME]: JSON.stringify(config, null, 2) }, 'project');
  mkdirSync(join(root, 'src'), { recursive: true });
  return root;
}

const run = (root: string, args: string[], env: NodeJS.ProcessEnv = NO_DB): Promise<CliRun> => runCliInProcess(args, { cwd: root, env });

/** A primary with one streaming standby whose replay is paused (started once, for the standby keys): a database of its own per call. */
let rig: Promise<{ primary: StartedServer; standby: Awaited<ReturnType<typeof startStandby>> }> | undefined;
afterAll(async () => {
  const r = await rig?.catch(() => undefined);
  if (r) {
    await r.standby.remove();
    await removeServer(r.primary);
  }
});
async function behindStandby(database: string): Promise<string> {
  rig ??= (async () => {
    const primary = await startPrimary(target.binDir ?? SYSTEM_PG_BIN);
    const standby = await startStandby(primary);
    await withClient(adminUrl(standby), (c) => c.query('SELECT pg_wal_replay_pause()'));
    return { primary, standby };
  })();
  const { primary } = await rig;
  await withClient(adminUrl(primary), (c) => c.query(`CREATE DATABASE ${database}`));
  return adminUrl(primary, database);
}

/** The milliseconds migrate says it waited for the paused standby. */
function waited(r: CliRun): number {
  const m = /standbys: 1 still behind after (\d+) ms/.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  return Number(m![1]);
}

/** A value the key refuses: exit 2, naming the file, the key, the value and `problem`. */
async function refused(config: Record<string, unknown>, problem: string): Promise<void> {
  const [key, value] = Object.entries(config)[0]!;
  const r = await run(project(config), ['status']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`error: schemaguard.config.json: "${key}": ${JSON.stringify(value)} ${problem}`);
  expect(r.stderr).toContain('fix: ');
}

/** One test per key: what the file sets, observed in what a command does. */
const CASES: Record<SettingKey, () => Promise<void>> = {
  async migrations() {
    const root = project(
      { migrations: 'db/sql' },
      { 'db/sql/0001_a.sql': 'CREATE TABLE a (id int);\n', 'migrations/0001_other.sql': 'CREATE TABLE other (id int);\n' },
    );
    // From a subfolder: the file's path is relative to the file, and the messages name it from where the command ran.
    const r = await run(join(root, 'src'), ['lint']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('config: ../schemaguard.config.json');
    expect(r.stdout).toContain('warning: every file counts as pending, the 1 file in ../db/sql/');
  },
  async migrationsLayout() {
    // A Prisma folder, named flat: its migration.sql is refused as flat reads it; the --layout flag wins over the file.
    const files = { 'migrations/20240101120000_init/migration.sql': 'CREATE TABLE a (id int);\n' };
    const detected = await run(project({}, files), ['lint']);
    expect(detected.code, detected.stderr).toBe(0);
    expect(detected.stdout).toContain('the 1 file in migrations/');
    const flat = await run(project({ migrationsLayout: 'flat' }, files), ['lint']);
    expect(flat.code).toBe(2);
    expect(flat.stderr).toContain("a migration in a folder of its own (Prisma's layout");
    const flag = await run(project({ migrationsLayout: 'flat' }, files), ['lint', '--layout', 'prisma']);
    expect(flag.code, flag.stderr).toBe(0);
    expect(flag.stdout).toContain('the 1 file in migrations/');
    const bad = await run(project({ migrationsLayout: 'rails' }, files), ['lint']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"migrationsLayout"');
  },
  async contracts() {
    const url = await freshDatabase(target, 'cfg_contracts');
    const root = project(
      { contracts: 'db/contracts' },
      { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n', 'db/contracts/read_b.sql': 'SELECT id FROM b;\n' },
    );
    await run(root, ['migrate', '--database-url', url]);
    const r = await run(root, ['check', '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('read_b.sql');
    expect((await run(root, ['check', '--database-url', url, '--contracts', 'migrations'])).stdout).not.toContain('read_b.sql');
  },
  async snapshot() {
    const root = project({ snapshot: 'db/schema.json' }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' });
    const r = await run(root, ['snapshot', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote db\/schema\.json: 1 table/);
    expect(existsSync(join(root, 'db', 'schema.json'))).toBe(true);
  },
  async stateSchema() {
    const url = await freshDatabase(target, 'cfg_state');
    const root = project({ stateSchema: 'orders_schemaguard' }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' });
    expect((await run(root, ['migrate', '--database-url', url])).code).toBe(0);
    expect(
      await rows(url, "SELECT to_regclass('orders_schemaguard.applied_migrations')::text AS t, to_regclass('schemaguard.applied_migrations')::text AS d"),
    ).toEqual([{ t: 'orders_schemaguard.applied_migrations', d: null }]);
  },
  async fleet() {
    const url = await freshDatabase(target, 'cfg_fleet');
    await rows(url, 'CREATE SCHEMA t_one; CREATE SCHEMA t_two; CREATE SCHEMA other');
    const root = project({ fleet: { schemas: 't\\_%', concurrency: 2 } }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' });
    const r = await run(root, ['migrate', '--database-url', url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).tenants).toEqual([
      { name: 't_one', version: 1, state: 'applied', applied: 1, pending: 0 },
      { name: 't_two', version: 1, state: 'applied', applied: 1, pending: 0 },
    ]);
    expect(await rows(url, "SELECT to_regclass('t_two.a')::text AS a, to_regclass('other.a')::text AS o")).toEqual([{ a: 't_two.a', o: null }]);
    // The flag names other tenants; the file's concurrency stays.
    const flag = await run(root, ['status', '--database-url', url, '--fleet-schemas', 'other', '--json']);
    expect(JSON.parse(flag.stdout).tenants).toEqual([{ name: 'other', version: null, state: 'pending', pending: 1 }]);
    await refused({ fleet: { schemas: 't_%', databases: 'd_%' } }, 'names its tenants 2 ways (schemas, databases)');
    await refused({ fleet: { schemas: 't_%', waveSize: 0 } }, '"waveSize": 0 is not a whole number from 1 to 10000');
  },
  async serverVersion() {
    // MERGE … RETURNING came with PostgreSQL 17.
    const sql =
      'CREATE TABLE t (id int PRIMARY KEY, n int);\nMERGE INTO t USING (SELECT 1 AS id) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET n = 1 RETURNING t.id;\n';
    const root = project({ serverVersion: 16 }, { 'migrations/0001_merge.sql': sql });
    const on16 = await run(root, ['lint', '--json']);
    expect(on16.code).not.toBe(0);
    expect(on16.stdout).toContain('MERGE … RETURNING');
    const on17 = await run(root, ['lint', '--server-version', '17']);
    expect(on17.code, on17.stderr).toBe(0);
  },
  async lockTimeout() {
    const url = await freshDatabase(target, 'cfg_lock_timeout');
    // The check returns a row, failing the migration, unless the file ran with lock_timeout 7s.
    const file =
      "CREATE TABLE a (id int);\n-- schemaguard:check lock_timeout is the project's\nSELECT current_setting('lock_timeout') AS lock_timeout WHERE current_setting('lock_timeout') <> '7s';\n";
    const root = project({ lockTimeout: '7s' }, { 'migrations/0001_a.sql': file });
    const flag = await run(root, ['migrate', '--database-url', url, '--lock-timeout', '8s']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("lock_timeout is the project's");
    const r = await run(root, ['migrate', '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
  },
  async lockWait() {
    const url = await freshDatabase(target, 'cfg_lock_wait');
    const root = project({ lockWait: '300ms' }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' });
    await whileHeld(url, `SELECT pg_advisory_lock(${advisoryLockKey('schemaguard')})`, async () => {
      const r = await run(root, ['migrate', '--database-url', url, '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).message).toMatch(/another migration runner holds the lock: .*; waited 300 ms$/);
    });
  },
  async lintRules() {
    const first = { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' };
    const files = { ...first, 'migrations/0002_b.sql': 'CREATE INDEX a_id ON a (id);\n' };
    // A database that applied 0001: table a exists, and 0002 builds an index on it.
    const url = await freshDatabase(target, 'cfg_rules');
    expect((await run(project({}, first), ['migrate', '--database-url', url])).code).toBe(0);
    const plain = await run(project({}, files), ['lint', '--database-url', url]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('0002_b.sql:1:22: error index-not-concurrent');
    const off = await run(project({ lintRules: { 'index-not-concurrent': { level: 'off', reason: 'a is small' } } }, files), ['lint', '--database-url', url]);
    expect(off.code, off.stdout).toBe(0);
    expect(off.stdout).toContain('0002_b.sql:1:22: allowed index-not-concurrent (schemaguard.config.json: a is small)');
    expect(off.stdout).toContain('lint: 1 file, 0 errors, 0 warnings, 1 allowed');
    const warn = await run(project({ lintRules: { 'index-not-concurrent': { level: 'warning', reason: 'a is small' } } }, files), [
      'lint',
      '--database-url',
      url,
    ]);
    expect(warn.code).toBe(0);
    expect(warn.stdout).toContain('0002_b.sql:1:22: warning index-not-concurrent');
    expect(warn.stdout).toContain('(error by default; warning here: a is small)');
  },
  async backfill() {
    const files = {
      'migrations/0001_t.sql': 'CREATE TABLE t (id int PRIMARY KEY, v int);\nINSERT INTO t SELECT g, NULL FROM generate_series(1, 1000) g;\n',
      'migrations/0002_fill.sql': '-- schemaguard:backfill\nUPDATE t SET v = id WHERE v IS NULL;\n',
    };
    // Batches of 100 keys at most: the 1,000 rows take ten, and an eleventh, open-ended range finds the table's end.
    const url = await freshDatabase(target, 'cfg_backfill');
    const r = await run(project({ backfill: { minRows: 50, maxRows: 100 } }, files), ['migrate', '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(await rows(url, 'SELECT batches::int AS batches, rows_done::int AS rows_done FROM schemaguard.backfills')).toEqual([
      { batches: 11, rows_done: 1000 },
    ]);
    await refused({ backfill: { batchTime: 200 } }, '"batchTime" is not a duration');
  },
  async databaseUrlEnv() {
    const url = await freshDatabase(target, 'cfg_url_env');
    const root = project({ databaseUrlEnv: 'APP_DATABASE_URL' }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' });
    const r = await run(root, ['migrate', '--json'], { ...NO_DB, APP_DATABASE_URL: url, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await rows(url, 'SELECT version::int AS version FROM schemaguard.applied_migrations')).toEqual([{ version: 1 }]);
    const empty = await run(root, ['status'], { ...NO_DB, APP_DATABASE_URL: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('error: APP_DATABASE_URL is set but empty');
  },
  async standbyWait() {
    const url = await behindStandby('cfg_standby_wait');
    const first = { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' };
    const fromFile = await run(project({ standbyWait: '2s' }, first), ['migrate', '--database-url', url]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(waited(fromFile)).toBeGreaterThanOrEqual(2000);
    expect(waited(fromFile)).toBeLessThan(60_000);
    const flag = await run(project({ standbyWait: '2s' }, { ...first, 'migrations/0002_b.sql': 'CREATE TABLE b (id int);\n' }), [
      'migrate',
      '--database-url',
      url,
      '--standby-wait',
      '0',
    ]);
    expect(flag.code, flag.stderr).toBe(0);
    expect(waited(flag)).toBeLessThan(2000);
    await refused({ standbyWait: 60 }, 'is not a duration');
  },
  async standbyStrict() {
    const url = await behindStandby('cfg_standby_strict');
    const r = await run(project({ standbyWait: '0', standbyStrict: true }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' }), [
      'migrate',
      '--database-url',
      url,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('standbys: 1 still behind');
    expect(r.stderr).toContain('drop --standby-strict (or "standbyStrict" in schemaguard.config.json) to deploy with a warning');
    await refused({ standbyStrict: 'yes' }, 'is not true or false');
  },
  async pooler() {
    const url = await freshDatabase(target, 'cfg_pooler');
    const files = {
      'migrations/0001_t.sql': 'CREATE TABLE t (v int);\n',
      'migrations/0002_i.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n',
    };
    // A connection that looks direct, declared a pooler by the file: no-transaction files are refused before anything runs.
    const r = await run(project({ pooler: true }, files), ['migrate', '--database-url', url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('0002_i.sql is a no-transaction file');
    expect(await rows(url, "SELECT to_regclass('t')::text AS t")).toEqual([{ t: null }]);
    // The runner lease instead of a session lock.
    const plain = await run(project({ pooler: true }, { 'migrations/0001_t.sql': files['migrations/0001_t.sql'] }), ['migrate', '--database-url', url]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(await rows(url, "SELECT to_regclass('schemaguard.runner_lease')::text AS t")).toEqual([{ t: 'schemaguard.runner_lease' }]);
    await refused({ pooler: 1 }, 'is not true or false');
  },
  async iam() {
    const root = project({ iam: true }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' });
    const r = await run(root, ['status', '--database-url', `postgres://app:secret@127.0.0.1:${target.port}/postgres`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: "iam": true in schemaguard.config.json signs a token in place of the password, and the URL has one');
    expect(r.stderr).toContain('(or set "iam": false there for a server without IAM authentication)');
    expect(r.stderr).not.toContain('secret');
    // The file's iam and pooler describe a URL's server: the embedded one ignores them (the flags given are refused there).
    const embedded = await run(project({ iam: true, pooler: true }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' }), ['status']);
    expect(embedded.code, embedded.stderr).toBe(0);
    await refused({ iam: 'true' }, 'is not true or false');
  },
  async embeddedDir() {
    const root = project({ embeddedDir: 'var/pg' }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' });
    const r = await run(root, ['lint']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no embedded server data in var/pg/');
  },
};

describe('CLI: schemaguard.config.json, one test per key', () => {
  it('has a case for every key of the registry (a key added there needs one here)', () => {
    expect(Object.keys(CASES).sort()).toEqual(SETTINGS.map((s) => s.key).sort());
  });

  for (const [key, test] of Object.entries(CASES)) it(`"${key}" changes what the commands do`, test, 120_000);
});

describe('CLI: schemaguard.config.json, named and refused', () => {
  it('every command names the file it read: a line on stderr, "config" in --json (null without one)', async () => {
    const root = project({}, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' });
    const text = await run(root, ['lint']);
    expect(text.stderr.split('\n')[0]).toBe('config: schemaguard.config.json');
    expect(JSON.parse((await run(root, ['lint', '--json'])).stdout)).toMatchObject({ command: 'lint', config: 'schemaguard.config.json' });
    const bare = tempDir({ 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' }, 'bare');
    const none = await run(bare, ['lint', '--json']);
    expect(JSON.parse(none.stdout)).toMatchObject({ command: 'lint', config: null });
    expect(none.stderr).not.toContain('config:');
  });

  it('a bad key or value stops the command with exit 2, naming the file, the key, the value and the fix, in text and in --json', async () => {
    const root = project({ lockTimout: '5s' }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' });
    const r = await run(root, ['status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: schemaguard.config.json: unknown key "lockTimout"');
    expect(r.stderr).toContain('fix: did you mean "lockTimeout"? the keys are migrations, migrationsLayout, contracts, snapshot');
    const bad = project({ lockTimeout: '5' });
    const json = await run(join(bad, 'src'), ['migrate', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      command: 'migrate',
      error: 'ConfigError',
      configFile: '../schemaguard.config.json',
      key: 'lockTimeout',
      value: '"5"',
      message: '../schemaguard.config.json: "lockTimeout": "5" is not a duration',
    });
  });

  it('a rule id lintRules does not know stops lint and plan, naming the nearest rule', async () => {
    const root = project({ lintRules: { 'index-not-concurent': { level: 'off', reason: 'x' } } }, { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n' });
    for (const command of [['lint'], ['plan', '--offline']]) {
      const r = await run(root, command);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('error: schemaguard.config.json: "lintRules": no lint rule is called "index-not-concurent"');
      expect(r.stderr).toContain('fix: did you mean "index-not-concurrent"?');
    }
  });

  it('--config names another file, whose folder is the project root its paths start from', async () => {
    const root = project(
      {},
      { 'migrations/0001_a.sql': 'CREATE TABLE a (id int);\n', 'ci/schemaguard.json': JSON.stringify({ migrations: '../migrations', embeddedDir: 'pg' }) },
    );
    const r = await run(root, ['lint', '--config', 'ci/schemaguard.json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('config: ci/schemaguard.json');
    expect(r.stdout).toContain('the 1 file in migrations/: no database, no embedded server data in ci/pg/');
    writeFileSync(join(root, 'ci', 'broken.json'), '{');
    expect((await run(root, ['lint', '--config', 'ci/broken.json'])).stderr).toContain('error: ci/broken.json:1:2: not valid JSON');
  });
});
