/** Every rule a finding can carry, described for SARIF's rule list and for help text. */
import { DOCTOR_RULES } from '../../../lambda/checks/doctor';
import type { Finding } from '../../../lambda/checks/finding';
import { guardRules } from '../../../lambda/checks/guard';
import { RULES as LINT_RULES } from '../../../lambda/checks/lint';
import { LOCK_WARNING_RULE } from '../../../lambda/checks/locks/plan-locks';
import { COMMENT_DRIFT_RULE, CONTRACT_RULES, DRIFT_RULE, type RuleDescription } from '../../../lambda/checks/report-findings';

export type ReportingCommand = 'lint' | 'check' | 'doctor' | 'diff' | 'plan' | 'guard';

/** The rules each command can report, in a stable order. */
export function rulesOf(command: ReportingCommand): RuleDescription[] {
  switch (command) {
    case 'lint': return [...LINT_RULES];
    case 'plan': return [LOCK_WARNING_RULE, ...LINT_RULES];
    case 'doctor': return DOCTOR_RULES.map((r) => ({ id: r.id, severity: r.severity, title: r.title, why: r.why, fix: r.fix }));
    case 'check': return Object.values(CONTRACT_RULES);
    case 'diff': return [DRIFT_RULE, COMMENT_DRIFT_RULE];
    case 'guard': return guardRules().map((r) => ({ id: r.id, severity: r.severity === 'page' ? 'error' : 'warning', title: r.title, why: r.why, fix: r.fix }));
  }
}

/**
 * The command's rules, with any rule a finding carries that the list does
 * not know added from the finding itself (each result carries its own why
 * and exact fix in any case).
 */
export function describeRules(command: ReportingCommand, findings: readonly Finding[]): RuleDescription[] {
  const rules = new Map(rulesOf(command).map((r) => [r.id, { ...r }]));
  for (const f of findings) {
    if (!rules.has(f.rule)) rules.set(f.rule, { id: f.rule, severity: f.severity, title: f.message, why: f.why, fix: f.fix });
  }
  return [...rules.values()];
}
