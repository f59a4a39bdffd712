/**
 * `schemaguard guard`: one read-only pass over a live database (drift,
 * contracts, doctor's errors, INVALID indexes, constraints never validated,
 * migrations pending or unknown). Exit 0 when clean, skipped or with tickets
 * only; 1 when a finding pages; 2 on a usage or input error.
 */
import { fleetOption } from './fleet';
import { existsSync } from 'node:fs';
import { loadContracts, type Contract } from '../../../lambda/checks/contracts';
import type { Snapshot } from '../../../lambda/checks/drift/drift';
import type { Finding } from '../../../lambda/checks/findings/finding';
import { runGuard, type GuardFinding, type GuardReport } from '../../../lambda/checks/guard';
import { InputError } from '../../../lambda/engine/errors/errors';
import { oneLine } from '../../../lambda/engine/sql/sql-quote';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { printFindings } from '../output/findings';
import { alarmedUserNote, connectedUrl } from './alarmed-user';
import { connectTarget, stateSchemaFlag, type ContextOf } from './context';
import { readSnapshot } from './diff';
import { plural } from '../../../lambda/engine/errors/words';

interface GuardInputs {
  contracts: Contract[];
  snapshot?: Snapshot;
  /** What is not checked, and why. */
  notes: string[];
}

/** Contracts and snapshot are checked when they are there; a file that is there but bad is an input error. */
async function readInputs(ctx: ContextOf<'guard'>): Promise<GuardInputs> {
  const { opts } = ctx;
  // Asked for by name and not there (a typo): an error, not a guard that silently checks less.
  for (const [key, flag, path] of [
    ['contractsDir', '--contracts', opts.contractsDir],
    ['snapshot', '--snapshot', opts.snapshot],
  ] as const) {
    if (opts.given.has(key) && !existsSync(path)) {
      throw new InputError(`${flag} ${path}: no such ${key === 'snapshot' ? 'file' : 'directory'}`, {
        file: path,
        value: path,
        fix: `check the path; without ${flag} the guard looks for ${key === 'snapshot' ? 'the project\'s snapshot (schema.snapshot.json in the migrations folder, or the project file\'s "snapshot")' : "the project's contracts folder"} and says in a note when it is not there`,
      });
    }
  }
  const notes: string[] = [];
  const contracts = existsSync(opts.contractsDir) ? await loadContracts(opts.contractsDir) : [];
  if (!existsSync(opts.contractsDir)) notes.push(`no contracts: ${opts.contractsDir}/ does not exist (--contracts DIR)`);
  const snapshot = existsSync(opts.snapshot) ? readSnapshot(opts.snapshot) : undefined;
  if (!snapshot) notes.push(`drift not checked: ${opts.snapshot} does not exist (schemaguard snapshot, or --snapshot FILE)`);
  return { contracts, snapshot, notes };
}

export async function guardCommand(ctx: ContextOf<'guard'>): Promise<number> {
  const { opts } = ctx;
  const fleet = fleetOption(opts);
  if (fleet) return (await import('./fleet-guard')).fleetGuardCommand(ctx, fleet);
  const migrations = loadMigrations(opts.dir, { layout: opts.layout });
  const inputs = await readInputs(ctx);
  const stateSchema = stateSchemaFlag(opts);
  const { driver, where } = await connectTarget(ctx);
  try {
    ctx.progress(
      `guard ${driver.target}${where}: ${plural(migrations.length, 'migration')} in ${opts.dir}/, ${plural(inputs.contracts.length, 'contract')}${inputs.snapshot ? `, snapshot ${opts.snapshot}` : ''}`,
    );
    const report = await runGuard({ driver, migrations, contracts: inputs.contracts, snapshot: inputs.snapshot, stateSchema });
    const url = connectedUrl(ctx, driver.target);
    const alarmed = url ? alarmedUserNote(url, ctx.env, inputs.contracts.length) : undefined;
    const notes = [...inputs.notes, ...(report.notes ?? []), ...(alarmed ? [alarmed] : [])];
    if (opts.format === 'json') ctx.out(JSON.stringify({ command: 'guard', target: driver.target, ...report, notes }));
    else if (opts.format === 'text') ctx.out(guardText(report, notes));
    else {
      for (const n of notes) ctx.progress(`note: ${n}`);
      if (report.skippedReason) ctx.progress(`skipped: ${report.skippedReason}`);
      printFindings(ctx, 'guard', report.findings.map(asFinding), { baseDir: '' });
    }
    return report.page ? 1 : 0;
  } finally {
    await driver.end();
  }
}

/** Page findings are errors, ticket findings warnings, in the CI formats. */
export function asFinding(f: GuardFinding): Finding {
  return { rule: f.rule, severity: f.severity === 'page' ? 'error' : 'warning', message: f.message, why: f.why, fix: f.fix, object: f.object };
}

export function guardText(report: GuardReport, notes: readonly string[]): string {
  const lines = notes.map((n) => `note: ${n}`);
  if (report.outcome === 'skipped') return [...lines, `skipped: ${report.skippedReason}`].join('\n');
  for (const f of report.findings) {
    // On its line whatever a name holds: a message cannot print a line that reads as a fix.
    lines.push(`${f.severity === 'page' ? 'PAGE  ' : 'ticket'} ${f.rule} ${oneLine(f.object)}: ${oneLine(f.message)}`);
    lines.push(`       fix: ${f.fix.replace(/\n/g, '\n            ')}`);
  }
  const pages = report.findings.filter((f) => f.severity === 'page').length;
  const counts = Object.entries(report.metrics)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(
    report.outcome === 'clean'
      ? `guard: clean in ${report.durationMs} ms`
      : `guard: ${pages} to page, ${report.findings.length - pages} for a ticket in ${report.durationMs} ms (${counts})`,
  );
  return lines.join('\n');
}
