/**
 * validate-in-same-transaction: VALIDATE CONSTRAINT in the same transactional
 * file that added the constraint NOT VALID. The ADD's lock (ACCESS EXCLUSIVE
 * for a CHECK, SHARE ROW EXCLUSIVE on both tables for a foreign key) is held
 * until COMMIT, so the validation scan runs under it: NOT VALID bought nothing.
 */
import { renderFix, later, type FixFile } from '../fix';
import type { LintRule } from '../rule';
import { ident, tableName } from '../sql-text';

export const VALIDATE_IN_SAME_TRANSACTION: LintRule = {
  id: 'validate-in-same-transaction',
  severity: 'error',
  title: 'VALIDATE CONSTRAINT in the same transaction as the ADD CONSTRAINT … NOT VALID on an existing table',
  why: "the ADD's lock is held until COMMIT, so the validation scan runs under it: writes (for a CHECK, reads too) stop until the scan ends",
  fix: 'VALIDATE in a later migration, or make the file no-transaction so each statement commits on its own',
  squawk: ['constraint-missing-not-valid'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, score int);',
    triggers: 'ALTER TABLE leads ADD CONSTRAINT leads_score_positive CHECK (score > 0) NOT VALID;\nALTER TABLE leads VALIDATE CONSTRAINT leads_score_positive;',
    passes:
      '-- schemaguard:no-transaction\nALTER TABLE leads ADD CONSTRAINT leads_score_positive CHECK (score > 0) NOT VALID;\nALTER TABLE leads VALIDATE CONSTRAINT leads_score_positive;',
  },
  alterCommand(ctx, s, t, cmd) {
    if (cmd.subtype !== 'AT_ValidateConstraint' || !t.existing || ctx.src.noTransaction) return;
    const name = String(cmd.name);
    const added = t.table.constraints.get(name)?.addedNotValid;
    if (!added || added.file !== ctx.src.file || !added.transactional) return;
    const table = tableName(t.rel);
    const files: FixFile[] = [{ place: 'without', lines: [`${added.statement};`] }, later(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${ident(name)};`)];
    ctx.report(VALIDATE_IN_SAME_TRANSACTION, s, {
      message: `VALIDATE CONSTRAINT ${ident(name)} runs in the same transaction as its ADD CONSTRAINT … NOT VALID (line ${added.line}): the validation scan of ${table} runs under the ADD's lock`,
      fix: `${renderFix(files)}\n-- or: make this file no-transaction (the directive on its first line), so the ADD commits before the VALIDATE starts`,
    });
  },
};
