/**
 * `status`, `plan` and `guard` over a fleet: every tenant read (no canary,
 * nothing stops the reads), one line each and the summary. `plan` lists the
 * files each tenant would run (the statements' locks and lint findings are
 * the same files': `plan` on one tenant's URL shows them); `guard` runs its
 * read-only pass in each tenant (lambda/checks/guard/fleet.ts).
 */
import { loadMigrationsAsync } from '../../../lambda/engine/files/source';
import type { Fleet } from '../../../lambda/engine/fleet/fleet-spec';
import type { TenantReport } from '../../../lambda/engine/fleet/tenant-result';
import type { OptionsIn } from '../args';
import { warnAboutFiles, type CommandContext } from './context';
import { connectFleet, nameWidth, printFleet, readFleet, tenantLine, type FleetTarget } from './fleet';
import type { Migration } from '../../../lambda/engine/files/source';

/** The canary's plan: its JSON, and whether it makes the command exit 1 (`--exit-code` and an error). */
export type CanaryPlan = (target: FleetTarget, migrations: Migration[]) => Promise<{ json: Record<string, unknown>; fails: boolean }>;

type ReadContext = CommandContext<OptionsIn<'fleet' | 'connection' | 'state' | 'files'>>;

/**
 * `status` or `plan` over the fleet: each tenant's version and what it would
 * run. `plan` then shows the canary's plan as a single target's (its
 * statements' locks, its tables' sizes, lint): every tenant runs the same
 * files, and the canary runs them first; another tenant's tables differ in
 * size only (`--no-fleet` with its URL plans it alone). plan.ts gives that
 * plan as `canary` (imported the other way, the two files would import each other).
 */
export async function fleetReadCommand(ctx: ReadContext, fleet: Fleet, command: 'status' | 'plan', canaryPlan?: CanaryPlan): Promise<number> {
  const started = performance.now();
  const migrations = await loadMigrationsAsync(ctx.opts.dir, { layout: ctx.opts.layout });
  warnAboutFiles(ctx, migrations.length);
  const target = await connectFleet(ctx, fleet, command, migrations);
  try {
    const reports = await readFleet(target, migrations);
    const width = nameWidth(target.tenants);
    for (const r of reports) ctx.progress(tenantLine(r, width, readLine(r, command, migrations.length)));
    const canary = canaryPlan && target.tenants[0] ? await canaryPlan(target, migrations) : undefined;
    const code = printFleet(ctx, command, target, reports, { elapsedMs: Math.round(performance.now() - started), ...(canary ? { canary: canary.json } : {}) });
    return canary?.fails ? 1 : code;
  } finally {
    await target.end();
  }
}

function readLine(r: TenantReport, command: 'status' | 'plan', files: number): string {
  if (r.state === 'failed') return `FAILED at version ${r.version ?? 'none'}: ${r.error?.message}`;
  if (r.state === 'applied') return `up to date, version ${r.version ?? 'none'}`;
  return `version ${r.version ?? 'none'}, ${r.pending} of ${files} ${command === 'plan' ? 'would run' : 'pending'}`;
}
