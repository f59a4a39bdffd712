/**
 * How many findings lint keeps: the first {@link FINDINGS_KEPT_PER_RULE} of
 * each rule in each file; the rest are counted, not kept. A 16 MiB file of
 * `RESET ALL;` lines gives 1.5 million findings: kept whole they would take
 * hundreds of MB and overrun V8's string limit in the report. The counts
 * stay exact (summary lines, exit code, `--json`'s errors and warnings).
 */
import type { Finding } from '../findings/finding';
import { noun } from '../../engine/errors/words';

/** Findings of one rule in one file kept in the result (and shown); more are counted in {@link OmittedFindings}. */
export const FINDINGS_KEPT_PER_RULE = 100;

/** The findings of one rule in one file past the first {@link FINDINGS_KEPT_PER_RULE}: counted, not kept. */
export interface OmittedFindings {
  file: string;
  rule: string;
  errors: number;
  warnings: number;
}

/** Keeps a file's findings up to the cap per rule, counting the others. */
export class FindingsKeeper {
  private readonly kept = new Map<string, number>();
  private readonly over = new Map<string, OmittedFindings>();

  constructor(private readonly file: string) {}

  /** Whether `f` is within its rule's cap (then counted as kept); otherwise it is counted as omitted. */
  keep(f: Finding): boolean {
    const n = this.kept.get(f.rule) ?? 0;
    if (n < FINDINGS_KEPT_PER_RULE) {
      this.kept.set(f.rule, n + 1);
      return true;
    }
    let o = this.over.get(f.rule);
    if (!o) this.over.set(f.rule, (o = { file: this.file, rule: f.rule, errors: 0, warnings: 0 }));
    if (f.severity === 'error') o.errors++;
    else o.warnings++;
    return false;
  }

  /** What was counted and not kept, by rule in the order rules first overflowed. */
  omitted(): OmittedFindings[] {
    return [...this.over.values()];
  }
}

/** Errors and warnings: the kept findings' and the omitted ones'. */
export function lintCounts(result: { findings: Finding[]; omitted: readonly OmittedFindings[] }): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const f of result.findings)
    if (f.severity === 'error') errors++;
    else warnings++;
  for (const o of result.omitted) {
    errors += o.errors;
    warnings += o.warnings;
  }
  return { errors, warnings };
}

/** Findings allowed by a directive: those kept and those counted. */
export function allowedCount(result: { allowed: readonly unknown[]; allowedOmitted: readonly OmittedFindings[] }): number {
  return result.allowedOmitted.reduce((n, o) => n + o.errors + o.warnings, result.allowed.length);
}

/** The line under a file's findings for a rule with more than were kept. */
export function omittedLine(o: OmittedFindings): string {
  return moreLine(o, '');
}

/** The line under a file's allowed findings for a rule with more than were kept. */
export function allowedOmittedLine(o: OmittedFindings): string {
  return moreLine(o, 'allowed ');
}

function moreLine(o: OmittedFindings, kind: string): string {
  const n = o.errors + o.warnings;
  return `… and ${n} more ${kind}${o.rule} ${noun(n, 'finding')} in ${o.file}`;
}
