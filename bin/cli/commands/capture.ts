/**
 * `schemaguard capture`: the application's statements from pg_stat_statements,
 * written as contract files in --contracts (one per statement, named from
 * table and kind); statements a contract already has are left alone.
 * `--dry-run` lists them and writes nothing.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureStatements, type CapturedStatement, type CaptureReport } from '../../../lambda/checks/capture';
import { loadContracts } from '../../../lambda/checks/contracts';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { UsageError } from '../errors';
import { refuseWritingOutside } from '../project-config';
import { connectTarget, stateSchemaFlag, type ContextOf } from './context';
import { present } from '../../../lambda/engine/errors/present';

export async function captureCommand(ctx: ContextOf<'capture'>): Promise<number> {
  const { opts } = ctx;
  if (opts.minCalls < 1) throw new UsageError('--min-calls: must be at least 1', { value: String(opts.minCalls), fix: 'e.g. --min-calls 5' });
  const contracts = existsSync(opts.contractsDir) ? await loadContracts(opts.contractsDir) : [];
  const migrations = existsSync(opts.dir) ? loadMigrations(opts.dir, { layout: opts.layout }) : [];
  const stateSchema = stateSchemaFlag(opts);
  const { driver, where } = await connectTarget(ctx);
  try {
    ctx.progress(`capture from pg_stat_statements of ${driver.target}${where}: statements with at least ${opts.minCalls} calls`);
    const report = await captureStatements({ driver, contracts, migrations, minCalls: opts.minCalls, stateSchema });
    const fresh = report.statements.filter((s) => s.status === 'new');
    if (!opts.dryRun && fresh.length) {
      refuseWritingOutside(opts, 'contractsDir', 'capture');
      mkdirSync(opts.contractsDir, { recursive: true });
      for (const s of fresh) writeFileSync(join(opts.contractsDir, present(s.file)), present(s.contract), { flag: 'wx' });
    }
    if (opts.json) ctx.out(JSON.stringify({ command: 'capture', target: driver.target, dryRun: opts.dryRun, contractsDir: opts.contractsDir, ...report }));
    else ctx.out(captureText(report, opts.contractsDir, opts.dryRun));
    return 0;
  } finally {
    await driver.end();
  }
}

const oneLine = (s: CapturedStatement) => (s.query ?? '').slice(0, 160);

export function captureText(report: CaptureReport, dir: string, dryRun: boolean): string {
  const lines: string[] = [];
  const count = (status: CapturedStatement['status']) => report.statements.filter((s) => s.status === status);
  for (const s of count('new')) lines.push(`${dryRun ? 'would write' : 'wrote      '} ${join(dir, present(s.file))} (${s.calls} calls): ${oneLine(s)}`);
  for (const s of count('present')) lines.push(`present     ${s.file} (${s.calls} calls): ${oneLine(s)}`);
  const skipped = count('skipped');
  // A skipped statement's text is not shown: it may hold what no parameter replaced.
  for (const s of skipped.filter((x) => !x.notApplication)) lines.push(`skipped     queryid ${s.queryid} (${s.calls} calls): ${s.reason}`);
  const other = skipped.filter((x) => x.notApplication).length;
  lines.push(
    `capture: ${count('new').length} ${dryRun ? 'to write' : 'written'}, ${count('present').length} already present, ${skipped.length - other} skipped; ${other} not the application's (catalog, utility or schemaguard statements); at least ${report.minCalls} calls`,
  );
  return lines.join('\n');
}
