/**
 * set-not-null-without-check: SET NOT NULL on an existing table scans every
 * row under ACCESS EXCLUSIVE, unless a validated CHECK (col IS NOT NULL)
 * already proves it (PostgreSQL 12+) or the column is NOT NULL already.
 */
import { renderFix } from '../fix';
import { notNullSteps } from '../fix-steps';
import type { LintRule } from '../rule';
import { tableName } from '../sql-text';

export const SET_NOT_NULL_WITHOUT_CHECK: LintRule = {
  id: 'set-not-null-without-check',
  severity: 'error',
  title: 'SET NOT NULL on an existing table without a validated CHECK (col IS NOT NULL) first',
  why: 'SET NOT NULL scans the whole table while holding an ACCESS EXCLUSIVE lock; PostgreSQL 12+ skips the scan only when a validated CHECK constraint already proves the column has no NULL',
  fix: 'ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID; in a later migration VALIDATE it, SET NOT NULL (no scan), DROP the CHECK',
  squawk: ['adding-not-nullable-field'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text);',
    triggers: 'ALTER TABLE leads ALTER COLUMN name SET NOT NULL;',
    passes: 'ALTER TABLE leads ADD CONSTRAINT leads_name_not_null CHECK (name IS NOT NULL) NOT VALID;',
  },
  alterCommand(ctx, s, t, cmd) {
    if (cmd.subtype !== 'AT_SetNotNull' || !t.existing || typeof cmd.name !== 'string') return;
    const column = cmd.name;
    if (t.table.columns.get(column)?.notNull) return;
    if ([...t.table.constraints.values()].some((c) => c.validated && c.notNullOf === column)) return;
    ctx.report(SET_NOT_NULL_WITHOUT_CHECK, s, {
      message: `SET NOT NULL on ${tableName(t.rel)}.${column} without a validated CHECK (${column} IS NOT NULL) first`,
      fix: renderFix(notNullSteps(t.rel, column)),
    });
  },
};
