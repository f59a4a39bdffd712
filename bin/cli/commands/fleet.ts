/**
 * `migrate`, `status`, `plan` and `guard` over a fleet (the project file's
 * `fleet`, or `--fleet-schemas` / `--fleet-databases` /
 * `--fleet-parameter-path`): the tenants read from the server (or from SSM
 * Parameter Store), each run with a driver of its own (its schema searched first,
 * or its database), in the rollout's order (`lambda/engine/fleet/rollout.ts`);
 * one line per tenant on stderr, then the summary (or `--json`, with
 * `tenants`). Exit 1 when any tenant failed.
 */
import { PgDriver, type PgDriverOptions } from '../../../lambda/driver/pg/pg-driver';
import { PgSessionPool } from '../../../lambda/driver/pg/session-pool';
import type { Driver } from '../../../lambda/engine/ports';
import { describeFleet, fleetOf, FleetSpecError, type Fleet, type FleetSpec } from '../../../lambda/engine/fleet/fleet-spec';
import { readTenants, type Tenant } from '../../../lambda/engine/fleet/tenants';
import { parameterStore } from '../../../lambda/driver/ssm/parameter-store';
import { rollout, type RolloutResult, type RolloutSettings } from '../../../lambda/engine/fleet/rollout';
import { fleetSummary, tenantError, type TenantReport } from '../../../lambda/engine/fleet/tenant-result';
import { inspect } from '../../../lambda/engine/runner';
import type { Migration } from '../../../lambda/engine/files/source';
import { plural } from '../../../lambda/engine/errors/words';
import { hasUnsafeCharacter } from '../../../lambda/engine/sql/sql-quote';
import { UsageError } from '../errors';
import type { OptionsIn } from '../args';
import { connectTarget, stateSchemaFlag, type CommandContext } from './context';
import { get, present } from '../../../lambda/engine/errors/present';

type FleetContext = CommandContext<OptionsIn<'fleet' | 'connection' | 'state' | 'files'>>;

/**
 * The fleet the command line and the project file name, or undefined for one
 * database. The project file's applies to every command that reaches a
 * database, whatever names it (`--database-url` names where the tenants
 * are); `--no-fleet` sets it aside, for one database or one tenant alone.
 */
export function fleetOption(opts: OptionsIn<'fleet'>): Fleet | undefined {
  const flags: FleetSpec = {
    ...(opts.fleetSchemas !== undefined ? { schemas: opts.fleetSchemas } : {}),
    ...(opts.fleetDatabases !== undefined ? { databases: opts.fleetDatabases } : {}),
    ...(opts.fleetParameterPath !== undefined ? { parameterPath: opts.fleetParameterPath } : {}),
  };
  if (opts.noFleet) {
    const given = Object.keys(flags).map((k) => SOURCE_FLAGS[k as keyof typeof SOURCE_FLAGS]);
    if (given.length)
      throw new UsageError(`--no-fleet and ${given.join(' and ')} contradict each other`, { fix: 'give one: --no-fleet for one database, or the fleet flag' });
    return undefined;
  }
  if (!opts.fleet && Object.keys(flags).length === 0) return undefined;
  // A source given as a flag replaces the file's; the file's rollout settings stay.
  const fromFile = Object.keys(flags).length
    ? { ...opts.fleet, schemas: undefined, schemaQuery: undefined, databases: undefined, databaseQuery: undefined, parameterPath: undefined }
    : opts.fleet;
  const spec: FleetSpec = { ...fromFile, ...flags, ...(opts.fleetConcurrency !== undefined ? { concurrency: opts.fleetConcurrency } : {}) };
  try {
    return fleetOf(spec);
  } catch (e) {
    if (!(e instanceof FleetSpecError)) throw e;
    throw new UsageError(`the fleet ${e.problem}`, {
      fix: `${e.fix}: --fleet-schemas, --fleet-databases or --fleet-parameter-path, or "fleet" in the project file (one of them)`,
    });
  }
}

/** The flags that name a fleet's tenants, by the spec's key they fill. */
const SOURCE_FLAGS = { schemas: '--fleet-schemas', databases: '--fleet-databases', parameterPath: '--fleet-parameter-path' } as const;

/** What a fleet command has once connected: the tenants, and a driver for each. */
export interface FleetTarget {
  fleet: Fleet;
  /** The target database's driver (the tenants are read through it). */
  driver: Driver;
  where: string;
  tenants: Tenant[];
  /** A driver for one tenant: its schema searched first, or its database; ended by the caller. */
  driverFor(tenant: Tenant): Driver;
  /** The state schema of a tenant: its own schema, or `--state-schema` in its database. */
  stateSchemaOf(tenant: Tenant): string;
  /** Ends the target's driver and closes the connections kept between tenants. */
  end(): Promise<void>;
}

