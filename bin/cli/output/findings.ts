/**
 * Findings in the formats CI reads: `github` (workflow annotations) and
 * `sarif` (SARIF 2.1.0 for code scanning). `text` and `json` stay with each
 * command, which knows its own report.
 */
import { countBySeverity, type Finding } from '../../../lambda/checks/finding';
import type { CommandContext } from '../commands/context';
import { githubAnnotation } from './github';
import type { ReportingCommand, SarifFinding } from './rules';
import { sarifLog } from './sarif';

export interface FindingsOutput {
  /** Directory the findings' `file` is relative to (--dir, --contracts; '' for paths as given). */
  baseDir: string;
  /** Results about the run itself, ahead of the findings in SARIF (plan's refusals and notes); `github` says them itself, and counts them in its summary line. */
  runResults?: readonly SarifFinding[];
}

export function printFindings(ctx: CommandContext, command: ReportingCommand, findings: readonly Finding[], output: FindingsOutput): void {
  if (ctx.opts.format === 'sarif') {
    ctx.out(JSON.stringify(sarifLog(command, [...output.runResults ?? [], ...findings], output.baseDir), null, 2));
    return;
  }
  for (const f of findings) ctx.out(githubAnnotation(f, output.baseDir));
  const run = output.runResults ?? [];
  const counted = countBySeverity([...findings]);
  const errors = counted.errors + run.filter((r) => r.severity === 'error').length;
  const warnings = counted.warnings + run.filter((r) => r.severity === 'warning').length;
  ctx.out(`${command}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
}
