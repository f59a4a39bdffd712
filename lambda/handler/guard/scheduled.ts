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
import type { Snapshot } from '../../checks/drift';
import { runGuard, type GuardReport } from '../../checks/guard';
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
  durationMs: number;
}

export type GuardHandler = (event: unknown, context?: InvocationContext) => Promise<GuardRunSummary>;

export function createGuardHandler(deps: GuardHandlerDependencies = {}): GuardHandler {
  const env = deps.env ?? process.env;
  const write = deps.write ?? stdoutWriter;
  const now = deps.now ?? Date.now;
  const connector = createConnector({ applicationName: GUARD_APPLICATION_NAME, ...deps });
  return async () => {
    const started = now();
    const redactor = new Redactor();
    const log = createLogger(redactor, write, { phase: 'guard' });
    const target = metricTarget(env);
    const result = await guardRun(env, connector, log, redactor, started, now);
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
): Promise<GuardRunResult & { report?: GuardReport }> {
  try {
    const cfg = readConfig(env);
    const files = await bundledFiles(cfg);
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
  const report = result.report!;
  return {
    outcome: report.outcome,
    metrics: report.metrics,
    page: report.page,
    durationMs: result.durationMs,
    ...(report.skippedReason ? { skippedReason: report.skippedReason } : {}),
  };
}