/** Connects, reads the fleet's tenants, and says what will run where. */
export async function connectFleet(ctx: FleetContext, fleet: Fleet, verb: string, migrations: readonly Migration[]): Promise<FleetTarget> {
  const { driver, where, options } = await connectTarget(ctx);
  if (!options) {
    await driver.end();
    throw new UsageError('a fleet is reached over a database URL', { fix: 'pass --database-url (the RDS Data API and --function migrate one database)' });
  }
  const session = await driver.connect();
  let tenants: Tenant[];
  try {
    const where = ctx.opts.fleet ? `${ctx.opts.configFile ?? 'the project file'}: fleet` : 'fleet';
    tenants = await readTenants(session, fleet, where, fleet.source === 'parameterPath' ? parameterStore() : undefined);
  } finally {
    await session.close();
  }
  const stateSchema = stateSchemaFlag(ctx.opts);
  ctx.progress(
    `${verb} ${driver.target}${where}: ${describeFleet(fleet)}: ${plural(tenants.length, 'tenant')} x ${plural(migrations.length, 'migration')} in ${ctx.opts.dir}/`,
  );
  // Tenant schemas share one database: a tenant's connections, reset, serve the next (databases each need their own).
  const sessions = fleet.databases ? undefined : new PgSessionPool();
  return {
    fleet,
    driver,
    where,
    tenants,
    driverFor: (tenant) => new PgDriver({ ...tenantDriverOptions(options, fleet, tenant), ...(sessions ? { sessions } : {}) }),
    stateSchemaOf: (tenant) => (fleet.databases ? stateSchema : tenant.name),
    end: async () => {
      await sessions?.end();
      await driver.end();
    },
  };
}

/** The target's driver options for one tenant: its database in the URL, or its schema as the sessions' search_path. */
function tenantDriverOptions(options: PgDriverOptions, fleet: Fleet, tenant: Tenant): PgDriverOptions {
  if (!fleet.databases) return { ...options, searchPath: tenant.name };
  if (options.connectionString !== undefined) {
    const url = new URL(options.connectionString);
    url.pathname = `/${encodeURIComponent(tenant.name)}`;
    return { ...options, connectionString: url.toString() };
  }
  return { ...options, config: { ...options.config, database: tenant.name } } as PgDriverOptions;
}

/** A tenant's name on a line of its own: as it is, or as a JSON string when it holds a quote, a control character or a line break. */
export function shownTenant(name: string): string {
  return /^[\p{L}\p{N}_.$-]+$/u.test(name) && !hasUnsafeCharacter(name) ? name : JSON.stringify(name);
}

/** `job` for every tenant with a driver of its own, ended after it. */
export function runTenants<R>(target: FleetTarget, settings: RolloutSettings, job: (tenant: Tenant, driver: Driver) => Promise<R>): Promise<RolloutResult<R>> {
  return rollout(target.tenants, settings, async (tenant) => {
    const driver = target.driverFor(tenant);
    try {
      return await job(tenant, driver);
    } finally {
      await driver.end();
    }
  });
}

/** Each tenant's version and state as `inspect` reads them (status, plan, and the tenants a stopped migrate never started). */
export async function readTenantReport(target: FleetTarget, tenant: Tenant, driver: Driver, migrations: Migration[]): Promise<TenantReport> {
  const plan = await inspect({ driver, migrations, stateSchema: target.stateSchemaOf(tenant) });
  if (plan.changed.length)
    return {
      name: tenant.name,
      version: plan.currentVersion,
      state: 'failed',
      pending: plan.pending.length,
      error: {
        message: `${plural(plan.changed.length, 'file')} changed after it was applied: ${plan.changed.map((c) => present(c.migration).file).join(', ')}`,
      },
    };
  return { name: tenant.name, version: plan.currentVersion, state: plan.pending.length ? 'pending' : 'applied', pending: plan.pending.length };
}

/** The reports of a read over every tenant (no canary, nothing stops it), in the tenants' order. */
export async function readFleet(target: FleetTarget, migrations: Migration[], tenants = target.tenants): Promise<TenantReport[]> {
  const result = await runTenants({ ...target, tenants }, { ...target.fleet, canaryFirst: false, halts: false }, (tenant, driver) =>
    readTenantReport(target, tenant, driver, migrations),
  );
  const reports = new Map(
    result.outcomes.map((o) => [
      o.tenant.name,
      o.ok ? o.value : ({ name: o.tenant.name, version: null, state: 'failed', error: tenantError(o.error) } satisfies TenantReport),
    ]),
  );
  return tenants.map((t) => get(reports, t.name));
}

/** One tenant's line: `  tenant_a  version 3, applied 2 (41 ms)`. */
export function tenantLine(r: TenantReport, width: number, detail: string): string {
  return `  ${shownTenant(r.name).padEnd(width)}  ${detail}`;
}

/** The widest name, for the lines' column. */
export function nameWidth(tenants: readonly Tenant[]): number {
  return Math.min(
    40,
    tenants.reduce((w, t) => Math.max(w, shownTenant(t.name).length), 0),
  );
}

/** What a command over a fleet prints last: the JSON with `tenants`, or the summary line. */
export function printFleet(
  ctx: FleetContext,
  command: string,
  target: FleetTarget,
  reports: TenantReport[],
  extra: { stopped?: string; elapsedMs: number; canary?: Record<string, unknown> },
): number {
  const failed = reports.filter((r) => r.state === 'failed').length;
  if (ctx.opts.json)
    ctx.out(
      JSON.stringify({
        command,
        target: target.driver.target,
        fleet: { ...target.fleet },
        tenants: reports,
        ...(extra.stopped ? { stopped: extra.stopped } : {}),
        ...(extra.canary ? { canary: extra.canary } : {}),
        elapsedMs: extra.elapsedMs,
      }),
    );
  else ctx.out(`${command} fleet: ${fleetSummary(reports, extra.stopped)} (${extra.elapsedMs} ms)`);
  return failed ? 1 : 0;
}
