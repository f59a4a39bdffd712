/**
 * `schemaguard plan`: what would run, in order, with directives; for every
 * pending statement the lock it takes, its table's size from the live catalog
 * and whether it rewrites or scans the table under that lock; and the lint
 * findings. Writes nothing. `--offline` reads the files alone.
 */
import { fleetOption, shownTenant, type FleetTarget } from './fleet';
import { lintCounts, type LintResult } from '../../../lambda/checks/lint';
import { planLocks, type LockPlan } from '../../../lambda/checks/locks/plan-locks';
import { computePlan, type Plan } from '../../../lambda/engine/state/plan';
import { EMPTY_FILE_NOTE, isEmptyMigration, loadMigrations, type Migration } from '../../../lambda/engine/files/source';
import { readApplied } from '../../../lambda/engine/state/state';
import { refuseUnwrittenTemplates } from '../../../lambda/engine/files/template';
import { planTable, statementsOf } from '../format';
import { printFindings } from '../output/findings';
import { lintJson, lintReport } from './lint';
import { connectTarget, serverVersionFlag, stateSchemaFlag, warnAboutFiles, type CommandContext, type ContextOf } from './context';
import { lintPlan, planLintContext, refuseUnknownRules } from './plan-lint';
import { refusalLines, runAnnotations, runOutlook, runResults, type RunOutlook } from './plan-refusals';
import type { Queryable } from '../../../lambda/engine/ports';
import { replicationCheck } from '../../../lambda/checks/replication/refusal';
import type { Driver } from '../../../lambda/engine/ports';
import { printLockTable } from './plan-locks';
import { traceOfPlan, type TraceReport } from './plan-trace';
import type { LockPlanOptions } from '../../../lambda/checks/locks/plan-locks';
import type { Session } from '../../../lambda/engine/ports';
import { SUPPORTED_MAJORS } from '../../../lambda/engine/server/server-majors';
import { awaitingBackfills, refuseUnknownAfterBackfill } from '../../../lambda/engine/backfill/gate';
import type { BackfillPendingError } from '../../../lambda/engine/errors/errors';
import { present } from '../../../lambda/engine/errors/present';

/** Everything plan reports, gathered before anything is printed. */
export interface PlanReport {
  target: string;
  migrations: Migration[];
  plan: Plan;
  locks: LockPlan;
  lint: LintResult;
  /**
   * What migrate would refuse before it runs anything, through this connection,
   * every one in the order migrate meets them (a file changed after it was
   * applied, an applied version with no file, a file older than the newest
   * applied; then another tool's history, a pooler
   * and a no-transaction file, a backslash in a string where
   * standard_conforming_strings is off), and what it would note and go on
   * (another tool's history table that records no applied migration, set aside).
   * None offline.
   */
  outlook: RunOutlook;
  /** `--trace`: each pending statement run on a copy of the schema, beside its row. */
  trace?: TraceReport;
}

const NO_OUTLOOK: RunOutlook = { refusals: [], notes: [] };

export async function planCommand(ctx: ContextOf<'plan'>): Promise<number> {
  const { opts } = ctx;
  const fleet = fleetOption(opts);
  if (fleet && !opts.offline)
    return (await import('./fleet-reads')).fleetReadCommand(ctx, fleet, 'plan', (target, migrations) => canaryPlan(ctx, target, migrations));
  refuseUnknownRules(opts);
  // Files first: bad input never reaches (or starts) a database.
  const migrations = loadMigrations(opts.dir, { layout: opts.layout });
  warnAboutFiles(ctx, migrations.length);
  // In text, the table comes first: a file the SQL parser refuses still shows where it stands in the plan.
  const early =
    opts.format === 'text' ? (target: string, plan: Plan, outlook: RunOutlook) => printTable(ctx.out, opts.dir, target, migrations, plan, outlook) : undefined;
  const report = opts.offline ? await offlinePlan(ctx, migrations, early) : await livePlan(ctx, migrations, early);
  if (opts.format === 'json') ctx.out(JSON.stringify(planJson(report)));
  else if (opts.format === 'text') await printAnalysis(ctx, report);
  else {
    // In a workflow, what migrate would refuse (at its file, or on the run) and a history set aside, as text prints them under the table.
    if (opts.format === 'github') for (const line of runAnnotations(report.outlook, opts.dir)) ctx.out(line);
    printFindings(ctx, 'plan', [...report.locks.findings, ...report.lint.findings], {
      baseDir: opts.dir,
      runResults: runResults(report.outlook),
      omitted: [...report.locks.omitted, ...report.lint.omitted],
    });
  }
  return opts.exitCode && planErrors(report) > 0 ? 1 : 0;
}

