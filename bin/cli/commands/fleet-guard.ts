/**
 * `guard` over a fleet: the pass in each tenant. Apart from fleet-reads.ts
 * (status, plan), which the core bundle holds for `status`: the guard's
 * checks are not a deploy's.
 */
import { existsSync } from 'node:fs';
import { loadContracts } from '../../../lambda/checks/contracts';
import { runFleetGuard, type TenantGuard } from '../../../lambda/checks/guard/fleet';
import { loadMigrationsAsync } from '../../../lambda/engine/files/source';
import type { Fleet } from '../../../lambda/engine/fleet/fleet-spec';
import { tenantError, type TenantReport } from '../../../lambda/engine/fleet/tenant-result';
import type { ContextOf } from './context';
import { readSnapshot } from './diff';
import { connectFleet, nameWidth, printFleet, tenantLine } from './fleet';

/** `guard` over the fleet: the pass in each tenant (lambda/checks/guard/fleet.ts); exit 1 when a tenant's finding pages or its pass failed. */
export async function fleetGuardCommand(ctx: ContextOf<'guard'>, fleet: Fleet): Promise<number> {
  const started = performance.now();
  const migrations = await loadMigrationsAsync(ctx.opts.dir, { layout: ctx.opts.layout });
  const contracts = existsSync(ctx.opts.contractsDir) ? await loadContracts(ctx.opts.contractsDir) : [];
  const snapshot = existsSync(ctx.opts.snapshot) ? readSnapshot(ctx.opts.snapshot) : undefined;
  const target = await connectFleet(ctx, fleet, 'guard', migrations);
  try {
    const width = nameWidth(target.tenants);
    const result = await runFleetGuard({ ...target, fleet, migrations, contracts, snapshot });
    const reports = result.tenants.map((t) => guardReport(t));
    for (const [k, t] of result.tenants.entries()) ctx.progress(tenantLine(reports[k], width, guardLine(t, reports[k])));
    const code = printFleet(ctx, 'guard', target, reports, { elapsedMs: Math.round(performance.now() - started) });
    return result.report.page ? 1 : code;
  } finally {
    await target.end();
  }
}

/** A tenant's guard pass as its fleet report: failed when a finding pages or the pass could not run. */
function guardReport(t: TenantGuard): TenantReport {
  if ('error' in t) return { name: t.tenant.name, version: null, state: 'failed', error: tenantError(t.error) };
  const page = t.report.findings.filter((f) => f.severity === 'page');
  return {
    name: t.tenant.name,
    version: null,
    state: page.length ? 'failed' : 'applied',
    ...(page.length ? { error: { message: page.map((f) => `${f.rule} ${f.object}: ${f.message}`).join('; ') } } : {}),
  };
}

function guardLine(t: TenantGuard, r: TenantReport): string {
  if ('error' in t) return `FAILED: ${r.error?.message}`;
  const page = t.report.findings.filter((f) => f.severity === 'page').length;
  return `${t.report.outcome}: ${page} to page, ${t.report.findings.length - page} for a ticket`;
}
