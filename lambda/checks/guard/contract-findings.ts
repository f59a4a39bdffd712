/** Failing contracts as guard findings: always page (the application sends these statements). */
import { MigrationError } from '../../engine/errors/errors';
import type { ContractsReport } from '../contracts';
import { CONTRACT_RULES } from '../drift/report-findings';
import { deniedFailure } from './contract-access';
import type { GuardFinding } from './report';
import { LOCK_NOT_AVAILABLE, QUERY_CANCELED } from '../../engine/errors/sqlstate';
import { present } from '../../engine/errors/present';

export function contractFindings(report: ContractsReport): GuardFinding[] {
  assertChecked(report);
  // A contract the role may not check (42501, or its table in a schema without USAGE) is its own ticket (contract-access.ts), not a failing contract.
  return report.results
    .filter((r) => !deniedFailure(r))
    .flatMap((r) =>
      r.failures.map((f): GuardFinding => {
        const rule = CONTRACT_RULES[f.stage];
        return {
          kind: 'contract',
          rule: rule.id,
          severity: 'page',
          object: r.file,
          message: `contract ${r.name} (${r.file}:${r.line}) fails: ${f.reason}`,
          why: [f.detail, f.hint].filter(Boolean).join('; ') || present(rule.why),
          fix: f.fix ?? present(rule.fix),
        };
      }),
    );
}

/**
 * SQLSTATEs that say the guard could not check the contract, not that the
 * schema is wrong. A privilege missing (42501) is not among them: that
 * contract is a contract-unchecked ticket with the GRANT (contract-access.ts)
 * and the rest of the run is reported.
 */
const NOT_CHECKED: Record<string, string> = {
  // A lock held by someone else (a migration that started meanwhile), or a slow server.
  [LOCK_NOT_AVAILABLE]: "another session held a lock on the contract's table longer than the guard's lock_timeout; the next run tries again",
  [QUERY_CANCELED]: "the statement ran longer than the guard's statement_timeout; the next run tries again",
};

/**
 * A contract the guard could not check is an error of the run (the scheduled
 * function counts it in GuardErrors), never a failing contract that pages.
 */
function assertChecked(report: ContractsReport): void {
  for (const r of report.results) {
    const stopped = r.failures.find((f) => f.sqlstate && f.sqlstate in NOT_CHECKED);
    if (stopped) {
      throw new MigrationError(`the guard cannot check contract ${r.name} (${r.file}): ${stopped.reason}`, {
        sqlstate: stopped.sqlstate,
        file: r.file,
        line: r.line,
        fix: NOT_CHECKED[present(stopped.sqlstate)],
      });
    }
  }
}
