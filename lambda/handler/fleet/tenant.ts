/**
 * One tenant of a fleet's rollout on Step Functions: the item a Map state
 * passes to the migration function (`{ "fleetTenant": NAME }`), migrated as
 * the CLI migrates it — the runner, the tenant's own state table, a driver
 * whose sessions search its schema — answering `{ name, version, state }`.
 * A failed tenant throws: the Task fails, and so does its wave's Map state,
 * which stops the rollout (lib/fleet/fleet-workflow.ts).
 */
import { migrate } from '../../engine/runner';
import type { Driver } from '../../engine/ports';
import type { Migration } from '../../engine/files/source';
import { tenantError, type TenantReport } from '../../engine/fleet/tenant-result';
import type { Tenant } from '../../engine/fleet/tenants';

/** What the workflow passes for one tenant. */
export interface FleetTenantEvent {
  fleetTenant: string;
}

export function isFleetTenantEvent(event: unknown): event is FleetTenantEvent {
  return typeof (event as FleetTenantEvent | undefined)?.fleetTenant === 'string';
}

/** What migrating one tenant needs from the function's wiring. */
export interface FleetTenantDependencies {
  migrations: Migration[];
  /** A driver for the tenant (its schema searched first, or its database); ended here. */
  driverFor(tenant: Tenant): Driver;
  /** The tenant's state schema: its own schema, or the configured one in its database. */
  stateSchemaOf(tenant: Tenant): string;
  appliedBy: string;
}

/** The error a failed tenant's Task ends with: Step Functions shows its name as the Error and its message as the Cause. */
export class FleetTenantError extends Error {
  constructor(readonly report: TenantReport) {
    super(`${JSON.stringify(report.name)}: ${report.error?.message ?? 'failed'}`);
    this.name = 'FleetTenantError';
  }
}

export async function migrateFleetTenant(event: FleetTenantEvent, deps: FleetTenantDependencies): Promise<TenantReport> {
  const tenant = { name: event.fleetTenant };
  const driver = deps.driverFor(tenant);
  try {
    const r = await migrate({ driver, migrations: deps.migrations, stateSchema: deps.stateSchemaOf(tenant), appliedBy: deps.appliedBy });
    return { name: tenant.name, version: r.currentVersion, state: 'applied', applied: r.applied.length, pending: 0 };
  } catch (e) {
    throw new FleetTenantError({ name: tenant.name, version: null, state: 'failed', error: tenantError(e) });
  } finally {
    await driver.end();
  }
}
