/** `schemaguard status`: applied / pending / changed / unknown, as a table; writes nothing. */
import { appliedAsOther, renamedSince, type Plan } from '../../../lambda/engine/state/plan';
import { AlreadyAppliedError } from '../../../lambda/engine/errors/errors';
import { stateRefusals } from '../../../lambda/engine/state/state-refusals';
import { fleetOption } from './fleet';
import { emptyForeignHistoryNote, foreignHistoryNote, foreignHistoryTables } from '../../../lambda/engine/foreign-history/foreign-tables';
import type { Driver } from '../../../lambda/engine/ports';
import { inspect } from '../../../lambda/engine/runner';
import { runningMigration } from '../../../lambda/engine/lock/running-migration';
import { loadMigrationsAsync, type Migration } from '../../../lambda/engine/files/source';
import { isUnwrittenTemplate, unwrittenTemplateError } from '../../../lambda/engine/files/template';
import { statusTable } from '../format';
import { githubErrorAnnotation } from '../output/github';
import { missingFiles, missingFilesNote } from '../../../lambda/engine/state/missing-files';
import { readWhileConnecting, stateSchemaFlag, warnAboutFiles, type ContextOf } from './context';
import { readBackfills, type BackfillRow } from '../../../lambda/engine/backfill/progress';
import { progressWords } from '../../../lambda/engine/backfill/gate';

export async function statusCommand(ctx: ContextOf<'status'>): Promise<number> {
  const { opts } = ctx;
  const fleet = fleetOption(opts);
  if (fleet) return (await import('./fleet-reads')).fleetReadCommand(ctx, fleet, 'status');
  const { files: migrations, driver, where } = await readWhileConnecting(ctx, () => loadMigrationsAsync(opts.dir, { layout: opts.layout }));
  warnAboutFiles(ctx, migrations.length);
  try {
    const plan = await inspect({ driver, migrations, stateSchema: stateSchemaFlag(opts) });
    const running = await runningLine(driver, plan, stateSchemaFlag(opts));
    const backfills = await backfillsOf(driver, stateSchemaFlag(opts));
    if (opts.json) ctx.out(JSON.stringify({ ...statusJson(driver.target, plan), migrationRunning: running ?? null, backfills: backfills.map(backfillJson) }));
    else {
      ctx.out(statusReport(`${driver.target}${where}`, plan, filesNote(plan, migrations, opts.dir) ?? (await foreignHistoryLine(driver, plan))));
      for (const b of backfills) ctx.out(backfillStatusLine(b));
      if (running) ctx.out(`note: ${running}`);
      for (const m of plan.pending.filter(isUnwrittenTemplate)) ctx.out(`note: ${unwrittenTemplateError(m.file, opts.dir).message}; migrate refuses it`);
    }
    return opts.exitCode ? gateExitCode(ctx, plan, migrations, running) : 0;
  } finally {
    await driver.end();
  }
}

/**
 * With files pending, whether a migration is running now (the runner lock
 * held, or a live lease: what the guard looks at, `checks/guard/migration-running.ts`),
 * and the file it most likely applies: migrate applies the pending files in
 * order, so the first of them. Undefined when none runs.
 */
async function runningLine(driver: Driver, plan: Plan, stateSchema: string): Promise<string | undefined> {
  if (plan.pending.length === 0) return undefined;
  const session = await driver.connect();
  try {
    const running = await runningMigration(session, stateSchema, 'pass');
    return running && `${running}, most likely applying ${plan.pending[0].file} (the first pending file)`;
  } finally {
    await session.close();
  }
}

/** The backfills the database records (none before the first). */
async function backfillsOf(driver: Driver, stateSchema: string): Promise<BackfillRow[]> {
  const session = await driver.connect();
  try {
    return await readBackfills(session, stateSchema);
  } finally {
    await session.close();
  }
}

/** A backfill in `status --json`: the file, its state, the rows done and why it is paused or failed, then the rest of its progress. */
export function backfillJson(b: BackfillRow): Record<string, unknown> {
  return {
    file: b.file,
    version: b.version,
    table: b.table,
    state: b.state,
    rows_done: b.rowsDone,
    reason: b.reason,
    batches: b.batches,
    batch_rows: b.batchRows,
    sweeps: b.sweeps,
    started_at: b.startedAt.toISOString(),
    updated_at: b.updatedAt.toISOString(),
    finished_at: b.finishedAt?.toISOString() ?? null,
  };
}

/** `backfill 0007_region.sql (public.orders): running, 120,000 rows done, last batch 18:02:11Z`. */
export function backfillStatusLine(b: BackfillRow): string {
  const when = b.finishedAt ?? b.updatedAt;
  return `backfill ${b.file} (${b.table}): ${progressWords(b)}, ${b.state === 'done' ? 'done' : 'last change'} ${when.toISOString().replace(/\.\d+Z$/, 'Z')}`;
}

