/**
 * A WHERE that every row of the table matches, as far as lint can tell from
 * the statement and the pending-set model: `WHERE true`, a comparison of two
 * equal constants (`1 = 1`), `col IS NOT NULL` of a NOT NULL column, and the
 * common backfill of a column this run added: `UPDATE t SET c = … WHERE c IS
 * NULL` after `ADD COLUMN c` without a default, when nothing in the pending
 * set has written `c` since (`ColumnModel.nullInEveryRow`). AND needs every
 * part to match every row, OR one. Used by whole-table-update and
 * whole-table-delete: such a statement locks every row as one without WHERE
 * does.
 */
import { as, list, names, type Node, type ParsedStatement, type RangeVar } from '../parser/parse';
import type { TableModel } from './model-types';
import type { RuleContext } from './rule';
import { present } from '../../engine/errors/present';

/**
 * Whether an UPDATE or DELETE of `rel` reaches every row: '' without WHERE, the
 * reason in parentheses (for the message) when its WHERE matches every row,
 * undefined when it may not. With FROM or USING a bare column may be the
 * other table's: only a statement without WHERE is judged then.
 */
export function everyRow(ctx: RuleContext, s: ParsedStatement, rel: RangeVar): string | undefined {
  const where = s.node.whereClause;
  if (where === undefined) return '';
  if (list(s.node.fromClause).length > 0 || list(s.node.usingClause).length > 0) return undefined;
  const alias = (s.node.relation as Node | undefined)?.alias as Node | undefined;
  const reason = everyRowReason(where, ctx.model.table(rel), rel, typeof alias?.aliasname === 'string' ? alias.aliasname : undefined);
  return reason === undefined ? undefined : ` (its WHERE matches every row: ${reason})`;
}

/** Why `where` matches every row of `table` (named `rel` in the statement), or undefined when it may not. */
function everyRowReason(where: unknown, table: TableModel | undefined, rel: RangeVar, alias: string | undefined): string | undefined {
  const bool = as(where, 'BoolExpr');
  if (bool) {
    const parts = list(bool.args).map((a) => everyRowReason(a, table, rel, alias));
    if (bool.boolop === 'AND_EXPR' && parts.every((p) => p !== undefined)) return parts.join(', and ');
    if (bool.boolop === 'OR_EXPR') return parts.find((p) => p !== undefined);
    return undefined;
  }
  const c = as(where, 'A_Const');
  if (c && (c.boolval as Node | undefined)?.boolval === true) return 'WHERE true';
  const op = as(where, 'A_Expr');
  if (op && op.kind === 'AEXPR_OP' && names(op.name).join('.') === '=' && equalConstants(op.lexpr, op.rexpr)) return 'it compares two equal constants';
  const test = as(where, 'NullTest');
  const column = test ? ownColumn(test.arg, rel, alias) : undefined;
  const model = column === undefined ? undefined : table?.columns.get(column);
  if (!model) return undefined;
  if (present(test).nulltesttype === 'IS_NOT_NULL' && model.notNull) return `${column} is NOT NULL in every row`;
  if (present(test).nulltesttype === 'IS_NULL' && model.nullInEveryRow) return `${column} was added by this run without a default, so it is NULL in every row`;
  return undefined;
}

/** Two constants of the same kind and value. */
function equalConstants(a: unknown, b: unknown): boolean {
  const [x, y] = [as(a, 'A_Const'), as(b, 'A_Const')];
  if (!x || !y || x.isnull || y.isnull) return false;
  const value = (k: Node) => JSON.stringify({ ...k, location: undefined });
  return value(x) === value(y);
}

/** The column a reference names, when it is a column of the statement's own table (bare, or qualified by its name or alias). */
function ownColumn(ref: unknown, rel: RangeVar, alias: string | undefined): string | undefined {
  const parts = names(as(ref, 'ColumnRef')?.fields);
  const column = parts.pop();
  if (!column) return undefined;
  if (parts.length === 0) return column;
  const qualifier = parts.pop();
  const named = alias !== undefined ? qualifier === alias : qualifier === rel.name;
  if (!named || (parts.length > 0 && parts.pop() !== rel.schema)) return undefined;
  return column;
}
