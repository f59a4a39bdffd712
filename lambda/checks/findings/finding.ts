/** What lint and doctor report: one problem, where it is, why it matters, and the fix. */
import { oneLine, escapeQuoted } from '../../engine/sql/sql-quote';

export type Severity = 'error' | 'warning';

export interface Finding {
  /** Stable id, e.g. `index-not-concurrent`; the id `-- schemaguard:allow` takes. */
  rule: string;
  severity: Severity;
  /** What is wrong, naming the object. */
  message: string;
  /** Why it is dangerous. */
  why: string;
  /** The safe rewrite or the statement that fixes it. */
  fix: string;
  /** Where (lint): file name, 1-based line and column. */
  file?: string;
  line?: number;
  column?: number;
  /** What (doctor): the table, column, index or constraint concerned. */
  object?: string;
}

/** Findings that are silenced by an allow directive are kept, with the reason, for the report. */
export interface AllowedFinding extends Finding {
  allowed: { reason: string; line: number };
}

export function location(f: Pick<Finding, 'file' | 'line' | 'column'>): string {
  if (!f.file) return '';
  return `${f.file}${f.line ? `:${f.line}${f.column ? `:${f.column}` : ''}` : ''}`;
}

/**
 * A finding as it is reported: its fix with each quoted name and string the
 * catalog gave on one line (sql-quote.ts): the only line breaks left in it
 * are between its statements and comments.
 */
export function reported<F extends { fix: string }>(f: F): F {
  const fix = escapeQuoted(f.fix);
  return fix === f.fix ? f : { ...f, fix };
}

/**
 * One finding as readable lines: `file:line:col error rule: message`, then
 * why and fix, indented. The one-line parts are kept on their line (a name's
 * line break shown as `\n`): a message cannot print a line that reads as
 * the fix.
 */
export function formatFinding(f: Finding): string {
  const where = oneLine(location(f) || f.object || '');
  return [
    `${where ? `${where}: ` : ''}${f.severity} ${f.rule}: ${oneLine(f.message)}`,
    `  why: ${oneLine(f.why)}`,
    `  fix: ${f.fix.replace(/\n/g, '\n       ')}`,
  ].join('\n');
}

export function countBySeverity(findings: Finding[]): { errors: number; warnings: number } {
  return {
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}
