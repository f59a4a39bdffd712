/**
 * adding-required-field: ADD COLUMN … NOT NULL (or PRIMARY KEY, or of a NOT
 * NULL domain) without a default on an existing table. Every existing row
 * would get NULL, so on any populated table the migration fails with
 * 23502 (not_null_violation); the application that does not know the column
 * yet cannot insert either.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import { as, type Node } from '../../parser/parse';
import { columnParts, isFilled, rewriteContextOf } from '../column';
import { inPlace, later, renderFix } from '../fix';
import { columnWithout, deferInto, deferredColumnConstraints, notNullSteps, validatedColumnConstraints } from '../fix-steps';
import type { LintRule } from '../rule';
import { constraintNames, isPartitioned } from '../catalog';
import { ident, onlyIn, tableName } from '../sql-text';

export const ADDING_REQUIRED_FIELD: LintRule = {
  id: 'adding-required-field',
  severity: 'error',
  title: 'ADD COLUMN … NOT NULL without a default on an existing table',
  why: 'every existing row would hold NULL in the new column: on any populated table the migration fails with 23502 (not_null_violation)',
  fix: 'add the column nullable, backfill it, then prove it NOT NULL with a validated CHECK; or give it a constant DEFAULT',
  squawk: ['adding-required-field'],
  examples: {
    existing: 'CREATE TABLE recipes (id bigint PRIMARY KEY, title text);',
    triggers: 'ALTER TABLE recipes ADD COLUMN public boolean NOT NULL;',
    passes: 'ALTER TABLE recipes ADD COLUMN public boolean NOT NULL DEFAULT false;',
  },
  alterCommand(ctx, s, t, cmd) {
    if (cmd.subtype !== 'AT_AddColumn' || !t.existing) return;
    const col = as(cmd.def, 'ColumnDef');
    if (!col || (cmd.missing_ok && t.table.columns.has(String(col.colname)))) return;
    const p = columnParts(col);
    const domainNotNull = rewriteContextOf(ctx).domain(col.typeName)?.notNull ?? false;
    if (isFilled(p) || !(p.notNull || p.primaryKey || domainNotNull)) return;
    const column = String(col.colname);
    const table = tableName(t.rel);
    // ONLY kept: PostgreSQL refuses ADD COLUMN with ONLY on a table with children, as it refuses the statement.
    const only = onlyIn(s);
    const validated = validatedColumnConstraints(col);
    const plain = columnWithout(s, col, (c: Node) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY' || validated.includes(c));
    const first = inPlace(
      `ALTER TABLE ${only ? 'ONLY ' : ''}${table} ADD COLUMN ${plain};`,
      sqlComment(`then deploy code that writes ${column}, and backfill the existing rows in batches`),
      sqlComment(`(or, when every existing row can take one constant value: ADD COLUMN ${column} … NOT NULL DEFAULT <that value>, no rewrite)`),
    );
    const [add, validate] = notNullSteps(t.rel, column, later(), {
      only,
      partitioned: isPartitioned(ctx.catalog, t.table),
      taken: constraintNames(ctx.catalog, t.table),
    });
    deferInto(t.rel, deferredColumnConstraints(s, t.rel, col, validated), add, validate, { only });
    ctx.report(ADDING_REQUIRED_FIELD, s, {
      message: `ADD COLUMN ${ident(column)} on existing table ${table} is NOT NULL${p.primaryKey ? ' (PRIMARY KEY)' : domainNotNull ? ' (its domain is)' : ''} without a default: it fails with 23502 on any row already there`,
      fix:
        renderFix([first, add, validate]) +
        (p.primaryKey ? '\n-- then the primary key, built CONCURRENTLY and attached USING INDEX (see index-not-concurrent)' : ''),
      at: col.location as number | undefined,
    });
  },
};