/** The errors plan reports: lint's and the locks' (every one counted, kept or not), and each refusal of migrate. */
export function planErrors(r: PlanReport): number {
  return lintCounts(r.lint).errors + lintCounts(r.locks).errors + r.outlook.refusals.length;
}

/** The canary's plan, as `plan` on its own would print it (text: under the fleet's lines; JSON: `canary` beside `tenants`). */
async function canaryPlan(ctx: ContextOf<'plan'>, target: FleetTarget, migrations: Migration[]): Promise<{ json: Record<string, unknown>; fails: boolean }> {
  const canary = target.tenants[0];
  const text = ctx.opts.format === 'text' && !ctx.opts.json;
  if (text) ctx.out(`the canary's plan (${shownTenant(canary.name)}: the first tenant to run; the others run the same files on tables of their own sizes):`);
  const early: EarlyPlan = text ? (where, plan, outlook) => printTable(ctx.out, ctx.opts.dir, where, migrations, plan, outlook) : undefined;
  const report = await livePlan(ctx, migrations, early, {
    connect: async () => ({ driver: target.driverFor(canary), where: ` (tenant ${shownTenant(canary.name)})` }),
    stateSchema: target.stateSchemaOf(canary),
  });
  if (text) await printAnalysis(ctx, report);
  // As plan on one database: --exit-code makes the canary's errors (lint, locks, what migrate would refuse) exit 1.
  return { json: { name: canary.name, ...planJson(report) }, fails: Boolean(ctx.opts.exitCode) && planErrors(report) > 0 };
}

/** Called with the plan before its statements are parsed. */
export type EarlyPlan = ((target: string, plan: Plan, outlook: RunOutlook) => void) | undefined;

async function offlinePlan(ctx: ContextOf<'plan'>, migrations: Migration[], early: EarlyPlan): Promise<PlanReport> {
  const plan = computePlan(migrations, []);
  refuseUnwrittenTemplates(plan.pending, ctx.opts.dir);
  refuseUnknownAfterBackfill(plan.pending, migrations);
  const target = 'no database (--offline: every file counts as pending)';
  early?.(target, plan, NO_OUTLOOK);
  const context = { ...(await planLintContext(migrations, plan)), serverMajor: serverVersionFlag(ctx.opts, false) };
  const lockOptions = { warnRows: ctx.opts.warnRows, applied: context.applied, serverMajor: context.serverMajor };
  const locks = await planLocks(plan.pending, lockOptions);
  const trace = await maybeTrace(ctx, plan.pending, locks, lockOptions, context.serverMajor);
  return { target, migrations, plan, locks, lint: await lintPlan(ctx.opts, context), outlook: NO_OUTLOOK, ...(trace ? { trace } : {}) };
}

/** Where a live plan looks: the command's target, or (a fleet's plan) one tenant's driver and state schema. */
export interface PlanTarget {
  connect(): Promise<{ driver: Driver; where: string }>;
  stateSchema: string;
}

export async function livePlan(ctx: ContextOf<'plan'>, migrations: Migration[], early: EarlyPlan, at?: PlanTarget): Promise<PlanReport> {
  serverVersionFlag(ctx.opts, true); // refused with a database, before connecting
  const { driver, where } = await (at?.connect() ?? connectTarget(ctx));
  try {
    const session = await driver.connect();
    try {
      const plan = computePlan(migrations, await readApplied(session, at?.stateSchema ?? stateSchemaFlag(ctx.opts)));
      // What migrate refuses (exit 2): a file still as `schemaguard new` wrote it, or one waiting for a backfill no earlier file has.
      refuseUnwrittenTemplates(plan.pending, ctx.opts.dir);
      refuseUnknownAfterBackfill(plan.pending, migrations);
      const target = `${driver.target}${where}`;
      const outlook = await runOutlook(driver, session, plan, { migrations, source: ctx.opts.dir }, [
        replicationCheck({ planned: ctx.opts.replicationPlanned }),
      ]);
      const waiting = await addBackfillOutlook(outlook, session, at?.stateSchema ?? stateSchemaFlag(ctx.opts), plan, migrations);
      early?.(target, plan, outlook);
      // As migrate --backfill-later and the deploy: a file that waits for a backfill not done is refused (exit 2), naming it and its progress.
      if (waiting[0]) throw waiting[0];
      // One read of the functions and domains: the lock plan's rewrite answer and lint's come from the same facts.
      const context = await planLintContext(migrations, plan, session, ctx.progress);
      const lockOptions = { catalog: session, warnRows: ctx.opts.warnRows, lintCatalog: context.catalog, applied: context.applied };
      const locks = await planLocks(plan.pending, lockOptions);
      const trace = await maybeTrace(ctx, plan.pending, locks, lockOptions, context.catalog?.serverMajor, session);
      return { target, migrations, plan, locks, lint: await lintPlan(ctx.opts, context), outlook, ...(trace ? { trace } : {}) };
    } finally {
      await session.close();
    }
  } finally {
    await driver.end();
  }
}

