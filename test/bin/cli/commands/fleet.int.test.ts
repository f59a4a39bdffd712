/**
 * A fleet as a user runs it (`--fleet-schemas`: the CLI's `main` in process;
 * the real executable beside the SSM stand-in and for two runs at once) on real
 * PostgreSQL: every tenant schema migrated with its own state table, each
 * one's catalog the same as a single-tenant run's; a tenant whose file fails
 * stops the waves after its own, and keeps its previous version with nothing
 * of the file; a rerun after the fix finishes the rest and reruns nothing; a
 * hostile schema name stays a name; a fleet named in SSM Parameter Store
 * (a local server speaking its protocol) migrates the schemas it names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../../../support/cli';
import { schemaFingerprint } from '../../../support/catalog-fingerprint';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { HOSTILE_NAMES } from '../../../support/hostile-names';
import { AwsEndpoints } from '../../../support/aws-endpoints';

afterAll(dropDatabases);

const target = targets[0]!;
const NO_DB = { DATABASE_URL: undefined, GITHUB_BASE_REF: undefined };

/** Tables, a sequence default, a foreign key, a CHECK, an index, a view, a function and its trigger, comments: unqualified names only. */
const FILES = {
  '0001_items.sql':
    "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL DEFAULT 0 CHECK (price >= 0));\nCREATE INDEX items_name ON items (lower(name));\nCOMMENT ON COLUMN items.price IS 'in euros';\n",
  '0002_orders.sql':
    'CREATE TABLE orders (id serial PRIMARY KEY, item_id bigint NOT NULL REFERENCES items (id), qty int NOT NULL CHECK (qty > 0), touched_at timestamptz);\n' +
    'CREATE FUNCTION orders_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.touched_at := now(); RETURN NEW; END $$;\n' +
    'CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION orders_touch();\n' +
    'CREATE VIEW order_totals AS SELECT i.name, sum(o.qty) AS qty FROM orders o JOIN items i ON i.id = o.item_id GROUP BY i.name;\n',
};

/** The files' folder, with `extra` files. */
const dir = (extra: Record<string, string> = {}) => tempDir({ ...FILES, ...extra });

/** `n` tenant schemas, tenant_000 …, in one statement. */
async function tenantSchemas(url: string, n: number): Promise<string[]> {
  const names = Array.from({ length: n }, (_, k) => `tenant_${String(k).padStart(3, '0')}`);
  await rows(url, names.map((s) => `CREATE SCHEMA ${s}`).join(';'));
  return names;
}

const migrate = (url: string, migrations: string, ...flags: string[]) =>
  runCliInProcess(['migrate', '--database-url', url, '--dir', migrations, '--json', ...flags], { env: NO_DB });

