/**
 * The results of `check` (contracts) and `diff` (drift) as findings, so every
 * report format (text, github annotations, SARIF) takes one shape. The rules
 * they carry are described here, beside lint's and doctor's.
 */
import type { ContractsReport, ContractFailure } from '../contracts';
import { isCommentDrift, type DriftReport } from './drift';
import type { Finding, Severity } from '../findings/finding';
import { formatDifferences } from '../../schema/catalog';
import { present } from '../../engine/errors/present';

export interface RuleDescription {
  id: string;
  severity: Severity;
  title: string;
  why?: string;
  fix?: string;
}

const CONTRACT_WHY =
  'the application sends this statement in production: if it does not prepare, plan or insert against the live schema, the request that sends it fails';

export const CONTRACT_RULES: Record<ContractFailure['stage'], RuleDescription> = {
  prepare: {
    id: 'contract-prepare',
    severity: 'error',
    title: 'a query contract does not prepare against the schema (missing table, column, function or type)',
    why: CONTRACT_WHY,
    fix: 'add what the statement needs in a migration, or change the statement',
  },
  plan: {
    id: 'contract-plan',
    severity: 'error',
    title: 'a query contract prepares but cannot be planned (e.g. ON CONFLICT with no matching unique index)',
    why: CONTRACT_WHY,
    fix: 'create the unique index or constraint the statement infers, or change its conflict target',
  },
  insert: {
    id: 'contract-insert',
    severity: 'error',
    title: 'a query contract inserts without a value for a NOT NULL column that has no default',
    why: CONTRACT_WHY,
    fix: 'give the column a default, make it nullable, or send a value',
  },
};

export const DRIFT_RULE: RuleDescription = {
  id: 'schema-drift',
  severity: 'error',
  title: 'the live schema differs from what the migrations produce',
  why: 'a change made by hand (or a migration not run) means the schema the application meets is not the one the code was tested against',
  fix: 'put the change in a migration (then schemaguard snapshot), or undo it',
};

export function contractFindings(report: ContractsReport): Finding[] {
  return report.results.flatMap((r) =>
    r.failures.map((f): Finding => {
      const rule = CONTRACT_RULES[f.stage];
      return {
        rule: rule.id,
        severity: 'error',
        file: r.file,
        line: r.line,
        column: 1,
        message: `contract ${r.name}: ${f.reason}`,
        why: [f.detail, f.hint].filter(Boolean).join('; ') || present(rule.why),
        fix: f.fix ?? present(rule.fix),
        object: r.name,
      };
    }),
  );
}

/** A comment changed by hand: a warning, not failing (`isCommentDrift`); the guard's rule of the same id makes it a ticket. */
export const COMMENT_DRIFT_RULE: RuleDescription = {
  id: 'comment-drift',
  severity: 'warning',
  title: 'a comment differs from the snapshot (reported, not failing: diff exits 0, failOnDrift goes on)',
  why: 'comments change no behaviour; the difference still means the schema was edited by hand',
  fix: 'COMMENT ON … as the migrations have it, or put the new comment in a migration (then schemaguard snapshot)',
};

/** Drift findings point at the snapshot file they were compared with. */
export function driftFindings(report: DriftReport, snapshotFile: string): Finding[] {
  return report.differences.map((d) => {
    const rule = isCommentDrift(d) ? COMMENT_DRIFT_RULE : DRIFT_RULE;
    return {
      rule: rule.id,
      severity: rule.severity,
      file: snapshotFile,
      line: 1,
      column: 1,
      message: formatDifferences([d], { a: 'snapshot', b: 'live' }),
      why: present(rule.why),
      fix: present(rule.fix),
      object: d.name,
    };
  });
}
