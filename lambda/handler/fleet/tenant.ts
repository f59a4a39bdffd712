/**
 * One tenant of the rollout on Step Functions: the item a wave's Map passes
 * to the migration function (`{ "fleetTenant": NAME, … }`), migrated as the
 * CLI migrates it — the runner, the tenant's own state table, a driver whose
 * sessions search its schema (or that connects to its database) — within
 * the invocation's time, then its contracts checked (and drift, in a
 * database tenant), answering `{ name, version, state }`.
 *
 * A tenant that cannot finish throws, and the error's name tells the
 * workflow what to do (protocol.ts FLEET_ERRORS): stopped between files at
 * the deadline, or its lock held by another runner, it is retried and goes
 * on where it stopped; any other failure is the tenant's, its message the
 * one a deploy of one database fails with (no row data: that stays in the
 * log), and the wave's tally decides whether the rollout stops.
 */
import { replicationCheck } from '../../checks/replication/refusal';
import { InputError, LockLostError, LockWaitTimeoutError } from '../../engine/errors/errors';
import { Redactor } from '../../engine/errors/redact';
import type { Fleet } from '../../engine/fleet/fleet-spec';
import type { TenantReport } from '../../engine/fleet/tenant-result';
import { migrate } from '../../engine/runner';
import { validateSchemaName } from '../../engine/state/identifiers';
import { loadBundledMigrations } from '../bundle';
import { readConfig, type DatabaseTarget, type HandlerConfig } from '../config';
import { ENV, MIGRATIONS_RESOURCE_TYPE } from '../constants';
import { fleetConnection, type Connector, type TenantPlace } from '../connection';
import { toFailure } from '../failure';
import { createLogger, logRunEvent, logRunFinished, type LineWriter, type Logger } from '../log';
import type { InvocationContext } from '../request';
import { migrateUnlessRollback } from '../rollback';
import { verifySchema } from '../verify';
import { FLEET_ERRORS, type FleetTenantEvent } from './protocol';
import { fleetTenants } from './rollout';

/** What one tenant item needs from the function's wiring. */
export interface TenantItemContext {
  cfg: HandlerConfig & { fleet: Fleet };
  connector: Connector;
  env: NodeJS.ProcessEnv;
  log: Logger;
  redactor: Redactor;
  /** When the invocation's time ends (epoch ms). */
  deadline: number;
}

/** A tenant item that did not finish; its name is what Step Functions sees as the Error, and its message (JSON, with Lambda's) the Cause. */
export class FleetTenantError extends Error {
  constructor(name: (typeof FLEET_ERRORS)[keyof typeof FLEET_ERRORS], message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = name;
    // The Lambda runtime sends the stack as the error's trace, into the Task's Cause: the name alone keeps the cause short.
    this.stack = name;
  }
}

/** A failure's message in the Cause, in bytes: the tally keeps 400 of it. */
const MESSAGE_BYTES = 1000;

/** What every invocation of one container shares (the handler's wiring). */
export interface TenantItemWiring {
  env: NodeJS.ProcessEnv;
  connector: Connector;
  write: LineWriter;
}

/** A tenant item, as the function receives it: its settings, log and time, then the tenant migrated. */
export async function runTenantItem(event: FleetTenantEvent, wiring: TenantItemWiring, context: InvocationContext): Promise<TenantReport> {
  const redactor = new Redactor();
  const log = createLogger(redactor, wiring.write, { phase: 'fleet-tenant', tenant: event.fleetTenant, requestId: context.awsRequestId });
  log.info('tenant item', { requestType: event.requestType, appliedBy: event.appliedBy });
  const deadline = Date.now() + context.getRemainingTimeInMillis();
  let cfg: HandlerConfig;
  try {
    cfg = readConfig(wiring.env);
    if (!cfg.fleet)
      throw new InputError(`a tenant item came, and ${ENV.fleet} is not set`, { fix: 'deploy the function through SchemaMigrations with a fleet' });
    // The role provisioner reads the fleet too, and holds the master secret: only a function that runs the migrations takes a tenant item.
    if (!cfg.serves.some((r) => r.type === MIGRATIONS_RESOURCE_TYPE))
      throw new InputError(
        `a tenant item came to a function that does not run the migrations (it serves ${cfg.serves.map((r) => r.type).join(', ')}): refused, nothing connected`,
        { value: event.fleetTenant, fix: "tenant items come from the fleet's rollout workflow, which invokes the migration function" },
      );
  } catch (e) {
    throw tenantFailure(e, { log, redactor });
  }
  const report = await migrateFleetTenant(event, {
    cfg: cfg as TenantItemContext['cfg'],
    connector: wiring.connector,
    env: wiring.env,
    log,
    redactor,
    deadline,
  });
  log.info('tenant done', { report });
  return report;
}

