/**
 * The scheduled guard (SchemaGuard's function, export `guard`): invoked by
 * EventBridge every few minutes, it runs one read-only guard pass
 * (`runGuard`, lambda/checks/guard) over the deployed database, as the
 * guard's read-only role, with the files bundled beside it — the migrations,
 * contracts and snapshot of the deploy it came with — and reports:
 *
 *   load the settings and files → connect (the secret in a VPC, the Data API
 *   on Aurora) → runGuard → log the findings → one EMF line (metrics.ts)
 *
 * It never throws: a run that cannot check (database unreachable, password
 * refused, a privilege missing, a bad setting) is a failed run — GuardErrors 1
 * and the error in the log — so EventBridge and Lambda retry nothing and the
 * next scheduled run tries again. Every line goes through the redactor, which
 * knows the password the moment it is read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadContracts } from '../../checks/contracts';
import type { Snapshot } from '../../checks/drift/drift';
import { runGuard, type GuardReport } from '../../checks/guard';
import { runFleetGuard } from '../../checks/guard/fleet';
import { skippedReport } from '../../checks/guard/report';
import { describeFleet, type Fleet } from '../../engine/fleet/fleet-spec';
import { readTenants, type Tenant } from '../../engine/fleet/tenants';
import { tenantRegistry } from '../fleet/registry';
import { stateSchemaOf, tenantPlace } from '../fleet/tenant';
import { MigrationError } from '../../engine/errors/errors';
import { Redactor } from '../../engine/errors/redact';
import { loadMigrations } from '../../engine/files/source';
import { readConfig, type HandlerConfig } from '../config';
import { createConnector, type ConnectorDependencies } from '../connection';
import { GUARD_NAMESPACE } from '../constants';
import { readKey } from '../contract';
import { createLogger, stdoutWriter, type LineWriter, type Logger } from '../log';
import type { InvocationContext } from '../request';
import { guardMetricLines, type GuardRunResult, type MetricTarget } from './metrics';
import { present } from '../../engine/errors/present';

/** Shown in pg_stat_activity and the server log. */
export const GUARD_APPLICATION_NAME = 'schemaguard-guard';
/** At most this many findings are logged in full; the metrics count them all. */
const LOGGED_FINDINGS = 50;

export interface GuardHandlerDependencies extends ConnectorDependencies {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default - one line per record on stdout */
  write?: LineWriter;
  /** @default Date.now */
  now?: () => number;
}

/** What the function returns (EventBridge ignores it; a test or a manual invoke reads it). */
export interface GuardRunSummary {
  outcome: 'clean' | 'findings' | 'skipped' | 'failed';
  metrics?: GuardReport['metrics'];
  page?: boolean;
  skippedReason?: string;
  error?: string;
  /** A fleet's tenants not checked (their pass failed, or none was started before the deadline). */
  uncheckedTenants?: number;
  durationMs: number;
}

export type GuardHandler = (event: unknown, context?: InvocationContext) => Promise<GuardRunSummary>;

export function createGuardHandler(deps: GuardHandlerDependencies = {}): GuardHandler {
  const env = deps.env ?? process.env;
  const write = deps.write ?? stdoutWriter;
  const now = deps.now ?? Date.now;
  const connector = createConnector({ applicationName: GUARD_APPLICATION_NAME, ...deps });
  return async (_event, context) => {
    const started = now();
    const redactor = new Redactor();
    const log = createLogger(redactor, write, { phase: 'guard' });
    const target = metricTarget(env);
    // A fleet's tenants are started until the reserve before the invocation's end: the last ones finish, the metrics go out.
    const deadline = context ? started + context.getRemainingTimeInMillis() - FLEET_RESERVE_MS : undefined;
    const result = await guardRun(env, connector, log, redactor, started, now, deadline);
    for (const line of guardMetricLines(result, target, now())) write(redactor.redact(line));
    return summary(result);
  };
}

