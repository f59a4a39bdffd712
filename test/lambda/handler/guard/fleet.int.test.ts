/**
 * The scheduled guard over a schema fleet, on real PostgreSQL: the guard
 * role the deploy makes reads every tenant (a tenant schema holds a state
 * table, which keeps it out of the migrations' own schemas), and a tenant
 * the migrating role makes after that deploy too; one run checks every
 * tenant — its pending migrations and its contracts, with its schema
 * searched first — and its metrics count each tenant's findings, named in
 * the log; the secret is read once for all the tenants.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { migrate } from '../../../../lambda/engine/runner';
import { ENV } from '../../../../lambda/handler/constants';
import { createGuardHandler } from '../../../../lambda/handler/guard/scheduled';
import { dropDatabases, targets, withClient } from '../../../support/db';
import { extractEmf } from '../../../support/emf';
import { tempDir } from '../../../support/files';
import { dropRigRoles, GUARD_SECRET_ARN, guardRig, type GuardRig } from '../../../support/guard-rig';

afterAll(async () => {
  await dropDatabases();
  await dropRigRoles();
});

const ctx = { getRemainingTimeInMillis: () => 60_000 };
const FILES = {
  '0001_items.sql': 'CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);\n',
  '0002_orders.sql': 'CREATE TABLE orders (id int PRIMARY KEY, item_id int REFERENCES items (id));\n',
};
const FLEET = JSON.stringify({ schemas: 'tenant\\_%', concurrency: 2 });

/** The tenant migrated as the rollout migrates it (its schema searched first, its own state table), as the master user; `upTo`: its last version. */
async function migrateTenant(rig: GuardRig, dir: string, tenant: string, upTo = 2): Promise<void> {
  const driver = new PgDriver({ connectionString: rig.master.url, searchPath: tenant });
  try {
    await migrate({ driver, migrations: loadMigrations(dir).filter((m) => m.version <= upTo), stateSchema: tenant, appliedBy: 'test:fleet' });
  } finally {
    await driver.end();
  }
}

describe('Scheduled guard: a schema fleet', () => {
  it("checks every tenant, a tenant made after the deploy's grants too, and counts each tenant's findings; a tenant not reached in time is a guard error", async () => {
    // Prepare: three tenants; tenant_b stopped at version 1; the guard role set by the deploy; then tenant_d made.
    const dir = tempDir(FILES);
    const contractsDir = tempDir({ 'item_names.sql': 'SELECT id, name FROM items;\n' });
    const rig = await guardRig(targets[0]!, 'pg', 'guard_fleet', { contractsDir, env: { [ENV.fleet]: FLEET } });
    await withClient(rig.master.url, (c) => c.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b; CREATE SCHEMA tenant_c'));
    for (const t of ['tenant_a', 'tenant_c']) await migrateTenant(rig, dir, t);
    await migrateTenant(rig, dir, 'tenant_b', 1);
    await rig.handlers.onEvent(rig.roleEvent('Create'), ctx);
    await withClient(rig.master.url, (c) => c.query('CREATE SCHEMA tenant_d'));
    await migrateTenant(rig, dir, 'tenant_d');
    // tenant_c's items lost the column its contract reads.
    await withClient(rig.master.url, (c) => c.query('ALTER TABLE tenant_c.items DROP COLUMN name'));
    const lines: string[] = [];
    const guard = createGuardHandler({
      env: rig.guardEnv({ migrationsDir: dir, contractsDir, snapshotFile: '' }, { [ENV.fleet]: FLEET }),
      secrets: rig.secretsClient,
      write: (l) => lines.push(l),
    });
    const reads = rig.secretReads.filter((id) => id === GUARD_SECRET_ARN).length;
    // Act
    const summary = await guard({ source: 'aws.events' }, ctx);
    // Assess: one pending migration (tenant_b's) and one failing contract (tenant_c's); every tenant checked.
    expect(summary.outcome, lines.join('\n')).toBe('findings');
    const emf = lines.filter((l) => l.includes('"_aws"'));
    expect(emf).toHaveLength(1);
    const metrics = extractEmf(emf[0]!);
    expect(metrics.metrics).toMatchObject({ PendingMigrations: 1, ContractFailures: 1, GuardErrors: 0, DoctorErrors: 0 });
    const logged = lines.filter((l) => !l.includes('"_aws"')).join('\n');
    expect(logged).toContain('\\"tenant_b\\": ');
    expect(logged).toContain('\\"tenant_c\\": ');
    expect(logged).not.toContain('tenants not checked');
    // The guard's secret read once for the tenant list and once for all the tenants' drivers.
    expect(rig.secretReads.filter((id) => id === GUARD_SECRET_ARN).length - reads).toBe(2);
    for (const secret of rig.secrets()) expect(lines.join('\n')).not.toContain(secret);

    // Act: an invocation with no time left beyond the reserve — no tenant starts.
    lines.length = 0;
    const late = await guard({ source: 'aws.events' }, { getRemainingTimeInMillis: () => 20_000 });
    // Assess: a failed run (GuardErrors 1, no finding count for tenants never checked), with the fix in the log.
    const lateEmf = extractEmf(lines.filter((l) => l.includes('"_aws"'))[0]!);
    expect(lateEmf.metrics, lines.join('\n')).toEqual({ GuardErrors: 1 });
    expect(late.outcome).toBe('failed');
    expect(late.error).toBe("no tenant checked: 4 not reached: the invocation's time ran out before the first");
    const lateLog = lines.filter((l) => !l.includes('"_aws"')).join('\n');
    expect(lateLog).toContain('tenants not checked');
    expect(lateLog).toContain('"notReached":4');
    expect(lateLog).toContain("raise SchemaGuard's timeout");
    // Nothing was checked: no report, and above all no "clean" one, before the failure line.
    expect(lateLog).not.toContain('schema guard: clean');
    expect(lateLog).not.toMatch(/"outcome":"clean"/);

    // Act: a fleet whose pattern names no schema.
    lines.length = 0;
    const none = createGuardHandler({
      env: rig.guardEnv({ migrationsDir: dir, contractsDir, snapshotFile: '' }, { [ENV.fleet]: JSON.stringify({ schemas: 'nobody\\_%' }) }),
      secrets: rig.secretsClient,
      write: (l) => lines.push(l),
    });
    const empty = await none({ source: 'aws.events' }, ctx);
    // Assess: skipped, saying why; no "clean" report of nothing.
    expect(empty.outcome, lines.join('\n')).toBe('skipped');
    expect(lines.join('\n')).toMatch(/the fleet has no tenants \(schemas LIKE .*nobody.*\): nothing to check/);
    expect(lines.join('\n')).not.toContain('schema guard: clean');
  });
});