export async function migrateFleetTenant(event: FleetTenantEvent, c: TenantItemContext): Promise<TenantReport> {
  const name = event.fleetTenant;
  const started = Date.now();
  try {
    if (!c.cfg.fleet.databases) validateSchemaName(name, 'the tenant schema');
    // The tenant comes from the event: only one the synthesized fleet names now is migrated (an invoker cannot point the files at another schema or database).
    if (!(await fleetTenants(c)).some((t) => t.name === name))
      throw new InputError(`the tenant item names ${JSON.stringify(name)}, which is not a tenant of the fleet this function was made for`, {
        value: name,
        fix: 'tenant items come from the rollout the deploy starts, which reads the tenants from the fleet; create the tenant first, or deploy again',
      });
    const migrations = loadBundledMigrations(c.cfg, c.env);
    const driver = await c.connector.connect(tenantTarget(c.cfg.database, c.cfg.fleet, name), c.log, c.redactor);
    try {
      const run = c.cfg.run;
      const check = { requestType: event.requestType, driver, migrations, stateSchema: stateSchemaOf(c.cfg, name), log: c.log };
      const { result, ahead } = await migrateUnlessRollback(check, (allowAhead) =>
        migrate({
          driver,
          migrations,
          allowAhead,
          deadline: c.deadline,
          stateSchema: check.stateSchema,
          appliedBy: event.appliedBy,
          reserveMs: run.reserveMs,
          lockTimeoutMs: run.lockTimeoutMs,
          lockWaitMs: Math.max(0, Math.min(run.lockWaitMs, c.deadline - Date.now() - run.reserveMs)),
          checks: [replicationCheck({ planned: run.replicationPlanned, plannedSetting: 'the replicationPlanned prop of SchemaMigrations' })],
          onEvent: (e) => logRunEvent(c.log, e),
        }),
      );
      logRunFinished(c.log, result, Date.now() - started);
      if (result.outcome === 'partial')
        throw new FleetTenantError(
          FLEET_ERRORS.unfinished,
          `stopped between files at the invocation's deadline, at version ${result.currentVersion ?? 'none'}`,
        );
      // As after one database's migrations: the contracts in the tenant (its schema searched first), and drift in a database tenant (a snapshot names its schemas).
      if (!ahead)
        await verifySchema(
          driver,
          migrations,
          { ...c.cfg.verify, stateSchema: check.stateSchema, ...(c.cfg.fleet.databases ? {} : { snapshotFile: undefined }) },
          c.log,
          c.deadline,
        );
      return { name, version: result.currentVersion, state: 'applied', applied: result.applied.length, pending: 0 };
    } finally {
      await driver.end();
    }
  } catch (e) {
    throw tenantFailure(e, c, c.cfg.run.stateSchema);
  }
}

/** The item's error: retried (the lock busy, the lock's connection lost between files), or the tenant's failure. */
function tenantFailure(e: unknown, c: Pick<TenantItemContext, 'log' | 'redactor'>, stateSchema?: string): FleetTenantError {
  if (e instanceof FleetTenantError) return e;
  // As a deploy of one database says it, without the log groups: the rollout's report names them once.
  const message = toFailure(e, c.redactor, { stateSchema, budgetBytes: MESSAGE_BYTES }).message;
  c.log.error('tenant failed', { error: message });
  if (e instanceof LockWaitTimeoutError) return new FleetTenantError(FLEET_ERRORS.busy, message, { cause: e });
  if (e instanceof LockLostError) return new FleetTenantError(FLEET_ERRORS.unfinished, message, { cause: e });
  return new FleetTenantError(FLEET_ERRORS.failed, message, { cause: e });
}

/** Where a tenant is: its schema searched first, or its database. */
export function tenantPlace(fleet: Fleet, name: string): TenantPlace {
  return fleet.databases ? { databaseName: name } : { searchPath: name };
}

/** The target with the tenant's place; a fleet is reached over a connection only. */
export function tenantTarget(database: DatabaseTarget, fleet: Fleet, name: string): DatabaseTarget {
  return { ...fleetConnection(database), ...tenantPlace(fleet, name) };
}

/** A tenant's state schema: its own schema, or the configured one in its database. */
export function stateSchemaOf(cfg: HandlerConfig & { fleet: Fleet }, name: string): string {
  return cfg.fleet.databases ? cfg.run.stateSchema : name;
}