describe('CLI: migrate over a fleet of schemas', () => {
  it('migrates 60 tenant schemas (the canary, a wave of the default 50, and the rest), each with its own state table, each the same as a single-tenant run', async () => {
    // Prepare: a single-tenant run's schema, and 60 tenants beside schemas that are not.
    const migrations = dir();
    const single = await freshDatabase(target, 'fleet_single');
    expect((await migrate(single, migrations)).code).toBe(0);
    const url = await freshDatabase(target, 'fleet_60');
    const names = await tenantSchemas(url, 60);
    await rows(url, 'CREATE SCHEMA other');
    // Act
    const r = await migrate(url, migrations, '--fleet-schemas', 'tenant\\_%', '--fleet-concurrency', '8');
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tenants).toHaveLength(60);
    expect(out.tenants.every((t: { version: number; state: string }) => t.version === 2 && t.state === 'applied')).toBe(true);
    expect(r.stderr).toContain('wave 0 (canary): 1 tenant');
    expect(r.stderr).toContain('wave 1: 50 tenants');
    expect(r.stderr).toContain('wave 2: 9 tenants');
    expect(r.stdout).not.toContain('"other"');
    const expected = await schemaFingerprint(single, 'public');
    expect(expected).toContain('trg CREATE TRIGGER orders_touch BEFORE UPDATE ON orders');
    for (const name of names) expect(await schemaFingerprint(url, name), name).toBe(expected);
    const state = await rows<{ n: string }>(url, "SELECT count(*)::text AS n FROM pg_class WHERE relname = 'applied_migrations' AND relkind = 'r'");
    expect(state).toEqual([{ n: '60' }]);
    expect(await rows(url, "SELECT to_regclass('other.items')::text AS o, to_regclass('public.items')::text AS p")).toEqual([{ o: null, p: null }]);
  });

  it('stops after the wave of a failing tenant, which keeps its version with nothing of the file; a rerun after the fix finishes the rest only', async () => {
    // Prepare: 12 tenants at version 1; tenant_005 (in wave 2 of canary + waves of 3) has a table 0002 creates last.
    const url = await freshDatabase(target, 'fleet_halt');
    const names = await tenantSchemas(url, 12);
    const first = dir();
    const v1 = tempDir({ '0001_items.sql': FILES['0001_items.sql'] });
    expect((await migrate(url, v1, '--fleet-schemas', 'tenant\\_%')).code).toBe(0);
    await rows(url, 'CREATE TABLE tenant_005.order_totals (name text)');
    // Act
    const r = await runCliInProcess(
      [
        'migrate',
        '--database-url',
        url,
        '--dir',
        first,
        '--json',
        '--fleet-schemas',
        'tenant\\_%',
        '--fleet-concurrency',
        '2',
        '--config',
        config({ waveSize: 3 }),
      ],
      { env: NO_DB },
    );
    // Assess: waves 0 (tenant_000), 1 (001-003), 2 (004-006, with the failure) ran; 3 and 4 (007-011) did not start.
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    const state = Object.fromEntries(out.tenants.map((t: { name: string; version: number; state: string }) => [t.name, `${t.state}@${t.version}`]));
    expect(state).toEqual({
      ...Object.fromEntries(names.slice(0, 7).map((n) => [n, 'applied@2'])),
      tenant_005: 'failed@1',
      ...Object.fromEntries(names.slice(7).map((n) => [n, 'pending@1'])),
    });
    expect(out.stopped).toBe('1 tenant failed, more than the 0 tolerated');
    expect(out.tenants.find((t: { name: string }) => t.name === 'tenant_005').error.message).toContain('"order_totals" already exists');
    expect(r.stderr).toMatch(/tenant_005 +FAILED at version 1: /);
    // Nothing of the file in the failing tenant (its first statement ran before the one that failed), nor in those never started.
    const orders = await rows<{ s: string }>(
      url,
      "SELECT n.nspname AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'orders' ORDER BY 1",
    );
    expect(orders.map((o) => o.s)).toEqual(names.slice(0, 7).filter((n) => n !== 'tenant_005'));
    const before = await appliedAt(url, 'tenant_001');
    // Act: the fix, then the rerun.
    await rows(url, 'DROP TABLE tenant_005.order_totals');
    const rerun = await migrate(url, first, '--fleet-schemas', 'tenant\\_%');
    // Assess: the rest applied 0002 once; those done already ran nothing.
    expect(rerun.code, rerun.stderr).toBe(0);
    const applied = Object.fromEntries(JSON.parse(rerun.stdout).tenants.map((t: { name: string; applied: number; version: number }) => [t.name, t.applied]));
    expect(applied).toEqual(Object.fromEntries(names.map((n, k) => [n, k < 7 && n !== 'tenant_005' ? 0 : 1])));
    expect(await appliedAt(url, 'tenant_001')).toEqual(before);
  });

  it('keeps a hostile schema name a name: quotes, a semicolon, a line break', async () => {
    // Prepare
    const url = await freshDatabase(target, 'fleet_hostile');
    const hostile = HOSTILE_NAMES.filter((n) => /[';"\n]/.test(n));
    await rows(url, 'CREATE TABLE victim (id int)');
    for (const name of hostile)
      await rows(url, "SELECT format('CREATE SCHEMA %I', $1::text)", [name]).then(([q]) => rows(url, (q as { format: string }).format));
    // Act
    const r = await migrate(url, dir(), '--fleet-schemas', '%victim%');
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const tenants = JSON.parse(r.stdout).tenants as { name: string; version: number }[];
    expect(tenants.map((t) => t.name).sort()).toEqual([...hostile].sort());
    expect(tenants.every((t) => t.version === 2)).toBe(true);
    const made = await rows<{ s: string }>(
      url,
      "SELECT n.nspname AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'orders'",
    );
    expect(made.map((m) => m.s).sort()).toEqual([...hostile].sort());
    expect(await rows(url, "SELECT to_regclass('public.victim')::text AS v")).toEqual([{ v: 'victim' }]);
    // One line each on stderr, the name as a JSON string: a line break in a name cannot start a line of its own.
    for (const name of hostile) expect(r.stderr).toContain(`  ${JSON.stringify(name)}`);
  });
});

describe('CLI: plan and --no-fleet over a fleet', () => {
  it("plan shows each tenant's pending files and the canary's plan as one database's; --no-fleet sets the project file's fleet aside", async () => {
    // Prepare: three tenants, tenant_001 at version 1; a project file naming them.
    const url = await freshDatabase(target, 'fleet_plan');
    await tenantSchemas(url, 3);
    const migrations = dir();
    const root = tempDir({ 'schemaguard.config.json': JSON.stringify({ fleet: { schemas: 'tenant\\_%' } }) }, 'project');
    const v1 = tempDir({ '0001_items.sql': FILES['0001_items.sql'] });
    const run = (...args: string[]) => runCliInProcess(args, { env: NO_DB, cwd: root });
    expect((await run('migrate', '--database-url', url, '--dir', v1, '--fleet-schemas', 'tenant\\_001')).code).toBe(0);
    // Act
    const text = await run('plan', '--database-url', url, '--dir', migrations);
    const json = await run('plan', '--database-url', url, '--dir', migrations, '--json');
    const alone = await run('status', '--database-url', url, '--dir', migrations, '--no-fleet', '--json');
    const both = await run('status', '--database-url', url, '--no-fleet', '--fleet-schemas', 'x');
    // Assess: a line per tenant; the canary's table and its statements' locks, as plan on one database prints them.
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(/tenant_001 +version 1, 1 of 2 would run/);
    expect(text.stdout).toContain("the canary's plan (tenant_000: the first tenant to run");
    expect(text.stdout).toContain('plan for ');
    expect(text.stdout).toMatch(/CREATE TABLE orders/);
    const out = JSON.parse(json.stdout);
    expect(out.tenants.map((t: { name: string; pending: number }) => [t.name, t.pending])).toEqual([
      ['tenant_000', 2],
      ['tenant_001', 1],
      ['tenant_002', 2],
    ]);
    expect(out.canary.name).toBe('tenant_000');
    expect(out.canary.pending.map((m: { file: string }) => m.file)).toEqual(['0001_items.sql', '0002_orders.sql']);
    expect(out.canary.statements.length).toBeGreaterThan(0);
    // --no-fleet: the database alone (its default state schema, nothing applied there), no tenants.
    expect(alone.code, alone.stderr).toBe(0);
    expect(JSON.parse(alone.stdout).tenants).toBeUndefined();
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--no-fleet and --fleet-schemas contradict each other');
  });
});

/** A project file with a fleet's rollout settings (the flags name the tenants). */
function config(fleet: Record<string, unknown>): string {
  const root = tempDir({ 'schemaguard.config.json': JSON.stringify({ fleet: { schemas: 'none', ...fleet } }) }, 'project');
  return `${root}/schemaguard.config.json`;
}

/** The state rows of a tenant with their applied_at, to see a rerun write none. */
async function appliedAt(url: string, schema: 'tenant_001'): Promise<unknown[]> {
  return rows(url, `SELECT version, applied_at FROM ${schema}.applied_migrations ORDER BY version`);
}

describe('CLI: a fleet named in SSM Parameter Store (--fleet-parameter-path)', () => {
  // SSM stood in by a local server speaking its JSON protocol; the CLI's SDK client reaches it through AWS_ENDPOINT_URL_SSM.
  const ssm = new AwsEndpoints({
    ssmPageSize: 3,
    ssmParameters: [
      ...['a', 'b', 'c', 'd'].map((k) => ({ Name: `/shop/tenants/${k}`, Value: `tenant_${k}`, Type: 'String' as const })),
      { Name: '/shop/tenants/deep/e', Value: 'tenant_e', Type: 'String' },
      { Name: '/shop/staging/f', Value: 'tenant_f', Type: 'String' },
    ],
  });
  beforeAll(() => ssm.start());
  afterAll(() => ssm.stop());

  it('migrates the schemas the parameters name, at any depth, and status reads the same tenants', async () => {
    // Prepare: six schemas, five of them named under the path.
    const url = await freshDatabase(target, 'fleet_ssm_cli');
    await rows(url, ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => `CREATE SCHEMA tenant_${k}`).join(';'));
    const env = { ...NO_DB, ...ssm.env() };
    // Act
    const r = await runCli(['migrate', '--database-url', url, '--dir', dir(), '--json', '--fleet-parameter-path', '/shop/tenants'], { env });
    // Assess: five tenants at version 2; tenant_f (under another path) untouched.
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tenants: { name: string; version: number; state: string }[] };
    expect(out.tenants.map((t) => [t.name, t.version, t.state]).sort()).toEqual(['a', 'b', 'c', 'd', 'e'].map((k) => [`tenant_${k}`, 2, 'applied']));
    expect(r.stderr).toContain('schemas named under the SSM path "/shop/tenants"');
    expect(await rows(url, "SELECT to_regclass('tenant_f.applied_migrations')::text AS t")).toEqual([{ t: null }]);
    const status = await runCli(['status', '--database-url', url, '--dir', dir(), '--json', '--fleet-parameter-path', '/shop/tenants/'], { env });
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { tenants: unknown[] }).tenants).toHaveLength(5);
  });

  it('refuses a path that is not one, and two sources at once, naming them (exit 2)', async () => {
    const url = await freshDatabase(target, 'fleet_ssm_bad');
    const env = { ...NO_DB, ...ssm.env() };
    const bad = await runCli(['status', '--database-url', url, '--dir', dir(), '--fleet-parameter-path', 'tenants'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"parameterPath": "tenants" is not an SSM parameter path below the root');
    const two = await runCli(['status', '--database-url', url, '--dir', dir(), '--fleet-schemas', 't_%', '--fleet-parameter-path', '/shop/tenants'], { env });
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('names its tenants 2 ways (schemas, parameterPath)');
  });
});

