/**
 * Findings in the formats CI reads: `github` (workflow annotations) and
 * `sarif` (SARIF 2.1.0 for code scanning). `text` and `json` stay with each
 * command, which knows its own report.
 */
import { countBySeverity, type Finding } from '../../../lambda/checks/finding';
import { omittedLine, type OmittedFindings } from '../../../lambda/checks/lint/kept';
import type { CommandContext } from '../commands/context';
import { escapeData, escapeProperty, githubAnnotation, repositoryPath } from './github';
import type { ReportingCommand, SarifFinding } from './rules';
import { sarifLog, SARIF_MAX_RESULTS } from './sarif';

export interface FindingsOutput {
  /** Directory the findings' `file` is relative to (--dir, --contracts; '' for paths as given). */
  baseDir: string;
  /** Results about the run itself, ahead of the findings in SARIF (plan's refusals and notes); `github` says them itself, and counts them in its summary line. */
  runResults?: readonly SarifFinding[];
  /** Lint's findings past the first 100 of a rule in a file: counted in the summary, said in one line each (a SARIF notification). @default - none */
  omitted?: readonly OmittedFindings[];
}

export function printFindings(ctx: CommandContext, command: ReportingCommand, findings: readonly Finding[], output: FindingsOutput): void {
  const omitted = output.omitted ?? [];
  if (ctx.opts.format === 'sarif') {
    const results = [...output.runResults ?? [], ...findings];
    // Code scanning rejects a run of more than 25,000 results: the rest are said, not given.
    const notes = omitted.map(omittedLine);
    if (results.length > SARIF_MAX_RESULTS) notes.push(`… and ${results.length - SARIF_MAX_RESULTS} more results past code scanning's limit of ${SARIF_MAX_RESULTS} per run`);
    ctx.out(JSON.stringify(sarifLog(command, results.slice(0, SARIF_MAX_RESULTS), output.baseDir, notes), null, 2));
    return;
  }
  for (const f of findings) ctx.out(githubAnnotation(f, output.baseDir));
  for (const o of omitted) ctx.out(`::notice file=${escapeProperty(repositoryPath(output.baseDir, o.file))},title=${escapeProperty(`schemaguard ${o.rule}`)}::${escapeData(omittedLine(o))}`);
  const run = output.runResults ?? [];
  const counted = countBySeverity([...findings]);
  const errors = counted.errors + run.filter((r) => r.severity === 'error').length + omitted.reduce((n, o) => n + o.errors, 0);
  const warnings = counted.warnings + run.filter((r) => r.severity === 'warning').length + omitted.reduce((n, o) => n + o.warnings, 0);
  ctx.out(`${command}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
}