/** One pass, as a report or as the failure that stopped it. */
async function guardRun(
  env: NodeJS.ProcessEnv,
  connector: ReturnType<typeof createConnector>,
  log: Logger,
  redactor: Redactor,
  started: number,
  now: () => number,
  deadline?: number,
): Promise<GuardRunResult & { report?: GuardReport }> {
  try {
    const cfg = readConfig(env);
    const files = await bundledFiles(cfg);
    if (cfg.fleet) return await fleetRun({ ...cfg, fleet: cfg.fleet }, files, { connector, log, redactor, started, now, deadline });
    const driver = await connector.connect(cfg.database, log, redactor);
    let report: GuardReport;
    try {
      report = await runGuard({ driver, ...files, stateSchema: cfg.run.stateSchema });
    } finally {
      await driver.end().catch(() => undefined);
    }
    logReport(log, report);
    if (report.outcome === 'skipped') return { kind: 'report', outcome: 'skipped', skippedReason: report.skippedReason, durationMs: now() - started, report };
    return { kind: 'report', outcome: report.outcome, metrics: report.metrics, durationMs: now() - started, report };
  } catch (e) {
    const error = redactor.redact(describe(e));
    log.error('schema guard failed', { error, ...(e instanceof MigrationError ? { fields: e.toJSON() } : {}) });
    return { kind: 'failed', error, durationMs: now() - started };
  }
}

/** Kept back from a fleet run's invocation: the passes in flight end (statement_timeout 10 s), the report and metrics are written. */
const FLEET_RESERVE_MS = 20_000;

interface FleetRunContext {
  connector: ReturnType<typeof createConnector>;
  log: Logger;
  redactor: Redactor;
  started: number;
  now: () => number;
  deadline?: number;
}

/**
 * A fleet's run: every tenant's pass (lambda/checks/guard/fleet.ts), the
 * credentials read once for them all. A tenant that could not be checked —
 * its pass failed, or it was not reached before the deadline — is a guard
 * error (GuardErrors 1) beside the others' counts, named in the log.
 */
async function fleetRun(
  cfg: HandlerConfig & { fleet: Fleet },
  files: Awaited<ReturnType<typeof bundledFiles>>,
  c: FleetRunContext,
): Promise<GuardRunResult & { report?: GuardReport }> {
  const tenants = await readFleetTenants(cfg, c);
  const driverOf = await c.connector.tenants(cfg.database, c.log, c.redactor);
  const result = await runFleetGuard({
    ...files,
    tenants,
    fleet: cfg.fleet,
    driverFor: (t) => driverOf(tenantPlace(cfg.fleet, t.name)),
    stateSchemaOf: (t) => stateSchemaOf(cfg, t.name),
    deadline: c.deadline,
  });
  const failed = result.tenants.flatMap((t) => ('error' in t ? [{ tenant: t.tenant.name, error: c.redactor.redact(describe(t.error)) }] : []));
  // A report only when some tenant was checked: an empty one would read "clean".
  const checked = result.tenants.length - failed.length;
  if (checked) logReport(c.log, result.report);
  if (failed.length || result.notReached.length)
    c.log.error('schema guard: tenants not checked', {
      failed: failed.slice(0, LOGGED_FINDINGS),
      notReached: result.notReached.length,
      ...(result.notReached.length ? { fix: "raise SchemaGuard's timeout (at most the schedule and 15 minutes), or the fleet's concurrency" } : {}),
    });
  const durationMs = c.now() - c.started;
  const unchecked = failed.length + result.notReached.length;
  if (!tenants.length) {
    const skippedReason = `the fleet has no tenants (${describeFleet(cfg.fleet)}): nothing to check`;
    c.log.warn(`schema guard skipped: ${skippedReason}`);
    return { kind: 'report', outcome: 'skipped', skippedReason, durationMs, report: skippedReport(skippedReason, durationMs) };
  }
  // Not one tenant checked: the run failed (GuardErrors 1), as when the database cannot be reached.
  if (!checked) return { kind: 'failed', error: noTenantChecked(failed, result.notReached.length), durationMs };
  if (result.report.outcome === 'skipped')
    return { kind: 'report', outcome: 'skipped', skippedReason: result.report.skippedReason, durationMs, report: result.report };
  return {
    kind: 'report',
    outcome: result.report.outcome,
    metrics: result.report.metrics,
    durationMs,
    report: result.report,
    ...(unchecked ? { unchecked } : {}),
  };
}

