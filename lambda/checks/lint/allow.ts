/**
 * `-- schemaguard:allow <rule> <reason>` silences the findings of that rule
 * in the next statement after the directive line; the silenced findings are
 * kept, with the reason, as allowed. An allow that silences nothing is
 * itself reported (unused-allow).
 */
import type { Allowance } from '../../engine/source';
import type { AllowedFinding, Finding } from '../finding';
import type { ParsedStatement } from '../parse';
import { finding } from './rule';
import { UNUSED_ALLOW, unusedAllow } from './rules/unused-allow';
import type { LintSource } from './source';

export interface AllowResult {
  findings: Finding[];
  allowed: AllowedFinding[];
}

/** The statement a line belongs to (the last one starting at or before it). */
function statementOf(statements: ParsedStatement[], line: number): ParsedStatement | undefined {
  let found: ParsedStatement | undefined;
  for (const s of statements) if (s.line <= line) found = s;
  return found;
}

/** Split a file's findings into reported and allowed; add one unused-allow per allow that silenced nothing. */
export function applyAllowances(src: LintSource, statements: ParsedStatement[], raw: Finding[], ruleIds: readonly string[]): AllowResult {
  const out: AllowResult = { findings: [], allowed: [] };
  const used = new Set<Allowance>();
  for (const f of raw) {
    const stmt = statementOf(statements, f.line ?? 0);
    const allow = src.allowances.find((a) => a.rule === f.rule && stmt !== undefined && statements.find((s) => s.line > a.line) === stmt);
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