/**
 * Under the table: pending files whose text already ran (renumbered or
 * copied: migrate refuses them, and says so the same way here), and applied
 * files missing from the directory (those renumbered are said once, above).
 */
function filesNote(plan: Plan, migrations: Migration[], dir: string): string | undefined {
  const reruns = stateRefusals(plan, { migrations, source: dir }, true).filter((r): r is AlreadyAppliedError => r instanceof AlreadyAppliedError);
  const renumbered = new Set(reruns.filter((r) => r.renumbered).map((r) => r.appliedVersion));
  const missing = missingFilesNote(
    plan.unknown.filter((u) => !renumbered.has(u.version)),
    migrations,
    dir,
  );
  const lines = [...reruns.map((r) => `${r.message}\n  fix: ${r.fix}`), ...(missing ? [missing] : [])];
  return lines.length ? lines.join('\n') : undefined;
}

/** Nothing recorded, files pending, and another tool's history table here: baseline first, or (it records nothing) set aside (`foreign-tables.ts`). */
async function foreignHistoryLine(driver: Driver, plan: Plan): Promise<string | undefined> {
  if (plan.currentVersion !== null || plan.pending.length === 0) return undefined;
  const session = await driver.connect();
  try {
    const found = await foreignHistoryTables(session);
    const note = (await foreignHistoryNote(session, found)) ?? (await emptyForeignHistoryNote(session, found));
    return note && `note: ${note}`;
  } finally {
    await session.close();
  }
}

/** `--exit-code`: 1 when migrate has work to do or would refuse a changed or missing file, with the reason on stderr. */
function gateExitCode(ctx: ContextOf<'status'>, plan: Plan, files: Migration[], running?: string): number {
  // Applied versions without a file, missing from between the others or above every file: migrate refuses them unless --allow-ahead (a rollback expected).
  const missing = ctx.opts.allowAhead ? [] : missingFiles(plan.unknown, files);
  const ahead = ctx.opts.allowAhead ? [] : plan.unknown.filter((u) => !missing.some((m) => m.version === u.version));
  if (plan.pending.length === 0 && plan.changed.length === 0 && missing.length === 0 && ahead.length === 0) return 0;
  const parts = [];
  if (missing.length) parts.push(`${missing.length} applied but missing from ${ctx.opts.dir}/ (version ${missing.map((m) => m.version).join(', ')})`);
  if (ahead.length)
    parts.push(`${ahead.length} applied above the newest file (version ${ahead.map((u) => u.version).join(', ')}: migrate refuses without --allow-ahead)`);
  if (plan.pending.length) parts.push(`${plan.pending.length} pending (${plan.pending.map((m) => m.file).join(', ')})`);
  if (plan.changed.length) parts.push(`${plan.changed.length} changed after it was applied (${plan.changed.map((c) => c.migration.file).join(', ')})`);
  // Pending while a migration applies them is still pending: the exit code stays 1, and the reason says so.
  if (running && plan.pending.length) parts.push(running);
  ctx.err(`status --exit-code: ${parts.join('; ')}`);
  // In a workflow the reason is an annotation too: one for the gate, one on each changed file.
  if (ctx.opts.format === 'github') {
    for (const c of plan.changed)
      ctx.out(githubErrorAnnotation('status', { message: `${c.migration.file} changed after it was applied`, file: c.migration.file, line: 1 }, ctx.opts.dir));
    ctx.out(githubErrorAnnotation('status', { message: `status --exit-code: ${parts.join('; ')}` }, ctx.opts.dir));
  }
  return 1;
}

export function statusJson(target: string, plan: Plan): Record<string, unknown> {
  return {
    command: 'status',
    target,
    currentVersion: plan.currentVersion,
    migrations: plan.entries.map((e) => ({
      version: e.version,
      name: e.name,
      status: e.status,
      kind: e.applied?.kind,
      reason: e.applied?.reason,
      outOfOrder: e.outOfOrder || undefined,
      appliedAt: e.applied?.appliedAt.toISOString(),
      appliedBy: e.applied?.appliedBy,
      executionMs: e.applied?.executionMs,
      checksum: e.migration?.checksum,
      appliedChecksum: e.applied?.checksum,
      appliedName: appliedAsOther(e) ?? renamedSince(e),
      ranAsVersion: e.ranAs?.version,
    })),
  };
}

/** `note`: said under the table (applied files missing from the directory). */
export function statusReport(target: string, plan: Plan, note?: string): string {
  const count = (s: string) => plan.entries.filter((e) => e.status === s).length;
  const baselined = plan.entries.filter((e) => e.status === 'applied' && e.applied?.kind === 'baseline').length;
  return [
    `status of ${target}`,
    statusTable(plan),
    `${count('applied')} applied${baselined ? ` (${baselined} baselined)` : ''}, ${count('pending')} pending, ${count('changed')} changed, ${count('unknown')} unknown; version ${plan.currentVersion ?? 'none'}`,
    ...(note ? [note] : []),
  ].join('\n');
}
