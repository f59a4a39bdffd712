/**
 * `schemaguard check`: the query contracts against the live schema. When the
 * snapshot is there (--snapshot), an upsert whose unique index is gone is told
 * which index the migrations create for it.
 */
import { existsSync } from 'node:fs';
import { assertChecked, checkContracts, loadContracts, type Contract, type ContractsReport } from '../../../lambda/checks/contracts';
import type { Snapshot } from '../../../lambda/checks/drift/drift';
import { nameMissingArbiters } from '../../../lambda/checks/drift/missing-arbiter';
import { contractFindings } from '../../../lambda/checks/drift/report-findings';
import type { Driver } from '../../../lambda/engine/ports';
import { printFindings } from '../output/findings';
import { alarmedUserNote, connectedUrl } from './alarmed-user';
import { connectTarget, type ContextOf } from './context';
import { readSnapshot } from './diff';
import { plural } from '../../../lambda/engine/errors/words';

export function contractsReport(report: ContractsReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    const params = r.parameterTypes.length ? ` ($${r.parameterTypes.map((t, k) => `${k + 1} ${t}`).join(', $')})` : '';
    lines.push(`${r.ok ? 'ok    ' : 'FAILED'} ${r.file}:${r.line} ${r.name}${params}`);
    for (const a of r.arbiters) lines.push(`       ON CONFLICT on ${a.table} infers ${a.description}`);
    if (!r.ok) lines.push(`       statement: ${r.statement.replace(/\s+/g, ' ').slice(0, 300)}`);
    for (const f of r.failures) {
      lines.push(`       reason: ${f.reason}`);
      if (f.detail) lines.push(`       detail: ${f.detail}`);
      if (f.hint) lines.push(`       hint: ${f.hint}`);
      if (f.fix) lines.push(`       fix: ${f.fix}`);
    }
  }
  lines.push(`contracts: ${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}

export async function checkCommand(ctx: ContextOf<'check'>): Promise<number> {
  const { opts } = ctx;
  const contracts = await loadContracts(opts.contractsDir);
  const snapshot = existsSync(opts.snapshot) ? readSnapshot(opts.snapshot) : undefined;
  const { driver, where } = await connectTarget(ctx);
  try {
    ctx.progress(`check ${plural(contracts.length, 'contract')} in ${opts.contractsDir}/ against ${driver.target}${where}`);
    const url = connectedUrl(ctx, driver.target);
    const alarmed = url ? alarmedUserNote(url, ctx.env, contracts.length) : undefined;
    if (alarmed) ctx.progress(`note: ${alarmed}`);
    const report = await checkContracts({ driver, contracts });
    assertChecked(report);
    if (report.failed && snapshot) await withSnapshot(driver, report, contracts, snapshot);
    if (opts.format === 'json') ctx.out(JSON.stringify({ command: 'check', target: driver.target, ...report }));
    else if (opts.format === 'text') ctx.out(contractsReport(report));
    else printFindings(ctx, 'check', contractFindings(report), { baseDir: opts.contractsDir });
    if (report.failed)
      ctx.err(
        `error: ${report.failed} of ${report.results.length} contracts failed: ${report.results
          .filter((r) => !r.ok)
          .map((r) => r.file)
          .join(', ')}`,
      );
    return report.failed ? 1 : 0;
  } finally {
    await driver.end();
  }
}

async function withSnapshot(driver: Driver, report: ContractsReport, contracts: Contract[], snapshot: Snapshot): Promise<void> {
  const session = await driver.connect();
  try {
    await nameMissingArbiters(session, report, contracts, snapshot.catalog);
  } finally {
    await session.close();
  }
}
