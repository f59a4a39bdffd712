/** Every rule a finding can carry, described for SARIF's rule list and for help text. */
import { DOCTOR_RULES } from '../../../lambda/checks/doctor';
import type { Finding, Severity } from '../../../lambda/checks/findings/finding';
import { guardRules } from '../../../lambda/checks/guard';
import { RULES as LINT_RULES } from '../../../lambda/checks/lint';
import { LOCK_WARNING_RULE } from '../../../lambda/checks/locks/plan-locks';
import { TRACE_FAILED_RULE, TRACE_MISMATCH_RULE } from '../../../lambda/checks/trace/compare';
import { COMMENT_DRIFT_RULE, CONTRACT_RULES, DRIFT_RULE, type RuleDescription } from '../../../lambda/checks/drift/report-findings';
import type { ReportingCommand } from '../registry';

export type { ReportingCommand } from '../registry';

/** A SARIF result's level: a finding's severity, or `note` (what plan says of the run and goes on). */
export type SarifLevel = Severity | 'note';

/** A rule as SARIF lists it, which may be of level `note`. */
export interface SarifRule extends Omit<RuleDescription, 'severity'> {
  severity: SarifLevel;
}

/** A SARIF result: a finding, or one at level `note`. */
export interface SarifFinding extends Omit<Finding, 'severity'> {
  severity: SarifLevel;
}

/** plan: what migrate through the URL would refuse before it runs anything, each with its fix. */
export const MIGRATE_REFUSAL_RULE: SarifRule = {
  id: 'migrate-would-refuse',
  severity: 'error',
  title: 'migrate through this URL would refuse to run',
  why: 'migrate checks this before it runs anything and stops there: the deploy fails until it is fixed',
  fix: 'each result names the fix',
};

/** plan: what migrate would note through the URL and go on (another tool's history that records no applied migration, set aside). */
export const PLAN_NOTE_RULE: SarifRule = {
  id: 'plan-note',
  severity: 'note',
  title: 'migrate through this URL would note this and go on',
  fix: 'nothing to fix: read it, and check it is what you expect',
};

/** The rules each command can report, in a stable order. */
export function rulesOf(command: ReportingCommand): SarifRule[] {
  switch (command) {
    case 'lint':
      return [...LINT_RULES];
    case 'plan':
      return [MIGRATE_REFUSAL_RULE, PLAN_NOTE_RULE, LOCK_WARNING_RULE, TRACE_MISMATCH_RULE, TRACE_FAILED_RULE, ...LINT_RULES];
    case 'doctor':
      return DOCTOR_RULES.map((r) => ({ id: r.id, severity: r.severity, title: r.title, why: r.why, fix: r.fix }));
    case 'check':
      return Object.values(CONTRACT_RULES);
    case 'diff':
      return [DRIFT_RULE, COMMENT_DRIFT_RULE];
    case 'guard':
      return guardRules().map((r) => ({ id: r.id, severity: r.severity === 'page' ? 'error' : 'warning', title: r.title, why: r.why, fix: r.fix }));
  }
}

/**
 * The command's rules, with any rule a finding carries that the list does
 * not know added from the finding itself (each result carries its own why
 * and exact fix in any case).
 */
export function describeRules(command: ReportingCommand, findings: readonly SarifFinding[]): SarifRule[] {
  const rules = new Map(rulesOf(command).map((r) => [r.id, { ...r }]));
  for (const f of findings) {
    if (!rules.has(f.rule)) rules.set(f.rule, { id: f.rule, severity: f.severity, title: f.message, why: f.why, fix: f.fix });
  }
  return [...rules.values()];
}
