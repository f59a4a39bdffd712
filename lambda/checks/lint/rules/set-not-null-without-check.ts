/**
 * set-not-null-without-check: SET NOT NULL on an existing table scans every
 * row under ACCESS EXCLUSIVE, unless a validated CHECK already proves it
 * (PostgreSQL 12+: `col IS NOT NULL` in a conjunct of an AND or in every arm
 * of an OR, `notNullColumns`) or the column is NOT NULL already; so
 * does PostgreSQL 18's ADD [CONSTRAINT name] NOT NULL col, skipped the same
 * way (its NOT VALID form does not scan; VALIDATE does, under SHARE UPDATE
 * EXCLUSIVE). Checked on PostgreSQL 18 ("verifying table" against
 * "existing constraints … are sufficient to prove"). With a database, its
 * validated CHECKs count too (`LintCatalog.notNullChecks`).
 */
import { as, names, type ParsedStatement } from '../../parse';
import { renderFix } from '../fix';
import { notNullSteps } from '../fix-steps';
import type { AlterTarget } from '../model';
import { isPartitioned, notNullProvenInDatabase } from '../catalog';
import { notNullProven } from '../model-tables';
import type { LintRule, RuleContext } from '../rule';
import { clauseAt, ident, onlyIn, tableName } from '../sql-text';

export const SET_NOT_NULL_WITHOUT_CHECK: LintRule = {
  id: 'set-not-null-without-check',
  severity: 'error',
  title: 'SET NOT NULL (or ADD CONSTRAINT … NOT NULL) on an existing table without a validated CHECK (col IS NOT NULL) first',
  why: 'SET NOT NULL (and PostgreSQL 18\'s ADD CONSTRAINT … NOT NULL) scans the whole table while holding an ACCESS EXCLUSIVE lock; PostgreSQL 12+ skips the scan only when a validated CHECK constraint already proves the column has no NULL',
  fix: 'ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID; in a later migration VALIDATE it, SET NOT NULL (no scan), DROP the CHECK',
  squawk: ['adding-not-nullable-field'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text);',
    triggers: 'ALTER TABLE leads ALTER COLUMN name SET NOT NULL;',
    passes: 'ALTER TABLE leads ADD CONSTRAINT leads_name_not_null_proof CHECK (name IS NOT NULL) NOT VALID;',
  },
  alterCommand(ctx, s, t, cmd) {
    if (!t.existing) return;
    if (cmd.subtype === 'AT_SetNotNull' && typeof cmd.name === 'string') check(ctx, s, t, cmd.name);
    const con = cmd.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint') : undefined;
    // PostgreSQL 18's ADD [CONSTRAINT name] NOT NULL col scans as SET NOT NULL does; NOT VALID does not scan.
    if (con?.contype === 'CONSTR_NOTNULL' && !con.skip_validation) {
      const column = names(con.keys)[0];
      if (column) check(ctx, s, t, column, { clause: clauseAt(s, con.location as number), name: typeof con.conname === 'string' ? con.conname : undefined });
    }
  },
};

/** Reports making `column` NOT NULL (`added`: by ADD CONSTRAINT … NOT NULL, else by SET NOT NULL) unless nothing needs a scan. */
function check(ctx: RuleContext, s: ParsedStatement, t: AlterTarget, column: string, added?: { clause: string; name?: string }): void {
  if (notNullProven(t.table, column) || notNullProvenInDatabase(ctx.catalog, t.table, column)) return;
  const table = tableName(t.rel);
  const only = onlyIn(s);
  const makeNotNull = added && { sql: `ALTER TABLE ${only ? 'ONLY ' : ''}${table} ADD ${added.clause};  -- no scan: the validated CHECK proves it`, name: added.name };
  ctx.report(SET_NOT_NULL_WITHOUT_CHECK, s, {
    message: `${added ? `ADD ${added.clause}` : 'SET NOT NULL'} on ${table}.${ident(column)} without a validated CHECK (${ident(column)} IS NOT NULL) first`,
    fix: renderFix(notNullSteps(t.rel, column, undefined, { makeNotNull, only, partitioned: isPartitioned(ctx.catalog, t.table) })),
  });
}
