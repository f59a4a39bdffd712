/**
 * The guard over a fleet, as `schemaguard guard` and the scheduled function
 * run it: each tenant's read-only pass (its pending migrations, its
 * contracts with its schema searched first, and drift where the snapshot's
 * schemas are the tenant's own — a database tenant), at most `concurrency`
 * at once. Doctor's rules read the whole database, so a schema fleet runs
 * them once (with its first tenant), a database fleet in each tenant.
 *
 * With a deadline, no tenant starts after it: those are named (the caller
 * reports them as a guard error, with the fix). The findings of all the
 * tenants make one report, each object prefixed with its tenant (`"tenant_a":
 * orders`), so the metrics count each tenant's objects.
 */
import type { Fleet } from '../../engine/fleet/fleet-spec';
import { rollout } from '../../engine/fleet/rollout';
import type { Tenant } from '../../engine/fleet/tenants';
import type { Migration } from '../../engine/files/source';
import type { Driver } from '../../engine/ports';
import type { Contract } from '../contracts';
import type { Snapshot } from '../drift/drift';
import { runGuard, type GuardReport } from './index';
import { findingsReport, skippedReport } from './report';

export interface FleetGuardOptions {
  tenants: readonly Tenant[];
  fleet: Pick<Fleet, 'concurrency' | 'databases'>;
  /** A driver for one tenant (its schema searched first, or its database); ended here. */
  driverFor(tenant: Tenant): Driver;
  stateSchemaOf(tenant: Tenant): string;
  migrations: Migration[];
  contracts: Contract[];
  /** Compared in database tenants only: a snapshot names its schemas, a schema tenant's objects are in its own. */
  snapshot?: Snapshot;
  /** No tenant starts after this (epoch ms). @default - none */
  deadline?: number;
}

/** One tenant's pass: its report, or why it could not be checked. */
export type TenantGuard = { tenant: Tenant; report: GuardReport } | { tenant: Tenant; error: unknown };

export interface FleetGuardResult {
  /** The tenants checked (or failed), in the tenants' order. */
  tenants: TenantGuard[];
  /** The tenants not started before the deadline. */
  notReached: Tenant[];
  /** Every tenant's findings in one report. */
  report: GuardReport;
}

export async function runFleetGuard(o: FleetGuardOptions): Promise<FleetGuardResult> {
  const started = Date.now();
  const first = o.tenants[0]?.name;
  const result = await rollout(
    o.tenants,
    { concurrency: o.fleet.concurrency, waveSize: Math.max(o.tenants.length, 1), toleratedFailures: 0, canaryFirst: false, halts: false },
    async (tenant) => {
      if (o.deadline !== undefined && Date.now() >= o.deadline) return undefined;
      const driver = o.driverFor(tenant);
      try {
        return await runGuard({
          driver,
          migrations: o.migrations,
          contracts: o.contracts,
          snapshot: o.fleet.databases ? o.snapshot : undefined,
          stateSchema: o.stateSchemaOf(tenant),
          doctor: o.fleet.databases || tenant.name === first,
        });
      } finally {
        await driver.end();
      }
    },
  );
  const byName = new Map(result.outcomes.map((out) => [out.tenant.name, out]));
  const tenants: TenantGuard[] = [];
  const notReached: Tenant[] = [];
  for (const tenant of o.tenants) {
    const out = byName.get(tenant.name);
    if (out && !out.ok) tenants.push({ tenant, error: out.error });
    else if (out?.ok && out.value) tenants.push({ tenant, report: out.value });
    else notReached.push(tenant);
  }
  return { tenants, notReached, report: combined(tenants, Date.now() - started) };
}

/** The tenants' reports as one: skipped when every tenant's pass was (a migration running in each). */
function combined(tenants: TenantGuard[], durationMs: number): GuardReport {
  const reports = tenants.flatMap((t) => ('report' in t ? [{ name: t.tenant.name, report: t.report }] : []));
  const checked = reports.filter((r) => r.report.outcome !== 'skipped');
  if (reports.length && !checked.length) return skippedReport(`every tenant skipped: ${reports[0].report.skippedReason ?? ''}`, durationMs);
  const findings = checked.flatMap(({ name, report }) => report.findings.map((f) => ({ ...f, object: `${JSON.stringify(name)}: ${f.object}` })));
  const notes = checked.flatMap(({ name, report }) => (report.notes ?? []).map((n) => `${JSON.stringify(name)}: ${n}`));
  return findingsReport(findings, durationMs, notes);
}
