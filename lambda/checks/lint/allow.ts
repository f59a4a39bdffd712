/**
 * `-- schemaguard:allow <rule> <reason>` silences the findings of that rule
 * in the next statement after the directive line; the silenced findings are
 * kept, with the reason, as allowed. An allow that silences nothing is
 * itself reported (unused-allow).
 */
import type { Allowance } from '../../engine/source';
import type { AllowedFinding, Finding } from '../finding';
import { finding } from './rule';
import { UNUSED_ALLOW, unusedAllow } from './rules/unused-allow';
import type { LintSource } from './source';

export interface AllowResult {
  findings: Finding[];
  allowed: AllowedFinding[];
}

/** The first line of the statement `line` belongs to (the last statement starting at or before it), in ascending `lines`. */
function statementOf(lines: readonly number[], line: number): number | undefined {
  let lo = 0;
  let hi = lines.length - 1;
  let found: number | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid]! <= line) { found = lines[mid]; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

/** The first line of the first statement that starts after `line`. */
function statementAfter(lines: readonly number[], line: number): number | undefined {
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid]! > line) hi = mid; else lo = mid + 1;
  }
  return lines[lo];
}

/**
 * Whether an allow directive for the finding's rule (`allowLines`: each
 * rule's directive lines) may silence it, `lines` the first lines of the
 * statements read so far: the statements after them start no earlier than
 * the last, so when the statement the finding's line falls in is already
 * not the first after any such directive, it never will be. Lint holds the
 * findings that may be until `applyAllowances` decides; any other is
 * counted against its rule's cap as it is reported.
 */
export function mayBeAllowed(allowLines: ReadonlyMap<string, readonly number[]>, f: Pick<Finding, 'rule' | 'line'>, lines: readonly number[]): boolean {
  const directives = allowLines.get(f.rule);
  if (!directives) return false;
  const stmt = statementOf(lines, f.line ?? 0);
  return directives.some((line) => {
    const next = statementAfter(lines, line);
    return next === undefined || next === stmt;
  });
}

/**
 * Split a file's findings into reported and allowed; add one unused-allow per
 * allow that silenced nothing. `lines`: the first line of each statement, in order.
 */
export function applyAllowances(src: LintSource, lines: readonly number[], raw: Finding[], ruleIds: readonly string[]): AllowResult {
  const out: AllowResult = { findings: [], allowed: [] };
  const used = new Set<Allowance>();
  for (const f of raw) {
    const stmt = statementOf(lines, f.line ?? 0);
    const allow = src.allowances.find((a) => a.rule === f.rule && stmt !== undefined && statementAfter(lines, a.line) === stmt);
    if (allow) {
      used.add(allow);
      out.allowed.push({ ...f, allowed: { reason: allow.reason, line: allow.line } });
    } else {
      out.findings.push(f);
    }
  }
  const allowable = ruleIds.filter((id) => id !== UNUSED_ALLOW.id);
  for (const a of src.allowances) {
    if (!used.has(a)) out.findings.push(finding(UNUSED_ALLOW, src.file, a.line, 1, unusedAllow(a, allowable)));
  }
  return out;
}
