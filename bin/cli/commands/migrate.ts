/** `schemaguard migrate`: apply the pending migrations, a progress line each, then one summary. */
import { CheckFailedError, holderName, LockTimeoutError, MigrationError, StatementError, type Blocker } from '../../../lambda/engine/errors/errors';
import { migrate, type MigrateResult, type RunEvent } from '../../../lambda/engine/runner';
import type { Queryable } from '../../../lambda/engine/ports';
import { loadMigrationsAsync } from '../../../lambda/engine/files/source';
import type { StandbyReport } from '../../../lambda/checks/replication/standbys';
import { directivesOf } from '../format';
import { RunProgress, sayWhenInterrupted } from './interrupt';
import { migrateFlags, namesDatabase, readWhileConnecting, stateSchemaFlag, warnAboutFiles, type ContextOf } from './context';
import { noun, plural } from '../../../lambda/engine/errors/words';
import { progressWords } from '../../../lambda/engine/backfill/gate';
import type { BackfillProgress } from '../../../lambda/engine/backfill/run';
import { fleetOption } from './fleet';

export async function migrateCommand(ctx: ContextOf<'migrate'>): Promise<number> {
  const { opts } = ctx;
  const fleet = fleetOption(opts);
  if (fleet) return (await import('./fleet-migrate')).fleetMigrateCommand(ctx, fleet);
  // The runner lock's connection only: the one that applies is opened by the run once it knows files are pending
  // (while they are parsed), so a run with nothing to do makes one handshake.
  const { files: migrations, driver, where } = await readWhileConnecting(ctx, () => loadMigrationsAsync(opts.dir, { deferParse: true, layout: opts.layout }));
  warnAboutFiles(ctx, migrations.length);
  const run = new RunProgress();
  // With the embedded server, its clean-up answers the signal (and stops the server, rolling the transaction back).
  const stopListening = namesDatabase(ctx) ? sayWhenInterrupted((signal) => run.interruptedLine(signal)) : () => undefined;
  // A long file says nothing until it ends: a line after 10 s of it, then every 30 s.
  const ticker = setInterval(() => {
    const line = run.stillRunningLine();
    if (line) ctx.progress(line);
  }, 1000);
  ticker.unref();
  try {
    ctx.progress(`migrate ${driver.target}${where}: ${plural(migrations.length, 'migration')} in ${opts.dir}/`);
    const width = migrations.reduce((w, m) => Math.max(w, m.file.length), 0);
    const backfillLines = new BackfillLines(ctx.progress);
    let standbys: StandbyReport | undefined;
    // Imported when run, so the deploy's bundle starts without the checks (it reads the parser only when a publication or slot exists).
    const { replicationCheck } = await import('../../../lambda/checks/replication/refusal');
    const result = await migrate({
      driver,
      migrations,
      stateSchema: stateSchemaFlag(opts),
      ...migrateFlags(ctx),
      allowRerun: opts.allowRerun === undefined ? undefined : [opts.allowRerun],
      checks: [replicationCheck({ planned: opts.replicationPlanned })],
      backfills: opts.backfillLater ? 'start' : 'run',
      backfillSettings: opts.backfill,
      // On the session that applied: a new connection would cost its handshake's round trips, with the wait's own.
      afterApplied: async (session) => {
        standbys = await standbysAfter(ctx, session);
      },
      onEvent: (e) => {
        run.onEvent(e);
        if (e.type === 'backfill') backfillLines.say(e.progress);
        // --lock-wait 0 makes one try: no "waiting" line before the refusal that names the holder.
        else if (e.type !== 'lock-wait' || opts.lockWaitMs > 0) progressLine(e, ctx.progress, width);
      },
    });
    ctx.out(opts.json ? JSON.stringify({ command: 'migrate', target: driver.target, ...result, ...(standbys ? { standbys } : {}) }) : summary(result));
    return 0;
  } catch (e) {
    // What this run committed before it failed (the progress lines say it too): in the JSON a script reads.
    if (e instanceof MigrationError) e.appliedBefore = [...run.appliedFiles];
    // A migration's own failure (not a refusal before anything ran): where the run stopped, in the progress lines.
    if ((e instanceof StatementError || e instanceof CheckFailedError || e instanceof LockTimeoutError) && e.file) {
      ctx.progress(
        run.failedLine(
          migrations.find((m) => m.file === e.file),
          e.file,
          / connection lost: /.test(e.message),
          e.committedLines,
        ),
      );
    }
    throw e;
  } finally {
    clearInterval(ticker);
    stopListening();
    await driver.end();
  }
}

/** After applying: wait (bounded) for the standbys to replay it, and say how each did. */
async function standbysAfter(ctx: ContextOf<'migrate'>, session: Queryable): Promise<StandbyReport> {
  const { waitForStandbys } = await import('../../../lambda/checks/replication/standbys');
  const report = await waitForStandbys(session, {
    timeoutMs: ctx.opts.standbyWaitMs,
    strict: ctx.opts.standbyStrict,
    onProgress: ctx.progress,
    settings: standbySettingNames(ctx.opts),
  });
  if (report.standbys.length) ctx.progress(report.caughtUp ? report.summary : `warning: ${report.summary}`);
  return report;
}

