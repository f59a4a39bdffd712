/**
 * `migrate` over a fleet: the canary, then waves (`rollout.ts`), each tenant
 * migrated by the same runner as one database — its own state table and
 * runner lock, its files each in a transaction of their own — so a tenant
 * that fails keeps the version it reached whole. The tenants a stop left
 * untouched are read after, so every tenant's line and JSON entry says
 * where it is.
 */
import { migrate, type MigrateResult } from '../../../lambda/engine/runner';
import { loadMigrationsAsync, type Migration } from '../../../lambda/engine/files/source';
import type { Fleet } from '../../../lambda/engine/fleet/fleet-spec';
import type { TenantOutcome } from '../../../lambda/engine/fleet/rollout';
import { tenantError, type TenantReport } from '../../../lambda/engine/fleet/tenant-result';
import type { Tenant } from '../../../lambda/engine/fleet/tenants';
import type { Driver } from '../../../lambda/engine/ports';
import { migrateFlags, warnAboutFiles, type ContextOf } from './context';
import { connectFleet, nameWidth, printFleet, readFleet, readTenantReport, runTenants, tenantLine, type FleetTarget } from './fleet';
import { get } from '../../../lambda/engine/errors/present';

export async function fleetMigrateCommand(ctx: ContextOf<'migrate'>, fleet: Fleet): Promise<number> {
  const started = performance.now();
  const migrations = await loadMigrationsAsync(ctx.opts.dir, { deferParse: true, layout: ctx.opts.layout });
  warnAboutFiles(ctx, migrations.length);
  const target = await connectFleet(ctx, fleet, 'migrate', migrations);
  try {
    const width = nameWidth(target.tenants);
    const result = await runTenants<MigrateResult>(
      target,
      {
        ...fleet,
        onEvent: (e) => {
          if (e.type === 'wave')
            ctx.progress(`  wave ${e.wave}${e.wave === 0 ? ' (canary)' : ''}: ${e.tenants.length} tenant${e.tenants.length === 1 ? '' : 's'}`);
        },
      },
      async (tenant, driver) => migrateTenant(ctx, target, tenant, driver, migrations),
    );
    const reports = new Map<string, TenantReport>();
    for (const o of result.outcomes) {
      const report = await outcomeReport(target, o, migrations);
      reports.set(o.tenant.name, report);
      ctx.progress(tenantLine(report, width, migratedLine(report, o)));
    }
    for (const r of await readFleet(target, migrations, result.notStarted)) {
      reports.set(r.name, r);
      ctx.progress(tenantLine(r, width, `not started: version ${r.version ?? 'none'}, ${r.pending ?? 0} pending`));
    }
    const elapsedMs = Math.round(performance.now() - started);
    return printFleet(
      ctx,
      'migrate',
      target,
      target.tenants.map((t) => get(reports, t.name)),
      { stopped: result.stopped, elapsedMs },
    );
  } finally {
    await target.end();
  }
}

/** One tenant's run: the runner as for one database, with the tenant's state schema. */
function migrateTenant(ctx: ContextOf<'migrate'>, target: FleetTarget, tenant: Tenant, driver: Driver, migrations: Migration[]): Promise<MigrateResult> {
  return migrate({
    driver,
    migrations,
    stateSchema: target.stateSchemaOf(tenant),
    ...migrateFlags(ctx),
  });
}

/** A finished tenant's report; a failed one's version read again (what it kept). */
async function outcomeReport(target: FleetTarget, o: TenantOutcome<MigrateResult>, migrations: Migration[]): Promise<TenantReport> {
  if (o.ok) return { name: o.tenant.name, version: o.value.currentVersion, state: 'applied', applied: o.value.applied.length, pending: 0 };
  const driver = target.driverFor(o.tenant);
  try {
    const now = await readTenantReport(target, o.tenant, driver, migrations).catch(() => undefined);
    return { name: o.tenant.name, version: now?.version ?? null, state: 'failed', pending: now?.pending, error: tenantError(o.error) };
  } finally {
    await driver.end();
  }
}

function migratedLine(r: TenantReport, o: TenantOutcome<MigrateResult>): string {
  if (!o.ok) return `FAILED at version ${r.version ?? 'none'}: ${r.error?.message.replace(/\s*\n\s*/g, ' ')}`;
  const ms = `${o.value.elapsedMs} ms`;
  return r.applied ? `applied ${r.applied}, version ${r.version} (${ms})` : `up to date, version ${r.version ?? 'none'} (${ms})`;
}