/** With --trace (or --trace-database): the trace, its findings added to the plan's. */
async function maybeTrace(
  ctx: ContextOf<'plan'>,
  pending: Migration[],
  locks: LockPlan,
  lockOptions: LockPlanOptions,
  major: number | undefined,
  source?: Session,
): Promise<TraceReport | undefined> {
  if (!ctx.opts.trace && ctx.opts.traceDatabase === undefined) return undefined;
  const trace = await traceOfPlan(ctx, {
    pending,
    locks,
    lockOptions,
    targetMajor: major ?? SUPPORTED_MAJORS.newest,
    ...(source ? { source } : {}),
    stateSchema: stateSchemaFlag(ctx.opts),
  });
  locks.findings.push(...trace.findings);
  return trace;
}

/** The files whose backfill this run starts (noted); returns the refusals of those that wait for a backfill the database has not done. */
async function addBackfillOutlook(
  outlook: RunOutlook,
  session: Queryable,
  schema: string,
  plan: Plan,
  migrations: Migration[],
): Promise<BackfillPendingError[]> {
  const { refusals, notes } = await awaitingBackfills(session, schema, plan.pending, migrations);
  outlook.notes.push(...notes);
  return refusals;
}

export function planJson(r: PlanReport): Record<string, unknown> {
  const { plan } = r;
  return {
    command: 'plan',
    target: r.target,
    currentVersion: plan.currentVersion,
    pending: plan.pending.map((m) => ({
      version: m.version,
      name: m.name,
      file: m.file,
      checksum: m.checksum,
      statements: statementsOf(m),
      checks: m.checks.map((c) => c.description),
      directives: m.directives,
    })),
    changed: plan.changed.map((c) => present(c.migration).file),
    unknown: plan.unknown.map((u) => u.version),
    // The first of each, as before there were lists, then every one.
    refusal: r.outlook.refusals[0] ?? null,
    refusals: r.outlook.refusals,
    note: r.outlook.notes[0] ?? null,
    notes: r.outlook.notes,
    sized: r.locks.sized,
    statements: r.trace ? r.locks.statements.map((row, k) => ({ ...row, ...present(r.trace).rows[k] })) : r.locks.statements,
    ...(r.trace ? { trace: traceSummary(r.trace) } : {}),
    // The first 100 of each rule in each file, then per file and rule how many more.
    warnings: r.locks.findings,
    warningsOmitted: r.locks.omitted,
    lint: lintJson(r.lint),
  };
}

/** What `--json` says of the trace as a whole; each statement carries its own `predicted`, `observed` and `mismatch`. */
function traceSummary(t: TraceReport): Record<string, unknown> {
  const traced = t.rows.filter((row) => row !== undefined);
  return {
    server: t.where,
    major: t.major,
    ...(t.targetMajor !== undefined ? { targetMajor: t.targetMajor } : {}),
    copied: t.copied.made,
    notCopied: t.copied.notCopied,
    statements: traced.length,
    mismatches: traced.filter((row) => row.mismatch).length,
    failed: traced.filter((row) => row.observed.error).length,
  };
}

/** The files in order, with what stands in migrate's way. */
export function printTable(out: (text: string) => void, dir: string, target: string, migrations: Migration[], plan: Plan, outlook: RunOutlook): void {
  out(`plan for ${target}: ${plan.pending.length} pending of ${migrations.length} in ${dir}/`);
  out(planTable(plan));
  for (const note of outlook.notes) out(`note: ${note}`);
  for (const m of plan.pending.filter(isEmptyMigration)) out(`note: ${m.file}: ${EMPTY_FILE_NOTE}`);
  for (const line of refusalLines(outlook.refusals)) out(line);
}

/** Under the table: the statements' locks, then the lint. */
export async function printAnalysis(ctx: Pick<CommandContext, 'out' | 'outDrained'>, r: PlanReport): Promise<void> {
  if (r.locks.statements.length) await printLockTable(ctx.out, ctx.outDrained, r.locks, r.trace);
  ctx.out(lintReport(r.lint));
}