describe('CLI: two rollouts of one fleet at once', () => {
  it('ends every tenant at the latest version with each file applied once: a run waits for each tenant the other holds, then finds it done', async () => {
    // Prepare: 24 tenants, files slow enough (0.2 s each) that the two runs meet on the same tenants.
    const url = await freshDatabase(target, 'fleet_overlap');
    const names = await tenantSchemas(url, 24);
    const slow = tempDir({
      '0001_items.sql': `SELECT pg_sleep(0.2);\n${FILES['0001_items.sql']}`,
      '0002_orders.sql': `SELECT pg_sleep(0.2);\n${FILES['0002_orders.sql']}`,
    });
    const run = () =>
      runCli(['migrate', '--database-url', url, '--dir', slow, '--json', '--fleet-schemas', 'tenant\\_%', '--fleet-concurrency', '4'], { env: NO_DB });
    // Act: both started together.
    const [a, b] = await Promise.all([run(), run()]);
    // Assess: both succeed, every tenant at version 2 in each run's report.
    for (const r of [a, b]) {
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { tenants: { name: string; version: number; state: string; applied: number }[] };
      expect(out.tenants.map((t) => `${t.name}:${t.state}@${t.version}`).sort()).toEqual(names.map((n) => `${n}:applied@2`));
    }
    // Each file applied exactly once per tenant, across the two runs: the runs' counts add up to 2 per tenant, and each state table has one row per version.
    const appliedBy = (r: typeof a) =>
      Object.fromEntries((JSON.parse(r.stdout) as { tenants: { name: string; applied: number }[] }).tenants.map((t) => [t.name, t.applied]));
    const [byA, byB] = [appliedBy(a), appliedBy(b)];
    expect(names.map((n) => byA[n]! + byB[n]!)).toEqual(Array(names.length).fill(2));
    const counts = await rows<{ s: string; n: number; v: number }>(
      url,
      names.map((n) => `SELECT '${n}' AS s, count(*)::int AS n, count(DISTINCT version)::int AS v FROM ${n}.applied_migrations`).join(' UNION ALL '),
    );
    expect(counts.every((c) => c.n === 2 && c.v === 2)).toBe(true);
  });
});