/** Why a run checked no tenant: the time ran out before the first, or every pass that started failed. */
function noTenantChecked(failed: { tenant: string; error: string }[], notReached: number): string {
  const parts = [
    ...(failed.length ? [`${failed.length} failed (${JSON.stringify(failed[0].tenant)}: ${failed[0].error})`] : []),
    ...(notReached ? [`${notReached} not reached: the invocation's time ran out before ${failed.length ? 'them' : 'the first'}`] : []),
  ];
  return `no tenant checked: ${parts.join('; ')}`;
}

/** The fleet's tenants, read from the target database. */
async function readFleetTenants(cfg: HandlerConfig & { fleet: Fleet }, c: FleetRunContext): Promise<Tenant[]> {
  const driver = await c.connector.connect(cfg.database, c.log, c.redactor);
  try {
    const session = await driver.connect();
    try {
      return await readTenants(session, cfg.fleet, 'SchemaMigrations fleet', tenantRegistry(cfg.fleet));
    } finally {
      await session.close();
    }
  } finally {
    await driver.end().catch(() => undefined);
  }
}

/** The migrations, contracts and snapshot bundled with the function: the deploy's own. */
async function bundledFiles(cfg: HandlerConfig): Promise<Pick<Parameters<typeof runGuard>[0], 'migrations' | 'contracts' | 'snapshot'>> {
  const snapshotFile = cfg.verify.snapshotFile;
  return {
    migrations: loadMigrations(cfg.migrationsDir, { layout: cfg.migrationsLayout }),
    contracts: existsSync(cfg.contractsDir) ? await loadContracts(cfg.contractsDir) : [],
    snapshot: snapshotFile && existsSync(snapshotFile) ? (JSON.parse(readFileSync(snapshotFile, 'utf8')) as Snapshot) : undefined,
  };
}

/** The namespace and dimension values, from the environment the construct sets (known before anything can fail). */
function metricTarget(env: NodeJS.ProcessEnv): MetricTarget {
  return {
    namespace: readKey(env, 'guardNamespace') ?? GUARD_NAMESPACE,
    databaseIdentifier: readKey(env, 'guardDatabaseIdentifier') ?? 'unknown',
    databaseName: readKey(env, 'databaseName') ?? 'unknown',
  };
}

/** One record per run: the outcome and counts, and the findings (object, rule, message, fix), page first. */
function logReport(log: Logger, report: GuardReport): void {
  // Notes say what was not checked (tables not read in time, sequences the role may not read): in the record, not lost.
  const fields = {
    outcome: report.outcome,
    metrics: report.metrics,
    page: report.page,
    durationMs: report.durationMs,
    ...(report.notes?.length ? { notes: report.notes } : {}),
  };
  if (report.outcome === 'skipped') return log.info('schema guard skipped', { ...fields, skippedReason: report.skippedReason });
  const findings = report.findings
    .slice(0, LOGGED_FINDINGS)
    .map((f) => ({ severity: f.severity, rule: f.rule, object: f.object, message: f.message, fix: f.fix }));
  const more = report.findings.length - findings.length;
  (report.page ? log.error : report.outcome === 'findings' ? log.warn : log.info)(`schema guard: ${report.outcome}`, {
    ...fields,
    findings,
    ...(more > 0 ? { moreFindings: more } : {}),
  });
}

function describe(e: unknown): string {
  if (e instanceof MigrationError) return e.fix ? `${e.message} (fix: ${e.fix})` : e.message;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function summary(result: GuardRunResult & { report?: GuardReport }): GuardRunSummary {
  if (result.kind === 'failed') return { outcome: 'failed', error: result.error, durationMs: result.durationMs };
  const report = present(result.report, "the guard's report");
  return {
    outcome: report.outcome,
    metrics: report.metrics,
    page: report.page,
    durationMs: result.durationMs,
    ...(report.skippedReason ? { skippedReason: report.skippedReason } : {}),
    ...(result.kind === 'report' && result.outcome !== 'skipped' && result.unchecked ? { uncheckedTenants: result.unchecked } : {}),
  };
}
