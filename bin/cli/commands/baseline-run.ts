/** Recording a baseline on a connected target, and its report (shared by `baseline VERSION` and `baseline --from`). */
import { baseline, type BaselineResult } from '../../../lambda/engine/state/baseline';
import type { Driver } from '../../../lambda/engine/ports';
import type { Migration } from '../../../lambda/engine/files/source';
import { appliedBy, stateSchemaFlag, type ContextOf } from './context';
import { lockWaitLine } from './migrate';
import { oneOrMany, plural } from '../../../lambda/engine/errors/words';

/** Record the files up to `version` on the target and report it. */
export async function runBaseline(ctx: ContextOf<'baseline'>, driver: Driver, where: string, migrations: Migration[], version: number): Promise<number> {
  const { opts } = ctx;
  ctx.progress(`baseline ${driver.target}${where}: files up to version ${version} in ${opts.dir}/`);
  const result = await baseline({
    driver,
    migrations,
    version,
    stateSchema: stateSchemaFlag(opts),
    actor: appliedBy(ctx.env),
    reason: opts.reason,
    lockWaitMs: opts.lockWaitMs,
    onLockWait: (holders) => ctx.progress(lockWaitLine(holders)),
  });
  ctx.out(opts.json ? JSON.stringify({ command: 'baseline', target: driver.target, ...result }) : baselineReport(result, migrations));
  return 0;
}

export function baselineReport(result: BaselineResult, migrations: Migration[]): string {
  const fileOf = (v: number) => migrations.find((m) => m.version === v)?.file ?? String(v);
  const lines = [
    result.recorded.length
      ? `baseline ${result.version}: recorded ${plural(result.recorded.length, 'file')} as applied without running ${oneOrMany(result.recorded.length, 'it', 'them')} (kind baseline): ${result.recorded.map((r) => r.file).join(', ')}`
      : `baseline ${result.version}: nothing to record, every file up to ${result.version} is already applied`,
  ];
  if (result.alreadyApplied.length && result.recorded.length) lines.push(`  already applied, unchanged: ${result.alreadyApplied.map(fileOf).join(', ')}`);
  if (result.pending.length)
    lines.push(
      `  pending above the baseline: ${result.pending.map(fileOf).join(', ')} (schemaguard migrate applies ${oneOrMany(result.pending.length, 'it', 'them')})`,
    );
  return lines.join('\n');
}
