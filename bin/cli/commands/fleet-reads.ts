/**
 * `status`, `plan` and `guard` over a fleet: every tenant read (no canary,
 * nothing stops the reads), one line each and the summary. `plan` lists the
 * files each tenant would run (the statements' locks and lint findings are
 * the same files': `plan` on one tenant's URL shows them); `guard` runs its
 * read-only pass in each tenant (drift against the snapshot for database
 * tenants, whose schemas are the snapshot's).
 */
import { existsSync } from 'node:fs';
import { loadContracts } from '../../../lambda/checks/contracts';
import { runGuard } from '../../../lambda/checks/guard';
import { loadMigrationsAsync } from '../../../lambda/engine/files/source';
import type { Fleet } from '../../../lambda/engine/fleet/fleet-spec';
import { tenantError, type TenantReport } from '../../../lambda/engine/fleet/tenant-result';
import type { OptionsIn } from '../args';
import { warnAboutFiles, type CommandContext, type ContextOf } from './context';
import { readSnapshot } from './diff';
import { connectFleet, nameWidth, printFleet, readFleet, runTenants, tenantLine } from './fleet';

type ReadContext = CommandContext<OptionsIn<'fleet' | 'connection' | 'state' | 'files'>>;

/** `status` or `plan` over the fleet: each tenant's version and what it would run. */
export async function fleetReadCommand(ctx: ReadContext, fleet: Fleet, command: 'status' | 'plan'): Promise<number> {
  const started = performance.now();
  const migrations = await loadMigrationsAsync(ctx.opts.dir, { layout: ctx.opts.layout });
  warnAboutFiles(ctx, migrations.length);
  const target = await connectFleet(ctx, fleet, command, migrations);
  try {
    const reports = await readFleet(target, migrations);
    const width = nameWidth(target.tenants);
    for (const r of reports) ctx.progress(tenantLine(r, width, readLine(r, command, migrations.length)));
    return printFleet(ctx, command, target, reports, { elapsedMs: Math.round(performance.now() - started) });
  } finally {
    await target.driver.end();
  }
}

function readLine(r: TenantReport, command: 'status' | 'plan', files: number): string {
  if (r.state === 'failed') return `FAILED at version ${r.version ?? 'none'}: ${r.error?.message}`;
  if (r.state === 'applied') return `up to date, version ${r.version ?? 'none'}`;
  return `version ${r.version ?? 'none'}, ${r.pending} of ${files} ${command === 'plan' ? 'would run' : 'pending'}`;
}

/** `guard` over the fleet: the pass in each tenant; exit 1 when a tenant's finding pages or its pass failed. */
export async function fleetGuardCommand(ctx: ContextOf<'guard'>, fleet: Fleet): Promise<number> {
  const started = performance.now();
  const migrations = await loadMigrationsAsync(ctx.opts.dir, { layout: ctx.opts.layout });
  const contracts = existsSync(ctx.opts.contractsDir) ? await loadContracts(ctx.opts.contractsDir) : [];
  // A snapshot names its schemas (public): a schema tenant's tables are elsewhere, so drift is compared in database tenants.
  const snapshot = fleet.databases && existsSync(ctx.opts.snapshot) ? readSnapshot(ctx.opts.snapshot) : undefined;
  const target = await connectFleet(ctx, fleet, 'guard', migrations);
  try {
    const width = nameWidth(target.tenants);
    const result = await runTenants(target, { ...fleet, canaryFirst: false, halts: false }, (tenant, driver) =>
      runGuard({ driver, migrations, contracts, snapshot, stateSchema: target.stateSchemaOf(tenant) }),
    );
    const reports: TenantReport[] = [];
    let pages = 0;
    for (const o of result.outcomes) {
      const page = o.ok ? o.value.findings.filter((f) => f.severity === 'page') : [];
      pages += page.length;
      const report: TenantReport = o.ok
        ? {
            name: o.tenant.name,
            version: null,
            state: page.length ? 'failed' : 'applied',
            ...(page.length ? { error: { message: page.map((f) => `${f.rule} ${f.object}: ${f.message}`).join('; ') } } : {}),
          }
        : { name: o.tenant.name, version: null, state: 'failed', error: tenantError(o.error) };
      reports.push(report);
      const tickets = o.ok ? o.value.findings.length - page.length : 0;
      ctx.progress(
        tenantLine(report, width, o.ok ? `${o.value.outcome}: ${page.length} to page, ${tickets} for a ticket` : `FAILED: ${report.error?.message}`),
      );
    }
    const code = printFleet(ctx, 'guard', target, reports, { elapsedMs: Math.round(performance.now() - started) });
    return pages ? 1 : code;
  } finally {
    await target.driver.end();
  }
}
