/**
 * `schemaguard baseline VERSION`: adopt an existing database. The files up to
 * VERSION are recorded as applied without running them (kind `baseline`,
 * with who and --reason), under the runner lock, in one transaction.
 */
import { baseline, baselineFiles, type BaselineResult } from '../../../lambda/engine/baseline';
import type { Driver } from '../../../lambda/engine/ports';
import { loadMigrations, type Migration } from '../../../lambda/engine/source';
import { UsageError } from '../errors';
import { connectTarget, stateSchemaFlag, type CommandContext } from './context';
import { appliedBy, lockWaitLine } from './migrate';

/** VERSION as written on the command line: a whole number. */
export function versionArgument(raw: string, command: string): number {
  if (!/^\d{1,15}$/.test(raw)) {
    throw new UsageError(`${command}: "${raw}" is not a version`, { value: raw, fix: `a version is the number a file name starts with, e.g. schemaguard ${command} 3 for 0003_add_index.sql` });
  }
  return Number(raw);
}

export async function baselineCommand(ctx: CommandContext): Promise<number> {
  const { opts } = ctx;
  if (opts.from) {
    const { baselineFromCommand } = await import('./baseline-from');
    return baselineFromCommand(ctx);
  }
  if (!opts.args[0]) throw new UsageError('baseline needs a VERSION', { fix: 'write schemaguard baseline VERSION (the newest file the database already reflects), or --from flyway|node-pg-migrate' });
  const version = versionArgument(opts.args[0], 'baseline');
  // Files first: bad input (or a version no file has) never reaches a database.
  const migrations = loadMigrations(opts.dir);
  baselineFiles(migrations, version);
  const { driver, where } = await connectTarget(ctx);
  try {
    return await runBaseline(ctx, driver, where, migrations, version);
  } finally {
    await driver.end();
  }
}

/** Record the files up to `version` on the target and report it. */
export async function runBaseline(ctx: CommandContext, driver: Driver, where: string, migrations: Migration[], version: number): Promise<number> {
  const { opts } = ctx;
  ctx.progress(`baseline ${driver.target}${where}: files up to version ${version} in ${opts.dir}/`);
  const result = await baseline({
    driver, migrations, version, stateSchema: stateSchemaFlag(opts), actor: appliedBy(ctx.env),
    reason: opts.reason, lockWaitMs: opts.lockWaitMs, onLockWait: (holders) => ctx.progress(lockWaitLine(holders)),
  });
  ctx.out(opts.json ? JSON.stringify({ command: 'baseline', target: driver.target, ...result }) : baselineReport(result, migrations));
  return 0;
}

export function baselineReport(result: BaselineResult, migrations: Migration[]): string {
  const fileOf = (v: number) => migrations.find((m) => m.version === v)?.file ?? String(v);
  const lines = [result.recorded.length
    ? `baseline ${result.version}: recorded ${result.recorded.length} file${result.recorded.length === 1 ? '' : 's'} as applied without running ${result.recorded.length === 1 ? 'it' : 'them'} (kind baseline): ${result.recorded.map((r) => r.file).join(', ')}`
    : `baseline ${result.version}: nothing to record, every file up to ${result.version} is already applied`];
  if (result.alreadyApplied.length && result.recorded.length) lines.push(`  already applied, unchanged: ${result.alreadyApplied.map(fileOf).join(', ')}`);
  if (result.pending.length) lines.push(`  pending above the baseline: ${result.pending.map(fileOf).join(', ')} (schemaguard migrate applies ${result.pending.length === 1 ? 'it' : 'them'})`);
  return lines.join('\n');
}
