/**
 * A project's own levels for lint rules (the project file's `lintRules`):
 * a rule turned `off` has its findings kept as allowed, with the team's
 * reason, as an allow directive keeps a statement's; a rule given another
 * level has its findings reported at that level. Applied after the allow
 * directives, so a statement's own allow still counts as used.
 */
import type { AllowedFinding, Finding, Severity } from '../findings/finding';
import type { OmittedFindings } from './kept';

export interface RuleLevel {
  level: 'off' | Severity;
  reason: string;
}

/** The parts of a lint result that levels change (LintResult has them; index.ts imports this file). */
export interface LevelledFindings {
  findings: Finding[];
  omitted: OmittedFindings[];
  allowed: AllowedFinding[];
  allowedOmitted: OmittedFindings[];
}

/**
 * `result` with `levels` applied. `source` names where the levels come from
 * (the project file), before each reason: an allowed finding shows where it
 * was allowed.
 */
export function applyRuleLevels<R extends LevelledFindings>(result: R, levels: Readonly<Record<string, RuleLevel>>, source: string): R {
  if (Object.keys(levels).length === 0) return result;
  const off = (rule: string) => levels[rule]?.level === 'off';
  const allowed: AllowedFinding[] = result.findings
    .filter((f) => off(f.rule))
    .map((f) => ({ ...f, allowed: { reason: `${source}: ${levels[f.rule].reason}`, line: 0 } }));
  return {
    ...result,
    findings: result.findings.filter((f) => !off(f.rule)).map((f) => relevelled(f, levels[f.rule])),
    omitted: result.omitted.filter((o) => !off(o.rule)).map((o) => relevelledCount(o, levels[o.rule])),
    allowed: [...result.allowed, ...allowed],
    allowedOmitted: [...result.allowedOmitted, ...result.omitted.filter((o) => off(o.rule))],
  };
}

function relevelled(f: Finding, level: RuleLevel | undefined): Finding {
  if (!level || level.level === 'off' || level.level === f.severity) return f;
  return { ...f, severity: level.level, why: `${f.why} (${f.severity} by default; ${level.level} here: ${level.reason})` };
}

function relevelledCount(o: OmittedFindings, level: RuleLevel | undefined): OmittedFindings {
  if (!level || level.level === 'off') return o;
  const n = o.errors + o.warnings;
  return level.level === 'error' ? { ...o, errors: n, warnings: 0 } : { ...o, errors: 0, warnings: n };
}

/** The ids in `levels` that no rule has: a typo would otherwise turn nothing off. */
export function unknownRules(levels: Readonly<Record<string, RuleLevel>>, known: readonly string[]): string[] {
  return Object.keys(levels).filter((id) => !known.includes(id));
}
