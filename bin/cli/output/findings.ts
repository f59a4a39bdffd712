/**
 * Findings in the formats CI reads: `github` (workflow annotations) and
 * `sarif` (SARIF 2.1.0 for code scanning). `text` and `json` stay with each
 * command, which knows its own report.
 */
import { countBySeverity, type Finding } from '../../../lambda/checks/findings/finding';
import { omittedLine, type OmittedFindings } from '../../../lambda/checks/lint/kept';
import type { CommonContext } from '../commands/context';
import { escapeData, escapeProperty, githubAnnotation, repositoryPath } from './github';
import type { ReportingCommand, SarifFinding } from './rules';
import { sarifLog } from './sarif';
import { capNotes, CODE_SCANNING_LIMITS, fitSarif, leftOutLine, type SarifLimits } from './sarif-limits';
import { plural } from '../../../lambda/engine/errors/words';

export interface FindingsOutput {
  /** Directory the findings' `file` is relative to (--dir, --contracts; '' for paths as given). */
  baseDir: string;
  /** Results about the run itself, ahead of the findings in SARIF (plan's refusals and notes); `github` says them itself, and counts them in its summary line. */
  runResults?: readonly SarifFinding[];
  /** Lint's findings past the first 100 of a rule in a file: counted in the summary, said in one line each (a SARIF notification). @default - none */
  omitted?: readonly OmittedFindings[];
  /** What the SARIF file must stay within. @default CODE_SCANNING_LIMITS (GitHub code scanning's) */
  sarifLimits?: SarifLimits;
  /** What the run says about itself, first among the SARIF log's notifications (lint's warning that every file counted as pending). @default - none */
  notices?: readonly string[];
}

export function printFindings(ctx: CommonContext, command: ReportingCommand, findings: readonly Finding[], output: FindingsOutput): void {
  const omitted = output.omitted ?? [];
  if (ctx.opts.format === 'sarif') {
    printSarif(ctx, command, [...(output.runResults ?? []), ...findings], output);
    return;
  }
  for (const f of findings) ctx.out(githubAnnotation(f, output.baseDir));
  for (const o of omitted)
    ctx.out(
      `::notice file=${escapeProperty(repositoryPath(output.baseDir, o.file))},title=${escapeProperty(`schemaguard ${o.rule}`)}::${escapeData(omittedLine(o))}`,
    );
  const run = output.runResults ?? [];
  const counted = countBySeverity([...findings]);
  const errors = counted.errors + run.filter((r) => r.severity === 'error').length + omitted.reduce((n, o) => n + o.errors, 0);
  const warnings = counted.warnings + run.filter((r) => r.severity === 'warning').length + omitted.reduce((n, o) => n + o.warnings, 0);
  ctx.out(`${command}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`);
}

/**
 * The SARIF log, within what code scanning accepts (`sarif-limits.ts`): past
 * it, the lowest severities are left out, and the log's notifications and
 * stderr say how many of each and how to see them all.
 */
function printSarif(ctx: CommonContext, command: ReportingCommand, results: readonly SarifFinding[], output: FindingsOutput): void {
  const notes = [...(output.notices ?? []), ...capNotes((output.omitted ?? []).map(omittedLine))];
  const fitted = fitSarif(
    results.map((r) => r.severity),
    output.sarifLimits ?? CODE_SCANNING_LIMITS,
    (kept, left) =>
      JSON.stringify(
        sarifLog(
          command,
          kept.map((k) => results[k]),
          output.baseDir,
          left ? [...notes, leftOutLine(command, left)] : notes,
        ),
        null,
        2,
      ),
  );
  ctx.out(fitted.text);
  if (fitted.left) ctx.err(`schemaguard ${command}: ${leftOutLine(command, fitted.left)}`);
}
