/**
 * `-- schemaguard:allow <rule> <reason>` silences the findings of that rule
 * in the next statement after the directive line; the silenced findings are
 * kept, with the reason, as allowed. An allow that silences nothing is
 * itself reported (unused-allow).
 */
import type { Allowance } from '../../engine/files/source';
import type { Finding } from '../findings/finding';
import { finding } from './rule';
import { UNUSED_ALLOW, unusedAllow } from './rules/unused-allow';
import type { LintSource } from './source';

/** A file's allow directives, by rule, each rule's in line order. */
export function allowancesByRule(allowances: readonly Allowance[]): Map<string, Allowance[]> {
  const byRule = new Map<string, Allowance[]>();
  // A push each, not a spread per directive: a file with one before every statement stays linear.
  for (const a of allowances) {
    const list = byRule.get(a.rule);
    if (list) list.push(a);
    else byRule.set(a.rule, [a]);
  }
  for (const list of byRule.values()) list.sort((x, y) => x.line - y.line);
  return byRule;
}

/** The index of the last of `items`, ascending by `value`, at or below `at` (`strict`: below it); -1 when none is. */
function lastAtOrBelow<T>(items: readonly T[], value: (item: T) => number, at: number, strict: boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const v = value(items[mid]);
    if (strict ? v < at : v <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

const itself = (n: number) => n;

/**
 * The allow directive that silences a finding, or undefined: the first of
 * its rule on a line from the start of the statement before the finding's
 * (`prev`) to just before the finding's statement starts, so the finding's
 * statement is the first after it. `lines`: the first line of each statement
 * read so far, ascending; when a finding is reported its statement and all
 * before it are read, so the answer is final then (a finding before any
 * statement is read waits for all of them). Two binary searches: a file with
 * a directive before every statement stays linear.
 */
export function allowanceFor(
  byRule: ReadonlyMap<string, readonly Allowance[]>,
  f: Pick<Finding, 'rule' | 'line'>,
  lines: readonly number[],
): Allowance | undefined {
  const directives = byRule.get(f.rule);
  const at = lastAtOrBelow(lines, itself, f.line ?? 0, false);
  if (!directives || at < 0) return undefined;
  const stmt = lines[at];
  const before = lastAtOrBelow(lines, itself, stmt, true);
  const prev = before < 0 ? -Infinity : lines[before];
  const first = directives[lastAtOrBelow(directives, (d) => d.line, prev, true) + 1];
  return first && first.line < stmt ? first : undefined;
}

/** One unused-allow finding per allow directive that silenced nothing (`used`: those that did). */
export function unusedAllows(src: LintSource, used: ReadonlySet<Allowance>, ruleIds: readonly string[]): Finding[] {
  const allowable = ruleIds.filter((id) => id !== UNUSED_ALLOW.id);
  return src.allowances.filter((a) => !used.has(a)).map((a) => finding(UNUSED_ALLOW, src.file, a.line, 1, unusedAllow(a, allowable)));
}