/** The flags that set the standby wait, as the messages name them: with the project file's key where the file set it. */
function standbySettingNames(opts: ContextOf<'migrate'>['opts']): { wait: string; strict: string } {
  const name = (flag: string, key: string, option: string) => (opts.fromFile.has(option) ? `${flag} (or "${key}" in ${opts.configFile})` : flag);
  return { wait: name('--standby-wait', 'standbyWait', 'standbyWaitMs'), strict: name('--standby-strict', 'standbyStrict', 'standbyStrict') };
}

export function summary(result: MigrateResult): string {
  if (result.outcome === 'up-to-date') {
    return `up to date: version ${result.currentVersion ?? 'none'}, ${result.appliedCount} applied${result.unknown.length ? `; the database is ahead of the files (${result.unknown.join(', ')}), allowed` : ''}${backfillsSummary(result)}`;
  }
  const total = result.applied.reduce((a, b) => a + b.executionMs, 0);
  return `applied ${plural(result.applied.length, 'migration')} in ${result.elapsedMs} ms (${total} ms in SQL); version ${result.currentVersion}, ${result.appliedCount} applied${backfillsSummary(result)}`;
}

/** What the run did to each backfill it met, on the summary line: the progress lines went to stderr. */
function backfillsSummary(result: MigrateResult): string {
  return (result.backfills ?? [])
    .map((b) => `; backfill ${b.file}: ${progressWords(b)}${b.state === 'done' ? '' : ' (the next migrate without --backfill-later finishes it)'}`)
    .join('');
}

/**
 * A backfill's progress lines: one each change of state (paused and why,
 * running again, done, failed), and while it runs one every few seconds
 * (rows, rate, ETA), not one a batch.
 */
export class BackfillLines {
  private last = new Map<string, { at: number; state: string }>();
  constructor(
    private readonly progress: (line: string) => void,
    private readonly everyMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  say(p: BackfillProgress): void {
    const before = this.last.get(p.file);
    if (before && before.state === p.state && this.now() - before.at < this.everyMs) return;
    this.last.set(p.file, { at: this.now(), state: p.state });
    this.progress(backfillLine(p));
  }
}

/** `  backfill 0007_region.sql: running, 120,000 rows done, 23,400 rows/s, about 42 s left` (or paused and why). */
export function backfillLine(p: BackfillProgress): string {
  const rate = p.rowsPerSecond > 0 ? `, ${p.rowsPerSecond.toLocaleString('en-US')} rows/s` : '';
  const eta = p.state === 'running' && p.etaSeconds !== undefined ? `, about ${p.etaSeconds} s left` : '';
  return `  backfill ${p.file}: ${progressWords(p)}${p.state === 'paused' ? '' : rate}${eta}${p.state === 'paused' ? ' (resumes by itself)' : ''}`;
}

/** The progress line while another runner holds the lock. */
export function lockWaitLine(holders: Blocker[]): string {
  return `  waiting for the migration lock held by ${holders.map(holderName).join(', ') || 'another session'}`;
}

/** " (blocked by pid 4242)", or, a concurrent build waiting only for older transactions elsewhere, " (waiting for the older transaction of pid 4242 to end)". */
function retryBlockers(blockers: Blocker[]): string {
  if (!blockers.length) return '';
  const pids = blockers.map((b) => b.pid).join(', ');
  return blockers.every((b) => b.olderTransaction)
    ? ` (waiting for the older ${noun(blockers.length, 'transaction')} of pid ${pids} to end)`
    : ` (blocked by pid ${pids})`;
}

/** One progress line (stderr) per run event worth telling. */
export function progressLine(e: RunEvent, progress: (t: string) => void, width: number): void {
  switch (e.type) {
    case 'lock-wait':
      progress(lockWaitLine(e.holders));
      break;
    case 'plan':
      progress(`  ${e.applied} applied, ${e.pending} pending`);
      break;
    case 'migration-start':
    case 'migration-sent':
      break;
    case 'migration-applied':
      progress(
        `  applied ${e.migration.file.padEnd(width)} ${String(e.executionMs).padStart(6)} ms${e.attempts > 1 ? ` (attempt ${e.attempts})` : ''}${directivesOf(e.migration) ? `  [${directivesOf(e.migration)}]` : ''}`,
      );
      break;
    case 'retry':
      progress(`  ${e.migration.file}: lock timeout, retry ${e.attempt} in ${e.delayMs} ms${retryBlockers(e.blockers)}`);
      break;
    case 'note':
      progress(`  note: ${e.message}`);
      break;
    case 'deadline':
      progress(`  stopping before ${e.remaining[0]?.file}: deadline reached, ${e.remaining.length} left for the next run`);
      break;
    case 'lock-acquired':
    case 'backfill':
      break;
  }
}
